package io.nowcast.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import io.nowcast.train.SequenceTrainer.Objective;
import org.junit.jupiter.api.Test;

/** The average-displacement-error objective: its value by hand, its gradient by finite differences. */
class DisplacementObjectiveTest {
    private static SequenceTrainer trainer(int outputs) throws java.io.IOException {
        SequenceTrainer.Config cfg = new SequenceTrainer.Config();
        cfg.objective = Objective.DISPLACEMENT;
        RecurrentNet net = new RecurrentNet(CellType.GRU, 2, 3, 1, outputs, Gemms.create());
        return new SequenceTrainer(net, Optimizer.create("sgd", net.params(), 0.1f, 0f, 0f), outputs, cfg,
                new TrainingLog(null, false, null));
    }

    @Test
    void theMeanDistanceOfTheRunningSums() throws Exception {
        SequenceTrainer t = trainer(4); // H = 2: dx+1, dx+2, dy+1, dy+2
        // true displacements (1, 0) then (1, 0); predicted (1, 0) then (1, 0) shifted by (3, 4) at step 1
        float[] target = {1, 1, 0, 0};
        float[] out = {4, 1, 4, 0};
        float[] d = new float[4];
        double[] sc = t.lossAndGradient(out, target, 1, d);
        // positions: step 1 off by (3, 4) = 5, step 2 still off by (3, 4) = 5: mean 5
        assertEquals(5.0, sc[0], 1e-6);
        assertEquals(1.0, sc[1]);
        // output dx+1 moves both positions: (0.6 + 0.6) / 2; dx+2 only the second: 0.6 / 2
        assertEquals(0.6, d[0], 1e-6);
        assertEquals(0.3, d[1], 1e-6);
        assertEquals(0.8, d[2], 1e-6);
        assertEquals(0.4, d[3], 1e-6);
        // a row with a missing target is not scored
        target[1] = Float.NaN;
        sc = t.lossAndGradient(out, target, 1, d);
        assertEquals(0.0, sc[1]);
        assertEquals(0f, d[0]);
    }

    @Test
    void gradientMatchesFiniteDifferences() throws Exception {
        int H = 5;
        int rows = 3;
        SequenceTrainer t = trainer(2 * H);
        Rng rng = new Rng(7);
        float[] out = new float[rows * 2 * H];
        float[] target = new float[rows * 2 * H];
        rng.normal(out, 1f);
        rng.normal(target, 1f);
        float[] d = new float[out.length];
        t.lossAndGradient(out, target, rows, d);
        float[] scratch = new float[out.length];
        for (int i = 0; i < out.length; i++) {
            float keep = out[i];
            double eps = 1e-3;
            out[i] = (float) (keep + eps);
            double up = t.lossAndGradient(out, target, rows, scratch)[0];
            out[i] = (float) (keep - eps);
            double down = t.lossAndGradient(out, target, rows, scratch)[0];
            out[i] = keep;
            assertEquals((up - down) / (2 * eps), d[i], 2e-3, "output " + i);
        }
    }

    @Test
    void needsPairsOfTargets() {
        assertThrows(IllegalArgumentException.class, () -> trainer(3));
    }
}
