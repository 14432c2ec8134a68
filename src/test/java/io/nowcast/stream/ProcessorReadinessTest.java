package io.nowcast.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.ModelSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness waits for the restore of the assigned partitions' states; a tap sees every prediction
 * with the values written to the output topic; the lag gauge follows the backlog. A real broker.
 */
class ProcessorReadinessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void notReadyUntilTheAssignedPartitionsAreRestoredAndTheTapSeesEveryPrediction() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.startTemporary()) {
            broker.createTopic("walk.in", 3, Map.of());
            broker.createTopic("walk.out", 1, Map.of());
            broker.createTopic("dead", 1, Map.of());
            TestModels.save(TestModels.lstm2x16(3), dir.resolve("walk.safetensors"));
            ProcessorConfig config = KafkaTestKit.config(dir, "bootstrap.servers", broker.bootstrapServers(),
                    "pipelines", "walk", "dead.letter.topic", "dead", "poll.timeout.ms", "20", "poll.max.records", "1",
                    "pipeline.walk.input.topics", "walk.in", "pipeline.walk.output.topic", "walk.out",
                    "pipeline.walk.model", "walk.safetensors");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Processor processor = new Processor(config, Map.of("walk", TestModels.lstm2x16(3)), registry);

            // a restore step that waits for the test
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<TopicPartition> restored = new CopyOnWriteArrayList<>();
            processor.restoreStep(assigned -> {
                restored.addAll(assigned);
                entered.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            // a tap that keeps what it is given (copies: the arrays are reused)
            Map<String, List<float[]>> tapped = new ConcurrentHashMap<>();
            List<String> tappedPipelines = new CopyOnWriteArrayList<>();
            processor.tap((pipeline, spec) -> {
                tappedPipelines.add(pipeline + ":" + spec.name + ":" + spec.outputSize + ":" + spec.head);
                return (stream, time, sample, out, off) -> tapped.computeIfAbsent(stream + "@" + time, k -> new ArrayList<>())
                        .add(new float[] {sample[0], sample[1], out[off], out[off + 1]});
            });
            assertEquals(List.of("walk:walk-lstm:2:" + ModelSpec.Head.LINEAR), tappedPipelines);

            try (KafkaTestKit.Running running = new KafkaTestKit.Running(processor)) {
                assertTrue(entered.await(60, TimeUnit.SECONDS), "the restore step runs when partitions are assigned");
                running.await(s -> s.partitions() == 3, Duration.ofSeconds(30));
                assertTrue(processor.alive(), "alive while restoring");
                assertFalse(processor.ready(), "partitions assigned but not restored: not ready");
                Thread.sleep(300);
                assertFalse(processor.ready(), "still restoring: still not ready");
                Set<TopicPartition> expected = Set.of(new TopicPartition("walk.in", 0), new TopicPartition("walk.in", 1),
                        new TopicPartition("walk.in", 2));
                assertEquals(expected, new HashSet<>(restored), "the restore step is given the assigned partitions");
                // samples arrive while the restore runs: the processor is behind when it starts reading
                List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
                for (String s : List.of("a", "b", "c")) {
                    for (int i = 0; i < 4; i++) {
                        String v = "{\"stream\":\"" + s + "\",\"time\":" + (1000 + 100 * i) + ",\"values\":[" + (0.5 * i)
                                + "," + (s.charAt(0) - 'a') + "]}";
                        records.add(new ProducerRecord<>("walk.in", s.getBytes(StandardCharsets.UTF_8),
                                v.getBytes(StandardCharsets.UTF_8)));
                    }
                }
                KafkaTestKit.produce(broker, records);
                release.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                double maxLag = 0;
                while (!processor.ready() && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertTrue(processor.ready(), "ready once the restore has returned");
                // one record per poll: the lag gauge shows what is left
                while (processor.stats().handled() < records.size() && System.nanoTime() < deadline) {
                    maxLag = Math.max(maxLag, registry.get(Meters.LAG.name()).tag(Meters.PIPELINE, "walk").gauge().value());
                    Thread.sleep(5);
                }
                running.awaitHandled(records.size(), Duration.ofSeconds(60));
                assertTrue(maxLag > 0 && maxLag <= records.size(), "the lag seen while behind: " + maxLag);
                long lagDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (registry.get(Meters.LAG.name()).gauge().value() != 0 && System.nanoTime() < lagDeadline) {
                    Thread.sleep(20);
                }
                assertEquals(0.0, registry.get(Meters.LAG.name()).gauge().value(), "no lag once caught up");
            }
            List<ConsumerRecord<byte[], byte[]>> out = KafkaTestKit.readAll(broker, "walk.out");
            assertEquals(12, out.size());
            assertEquals(12, tapped.size(), "one tap call per prediction: " + tapped.keySet());
            for (ConsumerRecord<byte[], byte[]> r : out) {
                JsonNode n = JSON.readTree(r.value());
                List<float[]> seen = tapped.get(n.get("stream").asText() + "@" + n.get("time").asLong());
                assertEquals(1, seen.size());
                float[] t = seen.get(0);
                JsonNode p = n.get("predictions").get(0);
                assertArrayEquals(new float[] {(float) p.get(0).asDouble(), (float) p.get(1).asDouble()},
                        new float[] {t[2], t[3]}, "the tap sees the values written");
                long i = (n.get("time").asLong() - 1000) / 100;
                assertArrayEquals(new float[] {(float) (0.5 * i), n.get("stream").asText().charAt(0) - 'a'},
                        new float[] {t[0], t[1]}, "and the sample's values");
            }
        }
    }
}
