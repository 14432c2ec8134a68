package io.nowcast.data;

import io.nowcast.tensor.Rng;

import java.util.List;

/**
 * Seeded noise for grey images in [0, 1] (the frame denoisers' training and evaluation noise):
 * <ul>
 *   <li>{@code gaussian}: {@code clean + N(0, (sigma / 255)^2)}, sigma on the 0-255 scale;</li>
 *   <li>{@code salt-pepper}: a share {@code amount} of pixels set to 0 or 1 (half each);</li>
 *   <li>{@code mask}: a share {@code amount} of pixels set to 0 (dropped);</li>
 *   <li>{@code poisson}: photon noise, {@code Poisson(peak * clean) / peak} with {@code peak = sigma}
 *       photons at white (smaller is noisier).</li>
 * </ul>
 * Gaussian noise is not clipped unless asked ({@code clip}), as in the evaluation protocol; the
 * other models stay in [0, 1] by construction.
 */
public final class ImageNoise {
    public static final List<String> MODELS = List.of("gaussian", "salt-pepper", "mask", "poisson");

    private ImageNoise() {
    }

    /** Checks a noise description; returns null when good, else what is wrong. */
    public static String check(String model, float sigma, float amount) {
        if (!MODELS.contains(model)) {
            return "expected one of " + MODELS + ", found \"" + model + "\"";
        }
        if ((model.equals("gaussian") || model.equals("poisson")) && !(sigma > 0 && sigma < 1e6)) {
            return model + " noise needs sigma > 0, found " + sigma;
        }
        if ((model.equals("salt-pepper") || model.equals("mask")) && !(amount > 0 && amount <= 1)) {
            return model + " noise needs an amount in (0, 1], found " + amount;
        }
        return null;
    }

    /**
     * out[i] = noisy clean[i] for i in [0, n): the model's noise drawn from rng; Gaussian values
     * are clipped to [0, 1] when {@code clip}. out may be clean itself.
     */
    public static void apply(String model, float sigma, float amount, boolean clip, float[] clean, int off, int n,
                             float[] out, int outOff, Rng rng) {
        switch (model) {
            case "gaussian": {
                float s = sigma / 255f;
                for (int i = 0; i < n; i++) {
                    float v = clean[off + i] + s * (float) rng.nextGaussian();
                    out[outOff + i] = clip ? Math.max(0f, Math.min(1f, v)) : v;
                }
                break;
            }
            case "salt-pepper":
                for (int i = 0; i < n; i++) {
                    double u = rng.nextDouble();
                    out[outOff + i] = u < amount / 2 ? 0f : u < amount ? 1f : clean[off + i];
                }
                break;
            case "mask":
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = rng.nextDouble() < amount ? 0f : clean[off + i];
                }
                break;
            case "poisson":
                for (int i = 0; i < n; i++) {
                    double lambda = sigma * Math.max(0f, clean[off + i]);
                    out[outOff + i] = Math.min(1f, (float) (poisson(lambda, rng) / sigma));
                }
                break;
            default:
                throw new IllegalArgumentException("noise model: " + check(model, sigma, amount));
        }
    }

    /** Gaussian noise of sigma (0-255 scale) over a whole image, not clipped: the evaluation protocol's noisy input. */
    public static GreyImage gaussian(GreyImage clean, float sigma, Rng rng) {
        float[] p = new float[clean.pixels().length];
        apply("gaussian", sigma, 0f, false, clean.pixels(), 0, p.length, p, 0, rng);
        return new GreyImage(clean.width(), clean.height(), p);
    }

    /** A Poisson draw: Knuth's product of uniforms for small means, a rounded normal above 60. */
    static int poisson(double lambda, Rng rng) {
        if (lambda <= 0) {
            return 0;
        }
        if (lambda > 60) {
            return (int) Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.nextGaussian()));
        }
        double l = Math.exp(-lambda);
        int k = 0;
        double p = 1;
        do {
            k++;
            p *= rng.nextDouble();
        } while (p > l);
        return k - 1;
    }
}
