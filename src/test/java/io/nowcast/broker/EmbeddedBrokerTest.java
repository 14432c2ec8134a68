package io.nowcast.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A real broker in the test JVM: transactions, read_committed, compaction and restarts on the same
 * directory. One broker is shared by the tests that do not restart; the restart test has its own.
 */
class EmbeddedBrokerTest {
    private static EmbeddedBroker broker;
    private static long startMillis;

    @BeforeAll
    static void startBroker() throws Exception {
        long t0 = System.nanoTime();
        broker = EmbeddedBroker.builder()
                // so that the compaction test does not wait Kafka's default 15 s between cleaner runs
                .property("log.cleaner.backoff.ms", "100")
                .start();
        startMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("EmbeddedBroker started in " + startMillis + " ms at " + broker.bootstrapServers());
    }

    @AfterAll
    static void closeBroker() {
        Path dir = broker.dir();
        broker.close();
        assertFalse(broker.isRunning());
        assertFalse(Files.exists(dir), "the temporary directory is deleted on close");
        assertThrows(IllegalStateException.class, broker::start, "a closed broker does not start again");
    }

    @Test
    void startsOnLoopbackWithTheBootstrapAddress() {
        assertTrue(broker.isRunning());
        assertTrue(broker.bootstrapServers().matches("127\\.0\\.0\\.1:\\d+"), broker.bootstrapServers());
        assertTrue(Files.exists(broker.dir().resolve("kafka-logs").resolve("meta.properties")), "formatted");
    }

    @Test
    void aThousandRecordsInTransactionsAreReadBackReadCommitted() throws Exception {
        String topic = "tx-four";
        broker.createTopic(topic, 4, Map.of());
        try (KafkaProducer<String, String> p = transactionalProducer(broker, "tx-four-producer")) {
            p.initTransactions();
            for (int t = 0; t < 10; t++) {
                p.beginTransaction();
                for (int i = 0; i < 100; i++) {
                    int n = t * 100 + i;
                    p.send(new ProducerRecord<>(topic, "k" + n, "v" + n));
                }
                p.commitTransaction();
            }
        }
        List<ConsumerRecord<String, String>> read = readAll(broker, topic, "read_committed");
        assertEquals(1000, read.size());
        Set<String> keys = read.stream().map(ConsumerRecord::key).collect(Collectors.toSet());
        assertEquals(1000, keys.size());
        for (ConsumerRecord<String, String> r : read) {
            assertEquals("v" + r.key().substring(1), r.value());
        }
        Map<Integer, Long> perPartition = read.stream()
                .collect(Collectors.groupingBy(ConsumerRecord::partition, Collectors.counting()));
        assertEquals(Set.of(0, 1, 2, 3), perPartition.keySet(), "keys spread over all 4 partitions: " + perPartition);

        try (Admin admin = admin(broker)) {
            TopicDescription d = admin.describeTopics(List.of(topic)).topicNameValues().get(topic).get();
            assertEquals(4, d.partitions().size());
        }
        assertThrows(TopicExistsException.class, () -> broker.createTopic(topic, 4, Map.of()));
    }

    @Test
    void anAbortedTransactionIsNotSeenReadCommitted() throws Exception {
        String topic = "tx-abort";
        broker.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> p = transactionalProducer(broker, "tx-abort-producer")) {
            p.initTransactions();
            for (String batch : List.of("committed-a", "aborted", "committed-b")) {
                p.beginTransaction();
                for (int i = 0; i < 10; i++) {
                    p.send(new ProducerRecord<>(topic, batch + "-" + i, batch));
                }
                p.flush();
                if (batch.equals("aborted")) {
                    p.abortTransaction();
                } else {
                    p.commitTransaction();
                }
            }
        }
        List<String> committed = readAll(broker, topic, "read_committed").stream().map(ConsumerRecord::value).toList();
        assertEquals(20, committed.size());
        assertFalse(committed.contains("aborted"), "read_committed sees no aborted record");
        assertEquals(List.of("committed-a", "committed-b"), committed.stream().distinct().toList(), "in order");

        List<String> all = readAll(broker, topic, "read_uncommitted").stream().map(ConsumerRecord::value).toList();
        assertEquals(30, all.size(), "the aborted records were written: read_uncommitted sees them");
        assertEquals(10, all.stream().filter("aborted"::equals).count());
    }

    @Test
    void aCompactedTopicIsCreatedAndCompacted() throws Exception {
        String topic = "state-compacted";
        broker.createTopic(topic, 1, Map.of(
                "cleanup.policy", "compact",
                // roll segments at once and clean any dirt, so that the cleaner runs within the test
                "segment.ms", "100",
                "min.cleanable.dirty.ratio", "0.01",
                "min.compaction.lag.ms", "0",
                "delete.retention.ms", "0"));
        try (Admin admin = admin(broker)) {
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(res)).all().get().get(res);
            ConfigEntry policy = config.get("cleanup.policy");
            assertEquals("compact", policy.value());
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, policy.source());
        }
        try (KafkaProducer<String, String> p = transactionalProducer(broker, "compacted-producer")) {
            p.initTransactions();
            for (int version = 0; version < 10; version++) {
                p.beginTransaction();
                for (int k = 0; k < 10; k++) {
                    p.send(new ProducerRecord<>(topic, "key" + k, "v" + version));
                }
                p.commitTransaction();
                Thread.sleep(120); // one segment per version
            }
        }
        // the last segment is active and never cleaned: wait until the older ones have been
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<ConsumerRecord<String, String>> read;
        do {
            Thread.sleep(200);
            read = readAll(broker, topic, "read_committed");
        } while (read.size() >= 100 && System.nanoTime() < deadline);
        assertTrue(read.size() < 100, "compaction removed superseded values: " + read.size() + " left");
        Map<String, String> latest = new HashMap<>();
        read.forEach(r -> latest.put(r.key(), r.value()));
        assertEquals(10, latest.size(), "every key is kept");
        latest.values().forEach(v -> assertEquals("v9", v, "the latest value of every key is kept"));
    }

    @Test
    void stopAndStartOnTheSameDirectoryKeepsTheCommittedRecords(@TempDir Path dir) throws Exception {
        String topic = "survives";
        EmbeddedBroker first = EmbeddedBroker.builder().dir(dir).start();
        String bootstrap = first.bootstrapServers();
        try (KafkaProducer<String, String> p = transactionalProducer(first, "survivor")) {
            first.createTopic(topic, 4, Map.of());
            p.initTransactions();
            sendCommitted(p, topic, 0, 100);

            long t0 = System.nanoTime();
            first.restart();
            System.out.println("EmbeddedBroker restarted in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            assertEquals(bootstrap, first.bootstrapServers(), "the same port after a restart");
            assertEquals(100, readAll(first, topic, "read_committed").size(), "committed records survive a restart");

            // the producer made before the restart goes on: it reconnects to the same address
            sendCommitted(p, topic, 100, 200);
            assertEquals(200, readAll(first, topic, "read_committed").size());
        } finally {
            first.close();
        }
        assertTrue(Files.exists(dir.resolve("kafka-logs").resolve("meta.properties")), "a given directory is kept");

        // a new broker on the directory: the same cluster, the same port, the same data
        try (EmbeddedBroker second = EmbeddedBroker.builder().dir(dir).start()) {
            assertEquals(bootstrap, second.bootstrapServers(), "the port remembered in the directory");
            List<ConsumerRecord<String, String>> read = readAll(second, topic, "read_committed");
            assertEquals(200, read.size());
            Set<String> keys = new HashSet<>();
            read.forEach(r -> keys.add(r.key()));
            assertEquals(200, keys.size());
            second.createTopic("after-restart", 2, Map.of());
        }
    }

    // ------------------------------------------------------------------------------------------

    private static void sendCommitted(KafkaProducer<String, String> p, String topic, int from, int to) {
        p.beginTransaction();
        for (int n = from; n < to; n++) {
            p.send(new ProducerRecord<>(topic, "k" + n, "v" + n));
        }
        p.commitTransaction();
    }

    static KafkaProducer<String, String> transactionalProducer(EmbeddedBroker b, String transactionalId) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(c, new StringSerializer(), new StringSerializer());
    }

    static Admin admin(EmbeddedBroker b) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers()));
    }

    /** Every record of every partition, from the beginning to the end as seen with that isolation level. */
    static List<ConsumerRecord<String, String>> readAll(EmbeddedBroker b, String topic, String isolation) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(20)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            // with read_committed these are the last stable offsets: nothing beyond them is readable
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(20));
            List<ConsumerRecord<String, String>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("did not reach the end offsets " + end + " of " + topic);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }
}
