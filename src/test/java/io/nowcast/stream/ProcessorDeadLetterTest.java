package io.nowcast.stream;

import io.nowcast.stream.internal.AtLeastOnceCommitter;
import io.nowcast.stream.internal.PipelineRunnerTest;
import static io.nowcast.TestBytes.utf8;
import static io.nowcast.TestBytes.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.codec.RejectReason;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per dead-letter reason, through a real broker: a good sample, the bad record, a good
 * sample, all of stream "a" on one partition. The bad record is in the dead-letter topic with its
 * original key, value and headers, the reason, the error and where it came from; the good ones
 * around it are predicted, with the stream's state carried across the bad one.
 */
class ProcessorDeadLetterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] KEY = "a".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static Forecaster walk;

    @BeforeAll
    static void setUp() throws Exception {
        broker = EmbeddedBroker.startTemporary();
        walk = TestModels.lstm2x16(8);
        TestModels.save(walk, dir.resolve("walk.safetensors"));
        TestModels.save(TestModels.overflowsOnHugeInput(), dir.resolve("fragile.safetensors"));
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    private static byte[] sample(long time, float x, float y) {
        return utf8("{\"time\":" + time + ",\"values\":[" + x + "," + y + "]}");
    }

    /** What came out of one run. */
    record Outcome(List<ConsumerRecord<byte[], byte[]>> predictions, List<ConsumerRecord<byte[], byte[]>> deadLetters,
                   Processor.Stats stats) {
    }

    /**
     * Runs good(t=1000), bad, good(t=2000) of stream "a" through a pipeline and returns what came out.
     *
     * @param extra more config key-value pairs
     */
    private Outcome run(TestInfo info, String model, byte[] badKey, byte[] badValue, String... extra) throws Exception {
        return run(info, Map.of(), model, badKey, badValue, extra);
    }

    private Outcome run(TestInfo info, Map<String, String> deadTopicConfig, String model, byte[] badKey, byte[] badValue,
                        String... extra) throws Exception {
        String name = info.getTestMethod().orElseThrow().getName();
        String in = name + "-in";
        String out = name + "-out";
        String dead = name + "-dead";
        broker.createTopic(in, 1, Map.of());
        broker.createTopic(out, 1, Map.of());
        broker.createTopic(dead, 1, deadTopicConfig);
        RecordHeaders h = new RecordHeaders();
        h.add("trace-id", utf8("t-42"));
        List<ProducerRecord<byte[], byte[]>> records = List.of(
                new ProducerRecord<>(in, KEY, sample(1000, 1f, 2f)),
                new ProducerRecord<>(in, null, null, badKey, badValue, h),
                new ProducerRecord<>(in, KEY, sample(2000, 1.5f, 2.5f)));
        KafkaTestKit.produce(broker, records);
        List<String> kv = new ArrayList<>(List.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "pipelines", "p",
                "dead.letter.topic", dead,
                "pipeline.p.input.topics", in,
                "pipeline.p.output.topic", out,
                "pipeline.p.model", model + ".safetensors"));
        kv.addAll(List.of(extra));
        ProcessorConfig config = KafkaTestKit.config(dir, kv.toArray(String[]::new));
        Forecaster m = (Forecaster) ModelFiles.load(config.pipeline("p").model());
        Processor.Stats stats;
        try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("p", m))) {
            stats = r.awaitHandled(3, Duration.ofSeconds(30));
        }
        assertEquals(3, stats.records());
        return new Outcome(KafkaTestKit.readAll(broker, out), KafkaTestKit.readAll(broker, dead), stats);
    }

    /** The bad record is the one dead letter, intact, with the reason and where it came from. */
    private static String assertDeadLetter(Outcome o, String name, byte[] key, byte[] value, RejectReason reason) {
        assertEquals(1, o.deadLetters().size(), "one dead letter");
        ConsumerRecord<byte[], byte[]> d = o.deadLetters().get(0);
        assertArrayEquals(key, d.key(), "original key");
        assertArrayEquals(value, d.value(), "original value");
        Headers h = d.headers();
        assertEquals("t-42", header(h, "trace-id"), "original headers kept");
        assertEquals(reason.id, header(h, OutputHeaders.H_REASON));
        assertEquals(name + "-in", header(h, OutputHeaders.H_TOPIC));
        assertEquals("0", header(h, OutputHeaders.H_PARTITION));
        assertEquals("1", header(h, OutputHeaders.H_OFFSET));
        assertEquals("p", header(h, OutputHeaders.H_PIPELINE));
        String error = header(h, OutputHeaders.H_ERROR);
        assertNotNull(error);
        assertFalse(error.isBlank());
        assertEquals(1L, o.stats().deadLetters().get(reason));
        assertEquals(1L, o.stats().deadLettersTotal());
        return error;
    }

    /** The good samples around the bad one were predicted, the state carried from the first to the second. */
    private static void assertGoodOnesPredicted(Outcome o) throws Exception {
        assertEquals(2, o.predictions().size());
        JsonNode first = JSON.readTree(o.predictions().get(0).value());
        JsonNode second = JSON.readTree(o.predictions().get(1).value());
        assertEquals(1000, first.get("time").asLong());
        assertEquals(1, first.get("step").asLong());
        assertEquals(2000, second.get("time").asLong());
        assertEquals(2, second.get("step").asLong());
        float[][] y = PipelineRunnerTest.alone(walk, List.of(new float[] {1f, 2f}, new float[] {1.5f, 2.5f}));
        JsonNode p = second.get("predictions").get(0);
        assertEquals(y[1][0], Float.parseFloat(p.get(0).asText()));
        assertEquals(y[1][1], Float.parseFloat(p.get(1).asText()));
    }

    @Test
    void undecodable(TestInfo info) throws Exception {
        byte[] bad = {(byte) 0xff, (byte) 0xfe, 0, 1, 2, '{'};
        Outcome o = run(info, "walk", KEY, bad);
        assertDeadLetter(o, "undecodable", KEY, bad, RejectReason.UNDECODABLE);
        assertGoodOnesPredicted(o);
    }

    @Test
    void schemaViolation(TestInfo info) throws Exception {
        byte[] bad = utf8("{\"time\":1500,\"values\":[1,2],\"colour\":\"red\"}");
        Outcome o = run(info, "walk", KEY, bad);
        String error = assertDeadLetter(o, "schemaViolation", KEY, bad, RejectReason.SCHEMA_VIOLATION);
        assertTrue(error.contains("colour"), error);
        assertGoodOnesPredicted(o);
    }

    @Test
    void wrongDimension(TestInfo info) throws Exception {
        byte[] bad = utf8("{\"time\":1500,\"values\":[1,2,3]}");
        Outcome o = run(info, "walk", KEY, bad);
        String error = assertDeadLetter(o, "wrongDimension", KEY, bad, RejectReason.WRONG_DIMENSION);
        assertTrue(error.contains("expected 2 values, found 3"), error);
        assertGoodOnesPredicted(o);
    }

    @Test
    void nonFinite(TestInfo info) throws Exception {
        byte[] bad = utf8("{\"time\":1500,\"values\":[NaN,2]}");
        Outcome o = run(info, "walk", KEY, bad);
        assertDeadLetter(o, "nonFinite", KEY, bad, RejectReason.NON_FINITE);
        assertGoodOnesPredicted(o);
    }

    @Test
    void outOfOrder(TestInfo info) throws Exception {
        byte[] bad = sample(500, 9f, 9f); // before the stream's first sample at 1000
        Outcome o = run(info, "walk", KEY, bad);
        String error = assertDeadLetter(o, "outOfOrder", KEY, bad, RejectReason.OUT_OF_ORDER);
        assertTrue(error.contains("500 ms before"), error);
        assertGoodOnesPredicted(o);
    }

    @Test
    void outOfOrderDroppedWithTheDropPolicy(TestInfo info) throws Exception {
        byte[] bad = sample(500, 9f, 9f);
        Outcome o = run(info, "walk", KEY, bad, "pipeline.p.late.policy", "drop");
        assertTrue(o.deadLetters().isEmpty());
        assertEquals(1, o.stats().lateDropped());
        assertGoodOnesPredicted(o);
    }

    @Test
    void oversized(TestInfo info) throws Exception {
        byte[] bad = utf8("{\"time\":1500,\"values\":[1," + " ".repeat(100) + "2]}");
        Outcome o = run(info, "walk", KEY, bad, "pipeline.p.max.record.bytes", "64");
        String error = assertDeadLetter(o, "oversized", KEY, bad, RejectReason.OVERSIZED);
        assertTrue(error.contains("limit of 64"), error);
        assertGoodOnesPredicted(o);
    }

    @Test
    void modelError(TestInfo info) throws Exception {
        // the fragile model's output is NaN when both values are 1e10 or more
        byte[] bad = sample(1500, 1e10f, 1e10f);
        Outcome o = run(info, "fragile", KEY, bad);
        String error = assertDeadLetter(o, "modelError", KEY, bad, RejectReason.MODEL_ERROR);
        assertTrue(error.contains("NaN"), error);
        assertEquals(2, o.predictions().size());
        JsonNode after = JSON.readTree(o.predictions().get(1).value());
        assertEquals(2000, after.get("time").asLong());
        assertEquals(1, after.get("step").asLong(), "the stream restarts from a fresh state after a model error");
    }

    @Test
    void aRecordWithoutKeyOrStreamIdIsUndecodable(TestInfo info) throws Exception {
        byte[] bad = utf8("{\"time\":1500,\"values\":[1,2]}");
        Outcome o = run(info, "walk", null, bad);
        String error = assertDeadLetter(o, "aRecordWithoutKeyOrStreamIdIsUndecodable", null, bad, RejectReason.UNDECODABLE);
        assertTrue(error.contains("no stream id"), error);
        assertNull(o.deadLetters().get(0).key());
        assertGoodOnesPredicted(o);
    }

    @Test
    void aDeadLetterTooLargeForItsTopicIsWrittenWithoutItsValue(TestInfo info) throws Exception {
        byte[] bad = utf8("{\"time\":1500,\"values\":[1," + " ".repeat(2000) + "2]}");
        Outcome o = run(info, Map.of("max.message.bytes", "1024"), "walk", KEY, bad, "pipeline.p.max.record.bytes", "64");
        assertEquals(1, o.deadLetters().size(), "one dead letter");
        ConsumerRecord<byte[], byte[]> d = o.deadLetters().get(0);
        assertArrayEquals(KEY, d.key());
        assertNull(d.value(), "the value is left out");
        assertEquals(Integer.toString(bad.length), header(d.headers(), OutputHeaders.H_VALUE_OMITTED));
        assertEquals(RejectReason.OVERSIZED.id, header(d.headers(), OutputHeaders.H_REASON));
        assertEquals("1", header(d.headers(), OutputHeaders.H_OFFSET));
        assertEquals("t-42", header(d.headers(), "trace-id"));
        assertGoodOnesPredicted(o);
    }
}
