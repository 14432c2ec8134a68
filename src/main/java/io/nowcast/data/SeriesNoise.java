package io.nowcast.data;

import io.nowcast.tensor.Rng;

import java.util.List;

/**
 * Noise added to a multi-channel series, seeded, in units of each column's scale (its standard
 * deviation over the training rows): what a series denoiser is trained to remove and scored on.
 * <ul>
 * <li>{@code gaussian}: every value gets sigma * std * N(0, 1);
 * <li>{@code salt-pepper}: a share {@code amount} of the values, drawn independently, is replaced by
 *     mean + 3 std or mean - 3 std (half each): an impulse far outside the usual range;
 * <li>{@code mask}: a share {@code amount} of the values is replaced by the column mean, as a missing
 *     reading filled with the mean would be.
 * </ul>
 * Values are (T, D) row-major; draws go row by row, column by column, so one seed gives one noise.
 */
public final class SeriesNoise {
    public static final List<String> MODELS = List.of("gaussian", "salt-pepper", "mask");
    /** Distance of salt and pepper from the mean, in standard deviations. */
    public static final float IMPULSE = 3f;

    public final String model;
    public final float sigma;
    public final float amount;

    public SeriesNoise(String model, float sigma, float amount) {
        if (!MODELS.contains(model)) {
            throw new IllegalArgumentException("noise model " + model + ": expected one of " + MODELS);
        }
        if (!(sigma >= 0 && sigma < 1e6)) {
            throw new IllegalArgumentException("sigma must be finite and >= 0, got " + sigma);
        }
        if (!(amount >= 0 && amount <= 1)) {
            throw new IllegalArgumentException("amount must be in [0, 1], got " + amount);
        }
        if (model.equals("gaussian") ? sigma == 0 : amount == 0) {
            throw new IllegalArgumentException(model.equals("gaussian") ? "gaussian noise needs sigma > 0"
                    : model + " noise needs amount > 0 (the share of values hit)");
        }
        this.model = model;
        this.sigma = sigma;
        this.amount = amount;
    }

    /**
     * Adds the noise in place to rows [0, T) of {@code v} (T, D), column j having mean
     * {@code mean[j]} and scale {@code std[j]} (zeros and ones for standardised values).
     */
    public void apply(float[] v, int T, int D, float[] mean, float[] std, Rng rng) {
        switch (model) {
            case "gaussian" -> {
                for (int t = 0; t < T; t++) {
                    for (int j = 0; j < D; j++) {
                        v[t * D + j] += (float) (sigma * std[j] * rng.nextGaussian());
                    }
                }
            }
            case "salt-pepper" -> {
                for (int t = 0; t < T; t++) {
                    for (int j = 0; j < D; j++) {
                        if (rng.nextDouble() < amount) {
                            v[t * D + j] = mean[j] + (rng.nextDouble() < 0.5 ? -IMPULSE : IMPULSE) * std[j];
                        }
                    }
                }
            }
            case "mask" -> {
                for (int t = 0; t < T; t++) {
                    for (int j = 0; j < D; j++) {
                        if (rng.nextDouble() < amount) {
                            v[t * D + j] = mean[j];
                        }
                    }
                }
            }
            default -> throw new IllegalStateException(model);
        }
    }

    /** E.g. "gaussian sigma 0.5 std" or "mask 10%". */
    public String describe() {
        return model.equals("gaussian") ? "gaussian, sigma " + sigma + " x each column's std"
                : model + ", " + amount * 100 + "% of the values";
    }
}
