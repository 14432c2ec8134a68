package io.nowcast.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;

/**
 * The EJML and BLAS backends compute the same {@code C = alpha op(A) op(B) + beta C} on row-major
 * sub-blocks of larger arrays, and both agree with a double-precision loop. Every element outside
 * the blocks is a sentinel: NaN in A and B (so reading outside the block poisons the result) and a
 * fixed bit pattern in C (which must come back bit-identical).
 */
class GemmBackendsAgreeTest {

    /** Relative to the sum of the magnitudes that make up each element (a dot-product error bound). */
    private static final double REL_TOL = 1e-5;
    private static final float C_SENTINEL = -12345.678f;
    private static final float[] ALPHAS = {1f, -0.5f, 2.25f, 0f};
    private static final float[] BETAS = {0f, 1f, -1.5f, 0.3f};

    private final Gemm ejml = Gemms.create("ejml");
    private final Gemm blas = Gemms.create("blas");

    /** One product: shapes, operand layout and scalars. */
    record Case(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta,
                int aOff, int lda, int bOff, int ldb, int cOff, int ldc, boolean nanInC) {

        int aRows() {
            return ta ? k : m;
        }

        int aCols() {
            return ta ? m : k;
        }

        int bRows() {
            return tb ? n : k;
        }

        int bCols() {
            return tb ? k : n;
        }

        @Override
        public String toString() {
            return String.format("op(A)=%s%dx%d op(B)=%s%dx%d alpha=%s beta=%s aOff=%d lda=%d bOff=%d ldb=%d cOff=%d ldc=%d%s",
                    ta ? "A^T " : "", m, k, tb ? "B^T " : "", k, n, alpha, beta, aOff, lda, bOff, ldb, cOff, ldc,
                    nanInC ? " NaN-in-C" : "");
        }
    }

    /** Operands of a case: blocks filled with values, everything else with sentinels. */
    static final class Operands {
        final float[] a;
        final float[] b;
        final float[] c;

        Operands(Case cs, SplittableRandom r) {
            a = block(r, cs.aOff, cs.lda, cs.aRows(), cs.aCols(), Float.NaN, 1.0);
            b = block(r, cs.bOff, cs.ldb, cs.bRows(), cs.bCols(), Float.NaN, 1.0);
            c = block(r, cs.cOff, cs.ldc, cs.m, cs.n, C_SENTINEL, 2.0);
            if (cs.nanInC) {
                for (int i = 0; i < cs.m; i++) {
                    Arrays.fill(c, cs.cOff + i * cs.ldc, cs.cOff + i * cs.ldc + cs.n, Float.NaN);
                }
            }
        }

        private Operands(float[] a, float[] b, float[] c) {
            this.a = a;
            this.b = b;
            this.c = c;
        }

        Operands copy() {
            return new Operands(a.clone(), b.clone(), c.clone());
        }

        /** rows x cols block at off with row stride ld, padded by a few sentinels after the last row. */
        private static float[] block(SplittableRandom r, int off, int ld, int rows, int cols, float sentinel, double scale) {
            int len = off + (rows == 0 ? 0 : (rows - 1) * ld + cols) + 3;
            float[] x = new float[len];
            Arrays.fill(x, sentinel);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    x[off + i * ld + j] = (float) ((2 * r.nextDouble() - 1) * scale);
                }
            }
            return x;
        }
    }

    private static void run(Gemm g, Case cs, Operands o) {
        g.gemm(cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, o.a, cs.aOff, cs.lda, o.b, cs.bOff, cs.ldb,
                cs.beta, o.c, cs.cOff, cs.ldc);
    }

    /** Checks {@code got} (after the product) against a double-precision loop over the original operands. */
    private static void check(String backend, Case cs, Operands before, float[] got) {
        for (int i = 0; i < cs.m; i++) {
            for (int j = 0; j < cs.n; j++) {
                double sum = 0;
                double mag = 0;
                for (int p = 0; p < cs.k; p++) {
                    double av = cs.ta ? before.a[cs.aOff + p * cs.lda + i] : before.a[cs.aOff + i * cs.lda + p];
                    double bv = cs.tb ? before.b[cs.bOff + j * cs.ldb + p] : before.b[cs.bOff + p * cs.ldb + j];
                    sum += av * bv;
                    mag += Math.abs(av * bv);
                }
                int ci = cs.cOff + i * cs.ldc + j;
                double cv = cs.beta == 0f ? 0 : before.c[ci]; // beta = 0: C is not read (BLAS semantics)
                double expect = cs.alpha * sum + cs.beta * cv;
                double scale = Math.abs(cs.alpha) * mag + Math.abs(cs.beta * cv);
                float g = got[ci];
                if (!(Math.abs(g - expect) <= REL_TOL * scale + 1e-30)) {
                    fail(backend + ": C[" + i + "][" + j + "] = " + g + ", expected " + expect
                            + " (tolerance " + REL_TOL * scale + ") for " + cs);
                }
            }
        }
        // nothing outside the block changed, bit for bit
        boolean[] inBlock = new boolean[got.length];
        for (int i = 0; i < cs.m; i++) {
            Arrays.fill(inBlock, cs.cOff + i * cs.ldc, cs.cOff + i * cs.ldc + cs.n, true);
        }
        for (int x = 0; x < got.length; x++) {
            if (!inBlock[x] && Float.floatToRawIntBits(got[x]) != Float.floatToRawIntBits(before.c[x])) {
                fail(backend + ": C changed outside the block at index " + x + " (" + before.c[x] + " -> " + got[x]
                        + ") for " + cs);
            }
        }
    }

    /** Both backends against the reference, then against each other. */
    private void agree(Case cs, SplittableRandom r) {
        Operands orig = new Operands(cs, r);
        Operands oe = orig.copy();
        Operands ob = orig.copy();
        run(ejml, cs, oe);
        run(blas, cs, ob);
        check("ejml", cs, orig, oe.c);
        check(blas.name(), cs, orig, ob.c);
        assertTrue(Arrays.equals(orig.a, oe.a) && Arrays.equals(orig.b, oe.b), "ejml modified A or B for " + cs);
        assertTrue(Arrays.equals(orig.a, ob.a) && Arrays.equals(orig.b, ob.b), "blas modified A or B for " + cs);
    }

    private static Case randomCase(SplittableRandom r, boolean ta, boolean tb, int m, int n, int k,
                                   float alpha, float beta, boolean strided) {
        int aCols = ta ? m : k;
        int bCols = tb ? k : n;
        int aOff = strided ? 1 + r.nextInt(9) : 0;
        int bOff = strided ? 1 + r.nextInt(9) : 0;
        int cOff = strided ? 1 + r.nextInt(9) : 0;
        // BLAS wants a leading dimension of at least 1 even for an empty dimension
        int lda = Math.max(1, aCols) + (strided ? 1 + r.nextInt(6) : 0);
        int ldb = Math.max(1, bCols) + (strided ? 1 + r.nextInt(6) : 0);
        int ldc = Math.max(1, n) + (strided ? 1 + r.nextInt(6) : 0);
        return new Case(ta, tb, m, n, k, alpha, beta, aOff, lda, bOff, ldb, cOff, ldc, beta == 0f && r.nextBoolean());
    }

    private static final boolean[] BOOLS = {false, true};

    @Test
    void randomShapesAllTransposesAlphasAndBetas() {
        SplittableRandom r = new SplittableRandom(20240611L);
        int count = 0;
        for (boolean ta : BOOLS) {
            for (boolean tb : BOOLS) {
                for (float alpha : ALPHAS) {
                    for (float beta : BETAS) {
                        for (int rep = 0; rep < 6; rep++) {
                            int m = 1 + r.nextInt(40);
                            int n = 1 + r.nextInt(40);
                            int k = 1 + r.nextInt(40);
                            agree(randomCase(r, ta, tb, m, n, k, alpha, beta, rep % 2 == 1), r);
                            count++;
                        }
                    }
                }
            }
        }
        assertEquals(4 * ALPHAS.length * BETAS.length * 6, count);
    }

    @Test
    void vectorShapes() {
        SplittableRandom r = new SplittableRandom(7);
        int[][] shapes = {
            {1, 17, 9}, {17, 1, 9}, {1, 1, 33}, {1, 33, 1}, {33, 1, 1}, {5, 7, 1}, {1, 1, 1}, {1, 64, 64}, {64, 1, 64},
        };
        for (int[] s : shapes) {
            for (boolean ta : BOOLS) {
                for (boolean tb : BOOLS) {
                    for (boolean strided : BOOLS) {
                        agree(randomCase(r, ta, tb, s[0], s[1], s[2], 1.5f, 0f, strided), r);
                        agree(randomCase(r, ta, tb, s[0], s[1], s[2], -1f, 0.5f, strided), r);
                    }
                }
            }
        }
    }

    /** Sizes past EJML's switch to its reordered kernel and past typical BLAS blocking. */
    @Test
    void largerBlocks() {
        SplittableRandom r = new SplittableRandom(99);
        int[][] shapes = {{67, 129, 35}, {130, 20, 150}, {16, 256, 64}};
        for (int[] s : shapes) {
            for (boolean ta : BOOLS) {
                for (boolean tb : BOOLS) {
                    agree(randomCase(r, ta, tb, s[0], s[1], s[2], 1f, 0f, true), r);
                    agree(randomCase(r, ta, tb, s[0], s[1], s[2], 0.75f, 1f, true), r);
                }
            }
        }
    }

    /** Beta = 0 must overwrite C even when it holds NaN, with every layout. */
    @Test
    void betaZeroOverwritesNaNGarbage() {
        SplittableRandom r = new SplittableRandom(3);
        for (boolean ta : BOOLS) {
            for (boolean tb : BOOLS) {
                for (boolean strided : BOOLS) {
                    for (float alpha : ALPHAS) {
                        Case c0 = randomCase(r, ta, tb, 1 + r.nextInt(12), 1 + r.nextInt(12), 1 + r.nextInt(12),
                                alpha, 0f, strided);
                        Case cs = new Case(c0.ta(), c0.tb(), c0.m(), c0.n(), c0.k(), alpha, 0f, c0.aOff(), c0.lda(),
                                c0.bOff(), c0.ldb(), c0.cOff(), c0.ldc(), true);
                        agree(cs, r);
                    }
                }
            }
        }
    }

    /** k = 0: op(A) op(B) is an m x n zero matrix, so C = beta C (and 0 when beta = 0, NaN or not). */
    @Test
    void emptyInnerDimensionScalesC() {
        SplittableRandom r = new SplittableRandom(11);
        for (boolean ta : BOOLS) {
            for (boolean tb : BOOLS) {
                for (float beta : BETAS) {
                    agree(randomCase(r, ta, tb, 4, 5, 0, 1f, beta, true), r);
                    agree(randomCase(r, ta, tb, 3, 1, 0, 2f, beta, false), r);
                }
            }
        }
    }

    /** alpha = 0: A and B are not read (BLAS semantics), so NaN or infinity in them does not reach C. */
    @Test
    void alphaZeroDoesNotReadAOrB() {
        SplittableRandom r = new SplittableRandom(23);
        for (boolean ta : BOOLS) {
            for (boolean tb : BOOLS) {
                for (float beta : BETAS) {
                    Case cs = randomCase(r, ta, tb, 6, 7, 5, 0f, beta, true);
                    Operands orig = new Operands(cs, r);
                    Arrays.fill(orig.a, Float.NaN);
                    Arrays.fill(orig.b, Float.POSITIVE_INFINITY);
                    for (Gemm g : List.of(ejml, blas)) {
                        Operands o = orig.copy();
                        run(g, cs, o);
                        for (int i = 0; i < cs.m(); i++) {
                            for (int j = 0; j < cs.n(); j++) {
                                int ci = cs.cOff() + i * cs.ldc() + j;
                                float expect = beta == 0f ? 0f : beta * orig.c[ci];
                                assertEquals(expect, o.c[ci], 0f, g.name() + ": C[" + i + "][" + j + "] for " + cs);
                            }
                        }
                    }
                }
            }
        }
    }

    /** m = 0 or n = 0: nothing is written anywhere. */
    @Test
    void emptyOutputTouchesNothing() {
        SplittableRandom r = new SplittableRandom(13);
        for (boolean ta : BOOLS) {
            for (boolean tb : BOOLS) {
                agree(randomCase(r, ta, tb, 0, 5, 3, 1f, 0f, true), r);
                agree(randomCase(r, ta, tb, 4, 0, 3, 1f, 0.5f, true), r);
            }
        }
    }

    /** A and B may be the same array (disjoint blocks of one buffer, or literally the same block). */
    @Test
    void operandsSharingOneArray() {
        SplittableRandom r = new SplittableRandom(17);
        int rows = 9;
        int cols = 6;
        int ld = 8;
        float[] buf = new float[3 + rows * ld];
        Arrays.fill(buf, Float.NaN);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                buf[3 + i * ld + j] = (float) (2 * r.nextDouble() - 1);
            }
        }
        // C (cols x cols) = X^T X with X the rows x cols block, passed as both A and B
        for (Gemm g : List.of(ejml, blas)) {
            float[] c = new float[cols * cols];
            Arrays.fill(c, Float.NaN);
            g.gemm(true, false, cols, cols, rows, 1f, buf, 3, ld, buf, 3, ld, 0f, c, 0, cols);
            for (int i = 0; i < cols; i++) {
                for (int j = 0; j < cols; j++) {
                    double s = 0;
                    double mag = 0;
                    for (int p = 0; p < rows; p++) {
                        s += (double) buf[3 + p * ld + i] * buf[3 + p * ld + j];
                        mag += Math.abs((double) buf[3 + p * ld + i] * buf[3 + p * ld + j]);
                    }
                    assertEquals(s, c[i * cols + j], REL_TOL * mag, g.name() + " X^T X [" + i + "][" + j + "]");
                }
            }
        }
    }

    /** The EJML-matrix convenience form checks shapes and matches the array form. */
    @Test
    void wholeMatrixFormMatchesArrayForm() {
        SplittableRandom r = new SplittableRandom(19);
        FMatrixRMaj a = new FMatrixRMaj(4, 3);
        FMatrixRMaj b = new FMatrixRMaj(5, 3);
        for (int i = 0; i < a.data.length; i++) {
            a.data[i] = (float) r.nextDouble();
        }
        for (int i = 0; i < b.data.length; i++) {
            b.data[i] = (float) r.nextDouble();
        }
        List<float[]> results = new ArrayList<>();
        for (Gemm g : List.of(ejml, blas)) {
            FMatrixRMaj c = new FMatrixRMaj(4, 5);
            g.gemm(false, true, 1f, a, b, 0f, c);
            float[] direct = new float[20];
            g.gemm(false, true, 4, 5, 3, 1f, a.data, 0, 3, b.data, 0, 3, 0f, direct, 0, 5);
            assertTrue(Arrays.equals(direct, c.data), g.name());
            results.add(c.data);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> g.gemm(false, false, 1f, a, b, 0f, new FMatrixRMaj(4, 5)), g.name() + ": 3 vs 5 inner");
        }
        for (int i = 0; i < 20; i++) {
            assertEquals(results.get(0)[i], results.get(1)[i], 1e-5f * 3);
        }
    }
}
