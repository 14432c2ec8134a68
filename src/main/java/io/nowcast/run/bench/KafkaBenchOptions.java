package io.nowcast.run.bench;

import java.util.List;
import java.util.Map;

/**
 * What {@code nowcast bench kafka} measures: samples and streams per throughput run, topic
 * partitions, the LSTM's input and hidden sizes and seed, the processor's poll size, the latency
 * phases' rate and length, the pipelines and guarantees, the streams of the restore phase, the
 * rounds, and configuration keys for every processor started.
 */
public record KafkaBenchOptions(int samples, int streams, int partitions, int input, int hidden, int poll, int rate,
                                int latencySeconds, List<String> pipelines, List<String> guarantees, int restoreStreams,
                                int rounds, Map<String, String> settings, long seed) {
}
