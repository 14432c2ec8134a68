package io.nowcast.cli;

import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameSpec;
import io.nowcast.model.Model;
import io.nowcast.model.ModelSpec;
import io.nowcast.run.ConfiguredModels;
import io.nowcast.stream.Processor;
import io.nowcast.stream.ProcessorConfig;
import io.nowcast.web.Dashboard;
import io.nowcast.web.Endpoints;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the stream processor: read samples from each pipeline's input topics, run its model on every",
                "sample batched across streams, write predictions, dead letters and evictions to Kafka (exactly-once by",
                "default, see processing.guarantee; stream states in the changelog <application.id>-<pipeline>-state).",
                "With an empty bootstrap.servers an embedded single-node broker is started in this process and the",
                "topics are created on it. Runs until Ctrl-C or SIGTERM, which commit the work in progress and leave the group.",
                "Serves /metrics (Prometheus), /health and /ready at http.host:http.port (docs/metrics.md).",
                "The configuration keys are described in docs/configuration.md."})
final class RunCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "configuration file (Java properties)")
    Path config;

    @Option(names = "--stats-every", defaultValue = "10",
            description = "seconds between progress lines on stderr, printed when something changed; 0: none"
                    + " (default: ${DEFAULT-VALUE})")
    int statsEvery;

    /** Counted down once the processor is about to read (for tests). */
    final CountDownLatch started = new CountDownLatch(1);
    private volatile Processor processor;
    private volatile EmbeddedBroker broker;
    private volatile Endpoints endpoints;

    @Override
    public Integer call() throws Exception {
        ProcessorConfig c = ProcessorConfig.load(config);
        Map<String, Object> models = ConfiguredModels.load(c);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        EmbeddedBroker b = null;
        Processor p = null;
        Endpoints web = null;
        Thread hook = null;
        ScheduledExecutorService ticker = null;
        try {
            if (c.bootstrapServers.isBlank()) {
                b = EmbeddedBroker.startTemporary();
                broker = b;
                out.println("embedded broker, bootstrap servers: " + b.bootstrapServers() + " (temporary, deleted on exit)");
                createTopics(b, c, out);
                c = c.withBootstrapServers(b.bootstrapServers());
            }
            PrometheusMeterRegistry registry = Endpoints.prometheusRegistry();
            p = new Processor(c, models, registry);
            processor = p;
            web = Endpoints.start(c.httpHost, c.httpPort, registry, p::alive, p::ready, dashboard(c, registry, p));
            endpoints = web;
            for (ProcessorConfig.Pipeline pl : c.pipelines) {
                if (pl.passThrough()) {
                    out.println("pipeline " + pl.name() + ": " + String.join(",", pl.inputTopics()) + " -> "
                            + pl.outputTopic() + ", pass-through (no model: predictions echo the samples' "
                            + pl.inputSize() + " values)");
                    continue;
                }
                if (models.get(pl.name()) instanceof FrameModel fm) {
                    FrameSpec s = fm.spec();
                    out.println("pipeline " + pl.name() + ": " + String.join(",", pl.inputTopics()) + " -> "
                            + pl.outputTopic() + ", frame model " + s.name + " v" + s.version + " (" + s.kind.id + ", "
                            + s.layers + " conv layers of " + s.channels + (fm.recurrent() ? ", recurrent" : "")
                            + (fm.scale() > 1 ? ", x" + fm.scale() : "") + "; raw u8 frames out)");
                    continue;
                }
                ModelSpec s = ((Model) models.get(pl.name())).spec();
                out.println("pipeline " + pl.name() + ": " + String.join(",", pl.inputTopics()) + " -> " + pl.outputTopic()
                        + ", model " + s.name + " v" + s.version + " (" + s.numLayers + "-layer " + s.cell.id + ", input "
                        + s.inputSize + ", hidden " + s.hiddenSize + ")");
            }
            out.println("dead letters: " + c.deadLetterTopic + (c.evictionsTopic.isEmpty() ? "" : ", evictions: "
                    + c.evictionsTopic) + "; group " + c.applicationId + " at " + c.bootstrapServers);
            out.println("serving kernel: " + io.nowcast.tensor.FixedOrderGemm.kernel()
                    + " (each stream's results the same bits in any batch)");
            out.println("dashboard: " + web.uri().resolve("/"));
            out.println("metrics: " + web.uri() + "/metrics, health: " + web.uri() + "/health, ready: " + web.uri() + "/ready");
            out.println("Ctrl-C stops the processor.");
            out.flush();
            // Ctrl-C (SIGINT) or SIGTERM: finish and commit the work in progress, leave the group, then the broker
            Processor stopping = p;
            EmbeddedBroker closing = b;
            CountDownLatch reported = new CountDownLatch(1);
            hook = new Thread(() -> {
                stopping.stop();
                try {
                    // the JVM ends when this hook returns: let the loop's thread say that it stopped
                    if (stopping.awaitStopped(30, TimeUnit.SECONDS)) {
                        reported.await(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (closing != null) {
                    closing.close();
                }
            }, "nowcast-run-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            if (statsEvery > 0) {
                ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "nowcast-run-stats");
                    t.setDaemon(true);
                    return t;
                });
                Processor watched = p;
                Processor.Stats[] last = {null};
                ticker.scheduleAtFixedRate(() -> {
                    Processor.Stats s = watched.stats();
                    if (last[0] == null || s.records() != last[0].records() || s.streams() != last[0].streams()) {
                        err.println(progress(s));
                    }
                    last[0] = s;
                }, statsEvery, statsEvery, TimeUnit.SECONDS);
            }
            started.countDown();
            try {
                p.run();
                err.println("stopped: " + progress(p.stats()));
                err.flush();
            } finally {
                reported.countDown();
            }
            return 0;
        } finally {
            if (ticker != null) {
                ticker.shutdownNow();
            }
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or has run
                }
            }
            if (p != null) {
                p.close();
            }
            if (web != null) {
                web.close();
            }
            if (b != null) {
                b.close();
            }
        }
    }

    /** The live dashboard of a processor, its taps given to the processor, started. */
    static Dashboard dashboard(ProcessorConfig c, io.micrometer.core.instrument.MeterRegistry registry, Processor p) {
        Dashboard d = new Dashboard(c, registry);
        p.tap(d.taps());
        return d.start();
    }

    /** Opens an address in the desktop's browser, or says why it cannot. */
    static void browse(java.net.URI uri, PrintWriter out) {
        try {
            if (!java.awt.GraphicsEnvironment.isHeadless() && java.awt.Desktop.isDesktopSupported()
                    && java.awt.Desktop.getDesktop().isSupported(java.awt.Desktop.Action.BROWSE)) {
                java.awt.Desktop.getDesktop().browse(uri);
                return;
            }
            out.println("--open: no desktop browser here; open " + uri + " by hand");
        } catch (java.io.IOException | RuntimeException e) {
            out.println("--open: cannot open a browser (" + e.getMessage() + "); open " + uri + " by hand");
        }
    }

    static String progress(Processor.Stats s) {
        return "records " + s.records() + ", predictions " + s.predictions() + ", dead letters " + s.deadLettersTotal()
                + ", late dropped " + s.lateDropped() + ", streams " + s.streams() + ", evicted " + s.evictedCapacity()
                + " (capacity) " + s.evictedIdle() + " (idle), gap resets " + s.gapResets() + ", rows per step "
                + (s.batchedSteps() == 0 ? "0" : String.format("%.1f", s.rowsStepped() / (double) s.batchedSteps()));
    }

    /** The topics the configuration uses, made on the embedded broker if missing. */
    static void createTopics(EmbeddedBroker b, ProcessorConfig c, PrintWriter out) {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (ProcessorConfig.Pipeline p : c.pipelines) {
            for (String t : p.inputTopics()) {
                topics.put(t, c.embeddedPartitions);
            }
            topics.put(p.outputTopic(), c.embeddedPartitions);
        }
        topics.put(c.deadLetterTopic, 1);
        if (!c.evictionsTopic.isEmpty()) {
            topics.put(c.evictionsTopic, 1);
        }
        Set<String> made = new LinkedHashSet<>();
        for (Map.Entry<String, Integer> t : topics.entrySet()) {
            try {
                b.createTopic(t.getKey(), t.getValue(), Map.of());
                made.add(t.getKey());
            } catch (TopicExistsException exists) {
                // kept as it is
            }
        }
        if (!made.isEmpty()) {
            out.println("created topics: " + String.join(", ", made));
        }
    }

    /** The embedded broker, null if none was started or before it was (for tests). */
    EmbeddedBroker broker() {
        return broker;
    }

    /** The HTTP endpoints, null before they are started (for tests). */
    Endpoints endpoints() {
        return endpoints;
    }

    /** Stops the processor as Ctrl-C would and lets {@link #call()} return 0 (for tests). */
    void requestStop() {
        Processor p = processor;
        if (p != null) {
            p.stop();
        }
    }
}
