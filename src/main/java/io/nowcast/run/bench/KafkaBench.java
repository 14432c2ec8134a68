package io.nowcast.run.bench;

import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.run.BlasThreads;
import io.nowcast.run.ConfiguredModels;
import io.nowcast.stream.Processor;
import io.nowcast.stream.ProcessorConfig;
import io.nowcast.tensor.BlasGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * {@code nowcast bench kafka}: the stream processor through a real broker, a model pipeline beside
 * the pass-through ceiling, measured the way a Kafka Streams app of the same pipeline (one record at
 * a time) is measured, so that the two can be run side by side.
 *
 * <p>An embedded broker is started in this JVM. For each pipeline (an LSTM input -> hidden with
 * seeded random weights and a linear head of {@code input} outputs, saved to a model file and
 * loaded back as {@code nowcast run} does; then {@code model=pass-through}):
 * <ol>
 * <li><b>throughput</b>: N JSON samples ({@code schemas/sample.schema.json}, key = stream id,
 *     streams interleaved) are written to the pipeline's input topic first; then a processor is
 *     timed from its construction until every prediction has been read back by a
 *     {@code read_committed} consumer in this JVM;</li>
 * <li><b>latency</b>: a new processor on new topics, and samples produced at a fixed rate, each
 *     with its event time {@code time} = the wall clock when it is produced; a sample's latency is
 *     the wall clock when its prediction is read back (by a {@code read_committed} consumer in
 *     this JVM) minus that event time, which the prediction carries. Milliseconds.</li>
 * </ol>
 * Every pipeline runs once per {@code --guarantees} entry (exactly_once and at_least_once by
 * default) in every round, so that the cost of exactly-once is a ratio of two runs of the same
 * session. A restore phase ({@code --restore-streams}) measures how fast a processor restores
 * stream states from its changelog. The throughput runs are repeated {@code --rounds} times, each on newly preloaded topics, the
 * order of the pipelines alternating; round 1 starts with the LSTM in a JVM that has only started
 * the broker and written the samples (as the anchor's single run does), the summary takes the
 * medians of the later rounds. One JSON line per pipeline, round and phase, and a summary line with
 * the model / pass-through throughput ratio. The model runs on OpenBLAS pinned to one thread
 * ({@code --blas-threads}).
 */
public final class KafkaBench {
    static final String LSTM = "lstm";
    static final String PASS = ProcessorConfig.PASS_THROUGH;
    static final String DEAD_LETTERS = "bench.dead-letters";
    private static final long EPOCH = 1_700_000_000_000L;
    private static final byte[] TIME_FIELD = "\"time\":".getBytes(StandardCharsets.US_ASCII);

    private final KafkaBenchOptions options;

    /** The benchmark of these options, refused when they do not make one. */
    public KafkaBench(KafkaBenchOptions o) {
        options = o;
        if (o.rounds() < 1 || o.samples() < 1 || o.streams() < 1 || o.partitions() < 1 || o.input() < 1 || o.hidden() < 1
                || o.poll() < 1 || o.rate() < 1 || o.latencySeconds() < 0) {
            throw new IllegalArgumentException("--samples, --streams, --partitions, --input, --hidden, --poll, --rate"
                    + " and --rounds must be at least 1, --latency-seconds at least 0");
        }
        for (String g : options.guarantees()) {
            if (!g.equals(ProcessorConfig.EXACTLY_ONCE) && !g.equals(ProcessorConfig.AT_LEAST_ONCE)) {
                throw new IllegalArgumentException("--guarantees: unknown guarantee '" + g + "' (expected "
                        + ProcessorConfig.EXACTLY_ONCE + " or " + ProcessorConfig.AT_LEAST_ONCE + ")");
            }
        }
        if (options.restoreStreams() < 0) {
            throw new IllegalArgumentException("--restore-streams must be at least 0");
        }
        for (String k : options.pipelines()) {
            if (!k.equals(LSTM) && !k.equals(PASS)) {
                throw new IllegalArgumentException("--pipelines: unknown pipeline '" + k + "' (expected " + LSTM + " or "
                        + PASS + ")");
            }
        }
    }

    /** True when the LSTM pipeline is measured, on a native BLAS (whose thread count the command may pin). */
    public boolean usesNativeBlas() {
        return options.pipelines().contains(LSTM) && nativeBlas();
    }

    /** Runs every phase, one JSON line each to {@code out}. */
    public void run(PrintWriter out) throws Exception {
        Path work = Files.createTempDirectory("nowcast-bench-kafka");
        try (EmbeddedBroker b = EmbeddedBroker.startTemporary()) {
            Path modelFile = work.resolve("bench-lstm.safetensors");
            ModelFiles.save(modelFile, lstm(options.input(), options.hidden(), options.seed()));
            b.createTopic(DEAD_LETTERS, 1, Map.of());
            List<String> kinds = List.copyOf(new java.util.LinkedHashSet<>(options.pipelines()));
            List<String> gs = List.copyOf(new java.util.LinkedHashSet<>(options.guarantees()));
            Map<String, List<Double>> warm = new LinkedHashMap<>();
            for (int round = 1; round <= options.rounds(); round++) {
                // the first run in this JVM also pays for warming up the Kafka path: the order
                // alternates from round to round, and the summary leaves round 1 out
                List<String> order = new ArrayList<>(kinds);
                if (round % 2 == 0) {
                    java.util.Collections.reverse(order);
                }
                for (String k : order) {
                    // the guarantees side by side, their order alternating too
                    List<String> gOrder = new ArrayList<>(gs);
                    if (round % 2 == 0) {
                        java.util.Collections.reverse(gOrder);
                    }
                    for (String g : gOrder) {
                        guarantee = g;
                        String phase = shortName(g) + "-r" + round;
                        b.createTopic(topic(k, phase, "samples"), options.partitions(), Map.of());
                        b.createTopic(topic(k, phase, "predictions"), options.partitions(), Map.of());
                        preload(b, topic(k, phase, "samples"));
                        double perSecond = throughput(b, k, phase, round, modelFile, out);
                        if (round > 1 || options.rounds() == 1) {
                            warm.computeIfAbsent(k + "_" + g, x -> new ArrayList<>()).add(perSecond);
                        }
                    }
                }
            }
            StringBuilder summary = new StringBuilder("{\"bench\":\"kafka\",\"summary\":\"throughput\",\"rounds\":\"")
                    .append(options.rounds() == 1 ? "1" : "2-" + options.rounds()).append("\"");
            for (Map.Entry<String, List<Double>> e : warm.entrySet()) {
                summary.append(String.format(Locale.ROOT, ",\"%s_samples_per_s\":%.0f", e.getKey().replace('-', '_'),
                        median(e.getValue())));
            }
            for (String g : gs) {
                if (warm.containsKey(LSTM + "_" + g) && warm.containsKey(PASS + "_" + g)) {
                    summary.append(String.format(Locale.ROOT, ",\"ratio_%s_to_%s_%s\":%.3f", LSTM, PASS.replace('-', '_'), g,
                            median(warm.get(LSTM + "_" + g)) / median(warm.get(PASS + "_" + g))));
                }
            }
            for (String k : kinds) {
                String eos = k + "_" + ProcessorConfig.EXACTLY_ONCE;
                String alo = k + "_" + ProcessorConfig.AT_LEAST_ONCE;
                if (warm.containsKey(eos) && warm.containsKey(alo)) {
                    summary.append(String.format(Locale.ROOT, ",\"ratio_%s_exactly_once_to_at_least_once\":%.3f",
                            k.replace('-', '_'), median(warm.get(eos)) / median(warm.get(alo))));
                }
            }
            out.println(summary.append('}'));
            out.flush();
            if (options.restoreStreams() > 0) {
                restore(b, kinds.contains(LSTM) ? LSTM : PASS, modelFile, out);
            }
            if (options.latencySeconds() > 0) {
                for (String k : kinds) {
                    for (String g : gs) {
                        guarantee = g;
                        latency(b, k, modelFile, out);
                    }
                }
            }
        } finally {
            deleteRecursively(work);
        }
    }

    private static boolean nativeBlas() {
        Gemm g = Gemms.create();
        return g instanceof BlasGemm && ((BlasGemm) g).isNative();
    }

    /** The benchmark's model: LSTM input -> hidden, linear head of input outputs, seeded uniform weights, no normalisation. */
    static Forecaster lstm(int input, int hidden, long seed) {
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = "bench-lstm";
        spec.version = "1";
        spec.cell = CellType.LSTM;
        spec.inputSize = input;
        spec.hiddenSize = hidden;
        spec.numLayers = 1;
        spec.head = ModelSpec.Head.LINEAR;
        spec.outputSize = input;
        RecurrentNet net = new RecurrentNet(CellType.LSTM, input, hidden, 1, input, Gemms.create()).initUniform(new Rng(seed));
        return new Forecaster(spec, net);
    }

    static String topic(String kind, String phase, String what) {
        return "bench." + kind + (phase.isEmpty() ? "" : "." + phase) + "." + what;
    }

    /** The processing.guarantee of the processors being started. */
    private String guarantee = ProcessorConfig.EXACTLY_ONCE;

    static String shortName(String guarantee) {
        return guarantee.equals(ProcessorConfig.EXACTLY_ONCE) ? "eos" : "alo";
    }

    /** The processor's configuration for one pipeline and phase, as a config file would give it. */
    ProcessorConfig config(EmbeddedBroker b, String kind, String phase, Path modelFile) throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("bootstrap.servers", b.bootstrapServers());
        m.put("application.id", "nowcast-bench-" + kind + (phase.isEmpty() ? "" : "-" + phase));
        m.put("pipelines", kind);
        m.put("dead.letter.topic", DEAD_LETTERS);
        m.put("poll.max.records", Integer.toString(options.poll()));
        m.put("state.max.streams",
                Integer.toString(Math.max(Math.max(options.streams(), options.restoreStreams()), 100_000)));
        m.put("processing.guarantee", guarantee);
        String p = "pipeline." + kind + ".";
        m.put(p + "input.topics", topic(kind, phase, "samples"));
        m.put(p + "output.topic", topic(kind, phase, "predictions"));
        m.put(p + "model", kind.equals(PASS) ? ProcessorConfig.PASS_THROUGH : modelFile.toString());
        m.put(p + "input.size", Integer.toString(options.input()));
        options.settings().forEach((k, v) -> m.put(k.replace("pipeline.NAME.", p), v));
        return ProcessorConfig.parse(m, "nowcast bench kafka", null);
    }

    /** One sample as JSON, as the anchor writes it but with the schema's field name for the event time. */
    private static byte[] sample(StringBuilder sb, int stream, long time, float[] values) {
        sb.setLength(0);
        sb.append("{\"stream\":\"s").append(stream).append("\",\"time\":").append(time).append(",\"values\":[");
        for (int j = 0; j < values.length; j++) {
            sb.append(j == 0 ? "" : ",").append(values[j]);
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private byte[][] keys() {
        byte[][] k = new byte[options.streams()][];
        for (int s = 0; s < options.streams(); s++) {
            k[s] = ("s" + s).getBytes(StandardCharsets.UTF_8);
        }
        return k;
    }

    /** Writes the samples, streams interleaved, with the anchor's producer settings and values. */
    private void preload(EmbeddedBroker b, String topic) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        c.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        Random r = new Random(7);
        byte[][] keys = keys();
        StringBuilder sb = new StringBuilder(128);
        float[] v = new float[options.input()];
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < options.samples(); i++) {
                int s = i % options.streams();
                for (int j = 0; j < options.input(); j++) {
                    v[j] = (float) r.nextGaussian();
                }
                long time = EPOCH + (long) (i / options.streams()) * 400L;
                p.send(new ProducerRecord<>(topic, keys[s], sample(sb, s, time, v)));
            }
            p.flush();
        }
    }

    /** A processor running in its own thread. */
    private static final class Running implements AutoCloseable {
        final Processor processor;
        final Thread thread;
        volatile Throwable failure;

        Running(ProcessorConfig c, Map<String, ?> models) {
            this(c, models, new io.micrometer.core.instrument.composite.CompositeMeterRegistry());
        }

        Running(ProcessorConfig c, Map<String, ?> models, io.micrometer.core.instrument.MeterRegistry registry) {
            processor = new Processor(c, models, registry);
            thread = new Thread(() -> {
                try {
                    processor.run();
                } catch (Throwable t) {
                    failure = t;
                }
            }, "nowcast-bench-processor");
            thread.setDaemon(true);
            thread.start();
        }

        void check() {
            Throwable t = failure;
            if (t != null) {
                throw new IllegalStateException("the processor failed: " + t.getMessage(), t);
            }
        }

        @Override
        public void close() {
            processor.close();
        }
    }

    private static KafkaConsumer<byte[], byte[]> reader(EmbeddedBroker b, String group) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        if (group != null) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Times a processor over the preloaded samples until every prediction is read back; prints a line, returns samples/s. */
    private double throughput(EmbeddedBroker b, String kind, String phase, int round, Path modelFile, PrintWriter out)
            throws Exception {
        ProcessorConfig c = config(b, kind, phase, modelFile);
        Map<String, Object> models = ConfiguredModels.load(c);
        double load = loadAverage();
        long got = 0;
        long cpu0 = processCpuNanos();
        long start = System.nanoTime();
        double seconds;
        Processor.Stats s;
        try (Running run = new Running(c, models);
             KafkaConsumer<byte[], byte[]> reader = reader(b, "nowcast-bench-reader-" + kind + "-" + phase)) {
            reader.subscribe(List.of(topic(kind, phase, "predictions")));
            long deadline = start + TimeUnit.SECONDS.toNanos(600);
            while (got < options.samples()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(kind + ": " + got + " of " + options.samples()
                            + " predictions after 600 s");
                }
                run.check();
                got += reader.poll(Duration.ofMillis(200)).count();
            }
            seconds = (System.nanoTime() - start) / 1e9;
            cpu0 = processCpuNanos() - cpu0;
            run.close();
            run.check();
            s = run.processor.stats();
        }
        out.printf(Locale.ROOT, "{\"bench\":\"kafka\",\"pipeline\":\"%s\",\"guarantee\":\"%s\",\"phase\":\"throughput\",\"round\":%d,\"model\":\"%s\","
                        + "\"samples\":%d,\"streams\":%d,\"partitions\":%d,\"input\":%d,\"hidden\":%d,\"poll\":%d,"
                        + "\"received\":%d,\"seconds\":%.2f,\"samples_per_s\":%.0f,\"polls\":%d,\"rows_per_step\":%.1f,"
                        + "\"dead_letters\":%d,\"cpu_s\":%.2f,\"cpu_us_per_sample\":%.2f,\"load_avg\":%.2f%s}%n",
                kind, guarantee, round, describe(kind, models), options.samples(), options.streams(), options.partitions(),
                options.input(), kind.equals(PASS) ? 0 : options.hidden(), options.poll(),
                got, seconds, got / seconds, s.polls(), s.batchedSteps() == 0 ? 0.0 : s.rowsStepped() / (double) s.batchedSteps(),
                s.deadLettersTotal(), cpu0 / 1e9, cpu0 / 1e3 / got, load, settingsJson());
        out.flush();
        return got / seconds;
    }

    /** ,"settings":{...} when --set was given, else "". */
    private String settingsJson() {
        if (options.settings().isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(",\"settings\":{");
        options.settings().forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ",").append('"').append(k)
                .append("\":\"").append(v).append('"'));
        return sb.append('}').toString();
    }

    private static String describe(String kind, Map<String, Object> models) {
        if (kind.equals(PASS)) {
            return "none (predictions echo the samples)";
        }
        Model f = (Model) models.get(kind);
        ModelSpec sp = f.spec();
        Gemm g = f.net().gemm();
        boolean nativeBlas = g instanceof BlasGemm && ((BlasGemm) g).isNative();
        return "lstm " + sp.inputSize + "->" + sp.hiddenSize + ", linear head " + sp.outputSize + ", gemm " + g.name()
                + (nativeBlas ? " x" + BlasThreads.fromEnvironment() + " threads" : "");
    }

    /** Samples at a fixed rate through a fresh processor; prints the latency percentiles. */
    private void latency(EmbeddedBroker b, String kind, Path modelFile, PrintWriter out) throws Exception {
        String live = shortName(guarantee) + "-live";
        String in = topic(kind, live, "samples");
        String outTopic = topic(kind, live, "predictions");
        b.createTopic(in, options.partitions(), Map.of());
        b.createTopic(outTopic, options.partitions(), Map.of());
        ProcessorConfig c = config(b, kind, live, modelFile);
        Map<String, Object> models = ConfiguredModels.load(c);
        long total = (long) options.rate() * options.latencySeconds();
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("--rate x --latency-seconds is too many samples to keep their latencies");
        }
        long[] latencies = new long[(int) total];
        int[] count = {0};
        CountDownLatch positioned = new CountDownLatch(1);
        CountDownLatch allRead = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        Throwable[] readerFailure = {null};
        Thread readerThread = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> reader = reader(b, null)) {
                List<TopicPartition> parts = new ArrayList<>();
                for (int p = 0; p < options.partitions(); p++) {
                    parts.add(new TopicPartition(outTopic, p));
                }
                reader.assign(parts);
                reader.seekToBeginning(parts);
                for (TopicPartition tp : parts) {
                    reader.position(tp);
                }
                positioned.countDown();
                while (!stop.get() && count[0] < total) {
                    ConsumerRecords<byte[], byte[]> rs = reader.poll(Duration.ofMillis(50));
                    long now = System.currentTimeMillis();
                    for (ConsumerRecord<byte[], byte[]> r : rs) {
                        if (count[0] < total) {
                            latencies[count[0]++] = now - eventTime(r.value());
                        }
                    }
                }
            } catch (Throwable t) {
                readerFailure[0] = t;
            } finally {
                positioned.countDown();
                allRead.countDown();
            }
        }, "nowcast-bench-reader");
        readerThread.setDaemon(true);
        double load = loadAverage();
        double sendSeconds;
        Processor.Stats s;
        try (Running run = new Running(c, models)) {
            readerThread.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (run.processor.stats().partitions() < options.partitions()) {
                run.check();
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(kind + ": the processor has not been given its partitions after 60 s");
                }
                Thread.sleep(10);
            }
            if (!positioned.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(kind + ": the reader is not positioned after 60 s");
            }
            Map<String, Object> pc = new HashMap<>();
            pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
            pc.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            byte[][] keys = keys();
            Random r = new Random(11);
            StringBuilder sb = new StringBuilder(128);
            float[] v = new float[options.input()];
            long t0;
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer())) {
                t0 = System.nanoTime();
                for (long i = 0; i < total; i++) {
                    long due = t0 + i * 1_000_000_000L / options.rate();
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    int st = (int) (i % options.streams());
                    for (int j = 0; j < options.input(); j++) {
                        v[j] = (float) r.nextGaussian();
                    }
                    p.send(new ProducerRecord<>(in, keys[st], sample(sb, st, System.currentTimeMillis(), v)));
                }
                p.flush();
                sendSeconds = (System.nanoTime() - t0) / 1e9;
            }
            allRead.await(60, TimeUnit.SECONDS);
            stop.set(true);
            readerThread.join(10_000);
            run.close();
            run.check();
            s = run.processor.stats();
        } finally {
            stop.set(true);
        }
        if (readerFailure[0] != null) {
            throw new IllegalStateException("the reader failed: " + readerFailure[0], readerFailure[0]);
        }
        int n = count[0];
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        out.printf(Locale.ROOT, "{\"bench\":\"kafka\",\"pipeline\":\"%s\",\"guarantee\":\"%s\",\"phase\":\"latency\",\"rate\":%d,"
                        + "\"seconds\":%d,\"sent\":%d,\"sent_per_s\":%.0f,\"received\":%d,\"p50_ms\":%d,\"p99_ms\":%d,"
                        + "\"max_ms\":%d,\"mean_ms\":%.2f,\"rows_per_step\":%.1f,\"dead_letters\":%d,\"load_avg\":%.2f,"
                        + "\"latency\":\"wall clock when the prediction is read back minus the sample's event time"
                        + " (the wall clock when it was produced)\"}%n",
                kind, guarantee, options.rate(), options.latencySeconds(), total, total / sendSeconds, n,
                percentile(sorted, 0.50),
                percentile(sorted, 0.99), n == 0 ? -1 : sorted[n - 1], mean(sorted),
                s.batchedSteps() == 0 ? 0.0 : s.rowsStepped() / (double) s.batchedSteps(), s.deadLettersTotal(), load);
        out.flush();
    }

    /**
     * Restore speed: {@code --restore-streams} streams, one sample each, through an exactly_once
     * processor, which leaves one state record per stream in the changelog; then a second processor
     * of the same application is started, and the time its restore took (the meter
     * {@code nowcast.state.restore}, from the assignment to the last changelog record read) gives
     * the streams restored per second.
     */
    private void restore(EmbeddedBroker b, String kind, Path modelFile, PrintWriter out) throws Exception {
        guarantee = ProcessorConfig.EXACTLY_ONCE;
        String phase = "restore";
        String in = topic(kind, phase, "samples");
        b.createTopic(in, options.partitions(), Map.of());
        b.createTopic(topic(kind, phase, "predictions"), options.partitions(), Map.of());
        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        pc.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        pc.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        Random r = new Random(11);
        StringBuilder sb = new StringBuilder(128);
        float[] v = new float[options.input()];
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < options.restoreStreams(); i++) {
                for (int j = 0; j < options.input(); j++) {
                    v[j] = (float) r.nextGaussian();
                }
                p.send(new ProducerRecord<>(in, ("s" + i).getBytes(StandardCharsets.UTF_8), sample(sb, i, EPOCH, v)));
            }
            p.flush();
        }
        ProcessorConfig c = config(b, kind, phase, modelFile);
        Map<String, Object> models = ConfiguredModels.load(c);
        long written = 0;
        try (Running first = new Running(c, models, new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
            while (first.processor.stats().predictions() < options.restoreStreams()) {
                first.check();
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("restore: " + first.processor.stats().predictions() + " of "
                            + options.restoreStreams() + " samples processed after 600 s");
                }
                Thread.sleep(20);
            }
            first.close();
            first.check();
            written = (long) first.processor.registry().get("nowcast.state.changelog.records").counter().count();
        }
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        double seconds;
        double restored;
        try (Running second = new Running(c, ConfiguredModels.load(c), registry)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
            io.micrometer.core.instrument.Timer t = registry.get("nowcast.state.restore").timer();
            while (t.count() == 0 || !second.processor.ready()) {
                second.check();
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("restore: not restored after 600 s");
                }
                Thread.sleep(5);
            }
            seconds = t.totalTime(TimeUnit.NANOSECONDS) / 1e9;
            restored = registry.get("nowcast.state.restored.streams").counter().count();
        }
        out.printf(Locale.ROOT, "{\"bench\":\"kafka\",\"pipeline\":\"%s\",\"phase\":\"restore\",\"streams\":%d,"
                        + "\"partitions\":%d,\"hidden\":%d,\"changelog_records\":%d,\"restored\":%.0f,\"seconds\":%.3f,"
                        + "\"streams_per_s\":%.0f,\"restore\":\"nowcast.state.restore: from the assignment to the last"
                        + " changelog record read, the stable offsets checked first\"}%n",
                kind, options.restoreStreams(), options.partitions(), kind.equals(PASS) ? 0 : options.hidden(), written,
                restored, seconds, restored / seconds);
        out.flush();
    }

    /** The value of the prediction's "time" field (its sample's event time). */
    static long eventTime(byte[] v) {
        outer:
        for (int i = 0; i + TIME_FIELD.length < v.length; i++) {
            for (int j = 0; j < TIME_FIELD.length; j++) {
                if (v[i + j] != TIME_FIELD[j]) {
                    continue outer;
                }
            }
            long t = 0;
            for (int k = i + TIME_FIELD.length; k < v.length && v[k] >= '0' && v[k] <= '9'; k++) {
                t = 10 * t + (v[k] - '0');
            }
            return t;
        }
        throw new IllegalStateException("a prediction without \"time\": " + new String(v, StandardCharsets.UTF_8));
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** The smallest value with at least a fraction q of the values at or below it; -1 if none. */
    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        int k = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, k))];
    }

    private static double mean(long[] v) {
        if (v.length == 0) {
            return 0;
        }
        double s = 0;
        for (long x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** CPU time of this JVM (every thread: broker, processor, reader), or 0 if unknown. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0;
    }

    /** The system's load average over the last minute (-1 if unknown). */
    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
