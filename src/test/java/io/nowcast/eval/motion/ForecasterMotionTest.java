package io.nowcast.eval.motion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A forecaster as a motion model: all frames at once from a long horizon, rolled out from a short one. */
class ForecasterMotionTest {
    private static final List<String> FEATURES = List.of("e3", "e7");

    /** Relative to its input, horizon H; the head's output is its bias, 0.1 k^2 for dimension j's k-th frame ahead. */
    private static Forecaster model(int horizon) {
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = "m";
        spec.cell = CellType.GRU;
        spec.inputSize = 2;
        spec.hiddenSize = 3;
        spec.head = ModelSpec.Head.LINEAR;
        spec.outputSize = 2 * horizon;
        spec.inputFeatures = FEATURES;
        spec.targets = FEATURES;
        List<String> names = new ArrayList<>();
        for (String f : FEATURES) {
            for (int k = 1; k <= horizon; k++) {
                names.add(f + "+" + k);
            }
        }
        spec.outputFeatures = names;
        spec.horizon = horizon;
        spec.relativeToInput = true;
        spec.inputMean = new float[2];
        spec.inputStd = new float[] {1, 1};
        spec.outputMean = new float[2 * horizon];
        spec.outputStd = new float[2 * horizon];
        Arrays.fill(spec.outputStd, 0.5f);
        RecurrentNet net = new RecurrentNet(CellType.GRU, 2, 3, 1, spec.headOutputs(), Gemms.create());
        for (Param p : net.params()) {
            Arrays.fill(p.w(), 0f);
        }
        float[] b = net.param("head.bias").w();
        for (int j = 0; j < 2; j++) {
            for (int k = 1; k <= horizon; k++) {
                b[j * horizon + k - 1] = 0.2f * k * k * (j == 0 ? 1 : -1); // 0.1 k^2 de-standardised, -0.1 k^2 for e7
            }
        }
        return new Forecaster(spec, net);
    }

    @Test
    void aLongHorizonGivesEveryFrameAtOnceAndAShortOneRollsOut() {
        float[] observed = {5f, 1f, 6f, 2f, 7f, 3f};
        // horizon 4: frame k is the last observed frame + 0.1 k^2 (the head's k-th output)
        float[] direct = new ForecasterMotion(model(4), FEATURES).predict(observed, 2, 4);
        assertArrayEquals(new float[] {7.1f, 2.9f, 7.4f, 2.6f, 7.9f, 2.1f, 8.6f, 1.4f}, direct, 1e-5f);
        // horizon 1: each frame is the previous prediction + 0.1, fed back
        float[] rolled = new ForecasterMotion(model(1), FEATURES).predict(observed, 2, 4);
        assertArrayEquals(new float[] {7.1f, 2.9f, 7.2f, 2.8f, 7.3f, 2.7f, 7.4f, 2.6f}, rolled, 1e-5f);
        // horizon 2 for 4 frames: rolled out from the first frame ahead only, 0.1 a step fed back
        float[] two = new ForecasterMotion(model(2), FEATURES).predict(observed, 2, 4);
        assertArrayEquals(rolled, two, 1e-5f);
    }

    @Test
    void aModelOfOtherDimensionsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ForecasterMotion(model(2), List.of("e3", "e8")));
        assertThrows(IllegalArgumentException.class, () -> new ForecasterMotion(model(2), FEATURES).predict(new float[3], 3, 2));
    }
}
