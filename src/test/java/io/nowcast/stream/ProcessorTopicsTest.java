package io.nowcast.stream;

import static io.nowcast.TestBytes.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.SharedBroker;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Forecaster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topics a processor writes to, checked at start on a broker that does not create topics (as
 * an external broker may not): a missing output, dead-letter or evictions topic stops the processor
 * at once with the topic's name, in either guarantee; with {@code topics.missing=create} it is made
 * (with the input's partition count) and the pipeline runs.
 */
class ProcessorTopicsTest {
    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static Forecaster walk;

    @BeforeAll
    static void setUp() throws Exception {
        broker = SharedBroker.get();
        walk = TestModels.lstm2x16(17);
        TestModels.save(walk, dir.resolve("walk.safetensors"));
    }

    private static ProcessorConfig config(String name, String guarantee, String... extra) throws Exception {
        List<String> kv = new ArrayList<>(List.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "processing.guarantee", guarantee,
                "pipelines", "p",
                "dead.letter.topic", name + "-dead",
                "state.evictions.topic", name + "-evictions",
                "pipeline.p.input.topics", name + "-in",
                "pipeline.p.output.topic", name + "-out",
                "pipeline.p.model", "walk.safetensors"));
        kv.addAll(List.of(extra));
        return KafkaTestKit.config(dir, kv.toArray(String[]::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-out", "-dead", "-evictions"})
    void aMissingTopicStopsTheProcessorAtStartWithItsName(String missing) throws Exception {
        for (String guarantee : List.of("exactly_once", "at_least_once")) {
            String name = "missing" + missing + "-" + guarantee.charAt(0);
            for (String t : List.of("-in", "-out", "-dead", "-evictions")) {
                if (!t.equals(missing)) {
                    broker.createTopic(name + t, 2, Map.of());
                }
            }
            Processor p = new Processor(config(name, guarantee), Map.of("p", walk));
            CompletableFuture<Void> run = CompletableFuture.runAsync(p::run);
            Throwable e;
            try {
                e = assertThrows(ExecutionException.class, () -> run.get(20, TimeUnit.SECONDS)).getCause();
            } finally {
                p.close();
            }
            assertTrue(e instanceof Processor.ProcessorException, String.valueOf(e));
            assertTrue(e.getMessage().contains("'" + name + missing + "' does not exist on " + broker.bootstrapServers())
                    && e.getMessage().contains("topics.missing=create"), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"exactly_once", "at_least_once"})
    void topicsMissingCreateMakesThemAndThePipelineRuns(String guarantee) throws Exception {
        String name = "create-" + guarantee.charAt(0);
        broker.createTopic(name + "-in", 3, Map.of());
        ProcessorConfig c = config(name, guarantee, "topics.missing", "create");
        KafkaTestKit.produce(broker, List.of(new ProducerRecord<>(name + "-in", utf8("a"),
                utf8("{\"time\":0,\"values\":[1,2]}"))));
        try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("p", walk))) {
            r.awaitHandled(1, Duration.ofSeconds(30));
        }
        assertEquals(1, KafkaTestKit.readAll(broker, name + "-out").size());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            var d = admin.describeTopics(List.of(name + "-out", name + "-dead", name + "-evictions")).allTopicNames()
                    .get(10, TimeUnit.SECONDS);
            assertEquals(3, d.get(name + "-out").partitions().size(), "the output has the input's partitions");
            assertEquals(3, d.get(name + "-dead").partitions().size());
            assertEquals(3, d.get(name + "-evictions").partitions().size());
        }
    }
}
