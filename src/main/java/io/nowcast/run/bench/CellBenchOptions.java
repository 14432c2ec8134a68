package io.nowcast.run.bench;

import io.nowcast.nn.CellType;

import java.util.List;

/**
 * What {@code nowcast bench cell} measures: the cell ({@code label} as the lines name it), the
 * network's sizes, the streams per call, the steps (invariant, library, library-rows) and the
 * rows of a library-rows product, the seed, and the measured and warm-up seconds per line.
 */
public record CellBenchOptions(CellType type, String label, int input, int hidden, int layers, int[] batches,
                               List<String> steps, int rowBlock, long seed, double seconds, double warmup) {
}
