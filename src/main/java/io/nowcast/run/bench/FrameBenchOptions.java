package io.nowcast.run.bench;

import java.nio.file.Path;

/**
 * What {@code nowcast bench frames} measures: a model file, or the layers and channels of a
 * seeded random denoiser (null: not given); the frame sides and batches; the timed rounds, the
 * measured and warm-up seconds per line; the weight and frame seed; JSON lines or a table.
 */
public record FrameBenchOptions(Path model, Integer layers, Integer channels, int[] sides, int[] batches, int rounds,
                                double seconds, double warmup, long seed, boolean json) {
}
