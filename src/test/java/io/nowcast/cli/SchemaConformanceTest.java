package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import io.nowcast.JsonSchemas;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.Sample;
import io.nowcast.codec.SampleCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real messages against the schemas: samples written by {@code nowcast replay} and read back from
 * the broker, and dead letters as {@code nowcast tail} prints them; broken copies of both fail.
 */
class SchemaConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.startTemporary();
    }

    @AfterAll
    static void closeBroker() {
        broker.close();
    }

    @Test
    void samplesWrittenByReplayAreValidAndDecode(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("odd.csv");
        Files.writeString(csv, "who,t,a,b\n"
                + "\u00e9t\u00e9 \"q\" \\,1700000000000,3.4028235e38,-1e-45\n"
                + "\uD83D\uDEB6,1700000000400,0,-0\n"
                + "plain,0,123456.789,1e-7\n");
        Path txt = dir.resolve("scene.txt");
        Files.writeString(txt, "780\t1.0\t8.46\t3.59\n790\t1.0\t9.57\t3.79\n790\t2.0\t-13.64\t5.8\n");
        broker.createTopic("samples", 3, Map.of());
        assertEquals(0, CliRun.main("replay", "--bootstrap", broker.bootstrapServers(), "--topic", "samples",
                "--input", csv.toString(), "--stream-column", "who", "--time-column", "t").exit());
        assertEquals(0, CliRun.main("replay", "--bootstrap", broker.bootstrapServers(), "--topic", "samples",
                "--input", txt.toString()).exit());

        Schema schema = JsonSchemas.load("sample.schema.json");
        SampleCodec codec = new SampleCodec(2, 65536);
        List<ConsumerRecord<byte[], byte[]>> records = Topics.readAll(broker, "samples");
        assertEquals(6, records.size());
        for (ConsumerRecord<byte[], byte[]> r : records) {
            String json = Topics.text(r.value());
            List<String> errors = JsonSchemas.errors(schema, json);
            assertTrue(errors.isEmpty(), json + " " + errors);
            Sample s = codec.decode(r.key(), r.value(), r.timestamp());
            assertEquals(Topics.text(r.key()), s.stream());
        }

        // the same messages, broken, fail
        String good = Topics.text(records.get(0).value());
        ObjectNode missingValues = (ObjectNode) JSON.readTree(good);
        missingValues.remove("values");
        ObjectNode extra = (ObjectNode) JSON.readTree(good);
        extra.put("velocity", 1.5);
        ObjectNode stringTime = (ObjectNode) JSON.readTree(good);
        stringTime.put("time", "yesterday");
        for (ObjectNode bad : List.of(missingValues, extra, stringTime)) {
            assertFalse(JsonSchemas.errors(schema, bad.toString()).isEmpty(), "should fail: " + bad);
        }
    }

    @Test
    void deadLettersAsTailPrintsThemAreValid() throws Exception {
        String topic = "nowcast.dead-letters";
        broker.createTopic(topic, 1, Map.of());
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer())) {
            // as the processor writes them: the original key and value, the reason in the headers
            p.send(new ProducerRecord<>(topic, null, bytes("ped-1"), bytes("{\"values\":[1,2,3]}"),
                    deadLetterHeaders(RejectReason.WRONG_DIMENSION, "expected 2 values, found 3", 7)));
            RecordHeaders copied = deadLetterHeaders(RejectReason.UNDECODABLE, "the key is not UTF-8", 8);
            copied.add("trace-id", bytes("abc"));
            copied.add("raw", new byte[] {(byte) 0xff});
            p.send(new ProducerRecord<>(topic, null, new byte[] {(byte) 0xc0}, new byte[] {1, 2, (byte) 0xfe}, copied));
            p.send(new ProducerRecord<>(topic, null, bytes("ped-2"), null,
                    deadLetterHeaders(RejectReason.UNDECODABLE, "empty record value (a tombstone is not a sample)", 9)));
            p.send(new ProducerRecord<>(topic, (Integer) null, (byte[]) null, bytes("NaN, NaN"),
                    deadLetterHeaders(RejectReason.UNDECODABLE, "not valid JSON", 10)));
        }
        CliRun run = CliRun.main("tail", "--bootstrap", broker.bootstrapServers(), "--topic", topic, "--from-beginning",
                "--count", "4", "--timeout-ms", "30000");
        assertEquals(0, run.exit(), run.err());
        List<String> lines = run.lines();
        assertEquals(4, lines.size(), run.out());
        Schema schema = JsonSchemas.load("dead-letter.schema.json");
        for (String line : lines) {
            List<String> errors = JsonSchemas.errors(schema, line);
            assertTrue(errors.isEmpty(), line + " " + errors);
        }
        JsonNode binary = JSON.readTree(lines.get(1));
        assertTrue(binary.has("key_base64") && binary.has("value_base64") && binary.has("headers_base64"), lines.get(1));

        // broken copies of a real line fail
        String line = lines.get(0);
        List<Consumer<ObjectNode>> breaks = List.of(
                n -> ((ObjectNode) n.get("headers")).put("nowcast.reason", "bogus"),
                n -> ((ObjectNode) n.get("headers")).remove("nowcast.error"),
                n -> ((ObjectNode) n.get("headers")).put("nowcast.source.offset", "-1"),
                n -> ((ObjectNode) n.get("headers")).put("nowcast.pipeline", 3),
                n -> n.remove("value"),
                n -> n.put("value_base64", "AAE="),
                n -> n.put("extra", 1));
        for (Consumer<ObjectNode> b : breaks) {
            ObjectNode n = (ObjectNode) JSON.readTree(line);
            b.accept(n);
            assertFalse(JsonSchemas.errors(schema, n.toString()).isEmpty(), "should fail: " + n);
        }
    }

    private static RecordHeaders deadLetterHeaders(RejectReason reason, String error, long offset) {
        RecordHeaders h = new RecordHeaders();
        h.add("nowcast.reason", bytes(reason.id));
        h.add("nowcast.error", bytes(error));
        h.add("nowcast.source.topic", bytes("tracks"));
        h.add("nowcast.source.partition", bytes("2"));
        h.add("nowcast.source.offset", bytes(Long.toString(offset)));
        h.add("nowcast.pipeline", bytes("eth"));
        return h;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
