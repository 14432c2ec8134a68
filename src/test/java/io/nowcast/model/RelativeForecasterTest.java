package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** relative_to_input: outputs are the current input plus the head, in the file and in every step. */
class RelativeForecasterTest {
    /** Reads dx, dy, speed; predicts dx, dy 3 steps ahead; the head's output is its bias (all weights zero). */
    private static Forecaster model(boolean relative, ModelSpec.Head head) {
        ModelSpec spec = new ModelSpec();
        spec.cell = CellType.GRU;
        spec.inputSize = 3;
        spec.hiddenSize = 4;
        spec.head = head;
        spec.outputSize = 6;
        spec.inputFeatures = List.of("speed", "dx", "dy");
        spec.outputFeatures = List.of("dx+1", "dx+2", "dx+3", "dy+1", "dy+2", "dy+3");
        spec.targets = List.of("dx", "dy");
        spec.horizon = 3;
        spec.relativeToInput = relative;
        spec.inputMean = new float[] {1, 0, 0};
        spec.inputStd = new float[] {2, 0.5f, 0.5f};
        spec.outputMean = new float[6];
        spec.outputStd = new float[6];
        Arrays.fill(spec.outputStd, 0.1f);
        RecurrentNet net = new RecurrentNet(CellType.GRU, 3, 4, 1, spec.headOutputs(), Gemms.create());
        for (Param p : net.params()) {
            Arrays.fill(p.w(), 0f);
        }
        float[] b = net.param("head.bias").w();
        for (int j = 0; j < 6; j++) {
            b[j] = j + 1; // de-standardised: 0.1 (j + 1)
        }
        return new Forecaster(spec, net);
    }

    @Test
    void outputsAreTheCurrentInputPlusTheHead(@TempDir Path dir) throws Exception {
        for (ModelSpec.Head head : List.of(ModelSpec.Head.LINEAR, ModelSpec.Head.GAUSSIAN)) {
            Forecaster f = model(true, head);
            Path file = dir.resolve(head.id() + ".safetensors");
            ModelFiles.save(file, f);
            Forecaster g = (Forecaster) ModelFiles.load(file);
            assertTrue(g.spec().relativeToInput, "kept in the file");
            for (Forecaster m : List.of(f, g)) {
                // two streams side by side
                float[] in = {9f, 0.5f, -0.25f, 0f, 1f, 2f};
                float[] out = new float[2 * m.outputWidth()];
                m.step(in, m.net().newState(2), out, new float[m.scratchSize(2)]);
                int W = m.outputWidth();
                for (int n = 0; n < 2; n++) {
                    for (int k = 0; k < 3; k++) {
                        assertEquals(in[3 * n + 1] + 0.1f * (k + 1), out[n * W + k], 1e-6, "dx+" + (k + 1));
                        assertEquals(in[3 * n + 2] + 0.1f * (k + 4), out[n * W + 3 + k], 1e-6, "dy+" + (k + 1));
                    }
                }
            }
        }
        Forecaster plain = model(false, ModelSpec.Head.LINEAR);
        float[] out = new float[6];
        plain.step(new float[] {9f, 0.5f, -0.25f}, plain.net().newState(1), out, new float[plain.scratchSize(1)]);
        assertEquals(0.1f, out[0], 1e-6);
        assertFalse(plain.spec().toJson().contains("relative_to_input"), "left out when false");
    }

    @Test
    void aTargetThatIsNoInputIsRefused() throws Exception {
        ModelSpec s = model(true, ModelSpec.Head.LINEAR).spec();
        String json = s.toJson();
        String bad = json.replace("\"input_features\":[\"speed\",\"dx\",\"dy\"]", "\"input_features\":[\"speed\",\"x\",\"dy\"]");
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelSpec.parse(bad, "m.safetensors"));
        assertTrue(e.getMessage().contains("relative_to_input") && e.getMessage().contains("\"dx\""), e.getMessage());
        String notBool = json.replace("\"relative_to_input\":true", "\"relative_to_input\":\"yes\"");
        e = assertThrows(ModelFileException.class, () -> ModelSpec.parse(notBool, "m.safetensors"));
        assertTrue(e.getMessage().contains("expected true or false"), e.getMessage());
    }
}
