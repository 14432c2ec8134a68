package io.nowcast.run.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.data.SeriesNoise;
import io.nowcast.model.SmoothingBase;
import io.nowcast.tensor.Rng;
import io.nowcast.train.SequenceTrainer;
import org.junit.jupiter.api.Test;

/** The series denoiser's training data: the noise added to each window, and the sequences over a smoothing base. */
class SeriesDenoiserTrainingTest {
    @Test
    void theTrainingNoiseTurnsCleanWindowsIntoNoisyInputsAndCorrections() {
        int D = 2;
        float[] clean = {1f, 2f, 3f, 4f, 5f, 6f};
        SequenceTrainer.Sequence s = new SequenceTrainer.Sequence(clean.clone(), clean.clone(), 3);
        SequenceTrainer.Sequence n = SeriesDenoiserTraining.noisy(new SeriesNoise("gaussian", 0.5f, 0f), D, 0f, true)
                .apply(s, new Rng(1));
        SequenceTrainer.Sequence again = SeriesDenoiserTraining.noisy(new SeriesNoise("gaussian", 0.5f, 0f), D, 0f, true)
                .apply(s, new Rng(1));
        for (int i = 0; i < clean.length; i++) {
            assertTrue(n.x()[i] != clean[i], "noise added");
            assertEquals(clean[i] - n.x()[i], n.y()[i], 1e-6f, "target = clean - noisy");
            assertEquals(n.x()[i], again.x()[i], "seeded");
        }
        assertEquals(1f, s.x()[0], "the window itself is not modified");
        // a level shift moves the input, never the correction's meaning
        SequenceTrainer.Sequence m = SeriesDenoiserTraining.noisy(new SeriesNoise("gaussian", 0.5f, 0f), D, 2f, true)
                .apply(s, new Rng(1));
        double shift0 = m.x()[0] + m.y()[0] - clean[0];
        double shift1 = m.x()[1] + m.y()[1] - clean[1];
        for (int t = 0; t < 3; t++) {
            assertEquals(shift0, m.x()[t * D] + m.y()[t * D] - clean[t * D], 1e-5);
            assertEquals(shift1, m.x()[t * D + 1] + m.y()[t * D + 1] - clean[t * D + 1], 1e-5);
        }
        assertTrue(Math.abs(shift0) <= 2 && Math.abs(shift1) <= 2 && shift0 != shift1);
        // a stretch about each column's window mean: the clean target keeps the mean, scales the deviations
        SequenceTrainer.Sequence k = SeriesDenoiserTraining.noisy(new SeriesNoise("gaussian", 0.5f, 0f), D, 0f, 2f, true)
                .apply(s, new Rng(4));
        for (int j = 0; j < D; j++) {
            double a = k.x()[j] + k.y()[j];
            double b = k.x()[D + j] + k.y()[D + j];
            double c = k.x()[2 * D + j] + k.y()[2 * D + j];
            assertEquals((clean[j] + clean[D + j] + clean[2 * D + j]) / 3.0, (a + b + c) / 3, 1e-5, "mean kept");
            double f = (c - a) / (clean[2 * D + j] - clean[j]);
            assertTrue(f >= 0.5 - 1e-6 && f <= 2 + 1e-6, "factor " + f);
            assertEquals(f, (b - a) / (clean[D + j] - clean[j]), 1e-5, "one factor per column");
        }
    }
    @Test
    void overASmoothingBaseTheTrainingReadsInnovationsAndLearnsTheCorrectionToTheBase() {
        int D = 1;
        float[] clean = {0f, 1f, 2f, 3f, 4f};
        float[] noisy = {0.5f, 0.5f, 3f, 2f, 5f};
        float[] y = new float[5];
        for (int i = 0; i < 5; i++) {
            y[i] = clean[i] - noisy[i];
        }
        SequenceTrainer.Sequence s = SeriesDenoiserTraining.smoothed(new SequenceTrainer.Sequence(noisy, y, 5),
                new SmoothingBase(new float[] {0.5f}, 10), 0.5f);
        // one factor of 0.5: the base 0.5, 0.5, 1.75, 1.875, 3.4375 and the innovations against the base before
        float[] base = {0.5f, 0.5f, 1.75f, 1.875f, 3.4375f};
        float[] innovation = {0f, 0f, 2.5f, 0.25f, 3.125f};
        for (int t = 0; t < 5; t++) {
            assertEquals(innovation[t], s.x()[t], 1e-6f, "innovation " + t);
            assertEquals(clean[t] - base[t], s.y()[t], 1e-6f, "correction " + t);
        }
        assertEquals(D, s.x().length / s.length());
    }
}
