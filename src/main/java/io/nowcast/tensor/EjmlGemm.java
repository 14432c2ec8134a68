package io.nowcast.tensor;

import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;

/**
 * The reference backend: EJML's {@link CommonOps_FDRM} products. Always available, pure Java.
 * Views with offsets or strides are copied into scratch matrices first (EJML matrices have no
 * offset), so this backend is for correctness and for machines without a native BLAS.
 */
public final class EjmlGemm implements Gemm {
    private final FMatrixRMaj sa = new FMatrixRMaj(1, 1);
    private final FMatrixRMaj sb = new FMatrixRMaj(1, 1);
    private final FMatrixRMaj sc = new FMatrixRMaj(1, 1);
    private final FMatrixRMaj prod = new FMatrixRMaj(1, 1);

    @Override
    public String name() {
        return "ejml";
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        FMatrixRMaj ma = view(sa, a, aOff, lda, transA ? k : m, transA ? m : k);
        FMatrixRMaj mb = view(sb, b, bOff, ldb, transB ? n : k, transB ? k : n);
        prod.reshape(m, n);
        if (k == 0 || alpha == 0f) {
            // as BLAS: with alpha = 0 A and B are not read, so NaN or Inf in them does not reach C
            prod.zero();
        } else if (transA && transB) {
            CommonOps_FDRM.multTransAB(alpha, ma, mb, prod);
        } else if (transA) {
            CommonOps_FDRM.multTransA(alpha, ma, mb, prod);
        } else if (transB) {
            CommonOps_FDRM.multTransB(alpha, ma, mb, prod);
        } else {
            CommonOps_FDRM.mult(alpha, ma, mb, prod);
        }
        float[] p = prod.data;
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            int pi = i * n;
            if (beta == 0f) {
                System.arraycopy(p, pi, c, ci, n);
            } else {
                for (int j = 0; j < n; j++) {
                    c[ci + j] = beta * c[ci + j] + p[pi + j];
                }
            }
        }
    }

    /** Copies the rows x cols block at off (row stride ld) into scratch, unless it is already a whole matrix. */
    private static FMatrixRMaj view(FMatrixRMaj scratch, float[] src, int off, int ld, int rows, int cols) {
        scratch.reshape(rows, cols);
        float[] d = scratch.data;
        for (int i = 0; i < rows; i++) {
            System.arraycopy(src, off + i * ld, d, i * cols, cols);
        }
        return scratch;
    }
}
