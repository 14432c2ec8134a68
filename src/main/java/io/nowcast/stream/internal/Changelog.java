package io.nowcast.stream.internal;

import io.nowcast.stream.Processor;
import io.nowcast.stream.ProcessorConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * exactly_once: each pipeline's state changelog, the compacted topic
 * {@code <application.id>-<pipeline>-state} ({@link StateChangelog}, {@code schemas/state-changelog.md})
 * partitioned like the pipeline's input.
 * <ul>
 * <li>{@link #prepare}, before the first poll: the topics made if missing and refused if they
 *     exist with another partition count or cleanup policy; the producer's transactions begun.</li>
 * <li>{@link #restore}, when partitions are assigned: the states of their streams read back
 *     ({@code read_committed}, from the beginning to the end, after any transaction still open on
 *     the topic has ended) before any of their records is processed. A record it cannot read is
 *     fatal, with a message naming the topic, partition and offset.</li>
 * <li>{@link #flush}, just before a transaction commits: the state of every stream the
 *     transaction changed, to the partition its samples come from, once per stream.</li>
 * <li>{@link #rewind}, after an aborted transaction: states and positions back to the last commit.</li>
 * </ul>
 * Its clients (an admin client and a consumer of its own) are made by {@code prepare} and closed
 * by {@link #close}. Not thread-safe: the processor's loop thread only, but {@link #restoring()}.
 */
public final class Changelog implements AutoCloseable {
    /** How long a restore waits for another instance's open transaction on the changelog to end. */
    static final long RESTORE_WAIT_NANOS = TimeUnit.MINUTES.toNanos(5);
    // the processor's own log lines, under its name
    private static final Logger LOG = LoggerFactory.getLogger(Processor.class);

    private final ProcessorConfig config;
    private final List<Pipeline<?>> pipelines;
    private final Map<String, Pipeline<?>> byTopic;
    private final Sources sources;
    private final LongSupplier clockMs;
    /** When the loop last showed it is alive (System.nanoTime): a long restore keeps it current. */
    private final AtomicLong heartbeat;
    private Admin admin;
    private KafkaConsumer<byte[], byte[]> restoreConsumer;
    private volatile boolean restoring;

    public Changelog(ProcessorConfig config, List<Pipeline<?>> pipelines, Map<String, Pipeline<?>> byTopic, Sources sources,
              LongSupplier clockMs, AtomicLong heartbeat) {
        this.config = config;
        this.pipelines = pipelines;
        this.byTopic = byTopic;
        this.sources = sources;
        this.clockMs = clockMs;
        this.heartbeat = heartbeat;
    }

    /**
     * Before the first poll: the producer's transactions (fencing a predecessor with the same
     * transactional.id and aborting its open transaction) and each pipeline's changelog topic, made
     * if missing and checked if present.
     *
     * @param initTransactions the producer's {@code initTransactions}
     */
    public void prepare(Runnable initTransactions) {
        admin = Admin.create(ClientSettings.admin(config));
        restoreConsumer = new KafkaConsumer<>(ClientSettings.restoreConsumer(config), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        try {
            for (Pipeline<?> p : pipelines) {
                prepareChangelog(p);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FatalException("interrupted while preparing the changelog topics", e);
        } catch (ExecutionException e) {
            throw new FatalException("cannot prepare the changelog topics: " + e.getCause(), e.getCause());
        }
        initTransactions.run();
    }

    /** Makes the pipeline's changelog topic (compacted, partitioned like its input) or checks the one there is. */
    private void prepareChangelog(Pipeline<?> p) throws InterruptedException, ExecutionException {
        List<String> inputs = p.config.inputTopics();
        int n = -1;
        String first = null;
        for (String t : inputs) {
            TopicDescription d;
            try {
                d = admin.describeTopics(List.of(t)).allTopicNames().get().get(t);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    throw new FatalException("pipeline " + p.config.name() + ": input topic '" + t + "' does not exist;"
                            + " with exactly_once its partition count makes the changelog's, create it first", e);
                }
                throw e;
            }
            int k = d.partitions().size();
            if (n >= 0 && k != n) {
                throw new FatalException("pipeline " + p.config.name() + ": input topics '" + first + "' (" + n
                        + " partitions) and '" + t + "' (" + k + ") differ; with exactly_once the state changelog is"
                        + " partitioned like the input, so its input topics must have the same partition count", null);
            }
            n = k;
            first = t;
        }
        String topic = p.outputs.changelog;
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(n), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)))).all().get();
            LOG.info("pipeline {}: created the state changelog topic {} ({} partitions, cleanup.policy=compact)",
                    p.config.name(), topic, n);
            return;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        int k = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config tc = admin.describeConfigs(List.of(res)).all().get().get(res);
        ConfigEntry policy = tc.get(TopicConfig.CLEANUP_POLICY_CONFIG);
        String pv = policy == null ? "" : policy.value();
        if (k != n || !TopicConfig.CLEANUP_POLICY_COMPACT.equals(pv)) {
            throw new FatalException("pipeline " + p.config.name() + ": the state changelog topic '" + topic
                    + "' exists with " + k + " partitions and cleanup.policy=" + pv + "; expected " + n
                    + " partitions (as the input topic '" + first + "') and cleanup.policy=compact. Delete it (every"
                    + " stream then starts afresh) or fix it", null);
        }
    }

    /** Whether a restore is under way (the readiness probe); any thread. */
    public boolean restoring() {
        return restoring;
    }

    /** Reads the states of the streams of these input partitions from the changelog. */
    public void restore(Collection<TopicPartition> fresh) {
        restoring = true;
        try {
            for (Pipeline<?> p : pipelines) {
                Map<Integer, TopicPartition> byPartition = new HashMap<>();
                for (TopicPartition tp : fresh) {
                    if (byTopic.get(tp.topic()) == p) {
                        byPartition.putIfAbsent(tp.partition(), tp);
                    }
                }
                if (!byPartition.isEmpty()) {
                    restore(p, byPartition);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FatalException("interrupted while restoring stream states", e);
        } catch (ExecutionException e) {
            throw new FatalException("cannot restore stream states: " + e.getCause(), e.getCause());
        } finally {
            restoring = false;
        }
    }

    private void restore(Pipeline<?> p, Map<Integer, TopicPartition> byPartition) throws InterruptedException, ExecutionException {
        long t0 = System.nanoTime();
        List<TopicPartition> parts = new ArrayList<>();
        for (int k : byPartition.keySet()) {
            parts.add(new TopicPartition(p.outputs.changelog, k));
        }
        Map<TopicPartition, Long> end = awaitNoOpenTransactions(p, parts);
        restoreConsumer.assign(parts);
        restoreConsumer.seekToBeginning(parts);
        StreamStateStore store = p.runner().store();
        int errorValues = p.runner().errorValues();
        long now = clockMs.getAsLong();
        Set<String> live = new HashSet<>();
        long read = 0;
        long misfits = 0;
        List<TopicPartition> pending = new ArrayList<>(parts);
        pending.removeIf(tp -> end.get(tp) == 0);
        while (!pending.isEmpty()) {
            heartbeat.set(System.nanoTime());
            for (ConsumerRecord<byte[], byte[]> r : restoreConsumer.poll(Duration.ofMillis(200))) {
                if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                    continue;
                }
                read++;
                if (r.key() == null) {
                    throw badRecord(p, r, "no key (the key is the stream id)");
                }
                String stream = new String(r.key(), StandardCharsets.UTF_8);
                if (r.value() == null) {
                    store.remove(stream);
                    live.remove(stream);
                    continue;
                }
                StateChangelog.State st;
                try {
                    st = StateChangelog.decode(r.value());
                } catch (StateChangelog.BadRecordException e) {
                    throw badRecord(p, r, e.getMessage());
                }
                if (st.layers() != store.layers() || st.hidden() != store.hiddenSize() || st.cell() != store.hasCell()
                        || st.extra() != store.extraWidth()) {
                    // written by a model of another shape: the stream starts afresh
                    misfits++;
                    store.remove(stream);
                    live.remove(stream);
                    continue;
                }
                StreamStateStore.Entry e = store.restore(stream, now);
                System.arraycopy(st.vectors(), 0, e.vectors, 0, e.vectors.length);
                e.lastEventTime = st.lastEventTime();
                e.steps = st.steps();
                e.source = sources.id(byPartition.get(r.partition()));
                e.hasPrediction = st.predicted().length == errorValues && errorValues > 0;
                e.predicted = e.hasPrediction ? st.predicted() : null;
                if (st.frame() != null) {
                    e.keepFrame(st.frame(), 0, st.frameWidth(), st.frameHeight());
                } else {
                    e.frameWidth = 0;
                    e.frameHeight = 0;
                }
                live.add(stream);
            }
            pending.removeIf(tp -> restoreConsumer.position(tp) >= end.get(tp));
        }
        restoreConsumer.assign(List.of());
        long nanos = System.nanoTime() - t0;
        p.meters.restore.record(nanos, TimeUnit.NANOSECONDS);
        p.meters.restoredStreams.increment(live.size());
        p.meters.modelResets.increment(misfits);
        double secs = nanos / 1e9;
        LOG.info("pipeline {}: restored {} streams of partitions {} from {} ({} records{}) in {} ms: {} streams/s",
                p.config.name(), live.size(), new java.util.TreeSet<>(byPartition.keySet()), p.outputs.changelog, read,
                misfits > 0 ? ", " + misfits + " states of another model shape dropped" : "",
                String.format("%.1f", secs * 1e3), String.format("%.0f", live.size() / Math.max(secs, 1e-9)));
    }

    private FatalException badRecord(Pipeline<?> p, ConsumerRecord<byte[], byte[]> r, String what) {
        String key = r.key() == null ? "(none)" : "'" + new String(r.key(), StandardCharsets.UTF_8) + "'";
        return new FatalException("pipeline " + p.config.name() + ": bad state record in changelog topic " + r.topic()
                + " partition " + r.partition() + " offset " + r.offset() + " (key " + key + "): " + what
                + "; expected a state record of format version " + StateChangelog.VERSION
                + " (schemas/state-changelog.md). The processor does not start from a state it cannot read: remove"
                + " the record (or the topic, and every stream starts afresh)", null);
    }

    /**
     * The end offsets of the changelog partitions once no transaction is open on them (the last
     * stable offset has reached the high watermark): an instance that died with a transaction open
     * holds its partitions until that transaction is aborted, by its successor with the same
     * transactional.id at once, or by the broker after the transaction timeout.
     */
    private Map<TopicPartition, Long> awaitNoOpenTransactions(Pipeline<?> p, List<TopicPartition> parts)
            throws InterruptedException, ExecutionException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicPartition tp : parts) {
            latest.put(tp, OffsetSpec.latest());
        }
        long deadline = System.nanoTime() + RESTORE_WAIT_NANOS;
        boolean said = false;
        while (true) {
            Map<TopicPartition, Long> stable = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
                    .forEach((tp, i) -> stable.put(tp, i.offset()));
            Map<TopicPartition, Long> high = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get()
                    .forEach((tp, i) -> high.put(tp, i.offset()));
            if (stable.equals(high)) {
                return stable;
            }
            if (System.nanoTime() > deadline) {
                throw new FatalException("pipeline " + p.config.name() + ": a transaction on " + p.outputs.changelog
                        + " stayed open for " + TimeUnit.NANOSECONDS.toSeconds(RESTORE_WAIT_NANOS) + " s (stable offsets "
                        + stable + ", high watermarks " + high + ")", null);
            }
            if (!said) {
                LOG.info("pipeline {}: waiting for an open transaction on {} to end before restoring (stable offsets {},"
                        + " high watermarks {})", p.config.name(), p.outputs.changelog, stable, high);
                said = true;
            }
            heartbeat.set(System.nanoTime());
            Thread.sleep(100);
        }
    }

    /** Just before a transaction commits: the state record of every stream it changed. */
    public List<ProducerRecord<byte[], byte[]>> flush() {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (Pipeline<?> p : pipelines) {
            OutputRecords o = p.outputs;
            if (o.dirty.isEmpty()) {
                continue;
            }
            StreamStateStore store = p.runner().store();
            for (String stream : o.dirty) {
                StreamStateStore.Entry e = store.peek(stream);
                if (e == null || e.source() < 0) {
                    continue; // evicted meanwhile: its tombstone is in the transaction
                }
                int partition = sources.partition(e.source()).partition();
                byte[] value = StateChangelog.encode(e, store.layers(), store.hiddenSize(), store.hasCell(), o.modelName,
                        o.modelVersion);
                out.add(OutputRecords.state(o.changelog, partition, stream, value));
                p.meters.stateRecords.increment();
            }
            o.dirty.clear();
        }
        return out;
    }

    /**
     * After an aborted transaction: the states and positions are those of the last commit again
     * (states restored from the changelog, positions from the committed offsets), so the aborted
     * work is done again, once.
     *
     * @return the partitions whose states are current again
     */
    public Set<TopicPartition> rewind(Consumer<byte[], byte[]> consumer) {
        for (Pipeline<?> p : pipelines) {
            p.reset();
        }
        Set<TopicPartition> owned = consumer.assignment();
        if (owned.isEmpty()) {
            return Set.of();
        }
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(owned);
        for (TopicPartition tp : owned) {
            OffsetAndMetadata o = committed.get(tp);
            if (o == null) {
                consumer.seekToBeginning(List.of(tp));
            } else {
                consumer.seek(tp, o);
            }
        }
        restore(owned);
        return owned;
    }

    @Override
    public void close() {
        if (restoreConsumer != null) {
            restoreConsumer.close(Duration.ZERO);
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
        }
    }
}
