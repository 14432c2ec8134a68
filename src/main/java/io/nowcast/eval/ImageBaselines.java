package io.nowcast.eval;

import io.nowcast.data.GreyImage;
import io.nowcast.data.Resize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The honest baselines of image denoising: a Gaussian blur and a median filter, each at the
 * setting that scores best on the very set being evaluated (an oracle choice, which favours the
 * baselines, so that a model beating them has earned it); and of super-resolution: bicubic
 * upscaling, with the published protocol's high- and low-resolution pair ({@link #srPair}).
 *
 * <p>Borders: both filters read outside the image through half-sample symmetric reflection
 * ({@code ... c b a | a b c ... }, MATLAB's {@code 'symmetric'}, scipy.ndimage's
 * {@code 'reflect'}): the edge pixel is repeated once, then the image mirrored. Outputs are
 * clipped to [0,1], as the evaluation protocol clips every method's output; inputs (the unclipped
 * noisy images) are not modified.
 *
 * <p>The search: the mean PSNR over the set, one setting for the whole set. The blur's sd goes
 * over a coarse grid of 0.25 steps from 0.25 to 5, then in 0.05 steps from 0.25 below to 0.25
 * above the best coarse value (PSNR is unimodal in sd in practice; the coarse grid makes a
 * second mode 0.25 apart visible anyway). The median's window side goes 3, 5, 7, ... until
 * two sizes in a row score below the best, or to 15.
 */
public final class ImageBaselines {
    /** Gaussian kernel truncated at this many sds (scipy.ndimage's default). */
    public static final double TRUNCATE = 4.0;

    private ImageBaselines() {
    }

    /** A clean image, the noisy input the methods see, and its size. */
    public record Pair(float[] clean, float[] noisy, int width, int height) {
        public Pair {
            if (clean.length != width * height || noisy.length != width * height) {
                throw new IllegalArgumentException("clean " + clean.length + " and noisy " + noisy.length + " pixels for "
                        + width + " x " + height);
            }
        }
    }

    /**
     * A filter at its chosen setting: {@code setting} is the blur's sd in pixels or the median's
     * window side; {@code outputs} are the filtered, clipped images in the order of the set.
     */
    public record Best(String method, double setting, double meanPsnr, List<float[]> outputs) {
        /** "sigma=1.35" or "5x5". */
        public String describe() {
            return method.equals("median") ? (int) setting + "x" + (int) setting
                    : String.format(Locale.ROOT, "sigma=%.2f", setting);
        }
    }

    /** A super-resolution test pair: HR, and LR = its bicubic downscale by {@code scale}. */
    public record SrPair(GreyImage hr, GreyImage lr, int scale) {
    }

    /**
     * The published protocol's pair: HR = the image cropped (from the top left) to a multiple of
     * k in each dimension, LR = {@link Resize#bicubic} of HR to (w/k) x (h/k) (MATLAB imresize's,
     * antialiased), neither rounded to 8 bits.
     */
    public static SrPair srPair(GreyImage img, int k) {
        if (k < 2 || img.width() < k || img.height() < k) {
            throw new IllegalArgumentException("super-resolution x" + k + " of a " + img.width() + " x " + img.height()
                    + " image: expected a scale >= 2 no larger than the image");
        }
        int lw = img.width() / k;
        int lh = img.height() / k;
        GreyImage hr = lw * k == img.width() && lh * k == img.height() ? img : img.crop(0, 0, lw * k, lh * k);
        return new SrPair(hr, Resize.bicubic(hr, lw, lh), k);
    }

    /** The bicubic baseline: LR upscaled by k ({@link Resize#bicubic}), clipped to [0,1]. */
    public static GreyImage bicubic(GreyImage lr, int k) {
        GreyImage up = Resize.bicubic(lr, lr.width() * k, lr.height() * k);
        clip(up.pixels());
        return up;
    }

    /** Reflected index: half-sample symmetric, valid for any i (the pattern repeats every 2n). */
    static int reflect(int i, int n) {
        int p = 2 * n;
        i %= p;
        if (i < 0) {
            i += p;
        }
        return i < n ? i : p - 1 - i;
    }

    /** The normalised Gaussian kernel of sd {@code sigma}, radius ceil(TRUNCATE sigma) (at least 1). */
    static float[] kernel(double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("Gaussian blur sd " + sigma + ": expected > 0");
        }
        int r = Math.max(1, (int) Math.ceil(TRUNCATE * sigma));
        double[] k = new double[2 * r + 1];
        double s = 0;
        for (int i = -r; i <= r; i++) {
            k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
            s += k[i + r];
        }
        float[] f = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            f[i] = (float) (k[i] / s);
        }
        return f;
    }

    /**
     * out = in blurred by a Gaussian of sd {@code sigma} pixels, separable (rows, then columns),
     * reflected borders, NOT clipped. {@code out} (w*h) must not alias {@code in}.
     */
    public static void gaussianBlur(float[] in, int w, int h, double sigma, float[] out) {
        float[] k = kernel(sigma);
        int r = k.length / 2;
        float[] tmp = new float[w * h];
        int[] xs = new int[w + 2 * r];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = reflect(i - r, w);
        }
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int x = 0; x < w; x++) {
                float s = 0;
                for (int i = 0; i < k.length; i++) {
                    s += k[i] * in[row + xs[x + i]];
                }
                tmp[row + x] = s;
            }
        }
        int[] ys = new int[h + 2 * r];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = reflect(i - r, h) * w;
        }
        for (int y = 0; y < h; y++) {
            int row = y * w;
            Arrays.fill(out, row, row + w, 0f);
            for (int i = 0; i < k.length; i++) {
                float ki = k[i];
                int src = ys[y + i];
                for (int x = 0; x < w; x++) {
                    out[row + x] += ki * tmp[src + x];
                }
            }
        }
    }

    /**
     * out = the median of each {@code size} x {@code size} neighbourhood of {@code in} (size odd,
     * reflected borders), NOT clipped. {@code out} (w*h) must not alias {@code in}.
     */
    public static void median(float[] in, int w, int h, int size, float[] out) {
        if (size < 1 || size % 2 == 0) {
            throw new IllegalArgumentException("median window side " + size + ": expected an odd number >= 1");
        }
        int r = size / 2;
        float[] win = new float[size * size];
        int mid = win.length / 2;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int n = 0;
                for (int dy = -r; dy <= r; dy++) {
                    int row = reflect(y + dy, h) * w;
                    for (int dx = -r; dx <= r; dx++) {
                        win[n++] = in[row + reflect(x + dx, w)];
                    }
                }
                out[y * w + x] = select(win, mid);
            }
        }
    }

    /** The k-th smallest of a (reordered in place): Hoare's quickselect. */
    static float select(float[] a, int k) {
        int lo = 0;
        int hi = a.length - 1;
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return a[k];
            }
        }
        return a[k];
    }

    /** Clips to [0,1] in place and returns x. */
    public static float[] clip(float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.min(1f, Math.max(0f, x[i]));
        }
        return x;
    }

    /** One filter at one setting, applied to a noisy image. */
    @FunctionalInterface
    interface Filter {
        void apply(float[] in, int w, int h, double setting, float[] out);
    }

    private record Scored(double meanPsnr, List<float[]> outputs) {
    }

    private static Scored score(List<Pair> set, Filter f, double setting) {
        double sum = 0;
        List<float[]> outs = new ArrayList<>(set.size());
        for (Pair p : set) {
            float[] out = new float[p.clean.length];
            f.apply(p.noisy, p.width, p.height, setting, out);
            clip(out);
            sum += ImageMetrics.psnr(p.clean, out, p.width, p.height, 0);
            outs.add(out);
        }
        return new Scored(sum / set.size(), outs);
    }

    /** The Gaussian blur at the sd of best mean PSNR on {@code set}: coarse 0.25 steps, then 0.05. */
    public static Best bestGaussian(List<Pair> set) {
        requireNonEmpty(set);
        Filter f = (in, w, h, s, out) -> gaussianBlur(in, w, h, s, out);
        double best = 0;
        Scored bs = null;
        for (int i = 1; i <= 20; i++) {
            double s = 0.25 * i;
            Scored sc = score(set, f, s);
            if (bs == null || sc.meanPsnr > bs.meanPsnr) {
                best = s;
                bs = sc;
            }
        }
        double coarse = best;
        for (int i = -5; i <= 5; i++) {
            double s = Math.round((coarse + 0.05 * i) * 100) / 100.0;
            if (i == 0 || s <= 0) {
                continue;
            }
            Scored sc = score(set, f, s);
            if (sc.meanPsnr > bs.meanPsnr) {
                best = s;
                bs = sc;
            }
        }
        return new Best("gaussian", best, bs.meanPsnr, bs.outputs);
    }

    /** The median filter at the window side of best mean PSNR on {@code set}: 3, 5, 7, ... (at most 15). */
    public static Best bestMedian(List<Pair> set) {
        requireNonEmpty(set);
        Filter f = (in, w, h, s, out) -> median(in, w, h, (int) s, out);
        int best = 0;
        Scored bs = null;
        int worse = 0;
        for (int size = 3; size <= 15 && worse < 2; size += 2) {
            Scored sc = score(set, f, size);
            if (bs == null || sc.meanPsnr > bs.meanPsnr) {
                best = size;
                bs = sc;
                worse = 0;
            } else {
                worse++;
            }
        }
        return new Best("median", best, bs.meanPsnr, bs.outputs);
    }

    private static void requireNonEmpty(List<Pair> set) {
        if (set.isEmpty()) {
            throw new IllegalArgumentException("no image to choose a filter setting on");
        }
    }
}
