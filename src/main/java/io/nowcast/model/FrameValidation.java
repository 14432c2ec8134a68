package io.nowcast.model;

import io.nowcast.data.GreyImage;
import io.nowcast.data.ImageNoise;
import io.nowcast.data.Resize;
import io.nowcast.data.synthetic.MovingShapes;
import io.nowcast.tensor.Rng;

import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Validation scores of frame models while they train, with inputs fixed once (seeded), so that
 * successive scores compare the weights and nothing else:
 * <ul>
 *   <li>{@link #images}: whole images; a denoiser gets them with its spec's noise (Gaussian not
 *       clipped unless the spec says so), a super-resolver their bicubic downscale (the image cropped
 *       to a multiple of the scale, the scale's border left out of the PSNR);</li>
 *   <li>{@link #video}: held-out {@link MovingShapes} scenes (seeds {@link #videoSeed}, which
 *       training never draws) run as streams, a recurrent model fed each stream's previous output
 *       (a stream's first frame its own input), PSNR averaged over every frame of every stream.</li>
 * </ul>
 * PSNR here is {@code 10 log10(1 / MSE)} of outputs clipped to [0, 1] (peak 1).
 */
public final class FrameValidation {
    private FrameValidation() {
    }

    /** Seed of held-out validation scene i (training scenes draw seeds below 2^40). */
    public static long videoSeed(int i) {
        return (1L << 41) + 1000L * i;
    }

    /** Mean PSNR of the model over the images, inputs made once with the seed. */
    public static DoubleSupplier images(FrameModel m, List<GreyImage> val, long seed) {
        FrameSpec spec = m.spec();
        int s = m.scale();
        int n = val.size();
        float[][] in = new float[n][];
        float[][] clean = new float[n][];
        int[] w = new int[n];
        int[] h = new int[n];
        Rng r = new Rng(seed);
        for (int i = 0; i < n; i++) {
            GreyImage g = val.get(i);
            w[i] = g.width() - g.width() % s;
            h[i] = g.height() - g.height() % s;
            GreyImage hr = g.crop(0, 0, w[i], h[i]);
            clean[i] = hr.pixels();
            if (s == 1) {
                in[i] = new float[w[i] * h[i]];
                ImageNoise.apply(spec.noiseModel, spec.noiseSigma, spec.noiseAmount, spec.noiseClip, clean[i], 0,
                        clean[i].length, in[i], 0, r);
            } else {
                in[i] = Resize.bicubic(hr, w[i] / s, h[i] / s).pixels();
            }
        }
        return () -> {
            if (n == 0) {
                return Double.NaN;
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float[] out = new float[w[i] * h[i]];
                m.apply(in[i], 1, h[i] / s, w[i] / s, in[i], out);
                sum += psnr(out, clean[i], w[i], h[i], s == 1 ? 0 : s);
            }
            return sum / n;
        };
    }

    /** Mean PSNR of a denoiser over held-out videos (see the class doc), noise from the spec seeded by seed. */
    public static DoubleSupplier video(FrameModel m, int side, int streams, int frames, long seed) {
        return () -> video(m, m.spec(), side, streams, frames, seed)[0];
    }

    /**
     * {mean PSNR of the model, mean PSNR of the noisy input (clipped to [0, 1])} over {@code streams}
     * held-out scenes of {@code frames} frames with the noise of {@code noise} (seeded by seed).
     */
    public static double[] video(FrameModel m, FrameSpec noise, int side, int streams, int frames, long seed) {
        int P = side * side;
        MovingShapes[] v = new MovingShapes[streams];
        for (int i = 0; i < streams; i++) {
            v[i] = new MovingShapes(side, videoSeed(i));
        }
        Rng nr = new Rng(seed);
        float[] c = new float[streams * P];
        float[] noisy = new float[streams * P];
        float[] prev = new float[streams * P];
        float[] out = new float[streams * P];
        float[] clipped = new float[P];
        double sum = 0;
        double sumNoisy = 0;
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < streams; i++) {
                v[i].frame(t, c, i * P);
            }
            ImageNoise.apply(noise.noiseModel, noise.noiseSigma, noise.noiseAmount, noise.noiseClip, c, 0, streams * P,
                    noisy, 0, nr);
            if (t == 0) {
                System.arraycopy(noisy, 0, prev, 0, streams * P);
            }
            m.apply(noisy, streams, side, side, prev, out);
            System.arraycopy(out, 0, prev, 0, streams * P);
            for (int i = 0; i < streams; i++) {
                float[] ci = Arrays.copyOfRange(c, i * P, (i + 1) * P);
                sum += psnr(Arrays.copyOfRange(out, i * P, (i + 1) * P), ci, side, side, 0);
                for (int j = 0; j < P; j++) {
                    clipped[j] = FrameNets.clip(noisy[i * P + j]);
                }
                sumNoisy += psnr(clipped, ci, side, side, 0);
            }
        }
        return new double[] {sum / (streams * frames), sumNoisy / (streams * frames)};
    }

    /** 10 log10(1 / MSE) over the w x h image without a border of {@code border} pixels. */
    public static double psnr(float[] a, float[] b, int w, int h, int border) {
        double se = 0;
        long n = 0;
        for (int y = border; y < h - border; y++) {
            for (int x = border; x < w - border; x++) {
                double d = a[y * w + x] - b[y * w + x];
                se += d * d;
                n++;
            }
        }
        return 10 * Math.log10(n / Math.max(se, 1e-20));
    }
}
