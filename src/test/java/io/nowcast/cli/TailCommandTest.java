package io.nowcast.cli;

import static io.nowcast.TestBytes.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.broker.EmbeddedBroker;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code nowcast tail} against a real broker: exact counts, every kind of key, header and value, isolation, no group. */
class TailCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.startTemporary();
    }

    @AfterAll
    static void closeBroker() {
        broker.close();
    }

    static KafkaProducer<byte[], byte[]> producer(String transactionalId) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        if (transactionalId != null) {
            c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private CliRun tail(String... args) {
        List<String> a = new ArrayList<>(List.of("tail", "--bootstrap", broker.bootstrapServers()));
        a.addAll(List.of(args));
        return CliRun.main(a.toArray(String[]::new));
    }

    private static List<JsonNode> parse(CliRun run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : run.lines()) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    @Test
    void printsExactlyNLinesWithKeysHeadersAndEveryKindOfValue() throws Exception {
        String topic = "tail-mixed";
        broker.createTopic(topic, 1, Map.of());
        RecordHeaders h = new RecordHeaders();
        h.add("nowcast.reason", utf8("undecodable"));
        h.add("nowcast.error", utf8("not valid JSON: \u00e9t\u00e9"));
        h.add("binary", new byte[] {(byte) 0xc3});
        h.add("none", null);
        h.add("dup", utf8("1"));
        h.add("dup", utf8("2"));
        try (KafkaProducer<byte[], byte[]> p = producer(null)) {
            p.send(new ProducerRecord<>(topic, utf8("ped-1"), utf8("{\"a\": 1.50, \"b\": [1, 2e3, 12345678901234567890],"
                    + " \"c\": \"\u00e9\"}")));
            p.send(new ProducerRecord<>(topic, null, utf8("hello world")));
            p.send(new ProducerRecord<>(topic, new byte[] {(byte) 0xff, (byte) 0xfe}, new byte[] {0, 1, 2, (byte) 0xff}));
            p.send(new ProducerRecord<>(topic, (Integer) null, (byte[]) null, utf8("dead"), h));
            p.send(new ProducerRecord<>(topic, utf8("n"), utf8(" 42 ")));
            p.send(new ProducerRecord<>(topic, utf8("t"), utf8("{\"a\":1} trailing")));
            p.send(new ProducerRecord<>(topic, utf8("tomb"), null));
            for (int i = 0; i < 5; i++) {
                p.send(new ProducerRecord<>(topic, utf8("more"), utf8("{\"i\":" + i + "}")));
            }
        }
        CliRun run = tail("--topic", topic, "--from-beginning", "--count", "7", "--timeout-ms", "30000");
        assertEquals(0, run.exit(), run.err());
        assertEquals(7, run.lines().size(), run.out());
        assertEquals(7, run.out().lines().count(), "one line per record, nothing else on stdout");
        assertTrue(run.out().chars().allMatch(ch -> ch < 128), "ASCII only: " + run.out());
        List<JsonNode> r = parse(run);
        for (int i = 0; i < 7; i++) {
            assertEquals(topic, r.get(i).get("topic").asText());
            assertEquals(0, r.get(i).get("partition").asInt());
            assertEquals(i, r.get(i).get("offset").asLong());
            assertTrue(r.get(i).get("timestamp").asLong() > 1_600_000_000_000L);
            assertTrue(r.get(i).get("headers").isObject());
        }

        JsonNode v0 = r.get(0).get("value");
        assertEquals("ped-1", r.get(0).get("key").asText());
        assertTrue(run.lines().get(0).contains("\"value\":{\"a\":1.50,\"b\":[1,2e3,12345678901234567890],"),
                "numbers exactly as written: " + run.lines().get(0));
        assertEquals(0, new BigDecimal("2e3").compareTo(v0.get("b").get(1).decimalValue()));
        assertEquals("12345678901234567890", v0.get("b").get(2).bigIntegerValue().toString());
        assertEquals("\u00e9", v0.get("c").asText());

        assertTrue(r.get(1).get("key").isNull());
        assertEquals("hello world", r.get(1).get("value").asText(), "UTF-8 text that is not JSON: a string");

        assertFalse(r.get(2).has("key") || r.get(2).has("value"));
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xfe}, Base64.getDecoder().decode(r.get(2).get("key_base64").asText()));
        assertArrayEquals(new byte[] {0, 1, 2, (byte) 0xff}, Base64.getDecoder().decode(r.get(2).get("value_base64").asText()));

        JsonNode headers = r.get(3).get("headers");
        assertEquals("undecodable", headers.get("nowcast.reason").asText());
        assertEquals("not valid JSON: \u00e9t\u00e9", headers.get("nowcast.error").asText());
        assertTrue(headers.get("none").isNull());
        assertEquals("2", headers.get("dup").asText(), "the last of a repeated header");
        assertFalse(headers.has("binary"));
        assertArrayEquals(new byte[] {(byte) 0xc3}, Base64.getDecoder().decode(r.get(3).get("headers_base64").get("binary").asText()));
        assertEquals("dead", r.get(3).get("value").asText());
        assertTrue(r.get(0).get("headers").isEmpty());

        assertTrue(r.get(4).get("value").isInt(), "a JSON number is embedded");
        assertEquals(42, r.get(4).get("value").asInt());
        assertEquals("{\"a\":1} trailing", r.get(5).get("value").asText(), "not one JSON value: a string");
        assertTrue(r.get(6).has("value") && r.get(6).get("value").isNull(), "a tombstone");
    }

    @Test
    void readsCommittedRecordsOnlyStopsAtTheTimeoutAndLeavesNoGroup() throws Exception {
        String topic = "tail-tx";
        broker.createTopic(topic, 3, Map.of());
        try (KafkaProducer<byte[], byte[]> p = producer("tail-tx-producer")) {
            p.initTransactions();
            for (String batch : List.of("committed", "aborted", "committed")) {
                p.beginTransaction();
                for (int i = 0; i < 2; i++) {
                    p.send(new ProducerRecord<>(topic, utf8(batch + i), utf8("\"" + batch + "\"")));
                }
                p.flush();
                if (batch.equals("aborted")) {
                    p.abortTransaction();
                } else {
                    p.commitTransaction();
                }
            }
        }
        CliRun run = tail("--topic", topic, "--from-beginning", "--count", "10", "--timeout-ms", "1500");
        assertEquals(0, run.exit(), run.err());
        List<JsonNode> r = parse(run);
        assertEquals(4, r.size(), run.out());
        r.forEach(n -> assertEquals("committed", n.get("value").asText()));
        assertTrue(run.err().contains("4 records (stopped by --timeout-ms 1500) of the 10 asked"), run.err());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            assertTrue(admin.listGroups().all().get(20, TimeUnit.SECONDS).isEmpty(), "no consumer group was made");
        }
    }

    @Test
    void withoutFromBeginningOnlyNewRecordsArePrinted() throws Exception {
        String topic = "tail-new";
        broker.createTopic(topic, 2, Map.of());
        try (KafkaProducer<byte[], byte[]> p = producer(null)) {
            for (int i = 0; i < 3; i++) {
                p.send(new ProducerRecord<>(topic, utf8("k" + i), utf8("old")));
            }
            p.flush();
            TailCommand cmd = new TailCommand();
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.command(cmd, "--topic", topic,
                    "--bootstrap", broker.bootstrapServers(), "--count", "1", "--timeout-ms", "30000"));
            assertTrue(cmd.ready.await(30, TimeUnit.SECONDS), "tail positioned");
            p.send(new ProducerRecord<>(topic, utf8("k9"), utf8("new")));
            p.flush();
            CliRun done = run.get(30, TimeUnit.SECONDS);
            assertEquals(0, done.exit(), done.err());
            assertEquals(1, done.lines().size(), done.out());
            assertEquals("new", JSON.readTree(done.lines().get(0)).get("value").asText());
        }
    }

    @Test
    void aMissingTopicIsRefused() {
        CliRun run = tail("--topic", "no-such-topic", "--count", "1");
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("topic 'no-such-topic' does not exist"), run.err());
    }
}
