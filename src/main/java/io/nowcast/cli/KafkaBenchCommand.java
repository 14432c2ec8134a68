package io.nowcast.cli;

import io.nowcast.run.BlasThreads;
import io.nowcast.run.bench.KafkaBench;
import io.nowcast.run.bench.KafkaBenchOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nowcast bench kafka}: the options of {@link KafkaBench}; with a native BLAS the command
 * re-runs itself with the thread count pinned before the benchmark starts.
 */
@Command(name = "kafka", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The stream processor through an embedded Kafka broker: an LSTM pipeline beside the",
                "pass-through ceiling (the same path with no model). Throughput: N preloaded samples, timed from the",
                "processor's start until every prediction is read back (read_committed). Latency: samples at a fixed",
                "rate, read-back time minus each sample's event time (its produce time). Each pipeline once per",
                "processing guarantee (exactly_once beside at_least_once, as a ratio); restore: streams restored per",
                "second from a changelog written by an exactly_once run. One JSON line each."})
final class KafkaBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--samples", defaultValue = "1000000", description = "samples per throughput run (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--streams", defaultValue = "1000", description = "distinct stream ids (default: ${DEFAULT-VALUE})")
    int streams;

    @Option(names = "--partitions", defaultValue = "4", description = "partitions of every input and output topic (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--input", defaultValue = "2", description = "values per sample, and outputs of the head (default: ${DEFAULT-VALUE})")
    int input;

    @Option(names = "--hidden", defaultValue = "64", description = "LSTM hidden size (default: ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--poll", defaultValue = "5000", description = "the processor's poll.max.records (default: ${DEFAULT-VALUE})")
    int poll;

    @Option(names = "--rate", defaultValue = "10000", description = "samples per second in the latency phase (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--latency-seconds", defaultValue = "20",
            description = "length of each latency phase; 0 skips the latency phases (default: ${DEFAULT-VALUE})")
    int latencySeconds;

    @Option(names = "--pipelines", defaultValue = "lstm,pass-through", split = ",",
            description = "which pipelines to run, in this order: lstm, pass-through (default: ${DEFAULT-VALUE})")
    List<String> pipelines;

    @Option(names = "--guarantees", defaultValue = "exactly_once,at_least_once", split = ",",
            description = "processing.guarantee of the runs, each pipeline run once per guarantee in every round"
                    + " (default: ${DEFAULT-VALUE}); the summary gives each median and the exactly_once / at_least_once"
                    + " ratio")
    List<String> guarantees;

    @Option(names = "--restore-streams", defaultValue = "100000",
            description = "restore speed: this many streams (one sample each) through an exactly_once processor, then a"
                    + " second processor of the same application restores them from the changelog; 0 skips it"
                    + " (default: ${DEFAULT-VALUE})")
    int restoreStreams;

    @Option(names = "--rounds", defaultValue = "5",
            description = "throughput runs per pipeline, each on newly preloaded topics; the order of the pipelines"
                    + " alternates, and the summary (medians, ratio) leaves out round 1, whose first run warms up the"
                    + " JVM (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--blas-threads", defaultValue = "1",
            description = "OpenBLAS threads for the model: with a native BLAS the command re-runs itself with"
                    + " OPENBLAS_NUM_THREADS set to this unless the environment already has it; 0 leaves the"
                    + " environment alone (default: ${DEFAULT-VALUE}). The step's products are small, and on a few"
                    + " cores shared with Kafka a second BLAS thread costs more than it gains.")
    int blasThreads;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "a configuration key (docs/configuration.md) for every processor the benchmark starts,"
                    + " e.g. producer.batch.size=262144; pipeline.NAME.x applies to each pipeline; repeatable."
                    + " Printed with each throughput line.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--seed", defaultValue = "42", description = "seed of the LSTM's weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        KafkaBench bench = new KafkaBench(new KafkaBenchOptions(samples, streams, partitions, input, hidden, poll, rate,
                latencySeconds, pipelines, guarantees, restoreStreams, rounds, settings, seed));
        if (blasThreads > 0 && bench.usesNativeBlas() && !BlasThreads.isPinned(blasThreads)) {
            int rc = BlasThreads.relaunch(blasThreads, Main.class, spec.root().commandLine().getParseResult().originalArgs());
            if (rc >= 0) {
                return rc;
            }
            spec.commandLine().getErr().printf("nowcast bench kafka: could not re-run with %s=%d; measuring with %d BLAS"
                    + " threads%n", BlasThreads.VAR, blasThreads, BlasThreads.fromEnvironment());
        }
        bench.run(spec.commandLine().getOut());
        return 0;
    }
}
