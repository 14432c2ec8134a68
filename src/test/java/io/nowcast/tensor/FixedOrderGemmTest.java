package io.nowcast.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The serving product's contract: every element of C is one fma chain over k in order from its
 * start value. The vector form (any tiling, any vector width) and the scalar form give the same
 * bits, and a row computed alone is the same row computed among others.
 */
class FixedOrderGemmTest {

    /** The contract, written as plainly as it can be. */
    private static float element(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float start, int i, int j, int k) {
        float s = start;
        for (int kk = 0; kk < k; kk++) {
            s = Math.fma(a[aOff + i * lda + kk], b[bOff + kk * ldb + j], s);
        }
        return s;
    }

    @Test
    void theTestJvmRunsTheVectorKernel() {
        // surefire adds jdk.incubator.vector, as the jar's launcher does: the fast path is the one tested
        assertTrue(FixedOrderGemm.vectorApiPresent());
        assertTrue(FixedOrderGemm.kernel().startsWith("vector") || !CpuFeatures.hardwareFma(), FixedOrderGemm.kernel());
    }

    @Test
    void vectorAndScalarFormsGiveTheContractsBitsAtEveryShape() {
        FixedOrderGemm.Impl scalar = new FixedOrderGemm.Scalar();
        FixedOrderGemm.Impl vector = VectorFixedOrder.create();
        Random r = new Random(5);
        for (int round = 0; round < 300; round++) {
            int m = 1 + r.nextInt(r.nextBoolean() ? 9 : 300);
            int n = 1 + r.nextInt(r.nextBoolean() ? 40 : 200);
            int k = 1 + r.nextInt(r.nextBoolean() ? 12 : 300);
            int lda = k + r.nextInt(3);
            // now and then B's rows far apart, as in a frame's patch matrix (the kernel copies its blocks then)
            int ldb = n + (r.nextInt(4) == 0 ? VectorFixedOrder.PACK_ABOVE + r.nextInt(300) : r.nextInt(3));
            int ldc = n + r.nextInt(3);
            int aOff = r.nextInt(5);
            int bOff = r.nextInt(5);
            int cOff = r.nextInt(5);
            float[] a = random(r, aOff + m * lda);
            float[] b = random(r, bOff + k * ldb);
            float[] c0 = random(r, cOff + m * ldc);
            float[] cs = c0.clone();
            float[] cv = c0.clone();
            scalar.accumulate(m, n, k, a, aOff, lda, b, bOff, ldb, cs, cOff, ldc);
            vector.accumulate(m, n, k, a, aOff, lda, b, bOff, ldb, cv, cOff, ldc);
            String what = "m " + m + " n " + n + " k " + k;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int at = cOff + i * ldc + j;
                    float want = element(a, aOff, lda, b, bOff, ldb, c0[at], i, j, k);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(cs[at]), what + " scalar [" + i + "," + j + "]");
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(cv[at]), what + " vector [" + i + "," + j + "]");
                }
            }
            // the stride padding is left alone
            for (int i = 0; i < m; i++) {
                for (int j = n; j < ldc && cOff + i * ldc + j < c0.length; j++) {
                    assertEquals(c0[cOff + i * ldc + j], cv[cOff + i * ldc + j], what + " padding");
                }
            }
        }
    }

    @Test
    void aRowAloneIsTheSameRowInAnyBatch() {
        Random r = new Random(6);
        int n = 512;
        int k = 134;
        float[] b = random(r, k * n);
        for (int m : new int[] {2, 3, 4, 5, 7, 16, 33, 256, 300}) {
            float[] a = random(r, m * k);
            float[] c = new float[m * n];
            FixedOrderGemm.accumulate(m, n, k, a, 0, k, b, 0, n, c, 0, n);
            for (int i = 0; i < m; i++) {
                float[] one = new float[n];
                FixedOrderGemm.accumulate(1, n, k, a, i * k, k, b, 0, n, one, 0, n);
                for (int j = 0; j < n; j++) {
                    assertEquals(Float.floatToRawIntBits(one[j]), Float.floatToRawIntBits(c[i * n + j]), m + " rows, row " + i + " col " + j);
                }
            }
        }
    }

    @Test
    void thePlantedBatchDependenceChangesBits() {
        Random r = new Random(7);
        int n = 64;
        int k = 100;
        float[] a = random(r, 8 * k);
        float[] b = random(r, k * n);
        float[] one = random(r, n);
        float[] batch = new float[8 * n];
        System.arraycopy(one, 0, batch, 0, n);
        FixedOrderGemm.accumulate(1, n, k, a, 0, k, b, 0, n, one, 0, n);
        try {
            FixedOrderGemm.plantBatchDependence(true);
            FixedOrderGemm.accumulate(8, n, k, a, 0, k, b, 0, n, batch, 0, n);
        } finally {
            FixedOrderGemm.plantBatchDependence(false);
        }
        int same = 0;
        for (int j = 0; j < n; j++) {
            same += Float.floatToRawIntBits(one[j]) == Float.floatToRawIntBits(batch[j]) ? 1 : 0;
        }
        assertNotEquals(n, same, "the planted kernel rounds a batch's row as a lone row");
    }

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (2 * r.nextDouble() - 1);
        }
        return x;
    }
}
