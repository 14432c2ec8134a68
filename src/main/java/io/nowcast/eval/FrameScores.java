package io.nowcast.eval;

import io.nowcast.tensor.Rng;

import java.util.List;

/**
 * The evaluation protocol of frame denoising and super-resolution, shared by every method: how
 * the noisy input is drawn and how an output is scored.
 *
 * <p>Noise: clean + N(0, (sigma/255)^2) from one seeded {@link Rng}, pixel after pixel, image after
 * image; the methods see it unclipped (unless asked otherwise), their outputs are clipped to
 * [0,1] before scoring, and the noisy input's own row is scored on the clipped noisy image (what
 * an 8-bit camera would deliver).
 */
public final class FrameScores {
    private FrameScores() {
    }

    /** One method's PSNR and SSIM per image, with the setting it ran at ("" when it has none). */
    public record Row(String key, String label, String setting, double[] psnr, double[] ssim) {
        public double meanPsnr() {
            return mean(psnr);
        }

        public double meanSsim() {
            return mean(ssim);
        }
    }

    /** clean + N(0, (sigma/255)^2), drawn from {@code rng}; clipped to [0,1] only when {@code clip}. */
    public static float[] noisy(float[] clean, double sigma255, Rng rng, boolean clip) {
        float[] x = new float[clean.length];
        double sd = sigma255 / 255.0;
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (clean[i] + sd * rng.nextGaussian());
        }
        return clip ? ImageBaselines.clip(x) : x;
    }

    /**
     * Scores outputs against clean images (each w[i] x h[i]) with {@code border} pixels cropped.
     * The outputs are clipped to [0,1] first (in place).
     */
    public static Row score(String key, String label, String setting, List<float[]> clean, List<float[]> outputs,
                            int[] w, int[] h, int border) {
        if (clean.size() != outputs.size()) {
            throw new IllegalArgumentException(label + ": " + outputs.size() + " outputs for " + clean.size() + " images");
        }
        double[] p = new double[clean.size()];
        double[] s = new double[clean.size()];
        for (int i = 0; i < p.length; i++) {
            float[] o = ImageBaselines.clip(outputs.get(i));
            p[i] = ImageMetrics.psnr(clean.get(i), o, w[i], h[i], border);
            s[i] = ImageMetrics.ssim(clean.get(i), o, w[i], h[i], border);
        }
        return new Row(key, label, setting, p, s);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }
}
