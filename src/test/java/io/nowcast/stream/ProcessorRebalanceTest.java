package io.nowcast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Forecaster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances in one group on a 2-partition topic. When the second joins, the first keeps the
 * states of the partition it keeps (the eager protocol revokes both and gives one back) and drops
 * those of the partition that moved. With at_least_once the streams of the partition that moved
 * start fresh on the second instance, and fresh again when it comes back (rather than resuming from
 * the state the first had before it moved); with exactly_once their states go with them through
 * the changelog, both ways, and every stream counts its steps on.
 */
class ProcessorRebalanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static Forecaster model;

    @BeforeAll
    static void setUp() throws Exception {
        broker = EmbeddedBroker.startTemporary();
        model = TestModels.lstm2x16(21);
        TestModels.save(model, dir.resolve("walk.safetensors"));
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    /** One sample at time t for each of 5 streams on each partition: p0-0..p0-4 on 0, p1-0..p1-4 on 1. */
    private static List<ProducerRecord<byte[], byte[]>> round(String topic, long t) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            for (int s = 0; s < 5; s++) {
                out.add(new ProducerRecord<>(topic, p, ("p" + p + "-" + s).getBytes(StandardCharsets.UTF_8),
                        ("{\"time\":" + t + ",\"values\":[" + s + "," + t + "]}").getBytes(StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    @Test
    void atLeastOnceStatesStayWithTheInstance() throws Exception {
        Map<String, List<Long>> steps = rebalance("rb", ProcessorConfig.AT_LEAST_ONCE);
        int kept = 0;
        int moved = 0;
        for (Map.Entry<String, List<Long>> e : steps.entrySet()) {
            if (e.getValue().equals(List.of(1L, 2L, 3L, 4L))) {
                kept++;
            } else {
                assertEquals(List.of(1L, 2L, 1L, 1L), e.getValue(), e.getKey()
                        + ": fresh on the second instance, and fresh again when its partition came back");
                moved++;
            }
        }
        assertEquals(5, kept, "streams of the partition the first instance kept carried on: " + steps);
        assertEquals(5, moved, steps.toString());
    }

    @Test
    void exactlyOnceStatesFollowThePartitions() throws Exception {
        Map<String, List<Long>> steps = rebalance("rbx", ProcessorConfig.EXACTLY_ONCE);
        for (Map.Entry<String, List<Long>> e : steps.entrySet()) {
            assertEquals(List.of(1L, 2L, 3L, 4L), e.getValue(), e.getKey()
                    + ": restored on the second instance, and again when its partition came back");
        }
    }

    /** The steps of each stream's predictions through: one instance, a second joins, it leaves again. */
    private Map<String, List<Long>> rebalance(String name, String guarantee) throws Exception {
        String in = name + "-in";
        broker.createTopic(in, 2, Map.of());
        broker.createTopic(name + "-out", 2, Map.of());
        broker.createTopic(name + "-dead", 1, Map.of());
        ProcessorConfig config = KafkaTestKit.config(dir,
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "processing.guarantee", guarantee,
                "pipelines", "p",
                "dead.letter.topic", name + "-dead",
                "pipeline.p.input.topics", in,
                "pipeline.p.output.topic", name + "-out",
                "pipeline.p.model", "walk.safetensors");
        try (KafkaTestKit.Running first = KafkaTestKit.start(config, Map.of("p", model))) {
            KafkaTestKit.produce(broker, round(in, 1));
            KafkaTestKit.produce(broker, round(in, 2));
            first.awaitHandled(20, Duration.ofSeconds(30));
            long second;
            try (KafkaTestKit.Running other = KafkaTestKit.start(config, Map.of("p", model))) {
                first.await(s -> s.partitions() == 1, Duration.ofSeconds(30));
                other.await(s -> s.partitions() == 1, Duration.ofSeconds(30));
                KafkaTestKit.produce(broker, round(in, 3));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (first.processor.stats().handled() + other.processor.stats().handled() < 30) {
                    assertTrue(System.nanoTime() < deadline, "round 3 handled");
                    Thread.sleep(20);
                }
                second = other.processor.stats().handled();
            }
            assertEquals(5, second, "the second instance took one partition's streams");
            first.await(s -> s.partitions() == 2, Duration.ofSeconds(30));
            KafkaTestKit.produce(broker, round(in, 4));
            first.awaitHandled(35, Duration.ofSeconds(30));
        }
        Map<String, List<Long>> steps = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestKit.readAll(broker, name + "-out")) {
            JsonNode n = JSON.readTree(r.value());
            steps.computeIfAbsent(n.get("stream").asText(), k -> new ArrayList<>()).add(n.get("step").asLong());
        }
        assertEquals(10, steps.size());
        return steps;
    }
}
