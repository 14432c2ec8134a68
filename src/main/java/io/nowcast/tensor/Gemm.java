package io.nowcast.tensor;

/**
 * The one matrix-product entry point of Nowcast: {@code C = alpha * op(A) * op(B) + beta * C} on
 * row-major float32 arrays, with offsets and leading dimensions so that a row block of a larger
 * matrix (one time step of a sequence buffer, say) is used in place without a copy.
 *
 * <p>{@code op(A)} is {@code m x k}, {@code op(B)} is {@code k x n}, {@code C} is {@code m x n}.
 * {@code lda} is the row stride of A as stored (its number of columns when it is a whole matrix),
 * likewise {@code ldb} and {@code ldc}. C is modified; A and B are not and must not alias C.
 * As in reference BLAS, C is not read when {@code beta} is 0 (NaN there is overwritten), and A and
 * B are not read when {@code alpha} or {@code k} is 0.
 *
 * <p>Implementations are stateless apart from scratch space and are not thread-safe unless they
 * say so.
 */
public interface Gemm {

    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              float[] a, int aOff, int lda,
              float[] b, int bOff, int ldb,
              float beta, float[] c, int cOff, int ldc);

    /** A short name for logs and benchmark output, e.g. {@code ejml} or {@code blas-native}. */
    String name();

    /** Whole-matrix form on EJML matrices: {@code c = alpha * op(a) * op(b) + beta * c}. */
    default void gemm(boolean transA, boolean transB, float alpha,
                      org.ejml.data.FMatrixRMaj a, org.ejml.data.FMatrixRMaj b,
                      float beta, org.ejml.data.FMatrixRMaj c) {
        int m = transA ? a.numCols : a.numRows;
        int k = transA ? a.numRows : a.numCols;
        int kb = transB ? b.numCols : b.numRows;
        int n = transB ? b.numRows : b.numCols;
        if (k != kb || c.numRows != m || c.numCols != n) {
            throw new IllegalArgumentException("gemm shapes: op(A) " + m + "x" + k + ", op(B) " + kb + "x" + n
                    + ", C " + c.numRows + "x" + c.numCols);
        }
        gemm(transA, transB, m, n, k, alpha, a.data, 0, a.numCols, b.data, 0, b.numCols, beta, c.data, 0, c.numCols);
    }
}
