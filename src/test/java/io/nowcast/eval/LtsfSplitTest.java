package io.nowcast.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The 12/4/4-month split, its windows, and the two series baselines on series whose answers are known. */
class LtsfSplitTest {
    private static float[] series(int n, java.util.function.IntToDoubleFunction f) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) f.applyAsDouble(i);
        }
        return v;
    }

    @Test
    void bordersWindowsAndTrainingStatistics() {
        LtsfSplit s = LtsfSplit.of("c", series(17420, i -> i % 2), 96, 96, "test");
        assertEquals(0, s.from(LtsfSplit.Part.TRAIN));
        assertEquals(8640, s.to(LtsfSplit.Part.TRAIN));
        assertEquals(8544, s.from(LtsfSplit.Part.VAL));
        assertEquals(11520, s.to(LtsfSplit.Part.VAL));
        assertEquals(11424, s.from(LtsfSplit.Part.TEST));
        assertEquals(14400, s.to(LtsfSplit.Part.TEST));
        assertEquals(8449, s.windows(LtsfSplit.Part.TRAIN));
        assertEquals(2785, s.windows(LtsfSplit.Part.TEST));
        assertEquals(0.5, s.mean, 1e-12);
        assertEquals(0.5, s.std, 1e-12);
        assertEquals(-1f, s.standardised(0, 2)[0]);
        assertEquals(1f, s.standardised(0, 2)[1]);
        assertThrows(IllegalArgumentException.class, () -> LtsfSplit.of("c", new float[14399], 96, 96, "short"));
    }

    @Test
    void aRampScoresTheLastValueByHandAndTheLeastSquaresMapExactly() {
        // x_t = t: the last value is k behind at step k; standardised by the training std
        // sqrt((8640^2 - 1) / 12), MSE = mean_k k^2 / std^2 = (H + 1)(2H + 1) / 6 / std^2
        int H = 24;
        LtsfSplit s = LtsfSplit.of("t", series(14400, i -> i), 48, H, "ramp");
        double std = Math.sqrt((8640.0 * 8640.0 - 1) / 12);
        assertEquals(std, s.std, 1e-6);
        WindowScore last = WindowScore.of(s, LtsfSplit.Part.TEST, SeriesBaselines.lastValue());
        assertEquals((H + 1) * (2 * H + 1) / 6.0 / (std * std), last.mse(), 1e-9);
        assertEquals((H + 1) / 2.0 / std, last.mae(), 1e-9);
        assertEquals(14400 - 11520 + 48 - 48 - H + 1, last.windows());

        // a sum of two daily and weekly sines follows a linear recurrence: least squares is exact
        LtsfSplit w = LtsfSplit.of("w", series(14400, i -> 10 + 3 * Math.sin(2 * Math.PI * i / 24)
                + Math.cos(2 * Math.PI * i / 168)), 96, 96, "waves");
        WindowScore ls = WindowScore.of(w, LtsfSplit.Part.TEST, SeriesBaselines.leastSquares(w));
        WindowScore lv = WindowScore.of(w, LtsfSplit.Part.TEST, SeriesBaselines.lastValue());
        assertEquals(0.0, ls.mse(), 1e-6);
        assertEquals(true, lv.mse() > 0.5, "the last value misses the cycles: " + lv.mse());
    }

    @Test
    void trainingSequencesAreStandardisedWindowsWithTheNextValuesAsTargets() {
        LtsfSplit s = LtsfSplit.of("t", series(14400, i -> 2 * i), 4, 3, "ramp");
        java.util.List<io.nowcast.train.SequenceTrainer.Sequence> q = s.sequences(LtsfSplit.Part.TRAIN, false, true);
        assertEquals(s.windows(LtsfSplit.Part.TRAIN), q.size());
        io.nowcast.train.SequenceTrainer.Sequence w = q.get(5); // rows 5..8, targets up to row 11
        float[] z = s.standardised(0, 14400);
        assertEquals(4, w.length());
        for (int t = 0; t < 4; t++) {
            assertEquals(z[5 + t], w.x()[t]);
            for (int k = 1; k <= 3; k++) {
                assertEquals(z[5 + t + k], w.y()[t * 3 + k - 1]);
            }
        }
        // relative, last step only
        w = s.sequences(LtsfSplit.Part.VAL, true, false).get(0);
        int r = s.from(LtsfSplit.Part.VAL);
        assertEquals(Float.NaN, w.y()[0]);
        assertEquals(z[r + 4] - z[r + 3], w.y()[9], 1e-6);
        assertEquals(z[r + 6] - z[r + 3], w.y()[11], 1e-6);
        // a level shift moves the inputs; relative targets stay, absolute ones move with them
        io.nowcast.tensor.Rng rng = new io.nowcast.tensor.Rng(1);
        io.nowcast.train.SequenceTrainer.Sequence a = LtsfSplit.levelShift(2f, true).apply(w, rng);
        float c = a.x()[0] - w.x()[0];
        assertEquals(true, c != 0 && Math.abs(c) <= 2f);
        for (int t = 0; t < 4; t++) {
            assertEquals(w.x()[t] + c, a.x()[t], 1e-6);
        }
        assertEquals(w.y()[11], a.y()[11]);
        a = LtsfSplit.levelShift(2f, false).apply(w, rng);
        c = a.x()[0] - w.x()[0];
        assertEquals(w.y()[11] + c, a.y()[11], 1e-6);
        assertEquals(Float.NaN, a.y()[0]);
    }

    @Test
    void theEtth1Figures() throws Exception {
        Path csv = Path.of("..", "shared", "data", "sensors", "ETTh1.csv");
        Assumptions.assumeTrue(Files.isRegularFile(csv), "ETTh1 is not at " + csv.toAbsolutePath());
        LtsfSplit s = LtsfSplit.read(csv, "OT", 96, 96);
        assertEquals(2785, s.windows(LtsfSplit.Part.TEST));
        WindowScore last = WindowScore.of(s, LtsfSplit.Part.TEST, SeriesBaselines.lastValue());
        assertEquals(0.0693, last.mse(), 5e-5);
        assertEquals(0.2033, last.mae(), 5e-5);
        WindowScore ls = WindowScore.of(s, LtsfSplit.Part.TEST, SeriesBaselines.leastSquares(s));
        assertEquals(0.0606, ls.mse(), 5e-5);
        assertEquals(0.1820, ls.mae(), 5e-5);
    }
}
