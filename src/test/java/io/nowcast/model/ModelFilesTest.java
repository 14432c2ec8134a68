package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nowcast.model.SafeTensors.Tensor;
import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model files: Nowcast round trips, plain PyTorch state_dicts, and refusals that name the file
 * and the tensor or metadata field at fault.
 */
class ModelFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int D = 3;
    private static final int H = 5;
    private static final int O = 2;

    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------------------
    // building models

    static ModelSpec forecasterSpec(CellType cell, int layers, ModelSpec.Head head, boolean normalised, long seed) {
        Rng rng = new Rng(seed);
        ModelSpec s = new ModelSpec();
        s.kind = ModelKind.FORECASTER;
        s.name = "unit-" + cell.id;
        s.version = "3.1";
        s.cell = cell;
        s.inputSize = D;
        s.hiddenSize = H;
        s.numLayers = layers;
        s.head = head;
        s.outputSize = head == ModelSpec.Head.NONE ? 0 : O;
        s.inputFeatures = new ArrayList<>(List.of("px", "py", "speed"));
        s.outputFeatures = head == ModelSpec.Head.NONE ? new ArrayList<>() : new ArrayList<>(List.of("dx", "dy"));
        if (normalised) {
            s.inputMean = randoms(rng, D, 0f);
            s.inputStd = randoms(rng, D, 1.5f);
            if (head != ModelSpec.Head.NONE) {
                s.outputMean = randoms(rng, O, 0f);
                s.outputStd = randoms(rng, O, 1.5f);
            }
        }
        s.provenance.put("command", "nowcast train --test");
        s.provenance.put("seed", 1234);
        s.provenance.put("losses", List.of(2.5, 1.25));
        return s;
    }

    /** Values in [-1, 1) plus {@code shift} (a positive shift gives valid standard deviations). */
    private static float[] randoms(Rng rng, int n, float shift) {
        float[] v = new float[n];
        rng.uniform(v, 1f);
        for (int i = 0; i < n; i++) {
            v[i] += shift;
        }
        return v;
    }

    static RecurrentNet netFor(ModelSpec s, long seed) {
        return new RecurrentNet(s.cell, s.inputSize, s.hiddenSize, s.numLayers, s.headOutputs(), Gemms.create())
                .initUniform(new Rng(seed));
    }

    static ModelSpec charSpec(String vocabulary, CellType cell, int layers) {
        int v = (int) vocabulary.codePoints().count();
        ModelSpec s = new ModelSpec();
        s.kind = ModelKind.CHAR;
        s.name = "chars";
        s.cell = cell;
        s.inputSize = v;
        s.outputSize = v;
        s.hiddenSize = 7;
        s.numLayers = layers;
        s.head = ModelSpec.Head.LINEAR;
        s.vocabulary = vocabulary;
        s.provenance.put("data", "tiny.txt");
        return s;
    }

    private static int[] bits(float[] v, int n) {
        int[] b = new int[n];
        for (int i = 0; i < n; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    static void assertSameParams(RecurrentNet expected, RecurrentNet actual) {
        assertEquals(expected.params().stream().map(p -> p.name).toList(),
                actual.params().stream().map(p -> p.name).toList(), "parameter names and order");
        for (int i = 0; i < expected.params().size(); i++) {
            Param e = expected.params().get(i);
            Param a = actual.params().get(i);
            assertArrayEquals(e.shape(), a.shape(), e.name + " shape");
            assertArrayEquals(bits(e.w(), e.size()), bits(a.w(), a.size()), e.name + " values (bits)");
        }
    }

    static void assertSameSpec(ModelSpec e, ModelSpec a) {
        assertEquals(e.kind, a.kind, "kind");
        assertEquals(e.name, a.name, "name");
        assertEquals(e.version, a.version, "version");
        assertEquals(e.cell, a.cell, "cell");
        assertEquals(e.inputSize, a.inputSize, "input_size");
        assertEquals(e.hiddenSize, a.hiddenSize, "hidden_size");
        assertEquals(e.numLayers, a.numLayers, "num_layers");
        assertEquals(e.head, a.head, "head");
        assertEquals(e.outputSize, a.outputSize, "output_size");
        assertEquals(e.inputFeatures, a.inputFeatures, "input_features");
        assertEquals(e.outputFeatures, a.outputFeatures, "output_features");
        assertArrayEquals(e.inputMean, a.inputMean, "input_mean");
        assertArrayEquals(e.inputStd, a.inputStd, "input_std");
        assertArrayEquals(e.outputMean, a.outputMean, "output_mean");
        assertArrayEquals(e.outputStd, a.outputStd, "output_std");
        assertEquals(e.vocabulary, a.vocabulary, "vocabulary");
        assertEquals(JSON.valueToTree(e.provenance), JSON.valueToTree(a.provenance), "provenance");
        assertEquals(e.toJson(), a.toJson(), "the whole spec document");
    }

    // ------------------------------------------------------------------------------------------
    // round trips

    static Stream<Arguments> forecasterKinds() {
        List<Arguments> out = new ArrayList<>();
        for (CellType cell : List.of(CellType.LSTM, CellType.GRU, CellType.RNN_TANH, CellType.RNN_RELU)) {
            for (ModelSpec.Head head : ModelSpec.Head.values()) {
                out.add(Arguments.of(cell, head));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("forecasterKinds")
    void forecasterRoundTripIsExact(CellType cell, ModelSpec.Head head) throws IOException {
        ModelSpec spec = forecasterSpec(cell, 2, head, true, 7);
        RecurrentNet net = netFor(spec, 8);
        Path file = dir.resolve("f.safetensors");
        ModelFiles.save(file, new Forecaster(spec, net));

        Model loaded = ModelFiles.load(file);
        Forecaster f = assertInstanceOf(Forecaster.class, loaded);
        assertSameSpec(spec, f.spec());
        assertEquals(2, f.net().numLayers());
        assertSameParams(net, f.net());

        // and it computes the same thing as the original
        Forecaster orig = new Forecaster(spec, net);
        RecurrentState s1 = orig.net().newState(1);
        RecurrentState s2 = f.net().newState(1);
        float[] o1 = new float[orig.outputWidth()];
        float[] o2 = new float[f.outputWidth()];
        float[] scratch = new float[64];
        Rng rng = new Rng(3);
        for (int t = 0; t < 4; t++) {
            float[] x = randoms(rng, D, 0f);
            orig.step(x, s1, o1, scratch);
            f.step(x, s2, o2, scratch);
            assertArrayEquals(o1, o2, "output at step " + t);
        }
    }

    @Test
    void forecasterWithoutNormalisationRoundTrips() throws IOException {
        ModelSpec spec = forecasterSpec(CellType.GRU, 1, ModelSpec.Head.LINEAR, false, 1);
        RecurrentNet net = netFor(spec, 2);
        Path file = dir.resolve("plain.safetensors");
        ModelFiles.save(file, spec, net);
        Model m = ModelFiles.load(file);
        assertSameSpec(spec, m.spec());
        assertNull(m.spec().inputMean);
        assertSameParams(net, m.net());
    }

    @Test
    void charModelRoundTripIsExact() throws IOException {
        String vocab = "\n !',.?abcdehlortwé😀"; // sorted by code point, one outside the BMP
        ModelSpec spec = charSpec(vocab, CellType.LSTM, 2);
        RecurrentNet net = netFor(spec, 5);
        Path file = dir.resolve("chars.safetensors");
        ModelFiles.save(file, new CharModel(spec, net));

        CharModel m = assertInstanceOf(CharModel.class, ModelFiles.load(file));
        assertSameSpec(spec, m.spec());
        assertSameParams(net, m.net());
        assertEquals(vocab, m.vocabulary().toString());
        assertEquals(new CharModel(spec, net).sample("he", 40, 0.8, 11), m.sample("he", 40, 0.8, 11));
    }

    // ------------------------------------------------------------------------------------------
    // PyTorch state_dicts without metadata

    /** A PyTorch-style state_dict of a 2-layer net in PyTorch's order. */
    static List<Tensor> stateDict(int gates, boolean prefix, boolean withHead, boolean withBiases, long seed) {
        Rng rng = new Rng(seed);
        String p = prefix ? "rnn." : "";
        List<Tensor> ts = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            int in = l == 0 ? D : H;
            ts.add(new Tensor(p + "weight_ih_l" + l, new int[] {gates * H, in}, randoms(rng, gates * H * in, 0f)));
            ts.add(new Tensor(p + "weight_hh_l" + l, new int[] {gates * H, H}, randoms(rng, gates * H * H, 0f)));
            if (withBiases) {
                ts.add(new Tensor(p + "bias_ih_l" + l, new int[] {gates * H}, randoms(rng, gates * H, 0f)));
                ts.add(new Tensor(p + "bias_hh_l" + l, new int[] {gates * H}, randoms(rng, gates * H, 0f)));
            }
        }
        if (withHead) {
            ts.add(new Tensor("head.weight", new int[] {O, H}, randoms(rng, O * H, 0f)));
            if (withBiases) {
                ts.add(new Tensor("head.bias", new int[] {O}, randoms(rng, O, 0f)));
            }
        }
        return ts;
    }

    static Stream<Arguments> stateDicts() {
        List<Arguments> out = new ArrayList<>();
        Object[][] cells = {{CellType.LSTM, 4}, {CellType.GRU, 3}, {CellType.RNN_TANH, 1}};
        for (Object[] c : cells) {
            for (boolean prefix : new boolean[] {true, false}) {
                for (boolean head : new boolean[] {true, false}) {
                    for (boolean biases : new boolean[] {true, false}) {
                        out.add(Arguments.of(c[0], c[1], prefix, head, biases));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} prefix={2} head={3} biases={4}")
    @MethodSource("stateDicts")
    void pytorchStateDictLoads(CellType cell, int gates, boolean prefix, boolean head, boolean biases) throws IOException {
        List<Tensor> ts = stateDict(gates, prefix, head, biases, 21);
        Path file = dir.resolve("torch.safetensors");
        SafeTensors.write(file, null, ts);

        Forecaster f = assertInstanceOf(Forecaster.class, ModelFiles.load(file));
        ModelSpec s = f.spec();
        assertEquals(ModelKind.FORECASTER, s.kind);
        assertEquals(cell, s.cell);
        assertEquals(2, s.numLayers);
        assertEquals(2, f.net().numLayers());
        assertEquals(D, s.inputSize);
        assertEquals(H, s.hiddenSize);
        assertEquals(head ? ModelSpec.Head.LINEAR : ModelSpec.Head.NONE, s.head);
        assertEquals(head ? O : 0, s.outputSize);
        assertEquals(head ? O : H, f.outputWidth());

        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Tensor t : ts) {
            byName.put(t.name().startsWith("weight_") || t.name().startsWith("bias_") ? "rnn." + t.name() : t.name(), t);
        }
        int expectedParams = 8 + (head ? 2 : 0);
        assertEquals(expectedParams, f.net().params().size());
        for (Param p : f.net().params()) {
            Tensor t = byName.get(p.name);
            if (t == null) {
                assertTrue(!biases && p.name.contains("bias"), "only biases may be absent: " + p.name);
                assertArrayEquals(new float[p.size()], Arrays.copyOf(p.w(), p.size()), p.name + " loads as zeros");
            } else {
                assertArrayEquals(t.shape(), p.shape(), p.name);
                assertArrayEquals(bits(t.data(), t.data().length), bits(p.w(), p.size()), p.name + " values");
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // refusals

    /** A valid 2-layer GRU forecaster (linear head, normalised) as its metadata document and tensors. */
    private static final class Parts {
        final ObjectNode meta;
        final List<Tensor> tensors = new ArrayList<>();

        Parts(ModelSpec spec, RecurrentNet net) throws IOException {
            meta = (ObjectNode) JSON.readTree(spec.toJson());
            for (Param p : net.params()) {
                tensors.add(new Tensor(p.name, p.shape(), Arrays.copyOf(p.w(), p.size())));
            }
        }

        static Parts forecaster() throws IOException {
            ModelSpec spec = forecasterSpec(CellType.GRU, 2, ModelSpec.Head.LINEAR, true, 31);
            return new Parts(spec, netFor(spec, 32));
        }

        ObjectNode architecture() {
            return (ObjectNode) meta.get("architecture");
        }

        void replace(String name, Tensor t) {
            for (int i = 0; i < tensors.size(); i++) {
                if (tensors.get(i).name().equals(name)) {
                    tensors.set(i, t);
                    return;
                }
            }
            throw new AssertionError("no tensor " + name);
        }

        Tensor get(String name) {
            return tensors.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
        }

        Path write(Path file) throws IOException {
            SafeTensors.write(file, Map.of(ModelFiles.METADATA_KEY, JSON.writeValueAsString(meta)), tensors);
            return file;
        }
    }

    /** Loading must fail with a message naming the file and every one of {@code mentions}. */
    private ModelFileException refused(String fileName, Parts parts, Consumer<Parts> damage, String... mentions)
            throws IOException {
        damage.accept(parts);
        Path file = parts.write(dir.resolve(fileName));
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFiles.load(file));
        String msg = e.getMessage();
        assertTrue(msg.contains(file.toString()), "message names the file: " + msg);
        for (String m : mentions) {
            assertTrue(msg.contains(m), "message names " + m + ": " + msg);
        }
        return e;
    }

    @Test
    void theUndamagedFileLoads() throws IOException {
        Parts p = Parts.forecaster();
        Model m = ModelFiles.load(p.write(dir.resolve("ok.safetensors")));
        assertEquals(CellType.GRU, m.spec().cell);
    }

    @Test
    void wrongShapeOfOneTensor() throws IOException {
        refused("shape.safetensors", Parts.forecaster(),
                p -> p.replace("rnn.weight_hh_l1", new Tensor("rnn.weight_hh_l1", new int[] {3 * H, H + 1},
                        new float[3 * H * (H + 1)])),
                "rnn.weight_hh_l1", "[15, 5]", "[15, 6]");
    }

    @Test
    void transposedHeadWeight() throws IOException {
        refused("transposed.safetensors", Parts.forecaster(),
                p -> p.replace("head.weight", new Tensor("head.weight", new int[] {H, O}, p.get("head.weight").data())),
                "head.weight", "[2, 5]", "[5, 2]");
    }

    @Test
    void missingTensor() throws IOException {
        refused("missing.safetensors", Parts.forecaster(),
                p -> p.tensors.removeIf(t -> t.name().equals("rnn.bias_hh_l0")),
                "rnn.bias_hh_l0", "missing");
    }

    @Test
    void missingTensorInAPytorchStateDict() throws IOException {
        List<Tensor> ts = stateDict(4, false, true, true, 5);
        ts.removeIf(t -> t.name().equals("weight_hh_l1"));
        Path file = dir.resolve("torch-missing.safetensors");
        SafeTensors.write(file, null, ts);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFiles.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("weight_hh_l1"), e.getMessage());
    }

    @Test
    void extraTensor() throws IOException {
        refused("extra.safetensors", Parts.forecaster(),
                p -> p.tensors.add(new Tensor("rnn.weight_ih_l2", new int[] {3 * H, H}, new float[3 * H * H])),
                "rnn.weight_ih_l2");
    }

    @Test
    void extraTensorInAPytorchStateDict() throws IOException {
        List<Tensor> ts = stateDict(3, true, true, true, 6);
        ts.add(new Tensor("num_batches_tracked", new int[] {}, new float[] {1f}));
        Path file = dir.resolve("torch-extra.safetensors");
        SafeTensors.write(file, null, ts);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFiles.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("num_batches_tracked"),
                e.getMessage());
    }

    @Test
    void nanInATensor() throws IOException {
        refused("nan.safetensors", Parts.forecaster(), p -> p.get("head.weight").data()[3] = Float.NaN,
                "head.weight", "NaN", "index 3");
    }

    @Test
    void infinityInAPytorchStateDict() throws IOException {
        List<Tensor> ts = stateDict(1, false, false, true, 7);
        ts.get(2).data()[0] = Float.NEGATIVE_INFINITY; // bias_ih_l0
        Path file = dir.resolve("torch-inf.safetensors");
        SafeTensors.write(file, null, ts);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFiles.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("bias_ih_l0"), e.getMessage());
    }

    @Test
    void unknownKind() throws IOException {
        refused("kind.safetensors", Parts.forecaster(), p -> p.meta.put("kind", "denoiser"),
                "'kind'", "denoiser");
    }

    @Test
    void badHiddenSize() throws IOException {
        refused("hidden0.safetensors", Parts.forecaster(), p -> p.architecture().put("hidden_size", 0),
                "architecture.hidden_size");
        refused("hidden-neg.safetensors", Parts.forecaster(), p -> p.architecture().put("hidden_size", -5),
                "architecture.hidden_size");
        refused("hidden-frac.safetensors", Parts.forecaster(), p -> p.architecture().put("hidden_size", 4.5),
                "architecture.hidden_size");
        refused("hidden-text.safetensors", Parts.forecaster(), p -> p.architecture().put("hidden_size", "5"),
                "architecture.hidden_size");
        refused("hidden-missing.safetensors", Parts.forecaster(), p -> p.architecture().remove("hidden_size"),
                "architecture.hidden_size");
        // a valid number that does not match the tensors: the first tensor whose shape disagrees is named
        refused("hidden-mismatch.safetensors", Parts.forecaster(), p -> p.architecture().put("hidden_size", 6),
                "rnn.weight_ih_l0", "[18, 3]", "[15, 3]");
    }

    @Test
    void charModelWhoseVocabularyLengthMismatches() throws IOException {
        ModelSpec spec = charSpec("abcd", CellType.RNN_TANH, 1);
        refused("vocab-len.safetensors", new Parts(spec, netFor(spec, 1)), p -> p.meta.put("vocabulary", "abc"),
                "'vocabulary'", "4", "3");
    }

    @Test
    void charModelWithUnsortedVocabulary() throws IOException {
        ModelSpec spec = charSpec("abcd", CellType.GRU, 1);
        refused("vocab-order.safetensors", new Parts(spec, netFor(spec, 1)), p -> p.meta.put("vocabulary", "abdc"),
                "'vocabulary'", "sorted");
        refused("vocab-dup.safetensors", new Parts(spec, netFor(spec, 1)), p -> p.meta.put("vocabulary", "abcc"),
                "'vocabulary'");
    }

    @Test
    void charModelWithoutVocabulary() throws IOException {
        ModelSpec spec = charSpec("abcd", CellType.GRU, 1);
        refused("vocab-none.safetensors", new Parts(spec, netFor(spec, 1)), p -> p.meta.remove("vocabulary"),
                "'vocabulary'");
    }

    @Test
    void formatVersionFromTheFuture() throws IOException {
        refused("future.safetensors", Parts.forecaster(),
                p -> p.meta.put("format_version", ModelSpec.FORMAT_VERSION + 1),
                "'format_version'", String.valueOf(ModelSpec.FORMAT_VERSION + 1));
    }

    @Test
    void metadataThatIsNotJson() throws IOException {
        Parts p = Parts.forecaster();
        Path file = dir.resolve("notjson.safetensors");
        SafeTensors.write(file, Map.of(ModelFiles.METADATA_KEY, "{\"format\": nowcast-model"), p.tensors);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFiles.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'nowcast'"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------
    // forecaster targets and horizon

    @Test
    void targetsAndHorizonRoundTrip() throws IOException {
        ModelSpec spec = forecasterSpec(CellType.LSTM, 1, ModelSpec.Head.GAUSSIAN, true, 8);
        spec.outputSize = 4;
        spec.outputMean = new float[] {0f, 0f, 1f, 1f};
        spec.outputStd = new float[] {1f, 1f, 2f, 2f};
        spec.targets = new ArrayList<>(List.of("px", "py"));
        spec.horizon = 2;
        spec.outputFeatures = new ArrayList<>(List.of("px+1", "px+2", "py+1", "py+2"));
        RecurrentNet net = netFor(spec, 9);
        Path file = dir.resolve("h2.safetensors");
        ModelFiles.save(file, spec, net);
        Model m = ModelFiles.load(file);
        assertSameSpec(spec, m.spec());
        assertEquals(List.of("px", "py"), m.spec().targets);
        assertEquals(2, m.spec().horizon);
    }

    @Test
    void aFileWithoutHorizonHasHorizonOne() throws IOException {
        Parts p = Parts.forecaster();
        p.meta.remove("horizon");
        p.meta.remove("targets");
        Model m = ModelFiles.load(p.write(dir.resolve("nohorizon.safetensors")));
        assertEquals(1, m.spec().horizon);
        assertTrue(m.spec().targets.isEmpty());
    }

    @Test
    void targetsTimesHorizonMustBeTheOutputSize() throws IOException {
        refused("targets.safetensors", Parts.forecaster(), p -> p.meta.putArray("targets").add("a").add("b").add("c"),
                "'targets'", "3 targets x horizon 1", "found 2");
        refused("horizon-targets.safetensors", Parts.forecaster(), p -> {
            p.meta.putArray("targets").add("a").add("b");
            p.meta.put("horizon", 2);
        }, "'targets'", "2 targets x horizon 2 = 4", "found 2");
        refused("horizon-multiple.safetensors", Parts.forecaster(), p -> p.meta.put("horizon", 3),
                "'horizon'", "not a multiple");
    }

    @Test
    void badHorizon() throws IOException {
        refused("horizon0.safetensors", Parts.forecaster(), p -> p.meta.put("horizon", 0), "'horizon'", "[1, 65536]");
        refused("horizon-text.safetensors", Parts.forecaster(), p -> p.meta.put("horizon", "2"), "'horizon'");
        ModelSpec spec = charSpec("abc", CellType.GRU, 1);
        refused("char-horizon.safetensors", new Parts(spec, netFor(spec, 1)), p -> p.meta.put("horizon", 2),
                "'horizon'", "expected 1");
    }
}
