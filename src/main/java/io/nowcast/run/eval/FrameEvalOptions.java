package io.nowcast.run.eval;

import java.nio.file.Path;

/**
 * The options only {@code nowcast eval --task denoise|superres|video-denoise} reads (--sigma is
 * shared with series-denoise, in {@link SeriesDenoiseEvalOptions}), null or false when not given.
 */
public record FrameEvalOptions(Integer scale, boolean clipNoise, boolean selfEnsemble, Long seed, Path baselineModel,
                               Integer frames, Integer side) {
    /** A non-frame task was asked for: the frame options must not be silently ignored. */
    public void refuse(String task) {
        if (scale != null || clipNoise || selfEnsemble || seed != null || baselineModel != null || frames != null
                || side != null) {
            throw new IllegalArgumentException("--scale, --clip-noise, --self-ensemble, --seed, --baseline-model, --frames"
                    + " and --side are for --task denoise, superres or video-denoise, not " + task);
        }
    }
}
