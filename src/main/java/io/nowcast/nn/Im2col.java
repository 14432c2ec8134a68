package io.nowcast.nn;

/**
 * The patch matrices of a k x k convolution with stride s, zero padding p and dilation d, one frame
 * at a time. The patch matrix of a (C, H, W) frame is (C*k*k, OH*OW): row {@code (c*k + ki)*k + kj},
 * column {@code oh*OW + ow} holds {@code x[c, oh*s - p + ki*d, ow*s - p + kj*d]}, 0 outside the frame. A
 * convolution is then one matrix product, {@code y (OC, OH*OW) = W (OC, C*k*k) cols}.
 *
 * <p>{@link #col2im} is the adjoint of {@link #im2col}: every patch entry is added back to the
 * pixel it came from, so a pixel that lies in several patches (k > s) receives their sum.
 */
final class Im2col {
    private Im2col() {
    }

    /** (in + 2p - k) / s + 1: the output size of a k-wide window sliding by s over in + 2p. */
    static int outSize(int in, int k, int s, int p) {
        return outSize(in, k, s, p, 1);
    }

    /** The output size with dilation d: the window spans d*(k - 1) + 1 pixels. */
    static int outSize(int in, int k, int s, int p, int d) {
        return (in + 2 * p - d * (k - 1) - 1) / s + 1;
    }

    /** The first output position o with {@code 0 <= o*s - p + kk}, at least 0. */
    private static int lo(int kk, int s, int p) {
        int d = p - kk;
        return d <= 0 ? 0 : (d + s - 1) / s;
    }

    /** One past the last output position o with {@code o*s - p + kk < in}, at most out. */
    private static int hi(int in, int out, int kk, int s, int p) {
        int d = in - 1 + p - kk;
        return d < 0 ? 0 : Math.min(out, d / s + 1);
    }

    /**
     * cols (C*k*k, OH*OW) = patches of x (C, H, W) at xOff; every entry of cols is written.
     */
    static void im2col(float[] cols, float[] x, int xOff, int C, int H, int W, int k, int s, int p, int OH, int OW) {
        im2col(cols, x, xOff, C, H, W, k, s, p, 1, OH, OW);
    }

    /** im2col with dilation d: kernel tap (ki, kj) reads the pixel (ki*d, kj*d) from the window's corner. */
    static void im2col(float[] cols, float[] x, int xOff, int C, int H, int W, int k, int s, int p, int d, int OH, int OW) {
        int P = OH * OW;
        for (int c = 0; c < C; c++) {
            for (int ki = 0; ki < k; ki++) {
                int ohLo = Math.min(OH, lo(ki * d, s, p));
                int ohHi = Math.max(ohLo, hi(H, OH, ki * d, s, p));
                for (int kj = 0; kj < k; kj++) {
                    int row = ((c * k + ki) * k + kj) * P;
                    int owLo = Math.min(OW, lo(kj * d, s, p));
                    int owHi = Math.max(owLo, hi(W, OW, kj * d, s, p));
                    java.util.Arrays.fill(cols, row, row + ohLo * OW, 0f);
                    for (int oh = ohLo; oh < ohHi; oh++) {
                        int o = row + oh * OW;
                        int xi = xOff + (c * H + oh * s - p + ki * d) * W - p + kj * d;
                        java.util.Arrays.fill(cols, o, o + owLo, 0f);
                        if (s == 1) {
                            System.arraycopy(x, xi + owLo, cols, o + owLo, owHi - owLo);
                        } else {
                            for (int ow = owLo; ow < owHi; ow++) {
                                cols[o + ow] = x[xi + ow * s];
                            }
                        }
                        java.util.Arrays.fill(cols, o + owHi, o + OW, 0f);
                    }
                    java.util.Arrays.fill(cols, row + ohHi * OW, row + P, 0f);
                }
            }
        }
    }

    /**
     * x (C, H, W) at xOff += the patches cols (C*k*k, OH*OW) added back to their pixels (the
     * adjoint of im2col); entries that fall in the padding are dropped. x is not zeroed first.
     */
    static void col2im(float[] x, int xOff, float[] cols, int C, int H, int W, int k, int s, int p, int OH, int OW) {
        col2im(x, xOff, cols, C, H, W, k, s, p, 1, OH, OW);
    }

    /** col2im with dilation d, the adjoint of {@link #im2col(float[], float[], int, int, int, int, int, int, int, int, int, int)}. */
    static void col2im(float[] x, int xOff, float[] cols, int C, int H, int W, int k, int s, int p, int d, int OH, int OW) {
        int P = OH * OW;
        for (int c = 0; c < C; c++) {
            for (int ki = 0; ki < k; ki++) {
                int ohLo = lo(ki * d, s, p);
                int ohHi = hi(H, OH, ki * d, s, p);
                for (int kj = 0; kj < k; kj++) {
                    int row = ((c * k + ki) * k + kj) * P;
                    int owLo = lo(kj * d, s, p);
                    int owHi = hi(W, OW, kj * d, s, p);
                    for (int oh = ohLo; oh < ohHi; oh++) {
                        int o = row + oh * OW;
                        int xi = xOff + (c * H + oh * s - p + ki * d) * W - p + kj * d;
                        for (int ow = owLo; ow < owHi; ow++) {
                            x[xi + ow * s] += cols[o + ow];
                        }
                    }
                }
            }
        }
    }
}
