package io.nowcast.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code nowcast bench}: benchmarks, one JSON line per measurement, to be compared side by side as ratios. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: the stream processor through Kafka (kafka). One JSON line per measurement.",
        subcommands = {KafkaBench.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
