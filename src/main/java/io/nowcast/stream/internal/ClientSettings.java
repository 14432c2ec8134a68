package io.nowcast.stream.internal;

import io.nowcast.stream.ProcessorConfig;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The properties of the processor's Kafka clients, made from its configuration: the consumer of
 * the input topics, the producer of every output, and, with exactly-once, the admin client and the
 * consumer that restores the state changelogs. The user's {@code kafka.*}, {@code consumer.*} and
 * {@code producer.*} settings go in first; what the processor's guarantees rest on (group,
 * isolation level, idempotence, acks, the transactional id) is set over them. Stateless.
 */
public final class ClientSettings {
    /** The transaction timeout of the exactly-once producer unless producer.transaction.timeout.ms says otherwise. */
    static final int DEFAULT_TRANSACTION_TIMEOUT_MS = 10_000;

    /**
     * How long a call of the exactly-once producer waits for the broker (a commit, initTransactions,
     * a send waiting for metadata) unless producer.max.block.ms says otherwise: Kafka's 60 s would
     * keep a processor asked to stop during an outage waiting past a pod's grace period; the
     * processor tries a timed-out commit again itself, so a shorter wait loses nothing.
     */
    static final int DEFAULT_MAX_BLOCK_MS = 10_000;

    /**
     * The producer's batch.size unless producer.batch.size says otherwise: a poll's outputs leave in
     * a burst, and with Kafka's 16 KiB batches the broker appends one small batch per hundred
     * predictions (on the 2-core machine, 256 KiB took the JVM's CPU per sample, broker included,
     * from 7-12 us to 4-7 us).
     */
    static final int DEFAULT_BATCH_BYTES = 262_144;

    private ClientSettings() {
    }

    /** The consumer of every pipeline's input topics (group {@code application.id}, auto-commit off, read_committed). */
    public static Map<String, Object> consumer(ProcessorConfig c) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        s.put(ConsumerConfig.CLIENT_ID_CONFIG, c.applicationId + "-consumer");
        s.putAll(c.kafkaCommon);
        s.putAll(c.kafkaConsumer);
        s.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers);
        s.put(ConsumerConfig.GROUP_ID_CONFIG, c.applicationId);
        s.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        s.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        s.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(c.pollMaxRecords));
        if (!c.instanceId.isEmpty()) {
            s.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, c.applicationId + "-" + c.instanceId);
        }
        return s;
    }

    /** The producer of every output (idempotent, acks=all; transactional with exactly-once). */
    public static Map<String, Object> producer(ProcessorConfig c) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put(ProducerConfig.CLIENT_ID_CONFIG, c.applicationId + "-producer");
        s.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(DEFAULT_BATCH_BYTES));
        s.putAll(c.kafkaCommon);
        s.putAll(c.kafkaProducer);
        if (c.exactlyOnce) {
            s.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(DEFAULT_TRANSACTION_TIMEOUT_MS));
            s.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(DEFAULT_MAX_BLOCK_MS));
        }
        s.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers);
        s.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        s.put(ProducerConfig.ACKS_CONFIG, "all");
        if (c.exactlyOnce) {
            s.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, c.applicationId + "-"
                    + (c.instanceId.isEmpty() ? UUID.randomUUID().toString() : c.instanceId));
        }
        return s;
    }

    /** exactly_once: the admin client that prepares the changelog topics and reads their stable offsets. */
    static Map<String, Object> admin(ProcessorConfig c) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.putAll(c.kafkaCommon);
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers);
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, c.applicationId + "-admin");
        return a;
    }

    /** exactly_once: the consumer that reads the changelogs back (assigned, not in a group; read_committed). */
    static Map<String, Object> restoreConsumer(ProcessorConfig c) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.putAll(c.kafkaCommon);
        r.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers);
        r.put(ConsumerConfig.CLIENT_ID_CONFIG, c.applicationId + "-restore");
        r.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        r.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        r.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        r.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return r;
    }

    /** The producer's max.request.size: the largest record it writes (Kafka's default if unset or unreadable). */
    public static int maxRequestSize(ProcessorConfig c) {
        Object v = producer(c).get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        try {
            return v == null ? 1_048_576 : Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            return 1_048_576;
        }
    }
}
