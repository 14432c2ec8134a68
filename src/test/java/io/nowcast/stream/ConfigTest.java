package io.nowcast.stream;

import io.nowcast.stream.internal.ClientSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ProcessorConfig: a valid file parses; a bad one is refused with the file, the key and the problem. */
class ConfigTest {
    @TempDir
    Path dir;
    private Path file;

    private static final String VALID = String.join("\n",
            "bootstrap.servers=localhost:9092",
            "application.id=nc-test",
            "pipelines=walk, cars",
            "state.max.streams=500",
            "state.evictions.topic=evictions",
            "pipeline.walk.input.topics=walk.in, walk.more",
            "pipeline.walk.output.topic=walk.out",
            "pipeline.walk.model=models/walk.safetensors",
            "pipeline.walk.gap.ms=2500",
            "pipeline.walk.late.policy=DROP",
            "pipeline.cars.input.topics=cars.in",
            "pipeline.cars.output.topic=cars.out",
            "pipeline.cars.model=models/walk.safetensors",
            "kafka.security.protocol=PLAINTEXT",
            "consumer.session.timeout.ms=30000",
            "producer.linger.ms=10",
            "");

    @BeforeEach
    void model() throws IOException {
        Files.createDirectories(dir.resolve("models"));
        TestModels.save(TestModels.lstm2x16(1), dir.resolve("models/walk.safetensors"));
        file = dir.resolve("nowcast.properties");
    }

    private ProcessorConfig load(String text) throws Exception {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return ProcessorConfig.load(file);
    }

    /** The valid file with one line replaced (or removed, for a null replacement) or added. */
    private static String edit(String key, String line) {
        StringBuilder sb = new StringBuilder();
        boolean found = false;
        for (String l : VALID.split("\n")) {
            if (l.startsWith(key + "=")) {
                found = true;
                if (line != null) {
                    sb.append(line).append('\n');
                }
            } else {
                sb.append(l).append('\n');
            }
        }
        if (!found && line != null) {
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    /** Loading fails with a message naming the file, the key and each of the words. */
    private void refused(String text, String key, String... words) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(text));
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString() + ": "), "names the file: " + m);
        assertTrue(m.contains("'" + key + "'"), "names the key " + key + ": " + m);
        for (String w : words) {
            assertTrue(m.contains(w), "says '" + w + "': " + m);
        }
    }

    @Test
    void aValidConfigParses() throws Exception {
        ProcessorConfig c = load(VALID);
        assertEquals("localhost:9092", c.bootstrapServers);
        assertEquals("nc-test", c.applicationId);
        assertEquals("nowcast.dead-letters", c.deadLetterTopic, "default");
        assertEquals(500, c.maxStreams);
        assertEquals(3_600_000L, c.idleTtlMs, "default");
        assertEquals("evictions", c.evictionsTopic);
        assertEquals(2000, c.pollMaxRecords, "default");
        assertEquals(2, c.pipelines.size());
        ProcessorConfig.Pipeline walk = c.pipeline("walk");
        assertEquals(List.of("walk.in", "walk.more"), walk.inputTopics());
        assertEquals("walk.out", walk.outputTopic());
        assertEquals(dir.resolve("models/walk.safetensors").toAbsolutePath().normalize(), walk.model(),
                "relative to the config file's folder");
        assertTrue(walk.dropLate());
        assertEquals(2500, walk.gapMs());
        assertEquals(65536, walk.maxRecordBytes(), "default");
        ProcessorConfig.Pipeline cars = c.pipeline("cars");
        assertEquals(0, cars.gapMs());
        assertTrue(!cars.dropLate(), "dead-letter by default");
        assertEquals(Map.of("security.protocol", "PLAINTEXT"), c.kafkaCommon);
        assertEquals(Map.of("session.timeout.ms", "30000"), c.kafkaConsumer);
        assertEquals(Map.of("linger.ms", "10"), c.kafkaProducer);
        Map<String, Object> consumer = ClientSettings.consumer(c);
        assertEquals("nc-test", consumer.get("group.id"));
        assertEquals("false", consumer.get("enable.auto.commit"));
        assertEquals("read_committed", consumer.get("isolation.level"));
        assertEquals("2000", consumer.get("max.poll.records"));
        assertEquals("30000", consumer.get("session.timeout.ms"));
        assertEquals("PLAINTEXT", consumer.get("security.protocol"));
        Map<String, Object> producer = ClientSettings.producer(c);
        assertEquals("true", producer.get("enable.idempotence"));
        assertEquals("all", producer.get("acks"));
        assertEquals("10", producer.get("linger.ms"));
        assertEquals("262144", producer.get("batch.size"), "the processor's default");
        assertEquals("65536", ClientSettings.producer(load(VALID + "producer.batch.size=65536\n")).get("batch.size"),
                "producer.batch.size wins");
        assertTrue(!producer.containsKey("session.timeout.ms"), "consumer.* stays on the consumer side");
    }

    @Test
    void aMisspelledKeyIsRefusedWithTheNearestKey() {
        refused(edit("state.max.streams", "state.max.stream=500"), "state.max.stream", "unknown key",
                "did you mean 'state.max.streams'");
        refused(edit("pipeline.walk.model", "pipeline.walk.modle=models/walk.safetensors"), "pipeline.walk.modle",
                "unknown key", "did you mean 'pipeline.walk.model'");
    }

    @Test
    void aMissingRequiredKeyIsRefused() {
        refused(edit("pipelines", null), "pipelines", "is required");
        refused(edit("pipeline.cars.output.topic", null), "pipeline.cars.output.topic", "is required");
    }

    @Test
    void aBadValueIsRefused() {
        refused(edit("poll.max.records", "poll.max.records=lots"), "poll.max.records", "expected an integer", "lots");
        refused(edit("state.max.streams", "state.max.streams=0"), "state.max.streams", "expected an integer in [1, max]",
                "found 0");
        refused(edit("pipeline.walk.late.policy", "pipeline.walk.late.policy=later"), "pipeline.walk.late.policy",
                "one of dead-letter, drop", "later");
        refused(edit("pipeline.walk.output.topic", "pipeline.walk.output.topic=walk out"), "pipeline.walk.output.topic",
                "a topic name", "walk out");
    }

    @Test
    void aBlockOfAnUnlistedPipelineIsRefused() {
        refused(VALID + "pipeline.bikes.model=models/walk.safetensors\n", "pipeline.bikes.model",
                "no pipeline 'bikes' in 'pipelines'");
    }

    @Test
    void aMissingModelFileIsRefused() {
        refused(edit("pipeline.cars.model", "pipeline.cars.model=models/cars.safetensors"), "pipeline.cars.model",
                "no such file", dir.resolve("models/cars.safetensors").toString());
    }

    @Test
    void anInputTopicSharedByTwoPipelinesIsRefused() {
        refused(edit("pipeline.cars.input.topics", "pipeline.cars.input.topics=cars.in,walk.more"),
                "pipeline.walk.input.topics", "topic 'walk.more' is read by pipeline 'cars' too");
    }

    @Test
    void aClientSettingTheProcessorManagesIsRefused() {
        refused(VALID + "consumer.enable.auto.commit=true\n", "consumer.enable.auto.commit", "managed by the processor");
        refused(VALID + "kafka.bootstrap.servers=x:1\n", "kafka.bootstrap.servers", "set bootstrap.servers instead");
        refused(VALID + "producer.acks=1\n", "producer.acks", "acks=all");
    }

    @Test
    void readingTheDeadLetterTopicIsRefused() {
        refused(edit("pipeline.cars.input.topics", "pipeline.cars.input.topics=cars.in,nowcast.dead-letters"),
                "pipeline.cars.input.topics", "is the dead.letter.topic");
    }

    @Test
    void aPassThroughPipelineNeedsNoModelFileButItsInputSize() throws Exception {
        ProcessorConfig c = load(edit("pipeline.cars.model", "pipeline.cars.model=pass-through")
                + "pipeline.cars.input.size=3\n");
        ProcessorConfig.Pipeline cars = c.pipeline("cars");
        assertTrue(cars.passThrough());
        assertEquals(null, cars.model());
        assertEquals(3, cars.inputSize());
        assertTrue(!c.pipeline("walk").passThrough());
        assertEquals(0, c.pipeline("walk").inputSize(), "default: the model's");
        refused(edit("pipeline.cars.model", "pipeline.cars.model=pass-through"), "pipeline.cars.input.size",
                "is required with model=pass-through");
    }

    @Test
    void aModelFolderIsResolvedAgainstTheConfigFileAndMustExist() throws Exception {
        ProcessorConfig c = load(VALID + "pipeline.walk.model.dir=models\npipeline.walk.model.check.ms=250\n");
        assertEquals(dir.resolve("models").toAbsolutePath().normalize(), c.pipeline("walk").modelDir());
        assertEquals(250, c.pipeline("walk").modelCheckMs());
        assertEquals(null, c.pipeline("cars").modelDir(), "none by default");
        assertEquals(1000, c.pipeline("cars").modelCheckMs(), "default");
        refused(VALID + "pipeline.walk.model.dir=no-such-folder\n", "pipeline.walk.model.dir", "no such folder",
                "no-such-folder");
        refused(VALID + "pipeline.walk.model.dir=models/walk.safetensors\n", "pipeline.walk.model.dir", "no such folder");
        refused(edit("pipeline.cars.model", "pipeline.cars.model=pass-through") + "pipeline.cars.input.size=3\n"
                + "pipeline.cars.model.dir=models\n", "pipeline.cars.model.dir", "pass-through");
        refused(VALID + "pipeline.walk.model.check.ms=0\n", "pipeline.walk.model.check.ms", "an integer in [1, 3600000]");
    }
}
