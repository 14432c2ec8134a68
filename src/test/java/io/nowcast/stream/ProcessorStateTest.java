package io.nowcast.stream;

import io.nowcast.stream.internal.PipelineRunnerTest;
import static io.nowcast.TestBytes.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Forecaster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-stream state through a real broker: a gap restarts a stream; idle and capacity evictions, announced. */
class ProcessorStateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static Forecaster walk;

    @BeforeAll
    static void setUp() throws Exception {
        broker = EmbeddedBroker.startTemporary();
        walk = TestModels.lstm2x16(13);
        TestModels.save(walk, dir.resolve("walk.safetensors"));
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    private static ProducerRecord<byte[], byte[]> sample(String topic, String stream, long time, float x, float y) {
        return new ProducerRecord<>(topic, utf8(stream), utf8("{\"time\":" + time + ",\"values\":[" + x + "," + y + "]}"));
    }

    /** Topics name-in, name-out, name-dead, name-evictions and a config for one pipeline on them. */
    private static ProcessorConfig setUpPipeline(String name, String... extra) throws Exception {
        for (String t : List.of("-in", "-out", "-dead", "-evictions")) {
            broker.createTopic(name + t, 1, Map.of());
        }
        List<String> kv = new ArrayList<>(List.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "pipelines", "p",
                "dead.letter.topic", name + "-dead",
                "state.evictions.topic", name + "-evictions",
                "pipeline.p.input.topics", name + "-in",
                "pipeline.p.output.topic", name + "-out",
                "pipeline.p.model", "walk.safetensors"));
        kv.addAll(List.of(extra));
        return KafkaTestKit.config(dir, kv.toArray(String[]::new));
    }

    private static List<JsonNode> json(List<ConsumerRecord<byte[], byte[]>> records) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            out.add(JSON.readTree(r.value()));
        }
        return out;
    }

    private static float[] prediction(JsonNode n) {
        JsonNode p = n.get("predictions").get(0);
        return new float[] {Float.parseFloat(p.get(0).asText()), Float.parseFloat(p.get(1).asText())};
    }

    @Test
    void aGapLongerThanGapMsRestartsTheStreamFromAFreshState() throws Exception {
        String name = "gap";
        ProcessorConfig config = setUpPipeline(name, "pipeline.p.gap.ms", "1000");
        KafkaTestKit.produce(broker, List.of(
                sample(name + "-in", "a", 0, 1f, 1f),
                sample(name + "-in", "a", 1000, 2f, 2f),     // exactly the gap: carried on
                sample(name + "-in", "a", 2001, 3f, 3f),     // 1001 ms: fresh
                sample(name + "-in", "a", 2500, 4f, 4f)));
        Processor.Stats stats;
        try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("p", walk))) {
            stats = r.awaitHandled(4, Duration.ofSeconds(30));
        }
        assertEquals(1, stats.gapResets());
        List<JsonNode> out = json(KafkaTestKit.readAll(broker, name + "-out"));
        assertEquals(List.of(1L, 2L, 1L, 2L), out.stream().map(n -> n.get("step").asLong()).toList());
        float[][] fresh = PipelineRunnerTest.alone(walk, List.of(new float[] {3f, 3f}, new float[] {4f, 4f}));
        assertArrayEquals(fresh[0], prediction(out.get(2)), "after the gap: the prediction of a fresh state");
        assertArrayEquals(fresh[1], prediction(out.get(3)));
        assertTrue(KafkaTestKit.readAll(broker, name + "-dead").isEmpty());
    }

    @Test
    void aStreamIdleForTheTimeToLiveIsEvictedAndAnnounced() throws Exception {
        String name = "ttl";
        ProcessorConfig config = setUpPipeline(name, "state.idle.ttl.ms", "60000");
        AtomicLong clock = new AtomicLong(1_000_000);
        try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("p", walk), clock::get)) {
            KafkaTestKit.produce(broker, List.of(sample(name + "-in", "a", 10, 1f, 1f), sample(name + "-in", "b", 10, 1f, 1f)));
            r.awaitHandled(2, Duration.ofSeconds(30));
            clock.addAndGet(30_000);
            KafkaTestKit.produce(broker, List.of(sample(name + "-in", "b", 20, 2f, 2f)));
            r.awaitHandled(3, Duration.ofSeconds(30));
            clock.addAndGet(30_000); // a: 60 s without a sample; b: 30 s
            Processor.Stats s = r.await(x -> x.evictedIdle() >= 1, Duration.ofSeconds(30));
            assertEquals(1, s.evictedIdle());
            assertEquals(1, s.streams(), "b is kept");
            KafkaTestKit.produce(broker, List.of(sample(name + "-in", "a", 20, 2f, 2f), sample(name + "-in", "b", 30, 3f, 3f)));
            s = r.awaitHandled(5, Duration.ofSeconds(30));
            assertEquals(1, s.evictedIdle());
            assertEquals(0, s.evictedCapacity());
        }
        List<JsonNode> evictions = json(KafkaTestKit.readAll(broker, name + "-evictions"));
        assertEquals(1, evictions.size());
        JsonNode e = evictions.get(0);
        assertEquals("a", e.get("stream").asText());
        assertEquals("p", e.get("pipeline").asText());
        assertEquals("idle", e.get("cause").asText());
        assertEquals(10, e.get("last_time").asLong());
        assertEquals(1, e.get("steps").asLong());
        List<JsonNode> out = json(KafkaTestKit.readAll(broker, name + "-out"));
        assertEquals(5, out.size());
        JsonNode aAgain = out.get(3);
        assertEquals("a", aAgain.get("stream").asText());
        assertEquals(1, aAgain.get("step").asLong(), "an evicted stream starts fresh");
        assertArrayEquals(PipelineRunnerTest.alone(walk, List.of(new float[] {2f, 2f}))[0], prediction(aAgain));
        assertEquals(3, out.get(4).get("step").asLong(), "b carried on");
    }

    @Test
    void theLeastRecentlyUsedStreamIsEvictedAtCapacityAndAnnounced() throws Exception {
        String name = "capacity";
        ProcessorConfig config = setUpPipeline(name, "state.max.streams", "2");
        try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("p", walk))) {
            KafkaTestKit.produce(broker, List.of(sample(name + "-in", "a", 10, 1f, 1f), sample(name + "-in", "b", 10, 1f, 1f)));
            r.awaitHandled(2, Duration.ofSeconds(30));
            KafkaTestKit.produce(broker, List.of(sample(name + "-in", "a", 20, 2f, 2f)));  // b is now the oldest
            r.awaitHandled(3, Duration.ofSeconds(30));
            KafkaTestKit.produce(broker, List.of(sample(name + "-in", "c", 10, 1f, 1f)));
            Processor.Stats s = r.awaitHandled(4, Duration.ofSeconds(30));
            assertEquals(1, s.evictedCapacity());
            assertEquals(2, s.streams());
            KafkaTestKit.produce(broker, List.of(sample(name + "-in", "b", 20, 2f, 2f)));
            s = r.awaitHandled(5, Duration.ofSeconds(30));
            assertEquals(2, s.evictedCapacity(), "b's return evicts a, now the oldest");
            assertEquals(0, s.evictedIdle());
        }
        List<JsonNode> evictions = json(KafkaTestKit.readAll(broker, name + "-evictions"));
        assertEquals(List.of("b", "a"), evictions.stream().map(e -> e.get("stream").asText()).toList());
        assertTrue(evictions.stream().allMatch(e -> e.get("cause").asText().equals("capacity")));
        assertTrue(evictions.stream().allMatch(e -> e.get("pipeline").asText().equals("p")));
        List<JsonNode> out = json(KafkaTestKit.readAll(broker, name + "-out"));
        JsonNode bAgain = out.get(4);
        assertEquals("b", bAgain.get("stream").asText());
        assertEquals(1, bAgain.get("step").asLong(), "an evicted stream starts fresh");
        assertFalse(out.get(2).get("step").asLong() == 1, "a carried on before it was evicted");
    }
}
