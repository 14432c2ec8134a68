package io.nowcast.stream;

import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.codec.RejectReason;
import io.nowcast.model.Forecaster;
import io.nowcast.tensor.Rng;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.nowcast.TestBytes.utf8;
import static io.nowcast.TestBytes.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 100,000 random and mutated records (JSON, binary, keys, headers, sizes, times) through a running
 * pipeline on a real broker: the processor keeps going, and every record is accounted for, either
 * predicted or dead-lettered once with a reason and its source position.
 */
class ProcessorFuzzTest {
    private static final int RECORDS = 100_000;
    private static final int STREAMS = 300;
    private static final int MAX_BYTES = 512;

    @TempDir
    Path dir;

    @Test
    void everyRecordIsPredictedOrDeadLetteredAndNothingStalls() throws Exception {
        Rng rng = new Rng(2026);
        long[] clock = new long[STREAMS];
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            records.add(record(rng, clock));
        }
        try (EmbeddedBroker broker = EmbeddedBroker.startTemporary()) {
            broker.createTopic("fuzz-in", 2, Map.of());
            broker.createTopic("fuzz-out", 2, Map.of());
            broker.createTopic("fuzz-dead", 1, Map.of());
            KafkaTestKit.produce(broker, records);
            Forecaster model = TestModels.lstm2x16(3);
            TestModels.save(model, dir.resolve("m.safetensors"));
            ProcessorConfig config = KafkaTestKit.config(dir,
                    "bootstrap.servers", broker.bootstrapServers(),
                    "application.id", "fuzz",
                    "pipelines", "p",
                    "dead.letter.topic", "fuzz-dead",
                    "poll.max.records", "1000",
                    "pipeline.p.input.topics", "fuzz-in",
                    "pipeline.p.output.topic", "fuzz-out",
                    "pipeline.p.model", "m.safetensors",
                    "pipeline.p.max.record.bytes", String.valueOf(MAX_BYTES));
            Processor.Stats stats;
            try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("p", model))) {
                stats = r.awaitHandled(RECORDS, Duration.ofSeconds(240));
                assertFalse(r.done.isDone(), "the processor is still running after the fuzz");
            }
            List<ConsumerRecord<byte[], byte[]>> out = KafkaTestKit.readAll(broker, "fuzz-out");
            List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestKit.readAll(broker, "fuzz-dead");
            assertEquals(RECORDS, out.size() + dead.size(), "every record is predicted or dead-lettered: " + stats);
            assertEquals(0, stats.lateDropped());

            Set<String> reasons = new HashSet<>();
            for (RejectReason rr : RejectReason.values()) {
                reasons.add(rr.id);
            }
            Set<String> positions = new HashSet<>();
            Map<RejectReason, Integer> byReason = new EnumMap<>(RejectReason.class);
            for (ConsumerRecord<byte[], byte[]> d : dead) {
                String reason = header(d, "nowcast.reason");
                assertNotNull(reason, "a dead letter names its reason");
                assertTrue(reasons.contains(reason), "known reason: " + reason);
                assertNotNull(header(d, "nowcast.error"));
                assertEquals("fuzz-in", header(d, "nowcast.source.topic"));
                String pos = header(d, "nowcast.source.partition") + "/" + header(d, "nowcast.source.offset");
                assertTrue(positions.add(pos), "each record is dead-lettered once: " + pos);
                for (RejectReason rr : RejectReason.values()) {
                    if (rr.id.equals(reason)) {
                        byReason.merge(rr, 1, Integer::sum);
                    }
                }
            }
            // the generator makes every kind of bad record the processor can see without a broken model
            for (RejectReason rr : List.of(RejectReason.UNDECODABLE, RejectReason.SCHEMA_VIOLATION,
                    RejectReason.WRONG_DIMENSION, RejectReason.NON_FINITE, RejectReason.OUT_OF_ORDER, RejectReason.OVERSIZED)) {
                assertTrue(byReason.getOrDefault(rr, 0) > 100, rr + " seen: " + byReason);
            }
            assertTrue(out.size() > RECORDS / 4, "good records still get through: " + out.size());
        }
    }

    /** One record: a good sample half of the time, else one of many kinds of damage. */
    private static ProducerRecord<byte[], byte[]> record(Rng rng, long[] clock) {
        int s = rng.nextInt(STREAMS);
        String stream = "s" + s;
        byte[] key = utf8(stream);
        clock[s] += 1 + rng.nextInt(100);
        long time = clock[s] + 1_000_000;
        String good = "{\"stream\":\"" + stream + "\",\"time\":" + time + ",\"values\":[" + (float) rng.nextGaussian()
                + "," + (float) rng.nextGaussian() + "]}";
        byte[] value = utf8(good);
        RecordHeaders headers = new RecordHeaders();
        if (rng.nextInt(10) == 0) {
            byte[] junk = new byte[rng.nextInt(40)];
            fill(rng, junk);
            headers.add("h" + rng.nextInt(5), junk);
        }
        int kind = rng.nextInt(32);
        switch (kind < 16 ? -1 : kind) {
            case -1:
                break; // good
            case 16: // flipped bytes
                value = flip(rng, value, 1 + rng.nextInt(4));
                break;
            case 17: // truncated
                value = java.util.Arrays.copyOf(value, rng.nextInt(value.length));
                break;
            case 18: // random binary
                value = new byte[rng.nextInt(200)];
                fill(rng, value);
                break;
            case 19: // oversized
                value = utf8("{\"stream\":\"" + stream + "\",\"time\":" + time + ",\"values\":[1,2]," + " ".repeat(MAX_BYTES) + "}");
                break;
            case 20: // wrong dimension ("[]" breaks the schema instead: minItems 1, a schema-violation)
                String[] dims = {"[]", "[1]", "[1,2,3]", "[1,2,3,4,5]"};
                value = utf8("{\"time\":" + time + ",\"values\":" + dims[rng.nextInt(dims.length)] + "}");
                break;
            case 21: // non-finite
                value = utf8("{\"time\":" + time + ",\"values\":[" + (rng.nextInt(2) == 0 ? "1e39" : "NaN") + ",1]}");
                break;
            case 22: // out of order: older than the stream's earlier samples (unless it is the stream's first)
                value = utf8("{\"time\":" + (time - 100_000) + ",\"values\":[1,2]}");
                break;
            case 23: // schema: wrong types, unknown fields, missing values
                String[] bad = {"{\"time\":\"now\",\"values\":[1,2]}", "{\"values\":{\"a\":1}}", "{\"time\":" + time + "}",
                        "{\"time\":" + time + ",\"values\":[1,2],\"extra\":true}", "[1,2]", "{\"values\":[\"a\",1]}",
                        "{\"stream\":5,\"values\":[1,2]}", "{\"time\":-5,\"values\":[1,2]}"};
                value = utf8(bad[rng.nextInt(bad.length)]);
                break;
            case 24: // no key, no stream field
                key = null;
                value = utf8("{\"time\":" + time + ",\"values\":[1,2]}");
                break;
            case 25: // key that is not UTF-8, or too long
                key = rng.nextInt(2) == 0 ? new byte[] {(byte) 0xff, (byte) 0xfe, 0x41} : utf8("k".repeat(300));
                break;
            case 26: // stream field disagreeing with the key
                value = utf8("{\"stream\":\"other\",\"time\":" + time + ",\"values\":[1,2]}");
                break;
            case 27: // null value (tombstone) or empty
                value = rng.nextInt(2) == 0 ? null : new byte[0];
                break;
            case 28: // duplicate field
                value = utf8("{\"time\":" + time + ",\"time\":" + time + ",\"values\":[1,2]}");
                break;
            case 29: // trailing garbage
                value = utf8(good + "}{");
                break;
            case 30: // deep nesting
                value = utf8("{\"values\":" + "[".repeat(50) + "]".repeat(50) + "}");
                break;
            default: // inserted and deleted bytes
                value = insertDelete(rng, value);
        }
        return new ProducerRecord<>("fuzz-in", null, null, key, value, headers);
    }

    private static void fill(Rng rng, byte[] b) {
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) rng.nextInt(256);
        }
    }

    private static byte[] flip(Rng rng, byte[] v, int n) {
        byte[] b = v.clone();
        for (int i = 0; i < n && b.length > 0; i++) {
            b[rng.nextInt(b.length)] ^= (byte) (1 << rng.nextInt(8));
        }
        return b;
    }

    private static byte[] insertDelete(Rng rng, byte[] v) {
        List<Byte> l = new ArrayList<>();
        for (byte x : v) {
            l.add(x);
        }
        for (int i = 0; i < 3; i++) {
            if (rng.nextInt(2) == 0 && !l.isEmpty()) {
                l.remove(rng.nextInt(l.size()));
            } else {
                l.add(rng.nextInt(l.size() + 1), (byte) rng.nextInt(256));
            }
        }
        byte[] b = new byte[l.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = l.get(i);
        }
        return b;
    }
}
