package io.nowcast.data;

/**
 * MATLAB-compatible bicubic resizing ({@code imresize(I, [h w], 'bicubic')}, the default
 * antialiasing on): Keys' cubic kernel with a = -0.5; when shrinking by a factor s < 1 the kernel
 * is widened to {@code s * cubic(s x)} (4 / s pixels wide) so it low-pass filters first; pixel
 * centres map by {@code u = x / s + 0.5 (1 - 1 / s)} (1-based); weights are normalised to sum to
 * one; borders are mirrored symmetrically ({@code 1 2 3 ... n n n-1 ...}). The two dimensions are
 * resized one after the other, the one with the smaller factor first (rows first on a tie), as
 * MATLAB does. Values are not rounded or clipped (MATLAB rounds only for integer images), so
 * "shrink by k then enlarge by k" matches the published super-resolution protocol up to rounding.
 */
public final class Resize {
    private Resize() {
    }

    /** The image resized to {@code newW x newH}. */
    public static GreyImage bicubic(GreyImage img, int newW, int newH) {
        float[] out = new float[newW * newH];
        bicubic(img.pixels(), img.width(), img.height(), newW, newH, out);
        return new GreyImage(newW, newH, out);
    }

    /** {@code src} (h x w, row-major) resized into {@code dst} (newH x newW). */
    public static void bicubic(float[] src, int w, int h, int newW, int newH, float[] dst) {
        if (w <= 0 || h <= 0 || newW <= 0 || newH <= 0) {
            throw new IllegalArgumentException("resize " + w + "x" + h + " to " + newW + "x" + newH);
        }
        Weights wx = weights(w, newW);
        Weights wy = weights(h, newH);
        double sx = (double) newW / w;
        double sy = (double) newH / h;
        if (sy <= sx) {
            // rows (height) first: (h, w) -> (newH, w), then columns
            float[] tmp = new float[newH * w];
            resizeRows(src, w, wy, tmp);
            resizeCols(tmp, newH, w, wx, dst);
        } else {
            float[] tmp = new float[h * newW];
            resizeCols(src, h, w, wx, tmp);
            resizeRows(tmp, newW, wy, dst);
        }
    }

    /** Per output index: taps source indices (0-based, mirrored) and weights, P of each. */
    record Weights(int out, int taps, int[] index, double[] weight) {
    }

    /** The output pixel weights for resizing a line of n pixels to m (MATLAB's contributions()). */
    static Weights weights(int n, int m) {
        double scale = (double) m / n;
        boolean shrink = scale < 1;
        double kernelWidth = shrink ? 4.0 / scale : 4.0;
        int P = (int) Math.ceil(kernelWidth) + 2;
        int[] idx = new int[m * P];
        double[] wt = new double[m * P];
        for (int i = 0; i < m; i++) {
            double x = i + 1;                                   // 1-based output coordinate
            double u = x / scale + 0.5 * (1 - 1 / scale);       // its position in the input
            int left = (int) Math.floor(u - kernelWidth / 2);
            double sum = 0;
            for (int p = 0; p < P; p++) {
                int j = left + p;                               // 1-based input index
                double d = u - j;
                double v = shrink ? scale * cubic(scale * d) : cubic(d);
                wt[i * P + p] = v;
                sum += v;
                idx[i * P + p] = mirror(j - 1, n);
            }
            for (int p = 0; p < P; p++) {
                wt[i * P + p] /= sum;
            }
        }
        return new Weights(m, P, idx, wt);
    }

    /** Keys' cubic convolution kernel, a = -0.5. */
    static double cubic(double x) {
        double a = Math.abs(x);
        double a2 = a * a;
        double a3 = a2 * a;
        if (a <= 1) {
            return 1.5 * a3 - 2.5 * a2 + 1;
        }
        if (a <= 2) {
            return -0.5 * a3 + 2.5 * a2 - 4 * a + 2;
        }
        return 0;
    }

    /** A 0-based index reflected into [0, n): ... 1 0 | 0 1 ... n-1 | n-1 n-2 ... (MATLAB's symmetric padding). */
    static int mirror(int j, int n) {
        int period = 2 * n;
        int m = ((j % period) + period) % period;
        return m < n ? m : period - 1 - m;
    }

    /** (h, w) -> (wy.out, w): each output row a weighted sum of input rows. */
    private static void resizeRows(float[] src, int w, Weights wy, float[] dst) {
        int P = wy.taps;
        double[] acc = new double[w];
        for (int i = 0; i < wy.out; i++) {
            java.util.Arrays.fill(acc, 0);
            for (int p = 0; p < P; p++) {
                double c = wy.weight[i * P + p];
                if (c == 0) {
                    continue;
                }
                int off = wy.index[i * P + p] * w;
                for (int x = 0; x < w; x++) {
                    acc[x] += c * src[off + x];
                }
            }
            for (int x = 0; x < w; x++) {
                dst[i * w + x] = (float) acc[x];
            }
        }
    }

    /** (h, w) -> (h, wx.out): each output column a weighted sum of input columns. */
    private static void resizeCols(float[] src, int h, int w, Weights wx, float[] dst) {
        int P = wx.taps;
        int m = wx.out;
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int i = 0; i < m; i++) {
                double acc = 0;
                for (int p = 0; p < P; p++) {
                    acc += wx.weight[i * P + p] * src[row + wx.index[i * P + p]];
                }
                dst[y * m + i] = (float) acc;
            }
        }
    }
}
