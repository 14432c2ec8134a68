package io.nowcast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.data.synthetic.MovingShapes;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.data.synthetic.SyntheticSensors;
import io.nowcast.data.synthetic.SyntheticTracks;
import io.nowcast.model.Model;
import io.nowcast.stream.Processor;
import io.nowcast.stream.ProcessorConfig;
import io.nowcast.web.Endpoints;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The whole path on one machine: an embedded Kafka broker, synthetic producers (pedestrian-like",
                "tracks, noisy sensors and two cameras), the stream processor with the bundled demo models (trained on",
                "synthetic data, see models/README.md), the predictions shown live on the console with their error,",
                "measured when the true next value arrives, beside the last-value baseline, the cameras' noisy frames",
                "cleaned by the recurrent camera denoiser (when camera-denoiser.safetensors is among the models) with",
                "the PSNR of noisy and cleaned frames against the clean ones, and the live dashboard in the browser",
                "(its address is printed at start). Ctrl-C stops it."})
final class DemoCommand implements Callable<Integer> {
    static final String TRACKS = "tracks";
    static final String TRACK_PREDICTIONS = "track-predictions";
    static final String SENSORS = "sensors";
    static final String SENSOR_PREDICTIONS = "sensor-predictions";
    static final String CAMERA = "camera-noisy";
    static final String CAMERA_CLEAN = "camera-clean";
    static final String CAMERA_CLEANED = "camera-cleaned";
    /** The frame model of the cameras pipeline; without it no frame pipeline runs. */
    static final String CAMERA_MODEL = "camera-denoiser.safetensors";

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
        PrintStream out = System.out;
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
            RunCommand.createTopics(broker, config);
            Map<String, Object> loaded = RunCommand.loadModels(config);
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
                Display display = new Display(broker.bootstrapServers(), out, cameraPipeline);
                threads.add(start("nowcast-demo-tracks", () -> produceTracks(broker.bootstrapServers())));
                threads.add(start("nowcast-demo-sensors", () -> produceSensors(broker.bootstrapServers())));
                if (cameras > 0) {
                    threads.add(start("nowcast-demo-cameras", () -> produceCameras(broker.bootstrapServers())));
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
                    System.err.println(name + " failed: " + e);
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

    private KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p);
    }

    static byte[] sample(String stream, long time, float... values) {
        StringBuilder sb = new StringBuilder(64).append("{\"stream\":\"").append(stream).append("\",\"time\":").append(time)
                .append(",\"values\":[");
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(values[i]);
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Pedestrians at 2.5 Hz (scaled by speedup); every 60 s of track time a new crowd replaces the last. */
    private void produceTracks(String bootstrap) {
        int length = 150;
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            long periodNanos = (long) (SyntheticTracks.DT * 1e9 / speedup);
            long next = System.nanoTime();
            for (int generation = 0; running.get(); generation++) {
                List<SyntheticTracks.Track> tracks = new SyntheticTracks(seed + generation).generate(pedestrians, length);
                for (int step = 0; step < length && running.get(); step++) {
                    long now = System.currentTimeMillis();
                    for (int i = 0; i < pedestrians; i++) {
                        SyntheticTracks.Track t = tracks.get(i);
                        String id = "ped-" + (generation * pedestrians + i);
                        producer.send(new ProducerRecord<>(TRACKS, id, sample(id, now, t.dx()[step], t.dy()[step])));
                    }
                    next += periodNanos;
                    sleepUntil(next);
                }
            }
        }
    }

    /**
     * Sensor units of three channels, one sample per unit every 0.2 s (scaled by speedup). The
     * bundled sensor model knows one synthetic plant (seed 3 of nowcast synth sensors, see
     * models/README.md), so every unit replays that plant's held-out weeks (53 to 64, hours 8736 to
     * 10751, never seen in training) from its own starting hour.
     */
    private void produceSensors(String bootstrap) {
        int first = 8736;
        int length = 10752;
        float[][] v = new SyntheticSensors(3).generate(3, length).values();
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            long periodNanos = (long) (0.2e9 / speedup);
            long next = System.nanoTime();
            for (int step = 0; running.get(); step++) {
                long now = System.currentTimeMillis();
                for (int u = 0; u < sensors; u++) {
                    int t = first + (u * 97 + step) % (length - first);
                    String id = "sensor-" + u;
                    producer.send(new ProducerRecord<>(SENSORS, id, sample(id, now, v[0][t], v[1][t], v[2][t])));
                }
                next += periodNanos;
                sleepUntil(next);
            }
        }
    }

    /**
     * Cameras of 64x64 grey frames at 5 Hz (scaled by speedup): each frame clean to
     * {@value #CAMERA_CLEAN} and with Gaussian noise (sigma 0.1, clipped to [0, 1]) to
     * {@value #CAMERA}, raw frames (schemas/frame.md) with the same event time.
     */
    private void produceCameras(String bootstrap) {
        int side = 64;
        MovingShapes[] cams = new MovingShapes[cameras];
        for (int c = 0; c < cameras; c++) {
            cams[c] = new MovingShapes(side, seed + 100 + c);
        }
        io.nowcast.tensor.Rng noise = new io.nowcast.tensor.Rng(seed + 99);
        float[] clean = new float[side * side];
        float[] noisy = new float[side * side];
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            long periodNanos = (long) (0.2e9 / speedup);
            long next = System.nanoTime();
            for (int step = 0; running.get(); step++) {
                long now = System.currentTimeMillis();
                for (int c = 0; c < cameras; c++) {
                    String id = "cam-" + c;
                    cams[c].frame(step, clean);
                    for (int i = 0; i < clean.length; i++) {
                        noisy[i] = Math.max(0f, Math.min(1f, clean[i] + 0.1f * (float) noise.nextGaussian()));
                    }
                    producer.send(new ProducerRecord<>(CAMERA_CLEAN, id,
                            io.nowcast.codec.FrameCodec.encodeRawU8(side, side, now, clean)));
                    producer.send(new ProducerRecord<>(CAMERA, id,
                            io.nowcast.codec.FrameCodec.encodeRawU8(side, side, now, noisy)));
                }
                next += periodNanos;
                sleepUntil(next);
            }
        }
    }

    private void sleepUntil(long nanoTime) {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.set(false);
            }
        }
    }

    /**
     * Reads inputs and predictions back (read_committed) and prints, every second, what flows and
     * how good the predictions are: the error of each one-step prediction once the true next value
     * arrives, beside the error of carrying the last value forward.
     */
    private final class Display {
        private final KafkaConsumer<String, byte[]> consumer;
        private final PrintStream out;
        private final ObjectMapper json = new ObjectMapper();
        private final Map<String, Pipe> pipes = new LinkedHashMap<>();
        private final CameraScore cameras;

        Display(String bootstrap, PrintStream out, boolean cameraPipeline) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "nowcast-demo-display");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            this.consumer = new KafkaConsumer<>(p);
            this.out = out;
            pipes.put(TRACKS, new Pipe("pedestrians", " m", new String[] {"dx", "dy"}));
            pipes.put(SENSORS, new Pipe("sensors", "", new String[] {"s0"}));
            List<String> topics = new ArrayList<>(List.of(TRACKS, TRACK_PREDICTIONS, SENSORS, SENSOR_PREDICTIONS));
            this.cameras = cameraPipeline ? new CameraScore() : null;
            if (cameraPipeline) {
                topics.addAll(List.of(CAMERA, CAMERA_CLEANED, CAMERA_CLEAN));
            }
            consumer.subscribe(topics);
        }

        void run(long endNanos, Processor processor) {
            long start = System.nanoTime();
            long nextPrint = start + 1_000_000_000L;
            try (consumer) {
                while (running.get() && System.nanoTime() < endNanos) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (cameras != null && r.topic().startsWith("camera-")) {
                            cameras.take(r);
                            continue;
                        }
                        try {
                            JsonNode n = json.readTree(r.value());
                            switch (r.topic()) {
                                case TRACKS:
                                case SENSORS:
                                    pipes.get(r.topic()).input(r.key(), n.get("time").asLong(), floats(n.get("values")));
                                    break;
                                case TRACK_PREDICTIONS:
                                    pipes.get(TRACKS).prediction(r.key(), n);
                                    break;
                                default:
                                    pipes.get(SENSORS).prediction(r.key(), n);
                            }
                        } catch (IOException | RuntimeException e) {
                            out.println("display: cannot read a record of " + r.topic() + ": " + e.getMessage());
                        }
                    }
                    if (System.nanoTime() >= nextPrint) {
                        nextPrint += 1_000_000_000L;
                        print((System.nanoTime() - start) / 1e9, processor);
                    }
                }
            }
        }

        private float[] floats(JsonNode a) {
            float[] v = new float[a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) a.get(i).asDouble();
            }
            return v;
        }

        private void print(double t, Processor processor) {
            Processor.Stats s = processor.stats();
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%n[%5.0f s] processor: %d records, %d predictions, %d dead letters, %d streams%n",
                    t, s.records(), s.predictions(), s.deadLettersTotal(), s.streams()));
            for (Pipe p : pipes.values()) {
                p.print(sb);
            }
            if (cameras != null) {
                cameras.print(sb);
            }
            out.print(sb);
            out.flush();
        }
    }

    /**
     * The cameras pipeline's view: frames in and out, and the PSNR against the clean frame (peak 1,
     * over the u8 frames on the wire) of the noisy frame and of the cleaned one, per frame, averaged
     * over the frames whose three versions have arrived.
     */
    private static final class CameraScore {
        private final io.nowcast.codec.FrameCodec codec = new io.nowcast.codec.FrameCodec(1 << 20, 1 << 20);
        /** camera + " " + event time to {noisy, clean} frames, until the cleaned frame arrives. */
        private final Map<String, float[][]> pending = new LinkedHashMap<>();
        long noisyIn;
        long cleanedOut;
        double psnrNoisy;
        double psnrCleaned;
        long scored;

        void take(ConsumerRecord<String, byte[]> r) {
            io.nowcast.codec.Frame f;
            try {
                f = codec.decode(r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8), r.value(), r.timestamp());
            } catch (io.nowcast.codec.RejectedException e) {
                return;
            }
            String id = f.stream() + " " + f.eventTime();
            float[][] p = pending.computeIfAbsent(id, k -> new float[2][]);
            switch (r.topic()) {
                case CAMERA:
                    noisyIn++;
                    p[0] = f.pixels();
                    break;
                case CAMERA_CLEAN:
                    p[1] = f.pixels();
                    break;
                default:
                    cleanedOut++;
                    pending.remove(id);
                    if (p[0] != null && p[1] != null) {
                        psnrNoisy += psnr(p[0], p[1]);
                        psnrCleaned += psnr(f.pixels(), p[1]);
                        scored++;
                    }
            }
            while (pending.size() > 256) {
                pending.remove(pending.keySet().iterator().next());
            }
        }

        private static double psnr(float[] a, float[] b) {
            double se = 0;
            for (int i = 0; i < a.length; i++) {
                double d = a[i] - b[i];
                se += d * d;
            }
            return 10 * Math.log10(1.0 / Math.max(se / a.length, 1e-12));
        }

        void print(StringBuilder sb) {
            sb.append(String.format(Locale.ROOT, "  %-11s %8d frames in,  %8d frames out", "cameras", noisyIn, cleanedOut));
            if (scored > 0) {
                sb.append(String.format(Locale.ROOT, " | PSNR against the clean frame: noisy %.2f dB, cleaned %.2f dB"
                        + " (%d scored)", psnrNoisy / scored, psnrCleaned / scored, scored));
            }
            sb.append('\n');
        }
    }

    /** One pipeline's view: latest input and prediction per stream and the running errors. */
    private static final class Pipe {
        final String name;
        final String unit;
        final String[] outputs;
        final Map<String, float[]> lastInput = new HashMap<>();
        final Map<String, Long> lastInputTime = new HashMap<>();
        final Map<String, Map<Long, float[]>> predictions = new HashMap<>(); // stream -> input time -> mean, std
        final AtomicLong inputs = new AtomicLong();
        final AtomicLong predicted = new AtomicLong();
        final List<String> shown = new ArrayList<>();
        double sqModel;
        double sqLast;
        long scored;

        Pipe(String name, String unit, String[] outputs) {
            this.name = name;
            this.unit = unit;
            this.outputs = outputs;
        }

        void input(String stream, long time, float[] v) {
            inputs.incrementAndGet();
            float[] prev = lastInput.get(stream);
            Long prevTime = lastInputTime.get(stream);
            Map<Long, float[]> ps = predictions.get(stream);
            if (prev != null && ps != null) {
                float[] p = ps.remove(prevTime);
                if (p != null) {
                    for (int j = 0; j < outputs.length; j++) {
                        double em = v[j] - p[j];
                        double el = v[j] - prev[j];
                        sqModel += em * em;
                        sqLast += el * el;
                    }
                    scored++;
                }
                ps.keySet().removeIf(k -> k < time - 60_000);
            }
            if (prev == null) {
                // a new stream: show it in place of one that has gone quiet
                shown.removeIf(x -> lastInputTime.get(x) < time - 3000);
                if (shown.size() < 3) {
                    shown.add(stream);
                }
            }
            lastInput.put(stream, v);
            lastInputTime.put(stream, time);
        }

        void prediction(String stream, JsonNode n) {
            predicted.incrementAndGet();
            JsonNode mean = n.get("predictions").get(0);
            JsonNode std = n.has("std") ? n.get("std").get(0) : null;
            float[] p = new float[2 * outputs.length];
            for (int j = 0; j < outputs.length; j++) {
                p[j] = (float) mean.get(j).asDouble();
                p[outputs.length + j] = std == null ? Float.NaN : (float) std.get(j).asDouble();
            }
            predictions.computeIfAbsent(stream, k -> new HashMap<>()).put(n.get("time").asLong(), p);
        }

        void print(StringBuilder sb) {
            sb.append(String.format(Locale.ROOT, "  %-11s %8d samples in, %8d predictions out", name, inputs.get(), predicted.get()));
            if (scored > 0) {
                int k = outputs.length;
                sb.append(String.format(Locale.ROOT, " | next-step RMSE: model %.4f%s, last value %.4f%s (%d scored)",
                        Math.sqrt(sqModel / (scored * k)), unit, Math.sqrt(sqLast / (scored * k)), unit, scored));
            }
            sb.append('\n');
            for (String stream : shown) {
                float[] v = lastInput.get(stream);
                Map<Long, float[]> ps = predictions.get(stream);
                float[] p = ps == null ? null : ps.get(lastInputTime.get(stream));
                sb.append(String.format(Locale.ROOT, "    %-10s now", stream));
                for (int j = 0; j < outputs.length; j++) {
                    sb.append(String.format(Locale.ROOT, " %s=%+8.3f", outputs[j], v[j]));
                }
                sb.append("   predicted next");
                for (int j = 0; j < outputs.length; j++) {
                    if (p == null) {
                        sb.append(String.format(Locale.ROOT, " %s=%8s", outputs[j], "..."));
                    } else if (Float.isNaN(p[outputs.length + j])) {
                        sb.append(String.format(Locale.ROOT, " %s=%+8.3f", outputs[j], p[j]));
                    } else {
                        sb.append(String.format(Locale.ROOT, " %s=%+8.3f±%.3f", outputs[j], p[j], p[outputs.length + j]));
                    }
                }
                sb.append('\n');
            }
        }
    }
}
