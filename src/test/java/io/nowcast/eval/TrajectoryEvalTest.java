package io.nowcast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nowcast.data.TrajectoryFile;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADE/FDE, the protocol's windows and the two baselines, on hand-made cases whose answers are known. */
class TrajectoryEvalTest {
    @TempDir
    Path dir;

    /** A walker at (x0 + vx t, y0 + vy t) for t = 0..steps-1 (values exact in binary). */
    private static float[] line(float x0, float y0, float vx, float vy, int steps) {
        float[] xy = new float[2 * steps];
        for (int t = 0; t < steps; t++) {
            xy[2 * t] = x0 + vx * t;
            xy[2 * t + 1] = y0 + vy * t;
        }
        return xy;
    }

    private static List<TrajectoryWindows.Window> one(float[] xy) {
        return List.of(new TrajectoryWindows.Window("hand", "1", 0, xy));
    }

    @Test
    void aStraightLineWalkerIsPredictedExactlyByConstantVelocityAndTheLine() {
        List<TrajectoryWindows.Window> w = one(line(1f, -2f, 0.5f, 0.25f, 20));
        TrajectoryScore cv = TrajectoryScore.of(w, 8, Baselines.constantVelocity());
        assertEquals(0.0, cv.ade());
        assertEquals(0.0, cv.fde());
        TrajectoryScore lin = TrajectoryScore.of(w, 8, Baselines.linear());
        assertEquals(0.0, lin.ade(), 1e-6);
        assertEquals(0.0, lin.fde(), 1e-6);
    }

    @Test
    void handComputedErrorsOfKnownWrongPredictions() {
        // walking 0.5 m per step along x; a predictor that stands still at the last observed
        // position is k * 0.5 m off at step k: ADE = 0.5 * (1 + ... + 12) / 12 = 3.25, FDE = 6
        List<TrajectoryWindows.Window> w = one(line(0f, 0f, 0.5f, 0f, 20));
        TrajectoryPredictor stand = (obs, steps) -> {
            float[] out = new float[2 * steps];
            for (int k = 0; k < steps; k++) {
                out[2 * k] = obs[obs.length - 2];
                out[2 * k + 1] = obs[obs.length - 1];
            }
            return out;
        };
        TrajectoryScore s = TrajectoryScore.of(w, 8, stand);
        assertEquals(3.25, s.ade(), 1e-12);
        assertEquals(6.0, s.fde(), 1e-12);
        // the right line shifted by (3, 4): 5 m off everywhere
        TrajectoryPredictor shifted = (obs, steps) -> {
            float[] out = Baselines.constantVelocity().predict(obs, steps);
            for (int k = 0; k < steps; k++) {
                out[2 * k] += 3f;
                out[2 * k + 1] += 4f;
            }
            return out;
        };
        s = TrajectoryScore.of(w, 8, shifted);
        assertEquals(5.0, s.ade(), 1e-6);
        assertEquals(5.0, s.fde(), 1e-6);
        // over two windows the errors are averaged: (3.25 + 0) / 2 and (6 + 0) / 2
        List<TrajectoryWindows.Window> two = List.of(w.get(0), new TrajectoryWindows.Window("hand", "2", 0,
                line(5f, 5f, 0f, 0f, 20)));
        s = TrajectoryScore.of(two, 8, stand);
        assertEquals(1.625, s.ade(), 1e-12);
        assertEquals(3.0, s.fde(), 1e-12);
        assertEquals(2, s.windows());
    }

    @Test
    void constantVelocityUsesTheLastDisplacementAndTheLineFitsAllEight() {
        // x: 0 0 0 0 1 1 1 1 (y = 0): CV sees no motion; the least-squares line has slope
        // sum (t - 3.5)(x - 0.5) / sum (t - 3.5)^2 = 8 / 42 and passes through (3.5, 0.5)
        float[] obs = new float[16];
        for (int t = 4; t < 8; t++) {
            obs[2 * t] = 1f;
        }
        float[] cv = Baselines.constantVelocity().predict(obs, 12);
        for (int k = 0; k < 12; k++) {
            assertEquals(1f, cv[2 * k]);
            assertEquals(0f, cv[2 * k + 1]);
        }
        float[] lin = Baselines.linear().predict(obs, 12);
        for (int k = 0; k < 12; k++) {
            assertEquals(0.5 + 8.0 / 42 * (8 + k - 3.5), lin[2 * k], 1e-6);
            assertEquals(0f, lin[2 * k + 1]);
        }
    }

    @Test
    void windowsNeedTwentyConsecutiveStepsAndTwoPeopleTrackedThroughThem(@TempDir Path d) throws IOException {
        StringBuilder sb = new StringBuilder();
        // pedestrians 1 and 2 from frame 0 to 210 (22 steps), 3 only from 0 to 100,
        // 4 alone from 1000 to 1190 (20 steps, but nobody else)
        for (int s = 0; s < 22; s++) {
            sb.append(10 * s).append("\t1\t").append(s).append("\t0\n");
            sb.append(10 * s).append("\t2\t0\t").append(s).append('\n');
            if (s <= 10) {
                sb.append(10 * s).append("\t3\t1\t1\n");
            }
        }
        for (int s = 0; s < 20; s++) {
            sb.append(1000 + 10 * s).append("\t4\t").append(s).append("\t0\n");
        }
        Path f = d.resolve("scene.txt");
        Files.writeString(f, sb.toString());
        List<TrajectoryWindows.Window> w = TrajectoryWindows.of(TrajectoryFile.read(f));
        // starts at steps 0, 1, 2 (22 - 20 + 1), two people each
        assertEquals(6, w.size());
        assertEquals(List.of("1", "2", "1", "2", "1", "2"), w.stream().map(TrajectoryWindows.Window::pedestrian).toList());
        assertEquals(List.of(0.0, 0.0, 10.0, 10.0, 20.0, 20.0), w.stream().map(TrajectoryWindows.Window::firstFrame).toList());
        assertArrayEquals(line(2f, 0f, 1f, 0f, 20), w.get(4).xy());
        // with one person enough, the lone walker counts too
        assertEquals(7, TrajectoryWindows.of(TrajectoryFile.read(f), 20, 1).size());
        // a missing frame breaks every window across it
        Files.writeString(f, sb.toString().replaceAll("(?m)^50\t1\t.*\n", ""));
        assertEquals(0, TrajectoryWindows.of(TrajectoryFile.read(f)).size());
    }

    /** A forecaster that ignores its inputs: every output is its head bias. */
    private static Forecaster constant(int horizon, float[] bias) {
        ModelSpec spec = new ModelSpec();
        spec.cell = CellType.GRU;
        spec.inputSize = 2;
        spec.hiddenSize = 3;
        spec.outputSize = 2 * horizon;
        spec.inputFeatures = List.of("dx", "dy");
        spec.targets = List.of("dx", "dy");
        spec.horizon = horizon;
        RecurrentNet net = new RecurrentNet(CellType.GRU, 2, 3, 1, 2 * horizon, Gemms.create());
        for (Param p : net.params()) {
            Arrays.fill(p.w(), 0f);
        }
        System.arraycopy(bias, 0, net.param("head.bias").w(), 0, bias.length);
        return new Forecaster(spec, net);
    }

    @Test
    void aForecasterPredictsDisplacementsByItsHeadOrByRollingOut() {
        float[] obs = line(1f, 1f, 0.5f, 0f, 8);
        // horizon 12: dx+k = k / 4, dy+k = -1/2 for k = 1..12
        float[] bias = new float[24];
        for (int k = 0; k < 12; k++) {
            bias[k] = (k + 1) / 4f;
            bias[12 + k] = -0.5f;
        }
        float[] p = new ForecasterTrajectories(constant(12, bias)).predict(obs, 12);
        double x = obs[14];
        double y = obs[15];
        for (int k = 0; k < 12; k++) {
            x += (k + 1) / 4.0;
            y -= 0.5;
            assertEquals(x, p[2 * k], 1e-5);
            assertEquals(y, p[2 * k + 1], 1e-5);
        }
        // horizon 1, rolled out: the same displacement (0.25, 1) every step
        p = new ForecasterTrajectories(constant(1, new float[] {0.25f, 1f})).predict(obs, 12);
        for (int k = 0; k < 12; k++) {
            assertEquals(obs[14] + 0.25 * (k + 1), p[2 * k], 1e-5);
            assertEquals(obs[15] + 1.0 * (k + 1), p[2 * k + 1], 1e-5);
        }
        Forecaster wrong = constant(1, new float[2]);
        wrong.spec().inputFeatures = List.of("x", "y");
        assertThrows(IllegalArgumentException.class, () -> new ForecasterTrajectories(wrong));
    }

    @Test
    void theConstantVelocityFiguresOfTheEthScene() throws IOException {
        Path eth = Path.of("..", "shared", "data", "eth-ucy", "test", "eth");
        Assumptions.assumeTrue(Files.isDirectory(eth), "the ETH/UCY data is not at " + eth.toAbsolutePath());
        List<TrajectoryWindows.Window> w = TrajectoryWindows.read(eth);
        assertEquals(181, w.size());
        TrajectoryScore cv = TrajectoryScore.of(w, 8, Baselines.constantVelocity());
        assertEquals(0.995, cv.ade(), 5e-4);
        assertEquals(2.234, cv.fde(), 5e-4);
        TrajectoryScore lin = TrajectoryScore.of(w, 8, Baselines.linear());
        assertEquals(1.021, lin.ade(), 5e-4);
        assertEquals(2.184, lin.fde(), 5e-4);
    }
}
