package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The series-denoiser kind: file round trip, the residual step, causality, per-stream state, refusals. */
class SeriesDenoiserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int D = 3;

    @TempDir
    Path dir;

    static SeriesDenoiser model(CellType cell, long seed) {
        ModelSpec s = new ModelSpec();
        s.kind = ModelKind.SERIES_DENOISER;
        s.name = "unit-denoiser";
        s.cell = cell;
        s.inputSize = D;
        s.hiddenSize = 6;
        s.numLayers = 2;
        s.head = ModelSpec.Head.LINEAR;
        s.outputSize = D;
        s.inputFeatures = new ArrayList<>(List.of("a", "b", "c"));
        s.outputFeatures = new ArrayList<>(List.of("a", "b", "c"));
        s.inputMean = new float[] {1f, -2f, 10f};
        s.inputStd = new float[] {0.5f, 2f, 3f};
        s.outputMean = new float[D];
        s.outputStd = s.inputStd.clone();
        s.noiseModel = "gaussian";
        s.noiseSigma = 0.5f;
        s.provenance.put("command", "nowcast train --kind series-denoiser --test");
        RecurrentNet net = new RecurrentNet(cell, D, 6, 2, D, Gemms.create()).initUniform(new Rng(seed));
        return new SeriesDenoiser(s, net);
    }

    private static float[] series(int T, long seed) {
        Rng r = new Rng(seed);
        float[] v = new float[T * D];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (3 * r.nextGaussian());
        }
        return v;
    }

    @Test
    void aFileRoundTripKeepsTheKindTheNoiseAndTheOutputs() throws Exception {
        SeriesDenoiser m = model(CellType.GRU, 1);
        Path f = dir.resolve("d.safetensors");
        ModelFiles.save(f, m);
        Model back = ModelFiles.load(f);
        SeriesDenoiser d = assertInstanceOf(SeriesDenoiser.class, back);
        assertEquals(ModelKind.SERIES_DENOISER, d.spec().kind);
        assertEquals("gaussian", d.spec().noiseModel);
        assertEquals(0.5f, d.spec().noiseSigma);
        assertEquals(List.of("a", "b", "c"), d.spec().inputFeatures);
        float[] x = series(40, 2);
        assertArrayEquals(m.denoise(x, 40), d.denoise(x, 40));
        String json = SafeTensors.read(f).metadata().get(ModelFiles.METADATA_KEY);
        assertTrue(json.contains("\"kind\":\"series-denoiser\""), json);
        assertTrue(json.contains("\"noise\":{\"model\":\"gaussian\",\"sigma\":0.5,\"amount\":0.0},\"residual\":true"), json);
    }

    @Test
    void theOutputIsTheInputPlusTheDestandardisedHead() {
        SeriesDenoiser m = model(CellType.LSTM, 3);
        // a head of zeros passes the noisy input through unchanged
        Arrays.fill(m.net().param("head.weight").w(), 0f);
        Arrays.fill(m.net().param("head.bias").w(), 0f);
        float[] x = series(20, 4);
        assertArrayEquals(x, m.denoise(x, 20));
        // a bias b_j moves column j by b_j * std_j
        m.net().param("head.bias").w()[1] = 0.25f;
        float[] y = m.denoise(x, 20);
        for (int t = 0; t < 20; t++) {
            assertEquals(x[t * D], y[t * D]);
            assertEquals(x[t * D + 1] + 0.25f * 2f, y[t * D + 1], 1e-5f);
        }
    }

    @Test
    void aDirectDenoiserOutputsTheDestandardisedHeadAloneAndSaysSo() throws Exception {
        SeriesDenoiser r = model(CellType.GRU, 3);
        r.spec().residual = false;
        r.spec().outputMean = new float[] {1f, 2f, 3f};
        SeriesDenoiser m = new SeriesDenoiser(r.spec(), r.net());
        Arrays.fill(m.net().param("head.weight").w(), 0f);
        Arrays.fill(m.net().param("head.bias").w(), 0f);
        float[] y = m.denoise(series(5, 4), 5);
        for (int t = 0; t < 5; t++) {
            assertArrayEquals(new float[] {1f, 2f, 3f}, Arrays.copyOfRange(y, t * D, t * D + D));
        }
        Path f = dir.resolve("direct.safetensors");
        ModelFiles.save(f, m);
        SeriesDenoiser back = (SeriesDenoiser) ModelFiles.load(f);
        assertEquals(false, back.spec().residual);
        assertArrayEquals(y, back.denoise(series(5, 4), 5));
    }

    @Test
    void aCleanedSampleDependsOnThePastOnly() {
        SeriesDenoiser m = model(CellType.GRU, 5);
        float[] x = series(50, 6);
        float[] full = m.denoise(x, 50);
        float[] changed = x.clone();
        for (int i = 30 * D; i < changed.length; i++) {
            changed[i] += 7f;
        }
        float[] other = m.denoise(changed, 50);
        assertArrayEquals(Arrays.copyOf(full, 30 * D), Arrays.copyOf(other, 30 * D));
        assertNotEquals(full[30 * D], other[30 * D]);
    }

    /** The series xs (T, D each) stepped side by side, one row of {@code state} each: what each row output. */
    private static float[][] steppedTogether(SeriesDenoiser m, RecurrentState state, float[][] xs, int T) {
        int N = xs.length;
        float[] in = new float[N * D];
        float[] out = new float[N * D];
        float[] scratch = new float[m.scratchSize(N)];
        float[][] together = new float[N][T * D];
        for (int t = 0; t < T; t++) {
            for (int n = 0; n < N; n++) {
                System.arraycopy(xs[n], t * D, in, n * D, D);
            }
            m.step(in, state, out, scratch);
            for (int n = 0; n < N; n++) {
                System.arraycopy(out, n * D, together[n], t * D, D);
            }
        }
        return together;
    }

    @Test
    void streamsSteppedTogetherGiveWhatEachGivesAlone() {
        SeriesDenoiser m = model(CellType.GRU, 7);
        int N = 3;
        int T = 25;
        float[][] xs = {series(T, 10), series(T, 11), series(T, 12)};
        float[][] together = steppedTogether(m, m.net().newState(N), xs, T);
        for (int n = 0; n < N; n++) {
            float[] alone = m.denoise(xs[n], T);
            for (int i = 0; i < alone.length; i++) {
                assertEquals(alone[i], together[n][i], 1e-5f, "stream " + n + " value " + i);
            }
        }
    }

    static SeriesDenoiser withBase(long seed) {
        SeriesDenoiser m = model(CellType.GRU, seed);
        m.spec().smoothingBase = new SmoothingBase(new float[] {0.05f, 0.2f, 0.6f, 1f}, 30);
        return new SeriesDenoiser(m.spec(), m.net());
    }

    @Test
    void overASmoothingBaseAHeadOfZerosIsTheBaseAndTheHeadCorrectsIt() {
        SeriesDenoiser m = withBase(3);
        float[] x = series(60, 4);
        float[] base = new float[x.length];
        float[] state = new float[m.spec().smoothingBase.extraWidth(D)];
        float[] innovation = new float[D];
        // the noise the model was trained for: 0.5 stds of each column
        float[] variance = {0.25f * 0.25f, 1f * 1f, 1.5f * 1.5f};
        for (int t = 0; t < 60; t++) {
            m.spec().smoothingBase.step(x, t * D, D, variance, state, 0, innovation, 0, base, t * D);
        }
        float[] y = m.denoise(x, 60);
        boolean differs = false;
        for (int i = 0; i < x.length; i++) {
            differs |= Math.abs(y[i] - base[i]) > 1e-3f;
        }
        assertTrue(differs, "a trained-looking head corrects the base");
        Arrays.fill(m.net().param("head.weight").w(), 0f);
        Arrays.fill(m.net().param("head.bias").w(), 0f);
        m.net().param("head.bias").w()[2] = 0.5f;
        y = m.denoise(x, 60);
        for (int t = 0; t < 60; t++) {
            assertEquals(base[t * D], y[t * D], 1e-5f);
            assertEquals(base[t * D + 2] + 0.5f * 3f, y[t * D + 2], 1e-4f);
        }
    }

    @Test
    void overASmoothingBaseTheLevelOfAColumnDoesNotMatter() {
        SeriesDenoiser m = withBase(8);
        float[] x = series(80, 9);
        float[] moved = x.clone();
        for (int t = 0; t < 80; t++) {
            moved[t * D + 1] += 250f;
        }
        float[] y = m.denoise(x, 80);
        float[] z = m.denoise(moved, 80);
        for (int t = 0; t < 80; t++) {
            for (int j = 0; j < D; j++) {
                assertEquals(y[t * D + j] + (j == 1 ? 250f : 0f), z[t * D + j], 1e-3f, "row " + t + " column " + j);
            }
        }
        // without the base the same network reads the level
        SeriesDenoiser plain = model(CellType.GRU, 8);
        assertNotEquals(plain.denoise(x, 80)[79 * D] , plain.denoise(moved, 80)[79 * D]);
    }

    @Test
    void overASmoothingBaseStreamsSteppedTogetherGiveWhatEachGivesAloneAndTheFileKeepsTheBase() throws Exception {
        SeriesDenoiser m = withBase(7);
        int N = 3;
        int T = 40;
        float[][] xs = {series(T, 10), series(T, 11), series(T, 12)};
        RecurrentState state = m.newState(N);
        assertEquals(m.extraWidth(), state.extraWidth);
        assertThrows(IllegalArgumentException.class, () -> m.step(new float[N * D], m.net().newState(N),
                new float[N * D], new float[m.scratchSize(N)]), "a state without room for the base");
        assertThrows(IllegalStateException.class, m::asForecaster);
        float[][] together = steppedTogether(m, state, xs, T);
        Path f = dir.resolve("base.safetensors");
        ModelFiles.save(f, m);
        SeriesDenoiser back = (SeriesDenoiser) ModelFiles.load(f);
        assertArrayEquals(m.spec().smoothingBase.alphas(), back.spec().smoothingBase.alphas());
        assertEquals(30f, back.spec().smoothingBase.timeConstant());
        for (int n = 0; n < N; n++) {
            float[] alone = back.denoise(xs[n], T);
            for (int i = 0; i < alone.length; i++) {
                assertEquals(alone[i], together[n][i], 1e-5f, "stream " + n + " value " + i);
            }
        }
    }

    private Path withMetadata(java.util.function.Consumer<ObjectNode> edit) throws Exception {
        SeriesDenoiser m = model(CellType.GRU, 1);
        ObjectNode o = (ObjectNode) JSON.readTree(m.spec().toJson());
        edit.accept(o);
        List<SafeTensors.Tensor> tensors = new ArrayList<>();
        for (Param p : m.net().params()) {
            tensors.add(new SafeTensors.Tensor(p.name, p.shape(), p.w().clone()));
        }
        Path f = dir.resolve("bad.safetensors");
        SafeTensors.write(f, Map.of(ModelFiles.METADATA_KEY, JSON.writeValueAsString(o)), tensors);
        return f;
    }

    @Test
    void filesThatAreNoSeriesDenoiserAreRefusedNamingTheField() throws Exception {
        Path f = withMetadata(o -> o.remove("noise"));
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFiles.load(f));
        assertTrue(e.getMessage().contains("'noise'"), e.getMessage());

        Path g = withMetadata(o -> ((ObjectNode) o.get("noise")).put("model", "pink"));
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(g));
        assertTrue(e.getMessage().contains("'noise.model'") && e.getMessage().contains("pink"), e.getMessage());

        Path h = withMetadata(o -> ((ObjectNode) o.get("noise")).put("amount", 1.5));
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(h));
        assertTrue(e.getMessage().contains("'noise.amount'"), e.getMessage());

        Path k = withMetadata(o -> o.remove("normalization"));
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(k));
        assertTrue(e.getMessage().contains("'normalization'"), e.getMessage());

        Path r = withMetadata(o -> o.put("residual", "yes"));
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(r));
        assertTrue(e.getMessage().contains("'residual'"), e.getMessage());

        Path b = withMetadata(o -> o.putObject("smoothing_base").put("time_constant", 10).putArray("alphas").add(0.5).add(0));
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(b));
        assertTrue(e.getMessage().contains("'smoothing_base.alphas'") && e.getMessage().contains("(0, 1]"), e.getMessage());

        Path c = withMetadata(o -> o.putObject("smoothing_base").putArray("alphas").add(0.5));
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(c));
        assertTrue(e.getMessage().contains("'smoothing_base.time_constant'"), e.getMessage());

        Path d = withMetadata(o -> o.put("residual", false).putObject("smoothing_base").put("time_constant", 10)
                .putArray("alphas").add(0.5));
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(d));
        assertTrue(e.getMessage().contains("'smoothing_base'") && e.getMessage().contains("residual"), e.getMessage());

        Path sp = withMetadata(o -> {
            ((ObjectNode) o.get("noise")).put("model", "salt-pepper").put("amount", 0.05);
            o.putObject("smoothing_base").put("time_constant", 10).putArray("alphas").add(0.5);
        });
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(sp));
        assertTrue(e.getMessage().contains("'smoothing_base'") && e.getMessage().contains("gaussian"), e.getMessage());

        Path l = withMetadata(o -> ((ObjectNode) o.get("architecture")).put("head", "gaussian"));
        e = assertThrows(ModelFileException.class, () -> ModelFiles.load(l));
        assertTrue(e.getMessage().contains("'architecture.head'"), e.getMessage());
    }
}
