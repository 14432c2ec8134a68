package io.nowcast.run.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code nowcast train} that the recurrent kinds read (the series denoiser's and
 * the frame kinds' own are {@link SeriesDenoiserOptions} and {@link FrameOptions}), as given, and
 * the long names of those given on the command line ({@code given}), for the runs whose defaults
 * depend on whether an option was set.
 */
public record TrainOptions(
        String kind, Path data, Path out, String name,
        List<String> features, List<String> targets, int horizon, String head, String group, String task,
        int inputLength, float levelShift, String leaveOut, boolean relative, String augment, String loss,
        float inputNoise, double inputNoiseShare, String balance, String scoreSteps,
        String recipe, Path init, String cell, int hidden, int layers, int streams, int chunk,
        String optimizer, float lr, float momentum, float weightDecay, double clipNorm, float clipValue, boolean sumLoss,
        long iterations, double minutes, double valFraction, int evalEvery, int evalChars, int patience,
        float forgetBias, long seed, Path log, boolean quiet, Set<String> given) {

    /** True when the option (its long name) was given on the command line. */
    public boolean given(String option) {
        return given.contains(option);
    }

    /**
     * These options under min-char-rnn's recipe: a one-layer tanh RNN of 100, chunks of 25, summed
     * loss, gradients clipped to +-5 (no norm clipping), Adagrad 0.1, one stream.
     */
    TrainOptions minCharRnn() {
        return new TrainOptions(kind, data, out, name, features, targets, horizon, head, group, task, inputLength,
                levelShift, leaveOut, relative, augment, loss, inputNoise, inputNoiseShare, balance, scoreSteps, recipe,
                init, "rnn_tanh", 100, 1, 1, 25, "adagrad", 0.1f, momentum, weightDecay, 0, 5f, true, iterations,
                minutes, valFraction, evalEvery, evalChars, patience, forgetBias, seed, log, quiet, given);
    }

    /** The checks every recurrent kind makes. */
    void check() {
        if (hidden < 1 || layers < 1 || streams < 1 || chunk < 0) {
            throw new IllegalArgumentException("--hidden, --layers and --streams must be >= 1 and --chunk >= 0");
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("--val-fraction must be in [0, 1), got " + valFraction);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("--iterations must be >= 1");
        }
    }
}
