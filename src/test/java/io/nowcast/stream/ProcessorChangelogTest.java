package io.nowcast.stream;

import io.nowcast.stream.internal.StateChangelog;
import io.nowcast.stream.internal.StreamStateStore;
import static io.nowcast.TestBytes.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Forecaster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The changelog topic of a pipeline through a real broker: what is written, and what is refused. */
class ProcessorChangelogTest {
    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static Forecaster walk;

    @BeforeAll
    static void setUp() throws Exception {
        broker = EmbeddedBroker.startTemporary();
        walk = TestModels.lstm2x16(5);
        TestModels.save(walk, dir.resolve("walk.safetensors"));
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    private static ProcessorConfig setUpPipeline(String name, int partitions, String... extra) throws Exception {
        broker.createTopic(name + "-in", partitions, Map.of());
        broker.createTopic(name + "-out", partitions, Map.of());
        broker.createTopic(name + "-dead", 1, Map.of());
        List<String> kv = new ArrayList<>(List.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "pipelines", "p",
                "dead.letter.topic", name + "-dead",
                "pipeline.p.input.topics", name + "-in",
                "pipeline.p.output.topic", name + "-out",
                "pipeline.p.model", "walk.safetensors"));
        kv.addAll(List.of(extra));
        return KafkaTestKit.config(dir, kv.toArray(String[]::new));
    }

    private static List<ProducerRecord<byte[], byte[]>> samples(String topic, int streams, int each) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int t = 0; t < each; t++) {
            for (int s = 0; s < streams; s++) {
                out.add(new ProducerRecord<>(topic, utf8("s" + s),
                        utf8("{\"time\":" + (1000L + t) + ",\"values\":[" + (s + 0.01f * t) + ",0.5]}")));
            }
        }
        return out;
    }

    @Test
    void oneStateRecordPerStreamPerTransaction() throws Exception {
        // one long transaction: the stop commits it, with one record per stream however many samples
        ProcessorConfig c = setUpPipeline("once", 2, "commit.interval.ms", "600000");
        KafkaTestKit.produce(broker, samples("once-in", 5, 40));
        try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("p", walk))) {
            r.awaitHandled(200, Duration.ofSeconds(60));
        }
        List<ConsumerRecord<byte[], byte[]>> log = KafkaTestKit.readAll(broker, "once-p-state");
        assertEquals(5, log.size(), "one record per stream");
        Map<String, Integer> partitionOf = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> in : KafkaTestKit.readAll(broker, "once-in")) {
            partitionOf.put(new String(in.key(), StandardCharsets.UTF_8), in.partition());
        }
        for (ConsumerRecord<byte[], byte[]> r : log) {
            String stream = new String(r.key(), StandardCharsets.UTF_8);
            assertEquals(partitionOf.get(stream), r.partition(), "the partition of the stream's samples");
            StateChangelog.State s = StateChangelog.decode(r.value());
            assertEquals(40, s.steps());
            assertEquals(1039, s.lastEventTime());
            assertEquals("walk-lstm", s.model());
            assertEquals(16, s.hidden());
        }
        assertEquals(200, KafkaTestKit.readAll(broker, "once-out").size());
    }

    @Test
    void anEvictionWritesATombstone() throws Exception {
        ProcessorConfig c = setUpPipeline("tomb", 1, "state.max.streams", "2");
        List<ProducerRecord<byte[], byte[]>> in = new ArrayList<>();
        for (String s : List.of("a", "b", "c")) {
            in.add(new ProducerRecord<>("tomb-in", utf8(s), utf8("{\"time\":1,\"values\":[1,2]}")));
        }
        KafkaTestKit.produce(broker, in);
        try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("p", walk))) {
            r.awaitHandled(3, Duration.ofSeconds(60));
        }
        Map<String, byte[]> last = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestKit.readAll(broker, "tomb-p-state")) {
            last.put(new String(r.key(), StandardCharsets.UTF_8), r.value());
        }
        assertEquals(3, last.size(), last.keySet().toString());
        assertNull(last.get("a"), "the least recently used stream was evicted: a tombstone");
        assertEquals(1, StateChangelog.decode(last.get("c")).steps());
    }

    @Test
    void statesWrittenToTheChangelogAreRestoredBeforeReadyAndBeforeTheFirstRecord() throws Exception {
        // 20,000 states written as the format document says, by another writer than the processor
        ProcessorConfig c = setUpPipeline("restore", 2);
        broker.createTopic("restore-p-state", 2, Map.of("cleanup.policy", "compact"));
        int n = 20_000;
        StreamStateStore scratch = new StreamStateStore(1, 16, true, n + 1, 0, null);
        List<ProducerRecord<byte[], byte[]>> states = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StreamStateStore.Entry e = scratch.acquire("s" + i, 0);
            java.util.Arrays.fill(e.vectors, 0.01f * (i % 7));
            e.steps = 41;
            e.lastEventTime = 999;
            states.add(new ProducerRecord<>("restore-p-state", i % 2, utf8("s" + i),
                    StateChangelog.encode(e, 1, 16, true, utf8("walk-lstm"), utf8("7"))));
        }
        KafkaTestKit.produce(broker, states);
        // the samples of s0 and s1 are on partitions 0 and 1 of the input, as their states
        KafkaTestKit.produce(broker, List.of(
                new ProducerRecord<>("restore-in", 0, utf8("s0"), utf8("{\"time\":1000,\"values\":[0,0.5]}")),
                new ProducerRecord<>("restore-in", 1, utf8("s1"), utf8("{\"time\":1000,\"values\":[0,0.5]}"))));
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        Processor processor = new Processor(c, Map.of("p", walk), registry);
        try (KafkaTestKit.Running r = new KafkaTestKit.Running(processor)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!processor.ready()) {
                assertTrue(System.nanoTime() < deadline, "not ready after 60 s");
                assertTrue(!r.done.isDone(), "the processor stopped");
                Thread.sleep(1);
            }
            assertEquals(n, registry.get(Meters.RESTORED.name()).counter().count(), "ready only once restored");
            assertEquals(1, registry.get(Meters.RESTORE.name()).timer().count());
            r.awaitHandled(2, Duration.ofSeconds(60));
        }
        for (ConsumerRecord<byte[], byte[]> out : KafkaTestKit.readAll(broker, "restore-out")) {
            String v = new String(out.value(), StandardCharsets.UTF_8);
            assertTrue(v.contains("\"step\":42"), "the stream went on from its restored 41 steps: " + v);
        }
        assertEquals(2, KafkaTestKit.readAll(broker, "restore-out").size());
    }

    @Test
    void aBadRecordInTheChangelogStopsTheProcessorSayingWhere() throws Exception {
        ProcessorConfig c = setUpPipeline("bad", 1);
        broker.createTopic("bad-p-state", 1, Map.of("cleanup.policy", "compact"));
        byte[] v2 = new byte[40];
        v2[0] = 2;
        KafkaTestKit.produce(broker, List.of(new ProducerRecord<>("bad-p-state", utf8("ped-9"), v2)));
        KafkaTestKit.produce(broker, samples("bad-in", 1, 1));
        KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("p", walk));
        ExecutionException e = assertThrows(ExecutionException.class, () -> r.done.get(60, TimeUnit.SECONDS));
        String m = e.getCause().getMessage();
        assertTrue(m.contains("bad state record in changelog topic bad-p-state partition 0 offset 0 (key 'ped-9')"), m);
        assertTrue(m.contains("format version 2, expected 1"), m);
        assertEquals(0, KafkaTestKit.readAll(broker, "bad-out").size(), "nothing processed");
    }

    @Test
    void aChangelogWithOtherSettingsIsRefused() throws Exception {
        ProcessorConfig c = setUpPipeline("wrong", 2);
        broker.createTopic("wrong-p-state", 3, Map.of("cleanup.policy", "delete"));
        KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("p", walk));
        ExecutionException e = assertThrows(ExecutionException.class, () -> r.done.get(60, TimeUnit.SECONDS));
        String m = e.getCause().getMessage();
        assertTrue(m.contains("'wrong-p-state' exists with 3 partitions and cleanup.policy=delete; expected 2 partitions"
                + " (as the input topic 'wrong-in') and cleanup.policy=compact"), m);
    }
}
