package io.nowcast.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FixedOrderGemm}'s contract on the Vector API: register tiles of 4 rows by 2 vectors (and
 * 1 row by 4 vectors for the rows left over), the accumulators loaded from C, one broadcast of
 * {@code a[i][kk]} and one {@code fma} per vector and step of k, in order, then stored; columns
 * that do not fill a vector are done one at a time with {@link Math#fma}. Every element is the
 * same chain whichever tile it falls in, so the tiling changes the speed and nothing else.
 *
 * <p>Loaded only when {@code jdk.incubator.vector} is in the boot layer.
 */
final class VectorFixedOrder implements FixedOrderGemm.Impl {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorFixedOrder() {
    }

    static FixedOrderGemm.Impl create() {
        VectorFixedOrder v = new VectorFixedOrder();
        // one call through every path, so that a broken Vector API shows here and not in a stream
        float[] a = {1f, 2f};
        float[] b = new float[2 * 4 * L];
        float[] c = new float[4 * L];
        v.accumulate(1, 4 * L, 2, a, 0, 2, b, 0, 4 * L, c, 0, 4 * L);
        return v;
    }

    @Override
    public String name() {
        return "vector(" + L + " lanes)";
    }

    @Override
    public void accumulate(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            rows4(n, k, a, aOff + i * lda, lda, b, bOff, ldb, c, cOff + i * ldc, ldc);
        }
        for (; i < m; i++) {
            row1(n, k, a, aOff + i * lda, b, bOff, ldb, c, cOff + i * ldc);
        }
    }

    /** Four rows: C[0..4)[j..j+2L) in eight accumulators, k steps, one load of B per vector. */
    private static void rows4(int n, int k, float[] a, int a0, int lda, float[] b, int bOff, int ldb,
                              float[] c, int c0, int ldc) {
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            int p0 = c0 + j;
            int p1 = p0 + ldc;
            int p2 = p1 + ldc;
            int p3 = p2 + ldc;
            FloatVector s00 = FloatVector.fromArray(S, c, p0);
            FloatVector s01 = FloatVector.fromArray(S, c, p0 + L);
            FloatVector s10 = FloatVector.fromArray(S, c, p1);
            FloatVector s11 = FloatVector.fromArray(S, c, p1 + L);
            FloatVector s20 = FloatVector.fromArray(S, c, p2);
            FloatVector s21 = FloatVector.fromArray(S, c, p2 + L);
            FloatVector s30 = FloatVector.fromArray(S, c, p3);
            FloatVector s31 = FloatVector.fromArray(S, c, p3 + L);
            for (int kk = 0, bk = bOff + j; kk < k; kk++, bk += ldb) {
                FloatVector w0 = FloatVector.fromArray(S, b, bk);
                FloatVector w1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
                s00 = x.fma(w0, s00);
                s01 = x.fma(w1, s01);
                x = FloatVector.broadcast(S, a[a1 + kk]);
                s10 = x.fma(w0, s10);
                s11 = x.fma(w1, s11);
                x = FloatVector.broadcast(S, a[a2 + kk]);
                s20 = x.fma(w0, s20);
                s21 = x.fma(w1, s21);
                x = FloatVector.broadcast(S, a[a3 + kk]);
                s30 = x.fma(w0, s30);
                s31 = x.fma(w1, s31);
            }
            s00.intoArray(c, p0);
            s01.intoArray(c, p0 + L);
            s10.intoArray(c, p1);
            s11.intoArray(c, p1 + L);
            s20.intoArray(c, p2);
            s21.intoArray(c, p2 + L);
            s30.intoArray(c, p3);
            s31.intoArray(c, p3 + L);
        }
        for (; j + L <= n; j += L) {
            int p0 = c0 + j;
            FloatVector s0 = FloatVector.fromArray(S, c, p0);
            FloatVector s1 = FloatVector.fromArray(S, c, p0 + ldc);
            FloatVector s2 = FloatVector.fromArray(S, c, p0 + 2 * ldc);
            FloatVector s3 = FloatVector.fromArray(S, c, p0 + 3 * ldc);
            for (int kk = 0, bk = bOff + j; kk < k; kk++, bk += ldb) {
                FloatVector w = FloatVector.fromArray(S, b, bk);
                s0 = FloatVector.broadcast(S, a[a0 + kk]).fma(w, s0);
                s1 = FloatVector.broadcast(S, a[a1 + kk]).fma(w, s1);
                s2 = FloatVector.broadcast(S, a[a2 + kk]).fma(w, s2);
                s3 = FloatVector.broadcast(S, a[a3 + kk]).fma(w, s3);
            }
            s0.intoArray(c, p0);
            s1.intoArray(c, p0 + ldc);
            s2.intoArray(c, p0 + 2 * ldc);
            s3.intoArray(c, p0 + 3 * ldc);
        }
        if (j < n) {
            for (int r = 0; r < 4; r++) {
                tail(j, n, k, a, a0 + r * lda, b, bOff, ldb, c, c0 + r * ldc);
            }
        }
    }

    /** One row: C[j..j+4L) in four accumulators, then 1-vector steps, then the scalar tail. */
    private static void row1(int n, int k, float[] a, int a0, float[] b, int bOff, int ldb, float[] c, int c0) {
        int j = 0;
        for (; j + 4 * L <= n; j += 4 * L) {
            int p = c0 + j;
            FloatVector s0 = FloatVector.fromArray(S, c, p);
            FloatVector s1 = FloatVector.fromArray(S, c, p + L);
            FloatVector s2 = FloatVector.fromArray(S, c, p + 2 * L);
            FloatVector s3 = FloatVector.fromArray(S, c, p + 3 * L);
            for (int kk = 0, bk = bOff + j; kk < k; kk++, bk += ldb) {
                FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
                s0 = x.fma(FloatVector.fromArray(S, b, bk), s0);
                s1 = x.fma(FloatVector.fromArray(S, b, bk + L), s1);
                s2 = x.fma(FloatVector.fromArray(S, b, bk + 2 * L), s2);
                s3 = x.fma(FloatVector.fromArray(S, b, bk + 3 * L), s3);
            }
            s0.intoArray(c, p);
            s1.intoArray(c, p + L);
            s2.intoArray(c, p + 2 * L);
            s3.intoArray(c, p + 3 * L);
        }
        for (; j + L <= n; j += L) {
            int p = c0 + j;
            FloatVector s0 = FloatVector.fromArray(S, c, p);
            for (int kk = 0, bk = bOff + j; kk < k; kk++, bk += ldb) {
                s0 = FloatVector.broadcast(S, a[a0 + kk]).fma(FloatVector.fromArray(S, b, bk), s0);
            }
            s0.intoArray(c, p);
        }
        tail(j, n, k, a, a0, b, bOff, ldb, c, c0);
    }

    /** Columns [j0, n) of one row, one element at a time: the contract itself. */
    private static void tail(int j0, int n, int k, float[] a, int a0, float[] b, int bOff, int ldb, float[] c, int c0) {
        for (int j = j0; j < n; j++) {
            float s = c[c0 + j];
            for (int kk = 0, bk = bOff + j; kk < k; kk++, bk += ldb) {
                s = Math.fma(a[a0 + kk], b[bk], s);
            }
            c[c0 + j] = s;
        }
    }
}
