package io.nowcast.run.train;

import java.util.List;

/**
 * The options only {@code nowcast train --kind series-denoiser} reads (the frame kinds share
 * {@code noise}, {@code sigma} and {@code amount}), as given.
 */
public record SeriesDenoiserOptions(List<String> columns, String noise, float sigma, float amount, int window,
                                    float levelShift, float scale, boolean direct, boolean smoothingBase,
                                    float smoothingTimeConstant) {
    /** Another kind was asked for: these options must not be silently ignored. */
    public void refuse(String kind) {
        if (columns != null || !"gaussian".equals(noise) || sigma != 0 || amount != 0 || window != 192
                || levelShift != 0 || scale != 1 || direct || smoothingBase) {
            throw new IllegalArgumentException("--columns, --noise, --sigma, --amount, --window, --series-level-shift,"
                    + " --series-scale, --direct and --smoothing-base are for --kind series-denoiser, not " + kind);
        }
    }

    /** A frame kind was asked for: it shares --noise, --sigma and --amount, and refuses the rest of these. */
    public void refuseSeriesOnly(String kind) {
        if (columns != null || window != 192 || levelShift != 0 || scale != 1 || direct || smoothingBase) {
            throw new IllegalArgumentException("--columns, --window, --series-level-shift, --series-scale, --direct and"
                    + " --smoothing-base are for --kind series-denoiser, not " + kind);
        }
    }
}
