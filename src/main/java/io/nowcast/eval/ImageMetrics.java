package io.nowcast.eval;

/**
 * The two figures every image denoising and super-resolution paper reports, computed the way the
 * published tables compute them, on grey images stored row-major as floats in [0,1].
 *
 * <ul>
 * <li>PSNR = 10 log10(1 / MSE) with a peak of 1 (the same as 255 on the 8-bit scale), over the
 * image with {@code border} pixels cropped on every side (super-resolution crops the scale
 * factor); identical images give +infinity.</li>
 * <li>SSIM as in Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment: from error
 * visibility to structural similarity", IEEE TIP 2004, and their reference code
 * {@code ssim_index.m}: the images scaled to [0,255] (L = 255), local statistics under an 11x11
 * Gaussian window of sd 1.5 normalised to sum 1, only at positions where the whole window lies
 * inside the (cropped) image ("valid"), C1 = (0.01 L)^2, C2 = (0.03 L)^2, and the mean of the
 * SSIM map. No downsampling (the later {@code ssim.m} of 2009 downsamples large images; the
 * 2004 code and the denoising literature do not).</li>
 * </ul>
 * Everything is accumulated in double precision; the inputs are not modified.
 */
public final class ImageMetrics {
    /** Side of the SSIM window. */
    public static final int SSIM_WINDOW = 11;
    /** Standard deviation of the SSIM window's Gaussian, in pixels. */
    public static final double SSIM_SIGMA = 1.5;
    public static final double K1 = 0.01;
    public static final double K2 = 0.03;
    /** Dynamic range SSIM is computed on: the 8-bit scale. */
    public static final double L = 255;

    private ImageMetrics() {
    }

    /** Mean squared error over the image with {@code border} pixels cropped on every side. */
    public static double mse(float[] a, float[] b, int w, int h, int border) {
        check(a, b, w, h, border, 1);
        double s = 0;
        for (int y = border; y < h - border; y++) {
            for (int x = border; x < w - border; x++) {
                double d = (double) a[y * w + x] - b[y * w + x];
                s += d * d;
            }
        }
        return s / ((double) (w - 2 * border) * (h - 2 * border));
    }

    /** PSNR in dB for a peak of 1: 10 log10(1 / MSE); +infinity when the cropped images are equal. */
    public static double psnr(float[] a, float[] b, int w, int h, int border) {
        double mse = mse(a, b, w, h, border);
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(1 / mse);
    }

    /** The normalised 1-D Gaussian whose outer product with itself is the 2-D SSIM window. */
    static double[] gaussian1d() {
        int r = SSIM_WINDOW / 2;
        double[] g = new double[SSIM_WINDOW];
        double s = 0;
        for (int i = -r; i <= r; i++) {
            g[i + r] = Math.exp(-i * i / (2 * SSIM_SIGMA * SSIM_SIGMA));
            s += g[i + r];
        }
        for (int i = 0; i < SSIM_WINDOW; i++) {
            g[i] /= s;
        }
        return g;
    }

    /**
     * Mean SSIM (Wang et al. 2004) of {@code a} and {@code b} (w x h, values in [0,1], scaled to
     * [0,255] here) over the image with {@code border} pixels cropped on every side. The cropped
     * image must be at least 11 x 11.
     */
    public static double ssim(float[] a, float[] b, int w, int h, int border) {
        check(a, b, w, h, border, SSIM_WINDOW);
        int cw = w - 2 * border;
        int ch = h - 2 * border;
        int n = cw * ch;
        // the five images filtered: x, y, x^2, y^2, xy on the [0,255] scale, each (ch, cw)
        double[] x = new double[n];
        double[] y = new double[n];
        for (int r = 0; r < ch; r++) {
            for (int c = 0; c < cw; c++) {
                x[r * cw + c] = a[(r + border) * w + c + border] * L;
                y[r * cw + c] = b[(r + border) * w + c + border] * L;
            }
        }
        double[] xx = new double[n];
        double[] yy = new double[n];
        double[] xy = new double[n];
        for (int i = 0; i < n; i++) {
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        double[] g = gaussian1d();
        int vw = cw - SSIM_WINDOW + 1;
        int vh = ch - SSIM_WINDOW + 1;
        double[] tmp = new double[ch * vw];
        double[] mx = valid(x, cw, ch, g, tmp);
        double[] my = valid(y, cw, ch, g, tmp);
        double[] sxx = valid(xx, cw, ch, g, tmp);
        double[] syy = valid(yy, cw, ch, g, tmp);
        double[] sxy = valid(xy, cw, ch, g, tmp);
        double c1 = (K1 * L) * (K1 * L);
        double c2 = (K2 * L) * (K2 * L);
        double sum = 0;
        for (int i = 0; i < vw * vh; i++) {
            double mu1 = mx[i];
            double mu2 = my[i];
            // sigma1^2 = E[x^2] - mu1^2, sigma12 = E[xy] - mu1 mu2 (biased, as ssim_index.m)
            double s1 = sxx[i] - mu1 * mu1;
            double s2 = syy[i] - mu2 * mu2;
            double s12 = sxy[i] - mu1 * mu2;
            sum += ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s1 + s2 + c2));
        }
        return sum / (vw * vh);
    }

    /**
     * The separable window applied at every valid position: rows first into {@code tmp}
     * (ch, vw), then columns into the result (vh, vw). Correlation and convolution agree (the
     * window is symmetric).
     */
    private static double[] valid(double[] img, int cw, int ch, double[] g, double[] tmp) {
        int k = g.length;
        int vw = cw - k + 1;
        int vh = ch - k + 1;
        for (int r = 0; r < ch; r++) {
            int row = r * cw;
            for (int c = 0; c < vw; c++) {
                double s = 0;
                for (int i = 0; i < k; i++) {
                    s += g[i] * img[row + c + i];
                }
                tmp[r * vw + c] = s;
            }
        }
        double[] out = new double[vh * vw];
        for (int r = 0; r < vh; r++) {
            for (int c = 0; c < vw; c++) {
                double s = 0;
                for (int i = 0; i < k; i++) {
                    s += g[i] * tmp[(r + i) * vw + c];
                }
                out[r * vw + c] = s;
            }
        }
        return out;
    }

    private static void check(float[] a, float[] b, int w, int h, int border, int minSide) {
        if (w <= 0 || h <= 0 || a.length != w * h || b.length != w * h) {
            throw new IllegalArgumentException("images of " + a.length + " and " + b.length + " pixels for " + w + " x " + h
                    + ": expected " + (long) w * h + " each");
        }
        if (border < 0 || w - 2 * border < minSide || h - 2 * border < minSide) {
            throw new IllegalArgumentException(w + " x " + h + " with " + border + " border pixels cropped leaves less than "
                    + minSide + " x " + minSide);
        }
    }
}
