package io.nowcast.run.eval;

import java.util.List;

/**
 * The options only {@code nowcast eval --task series-denoise} reads (the frame tasks share
 * --sigma), null when not given but for the noise seed and the number of draws.
 */
public record SeriesDenoiseEvalOptions(List<String> columns, String noise, Float sigma, Float amount, long noiseSeed,
                                       int noiseDraws) {
    /** The seed of the noise unless --noise-seed is given. */
    public static final long DEFAULT_NOISE_SEED = 20261126L;

    /** Another task was asked for: these options must not be silently ignored. */
    public void refuse(String task) {
        if (columns != null || noise != null || sigma != null || amount != null || noiseSeed != DEFAULT_NOISE_SEED
                || noiseDraws != 1) {
            throw new IllegalArgumentException("--columns, --noise, --sigma, --amount, --noise-seed and --noise-draws are"
                    + " for --task series-denoise, not " + task);
        }
    }
}
