package io.nowcast.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fast activations against java.lang.Math, and the fused update kernels against their formulas. */
class KernelsTest {

    private static float[] grid() {
        int n = 200_001;
        float[] x = new float[n + 8];
        for (int i = 0; i < n; i++) {
            x[i] = -12f + 24f * i / (n - 1);
        }
        float[] extra = {0f, -0f, 1e-30f, -1e-30f, 1e8f, -1e8f, Float.MAX_VALUE, -Float.MAX_VALUE};
        System.arraycopy(extra, 0, x, n, extra.length);
        return x;
    }

    @Test
    void tanhAndSigmoidAreWithin1e6OfMath() {
        float[] x = grid();
        float[] t = x.clone();
        float[] s = x.clone();
        Kernels.tanh(t, 0, t.length);
        Kernels.sigmoid(s, 0, s.length);
        for (int i = 0; i < x.length; i++) {
            double et = Math.tanh(x[i]);
            double es = 1.0 / (1.0 + Math.exp(-x[i]));
            assertEquals(et, t[i], 1e-6, "tanh(" + x[i] + ")");
            assertEquals(es, s[i], 1e-6, "sigmoid(" + x[i] + ")");
            assertEquals(t[i], Kernels.tanh(x[i]), 0f, "scalar tanh(" + x[i] + ") differs from the array form");
            assertEquals(s[i], Kernels.sigmoid(x[i]), 0f, "scalar sigmoid(" + x[i] + ") differs from the array form");
        }
    }

    @Test
    void saturatesAtInfinityAndPropagatesNaN() {
        float[] x = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] t = x.clone();
        float[] s = x.clone();
        Kernels.tanh(t, 0, 3);
        Kernels.sigmoid(s, 0, 3);
        assertEquals(1f, t[0], 1e-6f);
        assertEquals(-1f, t[1], 1e-6f);
        assertTrue(Float.isNaN(t[2]));
        assertEquals(1f, s[0], 1e-6f);
        assertEquals(0f, s[1], 1e-6f);
        assertTrue(Float.isNaN(s[2]));
    }

    @Test
    void updateKernelsFollowTheirFormulas() {
        Rng rng = new Rng(9);
        int n = 1000;
        float[][] a = new float[6][n];
        for (float[] v : a) {
            rng.uniform(v, 1f);
        }
        float[] c = a[4].clone();
        float[] h = a[5].clone();
        Kernels.lstmUpdate(a[0], a[1], a[2], a[3], c, h, n);
        for (int k = 0; k < n; k++) {
            float cv = a[1][k] * a[4][k] + a[0][k] * a[2][k];
            assertEquals(cv, c[k], 1e-6f);
            assertEquals(a[3][k] * Math.tanh(cv), h[k], 2e-6f);
        }
        float[] an = a[3].clone();
        float[] hg = a[4].clone();
        Kernels.gruUpdate(a[0], a[1], a[2], an, hg, n);
        for (int k = 0; k < n; k++) {
            double nv = Math.tanh(a[3][k] + a[0][k] * a[2][k]);
            assertEquals((1 - a[1][k]) * nv + a[1][k] * a[4][k], hg[k], 2e-6f);
        }
    }

    /**
     * The array kernels (on the Vector API where the JVM has it) against their scalar loops, bit for
     * bit, at every length up to a few vectors and at offsets that leave a scalar tail, with the
     * edge values in the inputs.
     */
    @Test
    void arrayKernelsGiveTheScalarLoopsBits() {
        Rng rng = new Rng(21);
        float[] edges = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e8f, -1e-30f, 7.9053111f};
        for (int n = 0; n <= 70; n++) {
            for (int off = 0; off <= 3; off++) {
                float[] x = new float[off + n];
                rng.uniform(x, 9f);
                for (int e = 0; e < edges.length && off + 3 * e < x.length; e++) {
                    x[off + 3 * e] = edges[e];
                }
                float[] t = x.clone();
                float[] ts = x.clone();
                Kernels.tanh(t, off, n);
                Kernels.tanhScalar(ts, off, n);
                assertSameBits(ts, t, "tanh n=" + n + " off=" + off);
                float[] s = x.clone();
                float[] ss = x.clone();
                Kernels.sigmoid(s, off, n);
                Kernels.sigmoidScalar(ss, off, n);
                assertSameBits(ss, s, "sigmoid n=" + n + " off=" + off);
            }
            float[][] a = new float[6][n];
            for (float[] v : a) {
                rng.uniform(v, 3f);
            }
            float[] c = a[4].clone();
            float[] h = a[5].clone();
            float[] cs = a[4].clone();
            float[] hs = a[5].clone();
            Kernels.lstmUpdate(a[0], a[1], a[2], a[3], c, h, n);
            Kernels.lstmUpdateScalar(a[0], a[1], a[2], a[3], cs, hs, 0, n);
            assertSameBits(cs, c, "lstm c n=" + n);
            assertSameBits(hs, h, "lstm h n=" + n);
            float[] an = a[3].clone();
            float[] ans = a[3].clone();
            float[] hg = a[4].clone();
            float[] hgs = a[4].clone();
            Kernels.gruUpdate(a[0], a[1], a[2], an, hg, n);
            Kernels.gruUpdateScalar(a[0], a[1], a[2], ans, hgs, 0, n);
            assertSameBits(ans, an, "gru n n=" + n);
            assertSameBits(hgs, hg, "gru h n=" + n);
        }
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                    what + " at " + i + ": want " + want[i] + " got " + got[i]);
        }
    }

    @Test
    void splitColumnsCopiesEachBlock() {
        int rows = 3;
        int w = 4;
        int ld = 3 * w + 2;
        float[] src = new float[5 + rows * ld];
        for (int i = 0; i < src.length; i++) {
            src[i] = i;
        }
        float[][] blocks = {new float[rows * w], new float[rows * w], new float[rows * w]};
        Kernels.splitColumns(src, 5, ld, rows, w, blocks, 3);
        for (int b = 0; b < 3; b++) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < w; j++) {
                    assertEquals(src[5 + r * ld + b * w + j], blocks[b][r * w + j], 0f);
                }
            }
        }
    }
}
