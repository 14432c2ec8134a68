package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.eval.SeriesDenoising;
import io.nowcast.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The smoothing base of a series denoiser: one factor is plain exponential smoothing; a bank
 * follows a change of regime to the smoothing a fixed factor chosen beforehand misses, and keeps a
 * swing smaller than the noise; it is free of level and scale; it starts fresh from zeros.
 */
class SmoothingBaseTest {
    private static final float[] BANK = {0.02f, 0.03f, 0.04f, 0.05f, 0.06f, 0.08f, 0.1f, 0.12f, 0.15f, 0.2f, 0.25f,
        0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.85f, 1f};

    /** The base over a whole one-stream series (T, D) with noise of variance 1 in every column. */
    private static float[][] run(SmoothingBase b, float[] x, int T, int D) {
        float[] variance = new float[D];
        java.util.Arrays.fill(variance, 1f);
        return run(b, x, T, D, variance);
    }

    private static float[][] run(SmoothingBase b, float[] x, int T, int D, float[] variance) {
        float[] state = new float[b.extraWidth(D)];
        float[] innovation = new float[T * D];
        float[] base = new float[T * D];
        for (int t = 0; t < T; t++) {
            b.step(x, t * D, D, variance, state, 0, innovation, t * D, base, t * D);
        }
        return new float[][] {innovation, base};
    }

    /** A random walk whose steps have sd {@code step1} for the first half and {@code step2} after, plus noise of sd 1. */
    private static float[][] walk(int T, double step1, double step2, long seed) {
        Rng r = new Rng(seed);
        float[] clean = new float[T];
        float[] noisy = new float[T];
        double level = 0;
        for (int t = 0; t < T; t++) {
            level += (t < T / 2 ? step1 : step2) * r.nextGaussian();
            clean[t] = (float) level;
            noisy[t] = (float) (level + r.nextGaussian());
        }
        return new float[][] {clean, noisy};
    }

    private static double rmse(float[] a, float[] b, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        }
        return Math.sqrt(s / (to - from));
    }

    /** The lowest RMSE on rows [from, to) of one factor of the bank alone, and that factor. */
    private static double[] bestFactor(float[] noisy, float[] clean, int from, int to) {
        double[] best = {Double.POSITIVE_INFINITY, 1};
        for (float a : BANK) {
            double e = rmse(run(new SmoothingBase(new float[] {a}, 1), noisy, noisy.length, 1)[1], clean, from, to);
            if (e < best[0]) {
                best[0] = e;
                best[1] = a;
            }
        }
        return best;
    }

    @Test
    void oneFactorIsExponentialSmoothingAndTheInnovationIsWhatItCorrects() {
        float[][] w = walk(300, 0.3, 0.3, 1);
        float[] x = new float[600];
        for (int t = 0; t < 300; t++) {
            x[2 * t] = w[1][t];
            x[2 * t + 1] = 5 + 2 * w[1][t];
        }
        SmoothingBase b = new SmoothingBase(new float[] {0.2f}, 100);
        float[][] r = run(b, x, 300, 2);
        SeriesDenoising s = SeriesDenoising.of("walk", List.of("u", "v"), x, 300);
        float[] expected = s.exponential(x, new float[] {0.2f, 0.2f});
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], r[1][i], 1e-4f, "value " + i);
        }
        assertEquals(0f, r[0][0]);
        for (int t = 1; t < 300; t++) {
            // s_t = s_(t-1) + alpha * innovation
            assertEquals(r[1][2 * t], r[1][2 * (t - 1)] + 0.2f * r[0][2 * t], 1e-4f);
        }
    }

    @Test
    void theBankFollowsAChangeOfRegimeThatAFixedFactorMisses() {
        // fast first half, slow second half: the factor best on the first half smooths the second too little
        int T = 8000;
        double bankLoss = 0;
        double fixedLoss = 0;
        double slowBest = 0;
        for (long seed = 1; seed <= 3; seed++) {
            float[][] w = walk(T, 0.5, 0.05, seed);
            float best = (float) bestFactor(w[1], w[0], 500, T / 2)[1];
            double oracle = bestFactor(w[1], w[0], T / 2 + 500, T)[0];
            fixedLoss += rmse(run(new SmoothingBase(new float[] {best}, 1), w[1], T, 1)[1], w[0], T / 2 + 500, T);
            bankLoss += rmse(run(new SmoothingBase(BANK, 240), w[1], T, 1)[1], w[0], T / 2 + 500, T);
            slowBest += oracle;
        }
        assertTrue(bankLoss < 0.8 * fixedLoss, "bank " + bankLoss + " against the factor fixed on the fast half " + fixedLoss);
        assertTrue(bankLoss < 1.1 * slowBest, "bank " + bankLoss + " against the best factor of the slow half " + slowBest);
    }

    @Test
    void aDailySwingSmallerThanTheNoiseIsNotSmoothedFlat() {
        // the smoothing that best predicts the next noisy sample here is the heaviest (it predicts the
        // mean), but as a filter it loses the swing: the estimated filter error chooses near the best
        int T = 6000;
        double bank = 0;
        double oracle = 0;
        double heaviest = 0;
        for (long seed = 1; seed <= 3; seed++) {
            Rng r = new Rng(seed);
            float[] clean = new float[T];
            float[] noisy = new float[T];
            for (int t = 0; t < T; t++) {
                clean[t] = (float) (0.8 * Math.sin(2 * Math.PI * t / 24));
                noisy[t] = (float) (clean[t] + r.nextGaussian());
            }
            double best = bestFactor(noisy, clean, 500, T)[0];
            oracle += best;
            heaviest += rmse(run(new SmoothingBase(new float[] {BANK[0]}, 1), noisy, T, 1)[1], clean, 500, T);
            bank += rmse(run(new SmoothingBase(BANK, 480), noisy, T, 1)[1], clean, 500, T);
        }
        assertTrue(bank < 1.05 * oracle, "bank " + bank + " against the best factor " + oracle);
        assertTrue(bank < 0.9 * heaviest, "bank " + bank + " against the heaviest smoothing " + heaviest);
    }

    @Test
    void itIsFreeOfLevelAndScale() {
        float[][] w = walk(500, 0.3, 0.1, 4);
        SmoothingBase b = new SmoothingBase(BANK, 50);
        float[][] r = run(b, w[1], 500, 1);
        float[] moved = new float[500];
        for (int t = 0; t < 500; t++) {
            moved[t] = 1000f + 3f * w[1][t];
        }
        // scaled by 3, the noise's variance by 9
        float[][] m = run(b, moved, 500, 1, new float[] {9f});
        for (int t = 0; t < 500; t++) {
            assertEquals(3f * r[0][t], m[0][t], 2e-2f, "innovation " + t);
            assertEquals(1000f + 3f * r[1][t], m[1][t], 2e-2f, "base " + t);
        }
    }

    @Test
    void zerosAreAFreshStreamAndBadSettingsAreRefused() {
        SmoothingBase b = new SmoothingBase(BANK, 50);
        assertEquals(2 * BANK.length * 3 + 1, b.extraWidth(3));
        float[] state = new float[b.extraWidth(1)];
        float[] innovation = new float[1];
        float[] base = new float[1];
        b.step(new float[] {42f}, 0, 1, new float[] {1f}, state, 0, innovation, 0, base, 0);
        assertEquals(0f, innovation[0]);
        assertEquals(42f, base[0]);
        assertThrows(IllegalArgumentException.class, () -> new SmoothingBase(new float[0], 10));
        assertThrows(IllegalArgumentException.class, () -> new SmoothingBase(new float[] {0f}, 10));
        assertThrows(IllegalArgumentException.class, () -> new SmoothingBase(new float[] {1.5f}, 10));
        assertThrows(IllegalArgumentException.class, () -> new SmoothingBase(new float[] {0.5f}, 0.5f));
    }
}
