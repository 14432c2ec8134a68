package io.nowcast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.data.SeriesNoise;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cut, the seeded noise and the causal baselines of series denoising, on values worked by hand. */
class SeriesDenoisingTest {
    private static SeriesDenoising one(float... v) {
        return SeriesDenoising.of("test", List.of("x"), v, v.length);
    }

    @Test
    void theBaselinesAreCausalFiltersOfTheNoisyValues() {
        SeriesDenoising s = one(5, 1, 3, 100, 2);
        float[] v = {5, 1, 3, 100, 2};
        assertArrayEquals(new float[] {5, 3, 2, 51.5f, 51}, s.movingAverage(v, new int[] {2}));
        // the median of the last 3 (fewer at the start, the middle two averaged)
        assertArrayEquals(new float[] {5, 3, 3, 3, 3}, s.movingMedian(v, new int[] {3}));
        // s_t = 0.5 x_t + 0.5 s_(t-1), s_0 = x_0
        assertArrayEquals(new float[] {5, 3, 3, 51.5f, 26.75f}, s.exponential(v, new float[] {0.5f}));
        assertThrows(IllegalArgumentException.class, () -> s.movingMedian(v, new int[] {26}));
    }

    @Test
    void shortSeriesAreCut60To20To20AndLongOnesTheLtsfWay() {
        SeriesDenoising s = SeriesDenoising.of("short", List.of("x"), ramp(1000), 1000);
        assertFalse(s.ltsf);
        assertEquals(600, s.to(SeriesDenoising.Part.TRAIN));
        assertEquals(800, s.to(SeriesDenoising.Part.VAL));
        assertEquals(1000, s.to(SeriesDenoising.Part.TEST));
        SeriesDenoising l = SeriesDenoising.of("long", List.of("x"), ramp(15000), 15000);
        assertTrue(l.ltsf);
        assertEquals(8640, l.from(SeriesDenoising.Part.VAL));
        assertEquals(11520, l.from(SeriesDenoising.Part.TEST));
        assertEquals(14400, l.to(SeriesDenoising.Part.TEST));
        // statistics of the training rows only: 0..599
        assertEquals(299.5, s.mean[0], 1e-3);
    }

    @Test
    void theNoiseIsSeededAndScaledByEachColumnsStd() {
        int n = 20000;
        float[] v = new float[2 * n];
        for (int t = 0; t < n; t++) {
            v[2 * t] = (float) Math.sin(t / 10.0);           // std about 0.707
            v[2 * t + 1] = (float) (100 * Math.cos(t / 7.0)); // std about 70.7
        }
        SeriesDenoising s = SeriesDenoising.of("two", List.of("a", "b"), v, n);
        SeriesNoise g = new SeriesNoise("gaussian", 0.5f, 0f);
        float[] x = s.noisy(g, 1);
        assertArrayEquals(x, s.noisy(g, 1));
        SeriesDenoising.Score sc = s.score(x, SeriesDenoising.Part.TRAIN);
        assertEquals(0.5 * s.std[0], sc.rmse()[0], 0.02 * s.std[0]);
        assertEquals(0.5 * s.std[1], sc.rmse()[1], 0.02 * s.std[1]);
        assertEquals(0.5, sc.rmseStd(), 0.01);
        float[] m = s.noisy(new SeriesNoise("mask", 0f, 0.1f), 2);
        int masked = 0;
        for (int i = 0; i < m.length; i++) {
            if (m[i] != v[i]) {
                masked++;
                assertEquals(s.mean[i % 2], m[i], 0f);
            }
        }
        assertEquals(0.1, masked / (double) m.length, 0.01);
    }

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }
}
