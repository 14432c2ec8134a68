package io.nowcast.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FixedOrderGemm}'s contract on the Vector API. The columns are taken in panels of at most
 * {@link #PANEL} and k in blocks of at most {@link #DEPTH} (so that a block of B stays in the
 * core's L2 while every row tile reads it); within a panel, register tiles of 12 rows by 2
 * vectors where the machine has 32 vector registers (AVX-512), then 4 rows by 4 vectors for the
 * rows left over (4 by 2 where there are 16 registers), then single rows by 4 vectors. A tile loads its accumulators from C,
 * takes one broadcast of {@code a[i][kk]} and one {@code fma} per vector and step of k, in order,
 * and stores them back; columns that do not fill a vector are done one element at a time with
 * {@link Math#fma}. Every element is the same chain whichever tile, panel or block it falls in
 * (a k block ends by storing the exact partial chain, the next one goes on from it), so the tiling
 * changes the speed and nothing else.
 *
 * <p>Tile shapes were measured at the step's products (n = 128 per gate block, k = 134, 24 to 264
 * rows, 16 lanes): 4x2 about 105 GFLOP/s, 8x2 125-139, 6x4 136-150, 12x2 143-167, beside OpenBLAS
 * 0.3.31 at about 150 on the same shapes.
 *
 * <p>Loaded only when {@code jdk.incubator.vector} is in the boot layer.
 */
final class VectorFixedOrder implements FixedOrderGemm.Impl {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** 12-row tiles need 24 accumulators, 2 weight vectors and a broadcast: only with 32 registers. */
    private static final boolean WIDE_TILES = L >= 16;
    /** Columns per panel and k per block: a (DEPTH x PANEL) block of B is 128 KiB. */
    static final int PANEL = 128;
    static final int DEPTH = 256;

    private VectorFixedOrder() {
    }

    static FixedOrderGemm.Impl create() {
        VectorFixedOrder v = new VectorFixedOrder();
        // one call through every tile, so that a broken Vector API shows here and not in a stream
        int n = 4 * L + 3;
        float[] a = new float[13 * 2];
        float[] b = new float[2 * n];
        float[] c = new float[13 * n];
        v.accumulate(13, n, 2, a, 0, 2, b, 0, n, c, 0, n);
        return v;
    }

    @Override
    public String name() {
        return "vector(" + L + " lanes)";
    }

    @Override
    public void accumulate(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc) {
        for (int j0 = 0; j0 < n; j0 += PANEL) {
            int j1 = Math.min(n, j0 + PANEL);
            for (int k0 = 0; k0 < k; k0 += DEPTH) {
                int kb = Math.min(DEPTH, k - k0);
                panel(m, j0, j1, kb, a, aOff + k0, lda, b, bOff + k0 * ldb, ldb, c, cOff, ldc);
            }
        }
    }

    /** B's rows further apart than this (floats) are copied into a contiguous block before the tiles read them. */
    static final int PACK_ABOVE = 1024;
    private static final ThreadLocal<float[]> PACKED = ThreadLocal.withInitial(() -> new float[DEPTH * PANEL]);

    /**
     * Columns [j0, j1) of all m rows over kb steps of k (A and B already at the block's first
     * step). When B's rows lie far apart (a frame's patch matrix, rows of 4096 pixels and more) and
     * several row tiles will read the block, it is first copied into a contiguous (kb x width)
     * block, which the prefetcher follows; the values, and so the chains, are the same.
     */
    private static void panel(int m, int j0, int j1, int kb, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc) {
        if (ldb > PACK_ABOVE && m >= 8) {
            int w = j1 - j0;
            float[] p = PACKED.get();
            for (int kk = 0; kk < kb; kk++) {
                System.arraycopy(b, bOff + kk * ldb + j0, p, kk * w, w);
            }
            b = p;
            bOff = -j0;
            ldb = w;
        }
        int i = 0;
        if (WIDE_TILES) {
            for (; i + 12 <= m; i += 12) {
                int a0 = aOff + i * lda;
                int c0 = cOff + i * ldc;
                int j = rows12x2(j0, j1, kb, a, a0, lda, b, bOff, ldb, c, c0, ldc);
                rest(12, j, j1, kb, a, a0, lda, b, bOff, ldb, c, c0, ldc);
            }
        }
        for (; i + 4 <= m; i += 4) {
            int a0 = aOff + i * lda;
            int c0 = cOff + i * ldc;
            int j = WIDE_TILES ? rows4x4(j0, j1, kb, a, a0, lda, b, bOff, ldb, c, c0, ldc) : j0;
            j = rows4x2(j, j1, kb, a, a0, lda, b, bOff, ldb, c, c0, ldc);
            rest(4, j, j1, kb, a, a0, lda, b, bOff, ldb, c, c0, ldc);
        }
        for (; i < m; i++) {
            int a0 = aOff + i * lda;
            int c0 = cOff + i * ldc;
            int j = rows1x4(j0, j1, kb, a, a0, lda, b, bOff, ldb, c, c0, ldc);
            rest(1, j, j1, kb, a, a0, lda, b, bOff, ldb, c, c0, ldc);
        }
    }

    /** Columns [j, n) of R rows left by a tile: one vector at a time, then one element at a time. */
    private static void rest(int rows, int j, int n, int k, float[] a, int a0, int lda, float[] b, int bOff, int ldb,
                             float[] c, int c0, int ldc) {
        for (int r = 0; r < rows; r++) {
            int ar = a0 + r * lda;
            int cr = c0 + r * ldc;
            int jj = j;
            for (; jj + L <= n; jj += L) {
                FloatVector s = FloatVector.fromArray(S, c, cr + jj);
                for (int kk = 0, bk = bOff + jj; kk < k; kk++, bk += ldb) {
                    s = FloatVector.broadcast(S, a[ar + kk]).fma(FloatVector.fromArray(S, b, bk), s);
                }
                s.intoArray(c, cr + jj);
            }
            for (; jj < n; jj++) {
                float s = c[cr + jj];
                for (int kk = 0, bk = bOff + jj; kk < k; kk++, bk += ldb) {
                    s = Math.fma(a[ar + kk], b[bk], s);
                }
                c[cr + jj] = s;
            }
        }
    }

    /** 12 rows by 2 vectors: C[0..12)[j..j+2L) in 24 accumulators over k, one load of B per vector and step. */
    private static int rows12x2(int j, int n, int k, float[] a, int a0, int lda, float[] b, int bOff, int ldb,
                               float[] c, int c0, int ldc) {
        for (; j + 2 * L <= n; j += 2 * L) {
            int p = c0 + j;
            FloatVector s0_0 = FloatVector.fromArray(S, c, p); FloatVector s0_1 = FloatVector.fromArray(S, c, p + L);
            FloatVector s1_0 = FloatVector.fromArray(S, c, p + ldc); FloatVector s1_1 = FloatVector.fromArray(S, c, p + ldc + L);
            FloatVector s2_0 = FloatVector.fromArray(S, c, p + 2 * ldc); FloatVector s2_1 = FloatVector.fromArray(S, c, p + 2 * ldc + L);
            FloatVector s3_0 = FloatVector.fromArray(S, c, p + 3 * ldc); FloatVector s3_1 = FloatVector.fromArray(S, c, p + 3 * ldc + L);
            FloatVector s4_0 = FloatVector.fromArray(S, c, p + 4 * ldc); FloatVector s4_1 = FloatVector.fromArray(S, c, p + 4 * ldc + L);
            FloatVector s5_0 = FloatVector.fromArray(S, c, p + 5 * ldc); FloatVector s5_1 = FloatVector.fromArray(S, c, p + 5 * ldc + L);
            FloatVector s6_0 = FloatVector.fromArray(S, c, p + 6 * ldc); FloatVector s6_1 = FloatVector.fromArray(S, c, p + 6 * ldc + L);
            FloatVector s7_0 = FloatVector.fromArray(S, c, p + 7 * ldc); FloatVector s7_1 = FloatVector.fromArray(S, c, p + 7 * ldc + L);
            FloatVector s8_0 = FloatVector.fromArray(S, c, p + 8 * ldc); FloatVector s8_1 = FloatVector.fromArray(S, c, p + 8 * ldc + L);
            FloatVector s9_0 = FloatVector.fromArray(S, c, p + 9 * ldc); FloatVector s9_1 = FloatVector.fromArray(S, c, p + 9 * ldc + L);
            FloatVector s10_0 = FloatVector.fromArray(S, c, p + 10 * ldc); FloatVector s10_1 = FloatVector.fromArray(S, c, p + 10 * ldc + L);
            FloatVector s11_0 = FloatVector.fromArray(S, c, p + 11 * ldc); FloatVector s11_1 = FloatVector.fromArray(S, c, p + 11 * ldc + L);
            for (int kk = 0, bk = bOff + j, q = a0; kk < k; kk++, bk += ldb, q++) {
                FloatVector w0 = FloatVector.fromArray(S, b, bk);
                FloatVector w1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector x0 = FloatVector.broadcast(S, a[q]);
                s0_0 = x0.fma(w0, s0_0); s0_1 = x0.fma(w1, s0_1);
                FloatVector x1 = FloatVector.broadcast(S, a[q + lda]);
                s1_0 = x1.fma(w0, s1_0); s1_1 = x1.fma(w1, s1_1);
                FloatVector x2 = FloatVector.broadcast(S, a[q + 2 * lda]);
                s2_0 = x2.fma(w0, s2_0); s2_1 = x2.fma(w1, s2_1);
                FloatVector x3 = FloatVector.broadcast(S, a[q + 3 * lda]);
                s3_0 = x3.fma(w0, s3_0); s3_1 = x3.fma(w1, s3_1);
                FloatVector x4 = FloatVector.broadcast(S, a[q + 4 * lda]);
                s4_0 = x4.fma(w0, s4_0); s4_1 = x4.fma(w1, s4_1);
                FloatVector x5 = FloatVector.broadcast(S, a[q + 5 * lda]);
                s5_0 = x5.fma(w0, s5_0); s5_1 = x5.fma(w1, s5_1);
                FloatVector x6 = FloatVector.broadcast(S, a[q + 6 * lda]);
                s6_0 = x6.fma(w0, s6_0); s6_1 = x6.fma(w1, s6_1);
                FloatVector x7 = FloatVector.broadcast(S, a[q + 7 * lda]);
                s7_0 = x7.fma(w0, s7_0); s7_1 = x7.fma(w1, s7_1);
                FloatVector x8 = FloatVector.broadcast(S, a[q + 8 * lda]);
                s8_0 = x8.fma(w0, s8_0); s8_1 = x8.fma(w1, s8_1);
                FloatVector x9 = FloatVector.broadcast(S, a[q + 9 * lda]);
                s9_0 = x9.fma(w0, s9_0); s9_1 = x9.fma(w1, s9_1);
                FloatVector x10 = FloatVector.broadcast(S, a[q + 10 * lda]);
                s10_0 = x10.fma(w0, s10_0); s10_1 = x10.fma(w1, s10_1);
                FloatVector x11 = FloatVector.broadcast(S, a[q + 11 * lda]);
                s11_0 = x11.fma(w0, s11_0); s11_1 = x11.fma(w1, s11_1);
            }
            s0_0.intoArray(c, p); s0_1.intoArray(c, p + L);
            s1_0.intoArray(c, p + ldc); s1_1.intoArray(c, p + ldc + L);
            s2_0.intoArray(c, p + 2 * ldc); s2_1.intoArray(c, p + 2 * ldc + L);
            s3_0.intoArray(c, p + 3 * ldc); s3_1.intoArray(c, p + 3 * ldc + L);
            s4_0.intoArray(c, p + 4 * ldc); s4_1.intoArray(c, p + 4 * ldc + L);
            s5_0.intoArray(c, p + 5 * ldc); s5_1.intoArray(c, p + 5 * ldc + L);
            s6_0.intoArray(c, p + 6 * ldc); s6_1.intoArray(c, p + 6 * ldc + L);
            s7_0.intoArray(c, p + 7 * ldc); s7_1.intoArray(c, p + 7 * ldc + L);
            s8_0.intoArray(c, p + 8 * ldc); s8_1.intoArray(c, p + 8 * ldc + L);
            s9_0.intoArray(c, p + 9 * ldc); s9_1.intoArray(c, p + 9 * ldc + L);
            s10_0.intoArray(c, p + 10 * ldc); s10_1.intoArray(c, p + 10 * ldc + L);
            s11_0.intoArray(c, p + 11 * ldc); s11_1.intoArray(c, p + 11 * ldc + L);
        }
        return j;
    }

    /** 4 rows by 4 vectors: C[0..4)[j..j+4L) in 16 accumulators over k, one load of B per vector and step. */
    private static int rows4x4(int j, int n, int k, float[] a, int a0, int lda, float[] b, int bOff, int ldb,
                               float[] c, int c0, int ldc) {
        for (; j + 4 * L <= n; j += 4 * L) {
            int p = c0 + j;
            FloatVector s0_0 = FloatVector.fromArray(S, c, p); FloatVector s0_1 = FloatVector.fromArray(S, c, p + L); FloatVector s0_2 = FloatVector.fromArray(S, c, p + 2 * L); FloatVector s0_3 = FloatVector.fromArray(S, c, p + 3 * L);
            FloatVector s1_0 = FloatVector.fromArray(S, c, p + ldc); FloatVector s1_1 = FloatVector.fromArray(S, c, p + ldc + L); FloatVector s1_2 = FloatVector.fromArray(S, c, p + ldc + 2 * L); FloatVector s1_3 = FloatVector.fromArray(S, c, p + ldc + 3 * L);
            FloatVector s2_0 = FloatVector.fromArray(S, c, p + 2 * ldc); FloatVector s2_1 = FloatVector.fromArray(S, c, p + 2 * ldc + L); FloatVector s2_2 = FloatVector.fromArray(S, c, p + 2 * ldc + 2 * L); FloatVector s2_3 = FloatVector.fromArray(S, c, p + 2 * ldc + 3 * L);
            FloatVector s3_0 = FloatVector.fromArray(S, c, p + 3 * ldc); FloatVector s3_1 = FloatVector.fromArray(S, c, p + 3 * ldc + L); FloatVector s3_2 = FloatVector.fromArray(S, c, p + 3 * ldc + 2 * L); FloatVector s3_3 = FloatVector.fromArray(S, c, p + 3 * ldc + 3 * L);
            for (int kk = 0, bk = bOff + j, q = a0; kk < k; kk++, bk += ldb, q++) {
                FloatVector w0 = FloatVector.fromArray(S, b, bk);
                FloatVector w1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector w2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector w3 = FloatVector.fromArray(S, b, bk + 3 * L);
                FloatVector x0 = FloatVector.broadcast(S, a[q]);
                s0_0 = x0.fma(w0, s0_0); s0_1 = x0.fma(w1, s0_1); s0_2 = x0.fma(w2, s0_2); s0_3 = x0.fma(w3, s0_3);
                FloatVector x1 = FloatVector.broadcast(S, a[q + lda]);
                s1_0 = x1.fma(w0, s1_0); s1_1 = x1.fma(w1, s1_1); s1_2 = x1.fma(w2, s1_2); s1_3 = x1.fma(w3, s1_3);
                FloatVector x2 = FloatVector.broadcast(S, a[q + 2 * lda]);
                s2_0 = x2.fma(w0, s2_0); s2_1 = x2.fma(w1, s2_1); s2_2 = x2.fma(w2, s2_2); s2_3 = x2.fma(w3, s2_3);
                FloatVector x3 = FloatVector.broadcast(S, a[q + 3 * lda]);
                s3_0 = x3.fma(w0, s3_0); s3_1 = x3.fma(w1, s3_1); s3_2 = x3.fma(w2, s3_2); s3_3 = x3.fma(w3, s3_3);
            }
            s0_0.intoArray(c, p); s0_1.intoArray(c, p + L); s0_2.intoArray(c, p + 2 * L); s0_3.intoArray(c, p + 3 * L);
            s1_0.intoArray(c, p + ldc); s1_1.intoArray(c, p + ldc + L); s1_2.intoArray(c, p + ldc + 2 * L); s1_3.intoArray(c, p + ldc + 3 * L);
            s2_0.intoArray(c, p + 2 * ldc); s2_1.intoArray(c, p + 2 * ldc + L); s2_2.intoArray(c, p + 2 * ldc + 2 * L); s2_3.intoArray(c, p + 2 * ldc + 3 * L);
            s3_0.intoArray(c, p + 3 * ldc); s3_1.intoArray(c, p + 3 * ldc + L); s3_2.intoArray(c, p + 3 * ldc + 2 * L); s3_3.intoArray(c, p + 3 * ldc + 3 * L);
        }
        return j;
    }

    /** 4 rows by 2 vectors: C[0..4)[j..j+2L) in 8 accumulators over k, one load of B per vector and step. */
    private static int rows4x2(int j, int n, int k, float[] a, int a0, int lda, float[] b, int bOff, int ldb,
                               float[] c, int c0, int ldc) {
        for (; j + 2 * L <= n; j += 2 * L) {
            int p = c0 + j;
            FloatVector s0_0 = FloatVector.fromArray(S, c, p); FloatVector s0_1 = FloatVector.fromArray(S, c, p + L);
            FloatVector s1_0 = FloatVector.fromArray(S, c, p + ldc); FloatVector s1_1 = FloatVector.fromArray(S, c, p + ldc + L);
            FloatVector s2_0 = FloatVector.fromArray(S, c, p + 2 * ldc); FloatVector s2_1 = FloatVector.fromArray(S, c, p + 2 * ldc + L);
            FloatVector s3_0 = FloatVector.fromArray(S, c, p + 3 * ldc); FloatVector s3_1 = FloatVector.fromArray(S, c, p + 3 * ldc + L);
            for (int kk = 0, bk = bOff + j, q = a0; kk < k; kk++, bk += ldb, q++) {
                FloatVector w0 = FloatVector.fromArray(S, b, bk);
                FloatVector w1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector x0 = FloatVector.broadcast(S, a[q]);
                s0_0 = x0.fma(w0, s0_0); s0_1 = x0.fma(w1, s0_1);
                FloatVector x1 = FloatVector.broadcast(S, a[q + lda]);
                s1_0 = x1.fma(w0, s1_0); s1_1 = x1.fma(w1, s1_1);
                FloatVector x2 = FloatVector.broadcast(S, a[q + 2 * lda]);
                s2_0 = x2.fma(w0, s2_0); s2_1 = x2.fma(w1, s2_1);
                FloatVector x3 = FloatVector.broadcast(S, a[q + 3 * lda]);
                s3_0 = x3.fma(w0, s3_0); s3_1 = x3.fma(w1, s3_1);
            }
            s0_0.intoArray(c, p); s0_1.intoArray(c, p + L);
            s1_0.intoArray(c, p + ldc); s1_1.intoArray(c, p + ldc + L);
            s2_0.intoArray(c, p + 2 * ldc); s2_1.intoArray(c, p + 2 * ldc + L);
            s3_0.intoArray(c, p + 3 * ldc); s3_1.intoArray(c, p + 3 * ldc + L);
        }
        return j;
    }

    /** 1 rows by 4 vectors: C[0..1)[j..j+4L) in 4 accumulators over k, one load of B per vector and step. */
    private static int rows1x4(int j, int n, int k, float[] a, int a0, int lda, float[] b, int bOff, int ldb,
                               float[] c, int c0, int ldc) {
        for (; j + 4 * L <= n; j += 4 * L) {
            int p = c0 + j;
            FloatVector s0_0 = FloatVector.fromArray(S, c, p); FloatVector s0_1 = FloatVector.fromArray(S, c, p + L); FloatVector s0_2 = FloatVector.fromArray(S, c, p + 2 * L); FloatVector s0_3 = FloatVector.fromArray(S, c, p + 3 * L);
            for (int kk = 0, bk = bOff + j, q = a0; kk < k; kk++, bk += ldb, q++) {
                FloatVector w0 = FloatVector.fromArray(S, b, bk);
                FloatVector w1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector w2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector w3 = FloatVector.fromArray(S, b, bk + 3 * L);
                FloatVector x0 = FloatVector.broadcast(S, a[q]);
                s0_0 = x0.fma(w0, s0_0); s0_1 = x0.fma(w1, s0_1); s0_2 = x0.fma(w2, s0_2); s0_3 = x0.fma(w3, s0_3);
            }
            s0_0.intoArray(c, p); s0_1.intoArray(c, p + L); s0_2.intoArray(c, p + 2 * L); s0_3.intoArray(c, p + 3 * L);
        }
        return j;
    }
}
