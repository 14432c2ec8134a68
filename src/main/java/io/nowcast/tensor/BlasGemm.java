package io.nowcast.tensor;

import dev.ludovic.netlib.blas.BLAS;

/**
 * sgemm through netlib's BLAS binding ({@code dev.ludovic.netlib:blas}). When the system has a
 * native BLAS ({@code libblas.so.3}, e.g. Debian's {@code libopenblas0}) the JNI path calls it
 * without copying the arrays; otherwise netlib falls back to its Java implementation.
 *
 * <p>BLAS is column-major; a row-major {@code C = op(A) op(B)} is the column-major
 * {@code C' = op(B)' op(A)'}, so the operands are passed swapped and nothing is transposed or copied.
 */
public final class BlasGemm implements Gemm {
    private final BLAS blas;

    public BlasGemm(BLAS blas) {
        this.blas = blas;
    }

    /** True when netlib found a native BLAS library (the fast path). */
    public boolean isNative() {
        return blas.getClass().getSimpleName().startsWith("JNI");
    }

    @Override
    public String name() {
        return isNative() ? "blas-native" : "blas-java(" + blas.getClass().getSimpleName() + ")";
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            // alpha op(A) op(B) is an m x n zero matrix: C = beta C, A and B unread (reference BLAS).
            // Done here because netlib's argument checks reject k = 0 (they compute the last index of
            // an empty operand) and OpenBLAS reads A and B even when alpha = 0 (NaN * 0 reaches C).
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    c[ci + j] = beta == 0f ? 0f : beta * c[ci + j];
                }
            }
            return;
        }
        // column-major: C'(n x m) = op(B)'(n x k) * op(A)'(k x m)
        blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha,
                b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }
}
