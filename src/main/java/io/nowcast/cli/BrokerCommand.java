package io.nowcast.cli;

import io.nowcast.broker.EmbeddedBroker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run a single-node Kafka broker (KRaft, broker and controller in one) on 127.0.0.1 until Ctrl-C.",
                "Transactions and compacted topics work; topics are not created automatically.",
                "A directory used before is started again with its data and its port."})
final class BrokerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092",
            description = "client port on 127.0.0.1; 0 takes the port remembered in --dir, or else a free one"
                    + " (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--dir",
            description = "broker directory, made if missing and kept (default: a temporary one, deleted on exit)")
    Path dir;

    /** Counted down once the broker takes requests (for tests). */
    final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile EmbeddedBroker broker;

    @Override
    public Integer call() throws Exception {
        EmbeddedBroker b = EmbeddedBroker.builder().dir(dir).port(port).start();
        // Ctrl-C (SIGINT) or SIGTERM: the hook shuts the broker down cleanly before the JVM ends
        Thread hook = new Thread(b::close, "nowcast-broker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        broker = b;
        PrintWriter out = spec.commandLine().getOut();
        out.println("bootstrap servers: " + b.bootstrapServers());
        out.println("directory: " + b.dir() + (dir == null ? " (temporary, deleted on exit)" : ""));
        out.println("Ctrl-C stops the broker.");
        out.flush();
        started.countDown();
        try {
            stop.await();
        } finally {
            // only reached when stopped from inside this JVM; on Ctrl-C the JVM ends while this waits
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
            b.close();
        }
        return 0;
    }

    /** The running broker, null before it has started (for tests). */
    EmbeddedBroker broker() {
        return broker;
    }

    /** Stops the broker as Ctrl-C would and lets {@link #call()} return 0 (for tests). */
    void requestStop() {
        stop.countDown();
    }
}
