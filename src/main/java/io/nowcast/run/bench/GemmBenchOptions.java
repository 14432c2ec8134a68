package io.nowcast.run.bench;

import io.nowcast.tensor.Gemm;

import java.util.List;

/**
 * What {@code nowcast bench gemm} measures: the MxNxK shapes, the serving kernel or not, the
 * library backends, B transposed or not, and the measured and warm-up seconds per line.
 */
public record GemmBenchOptions(List<String> shapes, boolean invariant, List<Gemm> gemms, boolean transB, double seconds,
                               double warmup) {
}
