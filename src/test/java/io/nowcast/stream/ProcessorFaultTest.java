package io.nowcast.stream;

import io.nowcast.stream.internal.BatchResult;
import io.nowcast.stream.internal.PipelineRunner;
import io.nowcast.stream.internal.StreamStateStore;
import static io.nowcast.TestBytes.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.Sample;
import io.nowcast.codec.SampleCodec;
import io.nowcast.model.Forecaster;
import io.nowcast.tensor.Rng;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once through real faults: processors run as real child processes ({@code nowcast run}
 * on the test classpath) against a broker in the test JVM, and are killed with SIGKILL, stopped
 * with SIGTERM, joined by others, or see their broker restart, while 100 streams flow. Each time
 * the output topic, read with read_committed, must hold exactly one prediction per input sample,
 * byte for byte the prediction an uninterrupted run makes (computed here by a {@link PipelineRunner}
 * stepping every stream from a fresh state through all of its samples): a restart that lost a
 * stream's hidden state, its step count or its event time, or that wrote a prediction twice,
 * fails it.
 */
class ProcessorFaultTest {
    private static final int STREAMS = 100;
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static Forecaster walk;
    private static Path modelFile;

    @BeforeAll
    static void setUp() throws Exception {
        // the broker looks for transactions open longer than their timeout every half second (every
        // 10 s by default), so that the outage test sees its transactions aborted soon after the restart
        broker = EmbeddedBroker.builder()
                .property("transaction.abort.timed.out.transaction.cleanup.interval.ms", "500")
                .start();
        walk = TestModels.lstm2x16(29);
        modelFile = TestModels.save(walk, dir.resolve("walk.safetensors"));
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    /** Round r of the feed: one sample of every stream, random walks (seeded). */
    private static List<ProducerRecord<byte[], byte[]>> round(String topic, int r) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(STREAMS);
        for (int s = 0; s < STREAMS; s++) {
            Rng rng = new Rng(1000L * s + r);
            float x = (float) (s % 10 + 0.1 * r + 0.3 * (rng.nextDouble() - 0.5));
            float y = (float) (s / 10 - 0.05 * r + 0.3 * (rng.nextDouble() - 0.5));
            String json = "{\"time\":" + (T0 + 100L * r) + ",\"values\":[" + x + "," + y + "]}";
            out.add(new ProducerRecord<>(topic, utf8("s-" + s), utf8(json)));
        }
        return out;
    }

    /** The predictions of an uninterrupted run over rounds [0, rounds): stream to its predictions' values, in order. */
    private static Map<String, List<byte[]>> expected(int rounds) throws Exception {
        SampleCodec codec = new SampleCodec(2, 65536);
        StreamStateStore store = new StreamStateStore(1, 16, true, 10_000, 0, null);
        PipelineRunner runner = new PipelineRunner("walk", walk, store, false, 0, () -> 0L);
        Map<String, List<byte[]>> out = new HashMap<>();
        for (int r = 0; r < rounds; r++) {
            List<Sample> batch = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> rec : round("x", r)) {
                batch.add(codec.decode(rec.key(), rec.value(), 0));
            }
            runner.process(batch).replay(new BatchResult.Reader() {
                @Override
                public void output(int index, String stream, long eventTime, long step, byte[] value) {
                    out.computeIfAbsent(stream, k -> new ArrayList<>()).add(value);
                }

                @Override
                public void rejected(int index, String stream, RejectReason reason, String message) {
                    throw new AssertionError(message);
                }
            });
        }
        return out;
    }

    /** Topics name-in (partitions), name-out, name-dead and a config file for instance id. */
    private static void topics(String name, int partitions) {
        broker.createTopic(name + "-in", partitions, Map.of());
        broker.createTopic(name + "-out", partitions, Map.of());
        broker.createTopic(name + "-dead", 1, Map.of());
    }

    /** The config file of instance id, with more key=value lines (later ones win). */
    private static Path configFile(String name, String instance, String... more) throws IOException {
        Path f = dir.resolve(name + "-" + instance + ".properties");
        Files.writeString(f, String.join("\n",
                "bootstrap.servers=" + broker.bootstrapServers(),
                "application.id=" + name,
                "instance.id=" + instance,
                "processing.guarantee=exactly_once",
                "commit.interval.ms=100",
                "poll.max.records=500",
                "http.port=0",
                "pipelines=walk",
                "dead.letter.topic=" + name + "-dead",
                "pipeline.walk.input.topics=" + name + "-in",
                "pipeline.walk.output.topic=" + name + "-out",
                "pipeline.walk.model=" + modelFile.toAbsolutePath(),
                "consumer.session.timeout.ms=6000",
                "consumer.heartbeat.interval.ms=1000",
                "producer.transaction.timeout.ms=10000",
                String.join("\n", more),
                ""), StandardCharsets.UTF_8);
        return f;
    }

    /** A processor in its own JVM: {@code nowcast run --config FILE}. */
    private static final Pattern READY = Pattern.compile("ready: (http://\\S+/ready)");

    static final class Child {
        private static final AtomicInteger STARTED = new AtomicInteger();
        final Process process;
        final Path log;

        /** Its output goes to logs/NAME-k.log (system property fault.logs, else the test's folder). */
        Child(Path config, String name) throws IOException {
            Path logs = Path.of(System.getProperty("fault.logs", dir.toString()));
            this.log = logs.resolve(name + "-" + STARTED.incrementAndGet() + ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=" + System.getProperty("fault.kafkaLog", "warn"),
                    "-Dorg.slf4j.simpleLogger.showDateTime=true",
                    "-cp", System.getProperty("java.class.path"), "io.nowcast.cli.Main", "run",
                    "--config", config.toString(), "--stats-every", System.getProperty("fault.statsEvery", "0"));
            pb.redirectErrorStream(true);
            pb.redirectOutput(log.toFile());
            this.process = pb.start();
        }

        /**
         * Waits until the processor's /ready answers 200: it owns partitions and has restored their
         * streams' states.
         */
        void awaitReady(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            HttpClient http = HttpClient.newHttpClient();
            URI ready = null;
            while (true) {
                assertTrue(process.isAlive(), "the processor ended; " + tail());
                assertTrue(System.nanoTime() < deadline, "not ready in " + timeout + "; " + tail());
                if (ready == null) {
                    for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                        Matcher m = READY.matcher(l);
                        if (m.find()) {
                            ready = URI.create(m.group(1));
                        }
                    }
                }
                if (ready != null) {
                    try {
                        if (http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode() == 200) {
                            return;
                        }
                    } catch (IOException notYet) {
                        // not listening yet
                    }
                }
                Thread.sleep(50);
            }
        }

        /** SIGKILL: no shutdown hook, no commit, no leaving the group. */
        void kill9() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        /**
         * SIGTERM, and checks that the processor stopped through its shutdown hook: its loop
         * returned ("stopped: ..." on stderr) and the JVM ended with 143 (128 + SIGTERM, as any JVM
         * that a SIGTERM ends).
         */
        void term() throws Exception {
            long before = stoppedLines();
            process.destroy();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the processor did not stop on SIGTERM; " + tail());
            assertEquals(143, process.exitValue(), tail());
            assertEquals(before + 1, stoppedLines(), "the loop finished and committed; " + tail());
        }

        private long stoppedLines() throws IOException {
            return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("stopped: ")).count();
        }

        String tail() {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                return "log " + log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException e) {
                return "no log: " + e;
            }
        }
    }

    /**
     * Writes rounds [from, to) to the input topic, a round every pauseMs, in a thread of its own;
     * {@link #finishAfter} moves the end.
     */
    static final class Feed implements AutoCloseable {
        final Thread thread;
        final AtomicInteger written = new AtomicInteger();
        final int from;
        volatile int to;
        volatile Throwable failure;

        Feed(String topic, int from, int to, long pauseMs) {
            this.from = from;
            this.to = to;
            thread = new Thread(() -> {
                Map<String, Object> c = new HashMap<>();
                c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
                c.put(ProducerConfig.ACKS_CONFIG, "all");
                c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
                c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000);
                try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(c, new ByteArraySerializer(),
                        new ByteArraySerializer())) {
                    for (int r = from; r < this.to; r++) {
                        for (ProducerRecord<byte[], byte[]> rec : round(topic, r)) {
                            p.send(rec, (m, e) -> {
                                if (e != null) {
                                    failure = e;
                                }
                            });
                        }
                        written.set(r + 1 - from);
                        Thread.sleep(pauseMs);
                    }
                    p.flush();
                } catch (Throwable e) {
                    failure = e;
                }
            }, "feed-" + topic);
            thread.setDaemon(true);
            thread.start();
        }

        /** Ends the feed n rounds from now; returns the round it ends before. */
        int finishAfter(int n) {
            to = from + written.get() + n;
            return to;
        }

        void await() throws Exception {
            thread.join(300_000);
            if (failure != null) {
                throw new AssertionError("the feed failed", failure);
            }
        }

        @Override
        public void close() throws Exception {
            thread.interrupt();
            thread.join(10_000);
        }
    }

    /** Reads a topic with read_committed as it grows. */
    static final class Reader implements AutoCloseable {
        final KafkaConsumer<byte[], byte[]> consumer;
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();

        Reader(String topic) {
            Map<String, Object> c = new HashMap<>();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
            consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(20)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
        }

        int poll() {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return records.size();
        }

        /** Reads until at least n records, failing after the timeout with what the children logged. */
        void await(int n, Duration timeout, List<Child> children) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (poll() < n) {
                if (System.nanoTime() > deadline) {
                    StringBuilder sb = new StringBuilder();
                    for (Child c : children) {
                        sb.append('\n').append(c.tail());
                    }
                    throw new AssertionError("read " + records.size() + " of " + n + " predictions in " + timeout + sb);
                }
            }
        }

        /** Everything up to the end offsets of now. */
        List<ConsumerRecord<byte[], byte[]>> drain() {
            Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(20));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                assertTrue(System.nanoTime() < deadline, "did not reach the end offsets " + end);
                poll();
            }
            return records;
        }

        @Override
        public void close() {
            consumer.close(Duration.ZERO);
        }
    }

    /**
     * Exactly one prediction per sample of rounds [0, rounds), each equal byte for byte to the
     * uninterrupted run's; nothing dead-lettered.
     */
    private static void assertExactlyOnce(String name, List<ConsumerRecord<byte[], byte[]>> out, int rounds)
            throws Exception {
        Map<String, List<byte[]>> want = expected(rounds);
        Map<String, List<byte[]>> got = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : out) {
            got.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>()).add(r.value());
        }
        assertEquals(STREAMS * rounds, out.size(), "one prediction per sample (" + STREAMS + " streams x " + rounds + ")");
        assertEquals(want.keySet(), got.keySet());
        for (Map.Entry<String, List<byte[]>> e : want.entrySet()) {
            List<byte[]> g = got.get(e.getKey());
            assertEquals(e.getValue().size(), g.size(), e.getKey());
            for (int i = 0; i < g.size(); i++) {
                byte[] w = e.getValue().get(i);
                if (!Arrays.equals(w, g.get(i))) {
                    throw new AssertionError(e.getKey() + " prediction " + (i + 1) + " differs from the uninterrupted run's:\n"
                            + "  want " + new String(w, StandardCharsets.UTF_8) + "\n  got  "
                            + new String(g.get(i), StandardCharsets.UTF_8));
                }
            }
        }
        assertEquals(0, KafkaTestKit.readAll(broker, name + "-dead").size(), "dead letters");
    }

    @Test
    void killedTenTimesWithSigkillWhileStreamsFlow() throws Exception {
        String name = "kill9";
        topics(name, 4);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Path config = configFile(name, "a");
        List<Child> all = new ArrayList<>();
        try (Feed feed = new Feed(name + "-in", 0, Integer.MAX_VALUE, 100); Reader reader = new Reader(name + "-out")) {
            for (int k = 0; k < 10; k++) {
                Child c = new Child(config, name);
                all.add(c);
                // a random moment: every third kill while the JVM starts or restores, the others
                // while it processes (after /ready)
                String when;
                if (k % 3 == 0) {
                    long ms = 500 + random.nextInt(3000);
                    Thread.sleep(ms);
                    when = ms + " ms after its start";
                } else {
                    c.awaitReady(Duration.ofSeconds(60));
                    long ms = random.nextInt(1500);
                    Thread.sleep(ms);
                    when = ms + " ms after it was ready";
                }
                reader.poll();
                System.out.println(name + ": kill -9 number " + (k + 1) + ", " + when + "; " + feed.written.get()
                        + " rounds written, " + reader.records.size() + " predictions committed");
                c.kill9();
            }
            Child last = new Child(config, name);
            all.add(last);
            // the streams go on flowing while the last one starts and restores
            int rounds = feed.finishAfter(30);
            feed.await();
            reader.await(STREAMS * rounds, Duration.ofSeconds(120), all);
            last.term();
            assertExactlyOnce(name, reader.drain(), rounds);
        } finally {
            for (Child c : all) {
                c.kill9();
            }
        }
    }

    @Test
    void sigtermCommitsLeavesTheGroupAndARestartResumesThere() throws Exception {
        String name = "term";
        topics(name, 4);
        Path config = configFile(name, "a");
        List<Child> all = new ArrayList<>();
        try (Reader reader = new Reader(name + "-out"); Admin admin = admin()) {
            Child first = new Child(config, name);
            all.add(first);
            try (Feed feed = new Feed(name + "-in", 0, 100, 100)) {
                reader.await(STREAMS * 20, Duration.ofSeconds(120), all);
                // stopped while samples keep coming
                first.term();
                feed.await();
            }
            // everything it processed was committed with its offsets, and it left the group
            long predicted = reader.drain().size();
            long consumed = 0;
            for (OffsetAndMetadata o : admin.listConsumerGroupOffsets(name).partitionsToOffsetAndMetadata().get().values()) {
                consumed += o.offset();
            }
            assertEquals(predicted, consumed, "predictions committed = input offsets committed");
            assertTrue(predicted < STREAMS * 100L, "stopped mid-stream: " + predicted);
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(name)).all().get().get(name);
            assertTrue(g.members().isEmpty(), "left the group: " + g.members());
            Child second = new Child(config, name);
            all.add(second);
            try (Feed feed = new Feed(name + "-in", 100, 140, 20)) {
                feed.await();
            }
            reader.await(STREAMS * 140, Duration.ofSeconds(120), all);
            second.term();
            assertExactlyOnce(name, reader.drain(), 140);
        } finally {
            for (Child c : all) {
                c.kill9();
            }
        }
    }

    /** What a test does to its processors while the streams flow; it adds each child it starts to {@code all}. */
    @FunctionalInterface
    interface Scenario {
        void run(Feed feed, Reader reader, List<Child> all) throws Exception;
    }

    /**
     * Topics for name (partitions), the feed of rounds [0, rounds) a round every pauseMs and the
     * reader of the output around the scenario; then exactly one prediction per input, equal to an
     * uninterrupted run's, and every child killed whatever happened.
     */
    private static void whileStreamsFlow(String name, int partitions, int rounds, long pauseMs, Scenario scenario)
            throws Exception {
        topics(name, partitions);
        List<Child> all = new ArrayList<>();
        try (Feed feed = new Feed(name + "-in", 0, rounds, pauseMs); Reader reader = new Reader(name + "-out")) {
            scenario.run(feed, reader, all);
            assertExactlyOnce(name, reader.drain(), rounds);
        } finally {
            for (Child x : all) {
                x.kill9();
            }
        }
    }

    @Test
    void threeInstancesOneKilledAnotherAdded() throws Exception {
        String name = "group";
        int rounds = 250;
        whileStreamsFlow(name, 6, rounds, 100, (feed, reader, all) -> {
            Child a = new Child(configFile(name, "a"), name);
            Child b = new Child(configFile(name, "b"), name);
            Child c = new Child(configFile(name, "c"), name);
            all.addAll(List.of(a, b, c));
            reader.await(STREAMS * 30, Duration.ofSeconds(120), all);
            b.kill9();
            System.out.println(name + ": killed b after " + feed.written.get() + " rounds");
            Thread.sleep(4000);
            reader.poll();
            Child d = new Child(configFile(name, "d"), name);
            all.add(d);
            System.out.println(name + ": added d after " + feed.written.get() + " rounds");
            assertTrue(feed.written.get() < rounds, "the streams were still flowing when d joined");
            feed.await();
            reader.await(STREAMS * rounds, Duration.ofSeconds(120), all);
            for (Child x : List.of(a, c, d)) {
                x.term();
            }
        });
    }

    @Test
    void brokerStoppedAndStartedAgainMidStream() throws Exception {
        String name = "bounce";
        int rounds = 200;
        whileStreamsFlow(name, 4, rounds, 60, (feed, reader, all) -> {
            Child a = new Child(configFile(name, "a"), name);
            all.add(a);
            reader.await(STREAMS * 40, Duration.ofSeconds(120), all);
            broker.stop();
            System.out.println(name + ": broker stopped after " + feed.written.get() + " rounds");
            Thread.sleep(5000);
            broker.start();
            System.out.println(name + ": broker started again after " + feed.written.get() + " rounds");
            assertTrue(a.process.isAlive(), "the processor waited for the broker; " + a.tail());
            feed.await();
            reader.await(STREAMS * rounds, Duration.ofSeconds(180), all);
            assertTrue(a.process.isAlive(), "the same processor recovered; " + a.tail());
            a.term();
        });
    }

    /**
     * The broker away for longer than the transaction timeout: when it is back, it aborts the
     * transactions that were open and bumps their producers' epochs, so the processors' producers
     * find themselves fenced although no other instance took over. Each processor makes a new
     * producer, rewinds to its last commit and goes on; none stops.
     */
    @Test
    void brokerAwayLongerThanTheTransactionTimeout() throws Exception {
        String name = "outage";
        int rounds = 200;
        whileStreamsFlow(name, 4, rounds, 60, (feed, reader, all) -> {
            Child a = new Child(configFile(name, "a", "producer.transaction.timeout.ms=3000"), name);
            Child b = new Child(configFile(name, "b", "producer.transaction.timeout.ms=3000"), name);
            all.add(a);
            all.add(b);
            reader.await(STREAMS * 40, Duration.ofSeconds(120), all);
            broker.stop();
            System.out.println(name + ": broker stopped after " + feed.written.get() + " rounds");
            Thread.sleep(10_000);
            broker.start();
            System.out.println(name + ": broker started again after " + feed.written.get() + " rounds");
            feed.await();
            reader.await(STREAMS * rounds, Duration.ofSeconds(180), all);
            assertTrue(a.process.isAlive(), "a went on after the outage; " + a.tail());
            assertTrue(b.process.isAlive(), "b went on after the outage; " + b.tail());
            a.term();
            b.term();
        });
    }

    /**
     * The same fencing without an outage, deterministically: a processor frozen (SIGSTOP) for longer
     * than its transaction timeout, as in a long pause of its JVM or its machine. The broker aborts
     * the transaction it had open and bumps its producer's epoch; when the processor wakes up its
     * producer is fenced although no other instance took over, so it makes a new one, rewinds and
     * goes on.
     */
    @Test
    void processorFrozenLongerThanItsTransactionTimeout() throws Exception {
        String name = "frozen";
        int rounds = 200;
        whileStreamsFlow(name, 4, rounds, 60, (feed, reader, all) -> {
            Child a = new Child(configFile(name, "a", "producer.transaction.timeout.ms=2000",
                    "consumer.session.timeout.ms=45000", "commit.interval.ms=1000"), name);
            all.add(a);
            reader.await(STREAMS * 40, Duration.ofSeconds(120), all);
            signal(a, "STOP");
            System.out.println(name + ": a frozen after " + feed.written.get() + " rounds");
            Thread.sleep(6_000);
            signal(a, "CONT");
            System.out.println(name + ": a thawed after " + feed.written.get() + " rounds");
            feed.await();
            reader.await(STREAMS * rounds, Duration.ofSeconds(180), all);
            assertTrue(a.process.isAlive(), "a went on after its transaction was aborted; " + a.tail());
            a.term();
        });
    }

    /**
     * The other side of the rule: a second live instance with the same instance.id. The group
     * coordinator fences the first one's consumer, and the first stops (a new producer does not
     * save it); the second goes on, and nothing is written twice.
     */
    @Test
    void aSecondInstanceWithTheSameIdStopsTheFirst() throws Exception {
        String name = "twin";
        int rounds = 200;
        whileStreamsFlow(name, 4, rounds, 60, (feed, reader, all) -> {
            Child first = new Child(configFile(name, "a"), name);
            all.add(first);
            reader.await(STREAMS * 40, Duration.ofSeconds(120), all);
            Child second = new Child(configFile(name, "a"), name);
            all.add(second);
            assertTrue(first.process.waitFor(90, TimeUnit.SECONDS), "the first instance stopped; " + first.tail());
            assertEquals(1, first.process.exitValue(), first.tail());
            assertTrue(first.tail().contains("FencedInstanceIdException"),
                    "it says why it stopped; " + first.tail());
            feed.await();
            reader.await(STREAMS * rounds, Duration.ofSeconds(180), List.of(second));
            assertTrue(second.process.isAlive(), "the second went on; " + second.tail());
            second.term();
        });
    }

    /**
     * SIGTERM while the broker is away: the processor cannot commit, so it stops within the grace
     * period without committing (the broker aborts the open transaction), and the instance that
     * takes over when the broker is back does that work again, once.
     */
    @Test
    void sigtermWhileTheBrokerIsAway() throws Exception {
        String name = "away";
        int rounds = 200;
        whileStreamsFlow(name, 4, rounds, 60, (feed, reader, all) -> {
            Child a = new Child(configFile(name, "a"), name);
            all.add(a);
            reader.await(STREAMS * 40, Duration.ofSeconds(120), all);
            broker.stop();
            Thread.sleep(2_000);
            long t0 = System.nanoTime();
            a.process.destroy();
            assertTrue(a.process.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s of SIGTERM; " + a.tail());
            System.out.println(name + ": stopped " + (System.nanoTime() - t0) / 1_000_000 + " ms after SIGTERM");
            assertEquals(143, a.process.exitValue(), a.tail());
            assertTrue(a.tail().contains("stopped: "), "the loop finished; " + a.tail());
            broker.start();
            Child b = new Child(configFile(name, "b"), name);
            all.add(b);
            feed.await();
            reader.await(STREAMS * rounds, Duration.ofSeconds(180), List.of(b));
            b.term();
        });
    }

    private static void signal(Child c, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(c.process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }
}
