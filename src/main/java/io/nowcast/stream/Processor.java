package io.nowcast.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.SampleCodec;
import io.nowcast.model.FrameModel;
import io.nowcast.model.Model;
import io.nowcast.stream.internal.AtLeastOnceCommitter;
import io.nowcast.stream.internal.BatchResult;
import io.nowcast.stream.internal.Changelog;
import io.nowcast.stream.internal.ClientSettings;
import io.nowcast.stream.internal.Counts;
import io.nowcast.stream.internal.ExactlyOnceCommitter;
import io.nowcast.stream.internal.FatalException;
import io.nowcast.stream.internal.OutputTopics;
import io.nowcast.stream.internal.FramePipeline;
import io.nowcast.stream.internal.FrameRunner;
import io.nowcast.stream.internal.OutputCommitter;
import io.nowcast.stream.internal.Pipeline;
import io.nowcast.stream.internal.PipelineRunner;
import io.nowcast.stream.internal.ProcessMeters;
import io.nowcast.stream.internal.SamplePipeline;
import io.nowcast.stream.internal.Sources;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The stream processor: reads the samples of every pipeline's input topics, runs each pipeline's
 * model on them batched across streams ({@link PipelineRunner}), and writes predictions, dead
 * letters and eviction announcements back to Kafka.
 *
 * <h2>The loop</h2>
 * One consumer reads all pipelines' input topics (group {@code application.id}, auto-commit off,
 * {@code read_committed}); one producer (idempotent, {@code acks=all}; transactional with
 * exactly-once) writes everything ({@link ClientSettings}). Each turn:
 * <ol>
 * <li>poll up to {@code poll.max.records} records;</li>
 * <li>swap in a new model version for each pipeline with a {@code model.dir} that has one
 *     ({@code internal.ModelWatcher}), so that a batch is stepped by one model throughout: its predictions
 *     name the model and version that made them, the streams' states are kept if they fit the new
 *     model and reset (counted) if not;</li>
 * <li>evict the streams idle for {@code state.idle.ttl.ms} (announced if
 *     {@code state.evictions.topic} is set);</li>
 * <li>decode each record with its pipeline's {@link SampleCodec} (dimension = the model's input
 *     size, at most {@code max.record.bytes}; {@link SamplePipeline}), or, in a frame pipeline (a
 *     {@link FrameModel}; {@link FramePipeline}), its {@link FrameCodec} (at most
 *     {@code max.record.bytes} and {@code frame.max.pixels}); a record that cannot be decoded goes
 *     to the dead-letter topic;</li>
 * <li>give each pipeline's samples in poll order to its runner ({@link PipelineRunner}), or its
 *     frames ({@link FrameRunner}), batched across streams ({@code internal.StreamBatcher}), which
 *     returns what it made ({@link BatchResult}): predictions or output frames to the pipeline's
 *     output topic (key = stream id), out-of-order inputs and model errors to the dead-letter topic
 *     ({@code internal.OutputRecords});</li>
 * <li>commit ({@link OutputCommitter}). With exactly-once, the batch's offsets join the open
 *     transaction, which commits once it is {@code commit.interval.ms} old. With at-least-once,
 *     the batch's offsets are committed synchronously once
 *     every one of its outputs is acknowledged. While the loop is behind (a poll gives
 *     {@code poll.max.records}), that is checked at the end of the next batch, so the broker
 *     acknowledges a batch while the loop processes the next one; once it has caught up (a
 *     smaller poll), at once, the producer flushed, so that no output waits for the producer's
 *     {@code linger.ms}. An empty poll, a rebalance that takes partitions away and
 *     {@link #stop()} commit what is left.</li>
 * </ol>
 * A dead letter carries the record's original key, value and headers, plus the headers
 * {@code nowcast.reason} (a {@link RejectReason} id), {@code nowcast.error} (what was wrong),
 * {@code nowcast.source.topic}, {@code nowcast.source.partition}, {@code nowcast.source.offset}
 * and {@code nowcast.pipeline}. Every record polled ends as a prediction, a dead letter or (a late
 * sample with {@code late.policy=drop}) a count, and its offset is committed with the rest of the
 * batch: a bad record never stalls its partition.
 *
 * <h2>Guarantees: exactly-once ({@code processing.guarantee=exactly_once}, the default)</h2>
 * Outputs (predictions, dead letters, eviction announcements), the state of every stream they
 * changed and the input offsets go to Kafka in one transaction ({@link ExactlyOnceCommitter}),
 * committed every {@code commit.interval.ms}, on an empty poll, before partitions are revoked and
 * on {@link #stop()}. Each pipeline's states live in a compacted changelog topic
 * {@code <application.id>-<pipeline>-state} ({@link Changelog}, {@code schemas/state-changelog.md})
 * with the partition count of its input: a stream's state goes to the partition its samples come
 * from, written once per stream per transaction; an eviction writes a tombstone. The topic is
 * made at start if missing, and refused if it exists with another partition count or cleanup
 * policy. When partitions are assigned, the states of their streams are read from the changelog
 * ({@code read_committed}, from the beginning to the end, after any transaction still open on it has
 * ended) before any of their records is processed; {@link #ready()} is false meanwhile. A record
 * the processor cannot read stops it with a message naming the topic, partition and offset. So a
 * {@code read_committed} reader of the outputs sees one prediction per input sample, and after a
 * crash, a restart or a rebalance every stream goes on from the state it had at the last commit,
 * with the numbers an uninterrupted run gives. A transaction that fails for any other reason than
 * fencing is aborted and the loop rewinds (states restored, positions back to the committed
 * offsets); fencing (another instance took this one's transactional.id or group.instance.id)
 * ends {@link #run()} with a {@link ProcessorException}, without another write. The counts of
 * {@link #stats()} are rolled back with an aborted transaction (the meters are not: they count
 * the work done, aborted work included).
 *
 * <h2>Guarantees: at-least-once ({@code processing.guarantee=at_least_once})</h2>
 * Offsets are committed only after every output of the batch has been acknowledged by all
 * in-sync replicas, so nothing that was read is lost. After a crash, or a fatal error, the records
 * polled since the last commit (at most the last two batches) are read again: their predictions,
 * dead letters and eviction announcements can appear twice. Stream states live in memory only, so
 * after a restart every stream starts from a fresh state: the re-read samples and the ones after
 * them get predictions with {@code step} counted from 1 again, which differ from those an
 * uninterrupted run would have made.
 *
 * <p>In both modes, when the group takes partitions away from this instance, the states of the
 * streams last seen on them are dropped (not announced as evictions), so that a partition that
 * comes back later does not resume from a state that is out of date; a partition revoked and
 * assigned again in the same rebalance keeps its streams' states. Per stream, predictions are
 * written in the order of the stream's samples (all go to the output topic with the stream id as
 * key, so to one partition).
 *
 * <h2>Lifecycle and threads</h2>
 * The constructor makes the clients (a bad client setting fails here) and subscribes; nothing is
 * read until {@link #run()}, which runs the loop in the calling thread until {@link #stop()} and
 * then closes the clients (the consumer leaves its group). Only one thread may call {@code run},
 * once. {@link #stop()} may be called from any thread, also from a shutdown hook: it wakes the
 * consumer, the batch in progress is finished and committed, and {@code run} returns.
 * {@link #close()} stops the loop, waits for {@code run} to return and closes the clients if
 * {@code run} never ran. {@link #stats()} may be read from any thread; it is a snapshot of the
 * counts as of the last batch whose offsets are committed. A fatal error (a write that fails
 * after the producer's retries, a commit refused because the group moved on, an authorisation
 * error) ends {@code run} with a {@link ProcessorException}, the batches not yet committed left
 * uncommitted.
 *
 * <h2>Metrics and probes</h2>
 * The processor registers the meters of {@link Meters} with the {@link MeterRegistry} it is given
 * (none by default), resolved once per pipeline, plus its Kafka clients' metrics
 * ({@link KafkaClientMetrics}, closed with the clients). The registry may be read from any thread.
 * {@link #alive()} and {@link #ready()} answer the health and readiness probes, from any thread.
 */
public final class Processor implements AutoCloseable {
    /** A fatal error of the loop; the batch in progress was not committed. */
    public static final class ProcessorException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProcessorException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Counts since the processor was made, as of the last commit; {@code partitions}: input partitions owned. */
    public record Stats(long polls, long records, long predictions, Map<RejectReason, Long> deadLetters, long lateDropped,
                        long gapResets, long evictedCapacity, long evictedIdle, long streams, long batchedSteps,
                        long rowsStepped, long commits, int partitions) {
        /** Dead letters of every reason. */
        public long deadLettersTotal() {
            return deadLetters.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Records that ended as a prediction, a dead letter or a dropped late sample. */
        public long handled() {
            return predictions + deadLettersTotal() + lateDropped;
        }
    }

    /** {@link #alive()} is false once a turn of the loop has taken longer than this. */
    static final long LIVENESS_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final Logger LOG = LoggerFactory.getLogger(Processor.class);

    private final ProcessorConfig config;
    private final LongSupplier clockMs;
    private final MeterRegistry registry;
    private final ProcessMeters meters;
    private final KafkaClientMetrics consumerMetrics;
    /** The metrics of the producer in use (a lost producer is replaced, and its metrics with it). */
    private KafkaClientMetrics producerMetrics;
    /** When the current turn of the loop started (System.nanoTime), for {@link #alive()}. */
    private final AtomicLong lastPollNanos = new AtomicLong();
    private final Consumer<byte[], byte[]> consumer;
    private final OutputCommitter committer;
    private final List<Pipeline<?>> pipelines = new ArrayList<>();
    private final Map<String, Pipeline<?>> byTopic = new HashMap<>();
    private final Sources sources = new Sources();
    private final Changelog changelog;
    /** Input partitions whose streams' states this instance holds and are current. */
    private final Set<TopicPartition> held = new HashSet<>();
    /** exactly_once: the committer, which owns the transactional producer; else null. */
    private final ExactlyOnceCommitter exactlyOnce;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Object lifecycle = new Object();
    private volatile boolean running = true;
    private volatile boolean started;
    private boolean closed;
    private volatile Stats stats;
    private final Counts counts = new Counts(pipelines);
    /** exactly_once: the counts as of the last commit, to roll back to when a transaction is aborted. */
    private Counts.Mark committedCounts;
    private volatile int partitions;
    // readiness: false from an assignment until the states of its partitions are restored
    private volatile boolean restored;
    private volatile StateRestore restoreHook = assigned -> { };
    private PredictionTap.Factory taps;   // asked again for a pipeline whose model is swapped

    /**
     * A step run after the changelog restore of partitions newly assigned to this instance, in the
     * loop thread, inside the rebalance; {@link #ready()} is false until it returns. Empty but in
     * tests (a restore that takes its time).
     */
    @FunctionalInterface
    interface StateRestore {
        void restore(Collection<TopicPartition> assigned);
    }

    /**
     * @param config the configuration; {@code bootstrap.servers} must be set (an embedded broker
     *               is started by the caller, see {@link ProcessorConfig#withBootstrapServers})
     * @param models each pipeline's model by pipeline name: a {@link Model} (forecaster or series
     *               denoiser) or a {@link FrameModel} (a frame pipeline); each is used by this
     *               processor only. A pass-through pipeline ({@code model=pass-through}) has none.
     */
    public Processor(ProcessorConfig config, Map<String, ?> models) {
        this(config, models, new CompositeMeterRegistry());
    }

    /**
     * @param registry where the processor's meters ({@link Meters}) and its Kafka clients' metrics
     *                 are registered
     */
    public Processor(ProcessorConfig config, Map<String, ?> models, MeterRegistry registry) {
        this(config, models, monotonicMillis(), registry);
    }

    /** With another clock for the idle time-to-live (processing time, milliseconds). */
    Processor(ProcessorConfig config, Map<String, ?> models, LongSupplier clockMs) {
        this(config, models, clockMs, new CompositeMeterRegistry());
    }

    Processor(ProcessorConfig config, Map<String, ?> models, LongSupplier clockMs, MeterRegistry registry) {
        if (config.bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(config.source + ": bootstrap.servers is empty; start a broker first");
        }
        this.config = config;
        this.clockMs = clockMs;
        this.registry = registry;
        this.meters = new ProcessMeters(registry);
        PipelineModels.check(config, models);
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(ClientSettings.consumer(config), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        KafkaProducer<byte[], byte[]> p;
        try {
            p = newProducer();
        } catch (RuntimeException e) {
            c.close(Duration.ZERO);
            throw e;
        }
        this.consumer = c;
        this.changelog = new Changelog(config, pipelines, byTopic, sources, clockMs, lastPollNanos);
        this.exactlyOnce = config.exactlyOnce
                ? new ExactlyOnceCommitter(p, this::replacementProducer, c, config.commitIntervalMs, changelog::flush,
                        ClientSettings.maxRequestSize(config), () -> !running)
                : null;
        this.committer = config.exactlyOnce ? exactlyOnce : new AtLeastOnceCommitter(p, c);
        try {
            for (ProcessorConfig.Pipeline pc : config.pipelines) {
                Object given = pc.passThrough() ? null : models.get(pc.name());
                FrameRunner.Served frames = PipelineModels.served(given);
                Pipeline<?> pl = frames != null
                        ? new FramePipeline(config, pc, frames, committer, sources, clockMs, registry)
                        : new SamplePipeline(config, pc, (Model) given, committer, sources, clockMs, registry);
                pipelines.add(pl);
                for (String t : pc.inputTopics()) {
                    byTopic.put(t, pl);
                }
            }
        } catch (RuntimeException e) {
            c.close(Duration.ZERO);
            p.close(Duration.ZERO);
            throw e;
        }
        this.committedCounts = counts.mark();
        this.consumerMetrics = new KafkaClientMetrics(c);
        this.producerMetrics = new KafkaClientMetrics(p);
        consumerMetrics.bindTo(registry);
        producerMetrics.bindTo(registry);
        consumer.subscribe(new ArrayList<>(byTopic.keySet()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                // commit what is done while the partitions are still ours; with the eager protocol
                // every partition is revoked and most come straight back: their states are kept
                committer.settle();
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                reconcile();
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> lost) {
                // another member may own them already
                committer.forget(lost);
                dropStatesOf(lost);
                held.removeAll(lost);
                Processor.this.partitions = consumer.assignment().size() - lost.size();
                publishStats();
            }
        });
        publishStats();
    }

    /**
     * Runs the loop until {@link #stop()}, then closes the clients.
     *
     * @throws ProcessorException on a fatal error (the batch in progress is not committed)
     * @throws IllegalStateException if called twice, or after {@link #close()}
     */
    public void run() {
        synchronized (lifecycle) {
            if (started || closed) {
                throw new IllegalStateException(closed ? "the processor is closed" : "run() was called before");
            }
            started = true;
        }
        try {
            lastPollNanos.set(System.nanoTime());
            // a stop asked for while the broker did not answer the topic check skips the changelog too
            boolean brokerAnswered = OutputTopics.prepare(config, () -> !running);
            if (brokerAnswered && config.exactlyOnce) {
                changelog.prepare(exactlyOnce::initTransactions);
            }
            Duration timeout = Duration.ofMillis(config.pollTimeoutMs);
            while (running) {
                lastPollNanos.set(System.nanoTime());
                ConsumerRecords<byte[], byte[]> batch;
                try {
                    batch = consumer.poll(timeout);
                    counts.polled();
                    lastPollNanos.set(System.nanoTime());
                    meters.pollRecords.record(batch.count());
                    swapModels();
                    processBatch(batch);
                    updateLag();
                } catch (WakeupException e) {
                    if (!running) {
                        break;
                    }
                } catch (KafkaException e) {
                    ExactlyOnceCommitter.AbortedException aborted = causeOf(e, ExactlyOnceCommitter.AbortedException.class);
                    if (aborted == null || causeOf(e, FatalException.class) != null) {
                        throw e;
                    }
                    rewind(aborted);
                }
            }
            committer.settle();
        } catch (RuntimeException e) {
            committer.abandon();
            FatalException inner = causeOf(e, FatalException.class);
            if (inner != null) {
                throw new ProcessorException(inner.getMessage(), inner.getCause());
            }
            throw new ProcessorException("the processor stopped: " + e, e);
        } finally {
            running = false;
            closeClients();
            finished.countDown();
        }
    }

    /** Between batches: each pipeline with a model.dir takes a new model version if one has arrived ({@code internal.ModelWatcher}). */
    private void swapModels() {
        for (Pipeline<?> p : pipelines) {
            p.swapModel(clockMs.getAsLong(), taps);
        }
    }

    /** One turn of the loop after the poll: decode, run the pipelines, write, commit. */
    private void processBatch(ConsumerRecords<byte[], byte[]> batch) {
        committer.begin();
        int expired = 0;
        for (Pipeline<?> p : pipelines) {
            expired += p.expireIdle();
        }
        if (batch.isEmpty()) {
            if (expired > 0) {
                commit(Map.of()); // the announcements
            }
            // nothing new: commit what is left
            committer.settle();
            return;
        }
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            counts.record();
            byTopic.get(r.topic()).add(r);
        }
        try {
            for (Pipeline<?> p : pipelines) {
                p.process();
            }
        } finally {
            for (Pipeline<?> p : pipelines) {
                p.clear();
            }
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : batch.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> rs = batch.records(tp);
            ConsumerRecord<byte[], byte[]> last = rs.get(rs.size() - 1);
            offsets.put(tp, new OffsetAndMetadata(last.offset() + 1, last.leaderEpoch(), ""));
        }
        counts.committed();
        commit(offsets);
        if (batch.count() < config.pollMaxRecords) {
            // caught up with the input: at-least-once sends the outputs now rather than after the
            // producer's linger.ms, and commits; exactly-once commits at the end of its interval
            committer.caughtUp();
        }
    }

    /**
     * Each pipeline's input lag ({@link Meters#LAG}): the records of its assigned partitions beyond
     * the consumer's position, from the consumer's own fetch state (no request to the broker), after
     * every poll.
     */
    private void updateLag() {
        long[] lag = new long[pipelines.size()];
        for (TopicPartition tp : consumer.assignment()) {
            Pipeline<?> p = byTopic.get(tp.topic());
            if (p != null) {
                lag[pipelines.indexOf(p)] += consumer.currentLag(tp).orElse(0);
            }
        }
        for (int i = 0; i < lag.length; i++) {
            pipelines.get(i).lag(lag[i]);
        }
    }

    /**
     * Hands the batch to the committer; once its outputs are durable and its offsets committed
     * (perhaps while the next batch is processed) the stats snapshot taken now is published and the
     * time from here to there recorded as the commit latency.
     */
    private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        long t0 = System.nanoTime();
        Stats s = snapshot();
        Counts.Mark c = config.exactlyOnce ? counts.mark() : null;
        committer.commit(offsets, () -> {
            stats = s;
            if (c != null) {
                committedCounts = c;
            }
            meters.commit.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        });
    }

    private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /**
     * After an assignment: drops the states of the partitions no longer owned, restores (exactly_once)
     * those of the partitions newly owned, before any of their records is processed.
     */
    private void reconcile() {
        restored = false;
        Set<TopicPartition> owned = consumer.assignment();
        Set<TopicPartition> gone = new HashSet<>(held);
        gone.removeAll(owned);
        dropStatesOf(gone);
        held.removeAll(gone);
        Set<TopicPartition> fresh = new HashSet<>(owned);
        fresh.removeAll(held);
        partitions = owned.size();
        publishStats();
        if (config.exactlyOnce && !fresh.isEmpty()) {
            changelog.restore(fresh);
        }
        restoreHook.restore(fresh);
        held.addAll(fresh);
        restored = true;
        publishStats();
    }

    /**
     * exactly_once, after an aborted transaction: the counts, states and positions are those of
     * the last commit again ({@link Changelog#rewind}), so the aborted work is done again, once.
     */
    private void rewind(ExactlyOnceCommitter.AbortedException e) {
        LOG.warn("{}; rewinding to the last committed offsets and states", e.getMessage());
        if (committedCounts != null) {
            counts.rollBack(committedCounts);
        }
        held.clear();
        held.addAll(changelog.rewind(consumer));
    }

    /** Forgets the states of the streams last seen on partitions this instance no longer owns. */
    private void dropStatesOf(Collection<TopicPartition> partitions) {
        java.util.BitSet gone = sources.of(partitions);
        if (gone.isEmpty()) {
            return;
        }
        for (Pipeline<?> p : pipelines) {
            p.dropStates(gone);
        }
    }

    private void publishStats() {
        stats = snapshot();
    }

    /** The counts as of now. */
    private Stats snapshot() {
        meters.partitions.set(partitions);
        return counts.stats(partitions);
    }

    /** Counts as of the last commit; safe from any thread. */
    public Stats stats() {
        return stats;
    }

    /**
     * Whether the loop is running and its current turn (poll, process, commit) started less than
     * {@link #LIVENESS_NANOS} ago: the health probe. False before {@link #run()} and after it returns. Any thread.
     */
    public boolean alive() {
        return running && started && finished.getCount() > 0 && System.nanoTime() - lastPollNanos.get() < LIVENESS_NANOS;
    }

    /**
     * Whether the processor is alive, owns input partitions and has restored their streams' states
     * (from the changelog with exactly_once): the readiness probe. False from the moment partitions
     * are assigned until their restore has returned. Any thread.
     */
    public boolean ready() {
        return alive() && partitions > 0 && restored && !changelog.restoring();
    }

    /** The registry the processor's meters are in. */
    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Gives each pipeline the tap the factory makes for it, which then sees every prediction
     * ({@link PredictionTap}); after a model swap the factory is asked again, in the loop thread,
     * for the new model. Call before {@link #run()}.
     */
    public void tap(PredictionTap.Factory factory) {
        synchronized (lifecycle) {
            if (started) {
                throw new IllegalStateException("tap() must be called before run()");
            }
        }
        for (Pipeline<?> p : pipelines) {
            p.tap(factory);
        }
        this.taps = factory;
    }

    /** Replaces the restore step of {@link StateRestore} (tests: a restore that takes its time). */
    void restoreStep(StateRestore step) {
        this.restoreHook = step;
    }

    /** Ends the loop after the batch in progress; returns at once. Any thread. */
    public void stop() {
        running = false;
        consumer.wakeup();
    }

    /** Waits until {@link #run()} has returned; false on timeout. */
    public boolean awaitStopped(long timeout, TimeUnit unit) throws InterruptedException {
        return finished.await(timeout, unit);
    }

    /** Stops the loop, waits for {@link #run()} to return (at most 30 s) and closes the clients. Idempotent. */
    @Override
    public void close() {
        boolean wasStarted;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            wasStarted = started;
        }
        stop();
        if (wasStarted) {
            try {
                finished.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            closeClients();
            finished.countDown();
        }
    }

    private KafkaProducer<byte[], byte[]> newProducer() {
        return new KafkaProducer<>(ClientSettings.producer(config), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** exactly_once: a producer in place of a lost one, its metrics in place of the old one's (loop thread). */
    private KafkaProducer<byte[], byte[]> replacementProducer() {
        KafkaProducer<byte[], byte[]> p = newProducer();
        producerMetrics.close();
        producerMetrics = new KafkaClientMetrics(p);
        producerMetrics.bindTo(registry);
        return p;
    }

    private void closeClients() {
        try {
            // leave the group at once (a static member too), so that the partitions move now
            consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            // closing: nothing left to do about it
        } finally {
            changelog.close();
            committer.close();
            consumerMetrics.close();
            producerMetrics.close();
        }
    }

    private static LongSupplier monotonicMillis() {
        return () -> System.nanoTime() / 1_000_000;
    }

    /** The pipeline names with their runners (tests). */
    Map<String, PipelineRunner> runners() {
        Map<String, PipelineRunner> m = new LinkedHashMap<>();
        for (Pipeline<?> p : pipelines) {
            if (p instanceof SamplePipeline s) {
                m.put(p.name(), s.sampleRunner());
            }
        }
        return m;
    }
}
