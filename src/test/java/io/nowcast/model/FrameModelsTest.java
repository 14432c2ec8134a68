package io.nowcast.model;

import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Frame model files: round trips give the same outputs; damaged files are refused naming what is wrong. */
class FrameModelsTest {
    @TempDir
    Path dir;

    private static float[] frames(int n, int h, int w, long seed) {
        float[] x = new float[n * h * w];
        Rng r = new Rng(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        return x;
    }

    private static float[] run(FrameModel m, float[] in, int n, int h, int w, float[] prev) {
        float[] out = new float[n * h * w * m.scale() * m.scale()];
        m.apply(in, n, h, w, prev, out);
        return out;
    }

    @Test
    void roundTripsGiveIdenticalOutputs() throws Exception {
        List<FrameModel> models = List.of(
                FrameDenoiser.random(FrameSpec.denoiser(4, 8, false), 1),
                FrameDenoiser.random(FrameSpec.denoiser(3, 6, true), 2),
                SuperResolver.random(FrameSpec.superResolver(3, 8, 2, "bicubic"), 3),
                SuperResolver.random(FrameSpec.superResolver(3, 8, 3, "pixel-shuffle"), 4),
                FrameDenoiser.random(dilated(FrameSpec.denoiser(5, 6, false), 1, 2, 3, 2, 1), 5));
        int n = 2;
        int h = 9;
        int w = 7;
        float[] in = frames(n, h, w, 5);
        float[] prev = frames(n, h, w, 6);
        for (FrameModel m : models) {
            m.spec().provenance.put("command", "test");
            Path f = dir.resolve(m.spec().kind.id + m.spec().layers + ".safetensors");
            FrameModels.save(m, f);
            assertTrue(FrameModels.isFrameModel(f));
            FrameModel back = FrameModels.load(f);
            assertEquals(m.getClass(), back.getClass());
            assertEquals(m.spec().toJson(), back.spec().toJson());
            assertEquals(m.recurrent(), back.recurrent());
            float[] a = run(m, in, n, h, w, prev);
            float[] b = run(back, in, n, h, w, prev);
            assertArrayEquals(a, b, m.spec().kind.id);
            for (float v : a) {
                assertTrue(v >= 0f && v <= 1f);
            }
        }
    }

    private static FrameSpec dilated(FrameSpec s, int... d) {
        s.dilations = d;
        return s;
    }

    @Test
    void aDilatedNetworkSeesExactlyItsWindow() {
        // dilations 1, 2, 1 with 3x3 kernels: a window of 1 + 2 + 4 + 2 = 9 pixels, 4 on each side of the centre
        FrameSpec s = dilated(FrameSpec.denoiser(3, 4, false), 1, 2, 1);
        assertEquals(9, s.receptiveField());
        assertEquals(7, FrameSpec.denoiser(3, 4, false).receptiveField());
        FrameDenoiser d = FrameDenoiser.random(s, 3);
        int side = 15;
        float[] in = new float[side * side];
        java.util.Arrays.fill(in, 0.5f);
        float[] base = run(d, in, 1, side, side, null);
        int c = 7 * side + 7;
        for (int off = 1; off <= 6; off++) {
            float[] moved = in.clone();
            moved[c + off] = 0.9f;
            float[] out = run(d, moved, 1, side, side, null);
            boolean changed = out[c] != base[c];
            assertEquals(off <= 4, changed, "a change " + off + " pixels right of the centre");
        }
    }

    @Test
    void anUntrainedZeroNetworkPassesTheNoisyFrameThrough() {
        FrameDenoiser d = FrameDenoiser.random(FrameSpec.denoiser(2, 4, false), 1);
        d.body().params().forEach(p -> java.util.Arrays.fill(p.w(), 0f));
        float[] in = frames(1, 5, 5, 1);
        assertArrayEquals(in, run(d, in, 1, 5, 5, null));
    }

    @Test
    void recurrentDenoiserReadsThePreviousFrame() {
        FrameDenoiser d = FrameDenoiser.random(FrameSpec.denoiser(3, 4, true), 7);
        float[] in = frames(1, 6, 6, 1);
        float[] a = run(d, in, 1, 6, 6, frames(1, 6, 6, 2));
        float[] b = run(d, in, 1, 6, 6, frames(1, 6, 6, 3));
        assertFalse(java.util.Arrays.equals(a, b));
    }

    @Test
    void damagedFilesAreRefusedNamingTheFieldOrTensor() throws Exception {
        FrameDenoiser d = FrameDenoiser.random(FrameSpec.denoiser(3, 4, false), 1);
        String good = d.spec().toJson();
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("architecture.layers", good.replace("\"layers\":3", "\"layers\":1"));
        bad.put("architecture.channels", good.replace("\"channels\":4", "\"channels\":\"four\""));
        bad.put("architecture.in_channels", good.replace("\"in_channels\":1", "\"in_channels\":3"));
        bad.put("architecture.scale", good.replace("\"scale\":1", "\"scale\":2"));
        bad.put("architecture.upsampling", good.replace("\"upsampling\":\"none\"", "\"upsampling\":\"nearest\""));
        bad.put("architecture.dilations", good.replace("\"upsampling\":\"none\"", "\"upsampling\":\"none\",\"dilations\":[1,2]"));
        bad.put("noise.model", good.replace("\"model\":\"gaussian\"", "\"model\":\"speckle\""));
        bad.put("noise.sigma", good.replace("\"sigma\":25.0", "\"sigma\":-1"));
        bad.put("kind", good.replace("\"kind\":\"frame-denoiser\"", "\"kind\":\"frame-cleaner\""));
        bad.put("format", good.replace("nowcast-model", "other"));
        for (Map.Entry<String, String> e : bad.entrySet()) {
            assertTrue(!e.getValue().equals(good), e.getKey());
            Path f = dir.resolve("bad.safetensors");
            write(f, e.getValue(), d);
            ModelFileException ex = assertThrows(ModelFileException.class, () -> FrameModels.load(f), e.getKey());
            assertTrue(ex.getMessage().contains("'" + e.getKey() + "'"), ex.getMessage());
            assertTrue(ex.getMessage().contains(f.toString()), ex.getMessage());
        }
        // a tensor of the wrong shape, a missing one, an extra one, a NaN
        Path f = dir.resolve("t.safetensors");
        FrameModels.save(d, f);
        SafeTensors.Contents c = SafeTensors.read(f);
        // without the digest of the tensor data, which would refuse every one of these files first
        Map<String, String> meta = Map.of(ModelFiles.METADATA_KEY, c.metadata().get(ModelFiles.METADATA_KEY));
        LinkedHashMap<String, SafeTensors.Tensor> t = new LinkedHashMap<>(c.tensors());
        t.put("body.4.weight", new SafeTensors.Tensor("body.4.weight", new int[] {1, 4, 3, 1}, new float[12]));
        SafeTensors.write(f, meta, t.values());
        String msg = assertThrows(ModelFileException.class, () -> FrameModels.load(f)).getMessage();
        assertTrue(msg.contains("body.4.weight") && msg.contains("[1, 4, 3, 3]"), msg);
        t = new LinkedHashMap<>(c.tensors());
        t.remove("body.0.bias");
        SafeTensors.write(f, meta, t.values());
        msg = assertThrows(ModelFileException.class, () -> FrameModels.load(f)).getMessage();
        assertTrue(msg.contains("body.0.bias") && msg.contains("missing"), msg);
        t = new LinkedHashMap<>(c.tensors());
        t.put("body.6.weight", new SafeTensors.Tensor("body.6.weight", new int[] {1}, new float[1]));
        SafeTensors.write(f, meta, t.values());
        msg = assertThrows(ModelFileException.class, () -> FrameModels.load(f)).getMessage();
        assertTrue(msg.contains("body.6.weight") && msg.contains("not part of"), msg);
        t = new LinkedHashMap<>(c.tensors());
        float[] nan = new float[4];
        nan[2] = Float.NaN;
        t.put("body.0.bias", new SafeTensors.Tensor("body.0.bias", new int[] {4}, nan));
        SafeTensors.write(f, meta, t.values());
        msg = assertThrows(ModelFileException.class, () -> FrameModels.load(f)).getMessage();
        assertTrue(msg.contains("body.0.bias") && msg.contains("finite"), msg);
    }

    @Test
    void theRecurrentLoaderPointsToTheFrameLoader() throws Exception {
        Path f = dir.resolve("d.safetensors");
        FrameModels.save(SuperResolver.random(FrameSpec.superResolver(2, 4, 2, "bicubic"), 1), f);
        String msg = assertThrows(ModelFileException.class, () -> ModelFiles.load(f)).getMessage();
        assertTrue(msg.contains("FrameModels.load") && msg.contains("'kind'"), msg);
        assertFalse(FrameModels.isFrameModel(dir.resolve("absent.safetensors")));
    }

    @Test
    void specsAreCheckedAgainstTheKind() {
        FrameSpec s = FrameSpec.superResolver(3, 8, 5, "bicubic");
        assertTrue(s.problem().startsWith("architecture.scale"));
        assertThrows(IllegalArgumentException.class, () -> SuperResolver.random(s, 1));
        assertInstanceOf(FrameModel.class, SuperResolver.random(FrameSpec.superResolver(3, 8, 4, "pixel-shuffle"), 1));
    }

    private static void write(Path f, String json, FrameModel m) throws Exception {
        List<SafeTensors.Tensor> ts = new java.util.ArrayList<>();
        for (io.nowcast.nn.Param p : m.body().params()) {
            ts.add(new SafeTensors.Tensor(p.name, p.shape(), java.util.Arrays.copyOf(p.w(), p.size())));
        }
        SafeTensors.write(f, Map.of(ModelFiles.METADATA_KEY, json), ts);
    }
}
