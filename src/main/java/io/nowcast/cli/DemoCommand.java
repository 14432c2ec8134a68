package io.nowcast.cli;

import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Model;
import io.nowcast.run.ConfiguredModels;
import io.nowcast.run.demo.DemoDisplay;
import io.nowcast.run.demo.DemoFeeds;
import io.nowcast.stream.Processor;
import io.nowcast.stream.ProcessorConfig;
import io.nowcast.web.Endpoints;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.nowcast.run.demo.DemoTopics.CAMERA;
import static io.nowcast.run.demo.DemoTopics.CAMERA_CLEAN;
import static io.nowcast.run.demo.DemoTopics.CAMERA_CLEANED;
import static io.nowcast.run.demo.DemoTopics.CAMERA_MODEL;
import static io.nowcast.run.demo.DemoTopics.SENSORS;
import static io.nowcast.run.demo.DemoTopics.SENSOR_PREDICTIONS;
import static io.nowcast.run.demo.DemoTopics.TRACKS;
import static io.nowcast.run.demo.DemoTopics.TRACK_PREDICTIONS;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The whole path on one machine: an embedded Kafka broker, synthetic producers (pedestrian-like",
                "tracks, noisy sensors and two cameras), the stream processor with the bundled demo models (trained on",
                "synthetic data, see models/README.md), the predictions shown live on the console with their error,",
                "measured when the true next value arrives, beside the last-value baseline, the cameras' noisy frames",
                "cleaned by the recurrent camera denoiser (when camera-denoiser.safetensors is among the models) with",
                "the PSNR of noisy and cleaned frames against the clean ones, and the live dashboard in the browser",
                "(its address is printed at start). Ctrl-C stops it."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--pedestrians", defaultValue = "200", description = "tracked pedestrians at a time (default: ${DEFAULT-VALUE})")
    int pedestrians;

    @Option(names = "--sensors", defaultValue = "20", description = "sensor units, three channels each (default: ${DEFAULT-VALUE})")
    int sensors;

    @Option(names = "--speedup", defaultValue = "1",
            description = "time runs this many times faster than real time (tracks are 2.5 Hz; sensors are replayed at 5 Hz)")
    double speedup;

    @Option(names = "--seconds", defaultValue = "0", description = "stop after this many seconds; 0 runs until Ctrl-C")
    double seconds;

    @Option(names = "--models", description = "folder with tracks-lstm.safetensors and sensors-gru.safetensors,"
            + " and camera-denoiser.safetensors for the cameras pipeline (default: the models bundled in the jar)")
    Path models;

    @Option(names = "--http-port", defaultValue = "8080",
            description = "port of the dashboard, /metrics, /health and /ready on 127.0.0.1; 0 picks a free one"
                    + " (default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--open", description = "open the dashboard in the desktop's browser (where there is one)")
    boolean open;

    @Option(names = "--cameras", defaultValue = "2", description = "synthetic cameras, 64x64 grey frames at 5 Hz"
            + " (default: ${DEFAULT-VALUE}; 0: none)")
    int cameras;

    @Option(names = "--seed", defaultValue = "7", description = "seed of the synthetic data (default: ${DEFAULT-VALUE})")
    long seed;

    private final AtomicBoolean running = new AtomicBoolean(true);
    /** The dashboard's address once it is served (for tests). */
    volatile java.net.URI dashboardUri;

    @Override
    public Integer call() throws Exception {
        if (!(speedup > 0) || pedestrians < 1 || sensors < 1 || cameras < 0) {
            throw new IllegalArgumentException("--speedup must be > 0, --pedestrians and --sensors >= 1, --cameras >= 0");
        }
        PrintWriter out = spec.commandLine().getOut();
        Path dir = models != null ? models : extractBundledModels();
        out.println("starting an embedded Kafka broker...");
        try (EmbeddedBroker broker = EmbeddedBroker.startTemporary()) {
            Map<String, String> raw = new LinkedHashMap<>();
            raw.put("bootstrap.servers", broker.bootstrapServers());
            raw.put("application.id", "nowcast-demo");
            Path cameraModel = dir.resolve(CAMERA_MODEL);
            boolean cameraPipeline = cameras > 0 && Files.isRegularFile(cameraModel);
            raw.put("pipelines", "pedestrians,sensors" + (cameraPipeline ? ",cameras" : ""));
            raw.put("pipeline.pedestrians.input.topics", TRACKS);
            raw.put("pipeline.pedestrians.output.topic", TRACK_PREDICTIONS);
            raw.put("pipeline.pedestrians.model", dir.resolve("tracks-lstm.safetensors").toString());
            raw.put("pipeline.pedestrians.gap.ms", "5000");
            raw.put("pipeline.sensors.input.topics", SENSORS);
            raw.put("pipeline.sensors.output.topic", SENSOR_PREDICTIONS);
            raw.put("pipeline.sensors.model", dir.resolve("sensors-gru.safetensors").toString());
            raw.put("poll.timeout.ms", "20");
            raw.put("http.port", Integer.toString(httpPort));
            if (cameraPipeline) {
                // the recurrent denoiser cleans every camera's noisy frames; the panel shows the
                // noisy frame, the cleaned one and the clean one it was made from, side by side
                raw.put("pipeline.cameras.input.topics", CAMERA);
                raw.put("pipeline.cameras.output.topic", CAMERA_CLEANED);
                raw.put("pipeline.cameras.model", cameraModel.toString());
                raw.put("pipeline.cameras.frame.size", "64x64");
                raw.put("pipeline.cameras.gap.ms", "5000");
                raw.put("dashboard.frame.topics", CAMERA + "," + CAMERA_CLEANED + "," + CAMERA_CLEAN);
                broker.createTopic(CAMERA, 1, Map.of());
                broker.createTopic(CAMERA_CLEANED, 1, Map.of());
                broker.createTopic(CAMERA_CLEAN, 1, Map.of());
            } else if (cameras > 0) {
                // no frame model in the models folder: the panel shows each camera's noisy frames
                // beside the clean ones they were made from
                raw.put("dashboard.frame.topics", CAMERA + "," + CAMERA_CLEAN);
                broker.createTopic(CAMERA, 1, Map.of());
                broker.createTopic(CAMERA_CLEAN, 1, Map.of());
            }
            ProcessorConfig config = ProcessorConfig.parse(raw, "demo configuration", dir);
            RunCommand.createTopics(broker, config, out);
            Map<String, Object> loaded = ConfiguredModels.load(config);
            out.println("broker at " + broker.bootstrapServers() + "; pipelines: pedestrians (" + TRACKS + " -> "
                    + TRACK_PREDICTIONS + ", " + describe(loaded.get("pedestrians")) + "), sensors (" + SENSORS + " -> "
                    + SENSOR_PREDICTIONS + ", " + describe(loaded.get("sensors")) + ")"
                    + (cameraPipeline ? ", cameras (" + CAMERA + " -> " + CAMERA_CLEANED + ", "
                    + describe(loaded.get("cameras")) + ")" : ""));
            List<Thread> threads = new ArrayList<>();
            PrometheusMeterRegistry registry = Endpoints.prometheusRegistry();
            try (Processor processor = new Processor(config, loaded, registry);
                 Endpoints web = Endpoints.start(config.httpHost, config.httpPort, registry, processor::alive,
                         processor::ready, RunCommand.dashboard(config, registry, processor))) {
                dashboardUri = web.uri().resolve("/");
                out.println("dashboard: " + dashboardUri + " (open it in a browser)");
                out.println("metrics: " + web.uri() + "/metrics, health: " + web.uri() + "/health, ready: " + web.uri()
                        + "/ready");
                if (open) {
                    RunCommand.browse(dashboardUri, out);
                }
                Thread hook = new Thread(() -> running.set(false), "nowcast-demo-stop");
                Runtime.getRuntime().addShutdownHook(hook);
                threads.add(start("nowcast-demo-processor", processor::run));
                DemoDisplay display = new DemoDisplay(broker.bootstrapServers(), out, cameraPipeline, running);
                DemoFeeds feeds = new DemoFeeds(pedestrians, sensors, cameras, speedup, seed, running);
                threads.add(start("nowcast-demo-tracks", () -> feeds.tracks(broker.bootstrapServers())));
                threads.add(start("nowcast-demo-sensors", () -> feeds.sensors(broker.bootstrapServers())));
                if (cameras > 0) {
                    threads.add(start("nowcast-demo-cameras", () -> feeds.cameras(broker.bootstrapServers())));
                }
                long end = seconds > 0 ? System.nanoTime() + (long) (seconds * 1e9) : Long.MAX_VALUE;
                try {
                    display.run(end, processor);
                } finally {
                    running.set(false);
                    processor.stop();
                    for (Thread t : threads) {
                        t.join(30_000);
                    }
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // Ctrl-C: the hook has run
                    }
                }
                out.println("stopped: " + RunCommand.progress(processor.stats()));
            }
        }
        return 0;
    }

    private static String describe(Object model) {
        if (model instanceof io.nowcast.model.FrameModel f) {
            return f.spec().name + " v" + f.spec().version + ", " + f.spec().layers + "-layer convolutional "
                    + (f.recurrent() ? "recurrent " : "") + f.spec().kind.id;
        }
        Model f = (Model) model;
        return f.spec().name + " v" + f.spec().version + ", " + f.spec().cell.id + " " + f.spec().hiddenSize;
    }

    private Thread start(String name, Runnable r) {
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                if (running.get()) {
                    spec.commandLine().getErr().println(name + " failed: " + e);
                    running.set(false);
                }
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Ends the demo as Ctrl-C would (tests). */
    void requestStop() {
        running.set(false);
    }

    /**
     * The models bundled in the jar, copied to a temporary folder deleted on exit; the camera
     * denoiser only if this build has it.
     */
    static Path extractBundledModels() throws IOException {
        Path dir = Files.createTempDirectory("nowcast-models");
        dir.toFile().deleteOnExit();
        for (String name : new String[] {"tracks-lstm.safetensors", "sensors-gru.safetensors", CAMERA_MODEL}) {
            try (InputStream in = DemoCommand.class.getResourceAsStream("/io/nowcast/models/" + name)) {
                if (in == null && name.equals(CAMERA_MODEL)) {
                    continue;
                }
                if (in == null) {
                    throw new IOException("the bundled model " + name + " is not in this build; pass --models DIR");
                }
                Path f = dir.resolve(name);
                Files.copy(in, f, StandardCopyOption.REPLACE_EXISTING);
                f.toFile().deleteOnExit();
            }
        }
        return dir;
    }
}
