package io.nowcast.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.RejectedException;
import io.nowcast.codec.Sample;
import io.nowcast.codec.SampleCodec;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.SeriesDenoiser;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The stream processor: reads the samples of every pipeline's input topics, runs each pipeline's
 * model on them batched across streams ({@link PipelineRunner}), and writes predictions, dead
 * letters and eviction announcements back to Kafka.
 *
 * <h2>The loop</h2>
 * One consumer reads all pipelines' input topics (group {@code application.id}, auto-commit off,
 * {@code read_committed}); one producer (idempotent, {@code acks=all}) writes everything. Each turn:
 * <ol>
 * <li>poll up to {@code poll.max.records} records;</li>
 * <li>swap in a new model version for each pipeline with a {@code model.dir} that has one
 *     ({@link ModelWatcher}), so that a batch is stepped by one model throughout: its predictions
 *     name the model and version that made them, the streams' states are kept if they fit the new
 *     model and reset (counted) if not;</li>
 * <li>evict the streams idle for {@code state.idle.ttl.ms} (announced if
 *     {@code state.evictions.topic} is set);</li>
 * <li>decode each record with its pipeline's {@link SampleCodec} (dimension = the model's input
 *     size, at most {@code max.record.bytes}); a record that cannot be decoded goes to the
 *     dead-letter topic;</li>
 * <li>give each pipeline its samples in poll order ({@link PipelineRunner#process}): predictions
 *     to the pipeline's output topic (key = stream id), out-of-order samples and model errors to
 *     the dead-letter topic;</li>
 * <li>commit ({@link OutputCommitter}): the batch's offsets are committed synchronously once
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
 * <h2>Guarantees (at-least-once)</h2>
 * Offsets are committed only after every output of the batch has been acknowledged by all
 * in-sync replicas, so nothing that was read is lost. After a crash, or a fatal error, the records
 * polled since the last commit (at most the last two batches) are read again: their predictions,
 * dead letters and eviction announcements can appear twice. Stream states live in memory only (the changelog comes with
 * exactly-once), so after a restart every stream starts from a fresh state: the re-read samples
 * and the ones after them get predictions with {@code step} counted from 1 again, which differ
 * from those an uninterrupted run would have made. When the group takes partitions away from this
 * instance, the states of the streams last seen on them are dropped (not announced as evictions),
 * so that a partition that comes back later does not resume from a state that is out of date; a
 * partition revoked and assigned again in the same rebalance keeps its streams' states.
 * Per stream, predictions are written in the order of the stream's samples (all go to the output
 * topic with the stream id as key, so to one partition).
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
    static final String H_REASON = "nowcast.reason";
    static final String H_ERROR = "nowcast.error";
    static final String H_TOPIC = "nowcast.source.topic";
    static final String H_PARTITION = "nowcast.source.partition";
    static final String H_OFFSET = "nowcast.source.offset";
    static final String H_PIPELINE = "nowcast.pipeline";

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

    /** One pipeline: its codec, runner and the current batch's samples and records. */
    private final class Pipeline implements PipelineRunner.Output {
        final ProcessorConfig.Pipeline config;
        final Meters.PipelineMeters meters;
        final byte[] name;
        final SampleCodec codec;
        /** Replaced by a model swap between batches. */
        PipelineRunner runner;
        /** Null if the pipeline has no model.dir. */
        final ModelWatcher watcher;
        final List<Sample> samples = new ArrayList<>();
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        int[] sources = new int[64];

        /** {@code model} is null for a pass-through pipeline; else a forecaster or a series denoiser. */
        Pipeline(ProcessorConfig.Pipeline config, Model model) {
            this.config = config;
            this.name = utf8(config.name());
            int maxStreams = Processor.this.config.maxStreams;
            long ttl = Processor.this.config.idleTtlMs;
            StreamStateStore.EvictionListener evictions = (stream, cause, last, steps) ->
                    announceEviction(this, stream, cause, last, steps);
            if (model == null) {
                this.codec = new SampleCodec(config.inputSize(), config.maxRecordBytes());
                this.meters = new Meters.PipelineMeters(registry, config.name(), ProcessorConfig.PASS_THROUGH, "1");
                this.runner = PipelineRunner.passThrough(config.name(), config.inputSize(),
                        PipelineRunner.passThroughStore(maxStreams, ttl, evictions), config.dropLate(), config.gapMs(),
                        clockMs, meters);
                this.watcher = null;
                return;
            }
            this.codec = new SampleCodec(model.spec().inputSize, config.maxRecordBytes());
            this.meters = new Meters.PipelineMeters(registry, config.name(), model.spec().name, model.spec().version);
            StreamStateStore store = new StreamStateStore(model.net().numLayers(), model.net().hiddenSize,
                    model.net().cell.hasCell(), maxStreams, ttl, evictions);
            if (model instanceof SeriesDenoiser d) {
                if (config.modelDir() != null) {
                    throw new IllegalArgumentException("pipeline " + config.name() + ": model.dir swaps new versions of"
                            + " forecaster models; " + config.model() + " is a series-denoiser");
                }
                this.runner = PipelineRunner.seriesDenoiser(config.name(), d, store, config.dropLate(), config.gapMs(),
                        clockMs, meters);
                this.watcher = null;
            } else if (model instanceof Forecaster f) {
                this.runner = new PipelineRunner(config.name(), f, store, config.dropLate(), config.gapMs(), clockMs,
                        meters);
                this.watcher = config.modelDir() == null ? null : new ModelWatcher(config.name(), config.modelDir(),
                        config.modelCheckMs(), model.spec().inputSize, config.model(), model.spec(), meters);
            } else {
                throw new IllegalArgumentException("pipeline " + config.name() + ": a " + model.spec().kind.id
                        + " model is not served; a pipeline runs a forecaster or a series-denoiser");
            }
        }

        void add(Sample s, ConsumerRecord<byte[], byte[]> r, int source) {
            if (samples.size() == sources.length) {
                sources = java.util.Arrays.copyOf(sources, 2 * sources.length);
            }
            sources[samples.size()] = source;
            samples.add(s);
            records.add(r);
        }

        void clear() {
            samples.clear();
            records.clear();
        }

        @Override
        public void prediction(int index, String stream, byte[] value) {
            ConsumerRecord<byte[], byte[]> in = records.get(index);
            long ms = System.currentTimeMillis() - samples.get(index).eventTime();
            meters.latency.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
            byte[] key = in.key() != null ? in.key() : utf8(stream);
            committer.send(new ProducerRecord<>(config.outputTopic(), null, in.timestamp(), key, value), false);
        }

        @Override
        public void rejected(int index, RejectReason reason, String message) {
            deadLetter(records.get(index), this, reason, message);
        }
    }

    private final ProcessorConfig config;
    private final LongSupplier clockMs;
    private final MeterRegistry registry;
    private final Meters.ProcessMeters meters;
    private final KafkaClientMetrics consumerMetrics;
    private final KafkaClientMetrics producerMetrics;
    private volatile long lastPollNanos;
    private final Consumer<byte[], byte[]> consumer;
    private final OutputCommitter committer;
    private final List<Pipeline> pipelines = new ArrayList<>();
    private final Map<String, Pipeline> byTopic = new HashMap<>();
    private final Map<TopicPartition, Integer> sourceIds = new HashMap<>();
    private String lastTopic;
    private int lastPartition = -1;
    private int lastSource;
    private final EnumMap<RejectReason, Long> deadLetters = new EnumMap<>(RejectReason.class);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Object lifecycle = new Object();
    private volatile boolean running = true;
    private volatile boolean started;
    private boolean closed;
    private volatile Stats stats;
    private long polls;
    private long records;
    private long commits;
    private volatile int partitions;
    // readiness: false from an assignment until the states of its partitions are restored
    private volatile boolean restored;
    private volatile StateRestore restore = assigned -> { };
    private PredictionTap.Factory taps;   // asked again for a pipeline whose model is swapped

    /**
     * Brings back the stream states of partitions newly assigned to this instance, in the loop
     * thread, inside the rebalance; {@link #ready()} is false until it returns. States live in
     * memory only for now and a new partition's streams start fresh, so the processor's own step
     * is empty; the changelog restore of exactly-once goes here.
     */
    @FunctionalInterface
    interface StateRestore {
        void restore(Collection<TopicPartition> assigned);
    }

    /**
     * @param config the configuration; {@code bootstrap.servers} must be set (an embedded broker
     *               is started by the caller, see {@link ProcessorConfig#withBootstrapServers})
     * @param models each pipeline's model by pipeline name; each is used by this processor only. A
     *               pass-through pipeline ({@code model=pass-through}) has none.
     */
    public Processor(ProcessorConfig config, Map<String, ? extends Model> models) {
        this(config, models, new CompositeMeterRegistry());
    }

    /**
     * @param registry where the processor's meters ({@link Meters}) and its Kafka clients' metrics
     *                 are registered
     */
    public Processor(ProcessorConfig config, Map<String, ? extends Model> models, MeterRegistry registry) {
        this(config, models, monotonicMillis(), registry);
    }

    /** With another clock for the idle time-to-live (processing time, milliseconds). */
    Processor(ProcessorConfig config, Map<String, ? extends Model> models, LongSupplier clockMs) {
        this(config, models, clockMs, new CompositeMeterRegistry());
    }

    Processor(ProcessorConfig config, Map<String, ? extends Model> models, LongSupplier clockMs, MeterRegistry registry) {
        if (config.bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(config.source + ": bootstrap.servers is empty; start a broker first");
        }
        this.config = config;
        this.clockMs = clockMs;
        this.registry = registry;
        this.meters = new Meters.ProcessMeters(registry);
        for (ProcessorConfig.Pipeline p : config.pipelines) {
            Model m = null;
            if (!p.passThrough()) {
                m = models.get(p.name());
                if (m == null) {
                    throw new IllegalArgumentException("no model for pipeline " + p.name());
                }
                if (p.inputSize() != 0 && p.inputSize() != m.spec().inputSize) {
                    throw new IllegalArgumentException("pipeline " + p.name() + ": input.size is " + p.inputSize()
                            + ", its model takes " + m.spec().inputSize + " values");
                }
            }
            Pipeline pl = new Pipeline(p, m);
            pipelines.add(pl);
            for (String t : p.inputTopics()) {
                byTopic.put(t, pl);
            }
        }
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerSettings(config), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        KafkaProducer<byte[], byte[]> p;
        try {
            p = new KafkaProducer<>(producerSettings(config), new ByteArraySerializer(), new ByteArraySerializer());
        } catch (RuntimeException e) {
            c.close(Duration.ZERO);
            throw e;
        }
        this.consumer = c;
        this.committer = new AtLeastOnceCommitter(p, c);
        this.consumerMetrics = new KafkaClientMetrics(c);
        this.producerMetrics = new KafkaClientMetrics(p);
        consumerMetrics.bindTo(registry);
        producerMetrics.bindTo(registry);
        consumer.subscribe(new ArrayList<>(byTopic.keySet()), new ConsumerRebalanceListener() {
            // with the eager protocol every partition is revoked and most come straight back: a
            // stream's state is dropped only if its partition is not assigned again
            private final Set<TopicPartition> revoked = new HashSet<>();

            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                // commit what is done while the partitions are still ours
                committer.settle();
                revoked.addAll(partitions);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                restored = false;
                Set<TopicPartition> owned = consumer.assignment();
                Set<TopicPartition> fresh = new HashSet<>(partitions);
                fresh.removeAll(revoked);
                revoked.removeAll(owned);
                dropStatesOf(revoked);
                revoked.clear();
                Processor.this.partitions = owned.size();
                publishStats();
                restore.restore(fresh);
                restored = true;
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> lost) {
                // another member may own them already
                committer.forget(lost);
                dropStatesOf(lost);
                Processor.this.partitions = consumer.assignment().size() - lost.size();
                publishStats();
            }
        });
        publishStats();
    }

    static Map<String, Object> consumerSettings(ProcessorConfig c) {
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
        return s;
    }

    /**
     * The producer's batch.size unless producer.batch.size says otherwise: a poll's outputs leave in
     * a burst, and with Kafka's 16 KiB batches the broker appends one small batch per hundred
     * predictions (on the 2-core machine, 256 KiB took the JVM's CPU per sample, broker included,
     * from 7-12 us to 4-7 us).
     */
    static final int DEFAULT_BATCH_BYTES = 262_144;

    static Map<String, Object> producerSettings(ProcessorConfig c) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put(ProducerConfig.CLIENT_ID_CONFIG, c.applicationId + "-producer");
        s.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(DEFAULT_BATCH_BYTES));
        s.putAll(c.kafkaCommon);
        s.putAll(c.kafkaProducer);
        s.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers);
        s.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        s.put(ProducerConfig.ACKS_CONFIG, "all");
        return s;
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
            Duration timeout = Duration.ofMillis(config.pollTimeoutMs);
            while (running) {
                lastPollNanos = System.nanoTime();
                ConsumerRecords<byte[], byte[]> batch;
                try {
                    batch = consumer.poll(timeout);
                } catch (WakeupException e) {
                    if (!running) {
                        break;
                    }
                    continue;
                }
                polls++;
                lastPollNanos = System.nanoTime();
                meters.pollRecords.record(batch.count());
                swapModels();
                processBatch(batch);
                updateLag();
            }
            committer.settle();
        } catch (ProcessorException e) {
            committer.abandon();
            throw e;
        } catch (RuntimeException e) {
            committer.abandon();
            throw new ProcessorException("the processor stopped: " + e, e);
        } finally {
            running = false;
            closeClients();
            finished.countDown();
        }
    }

    /** Between batches: each pipeline with a model.dir takes a new model version if one has arrived ({@link ModelWatcher}). */
    private void swapModels() {
        for (Pipeline p : pipelines) {
            if (p.watcher != null) {
                PipelineRunner before = p.runner;
                p.runner = p.watcher.update(before, clockMs.getAsLong());
                if (p.runner != before && taps != null) {
                    // the new model's outputs may mean something else: its tap is made afresh
                    p.runner.tap(taps.forPipeline(p.config.name(), p.runner.spec()));
                }
            }
        }
    }

    /** One turn of the loop after the poll: decode, run the pipelines, write, commit. */
    private void processBatch(ConsumerRecords<byte[], byte[]> batch) {
        committer.begin();
        int expired = 0;
        for (Pipeline p : pipelines) {
            expired += p.runner.expireIdle();
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
            records++;
            Pipeline p = byTopic.get(r.topic());
            p.meters.recordsIn.increment();
            Sample s;
            try {
                s = p.codec.decode(r.key(), r.value(), r.timestamp());
            } catch (RejectedException e) {
                deadLetter(r, p, e.reason, e.getMessage());
                continue;
            } catch (RuntimeException e) {
                deadLetter(r, p, RejectReason.UNDECODABLE, "the decoder failed: " + e);
                continue;
            }
            p.add(s, r, sourceId(r));
        }
        try {
            for (Pipeline p : pipelines) {
                p.runner.process(p.samples, p.sources, p);
            }
        } finally {
            for (Pipeline p : pipelines) {
                p.clear();
            }
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : batch.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> rs = batch.records(tp);
            ConsumerRecord<byte[], byte[]> last = rs.get(rs.size() - 1);
            offsets.put(tp, new OffsetAndMetadata(last.offset() + 1, last.leaderEpoch(), ""));
        }
        commits++;
        commit(offsets);
        if (batch.count() < config.pollMaxRecords) {
            // caught up with the input: nothing to overlap with, so send the outputs now rather than
            // after the producer's linger.ms, and commit
            committer.settle();
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
            Pipeline p = byTopic.get(tp.topic());
            if (p != null) {
                lag[pipelines.indexOf(p)] += consumer.currentLag(tp).orElse(0);
            }
        }
        for (int i = 0; i < lag.length; i++) {
            pipelines.get(i).meters.lag.set(lag[i]);
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
        committer.commit(offsets, () -> {
            stats = s;
            meters.commit.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        });
    }

    /** A number for the record's partition; records come partition by partition, so the last one is cached. */
    private int sourceId(ConsumerRecord<byte[], byte[]> r) {
        if (r.partition() == lastPartition && r.topic().equals(lastTopic)) {
            return lastSource;
        }
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        Integer id = sourceIds.get(tp);
        if (id == null) {
            id = sourceIds.size();
            sourceIds.put(tp, id);
        }
        lastTopic = r.topic();
        lastPartition = r.partition();
        lastSource = id;
        return id;
    }

    /** Forgets the states of the streams last seen on partitions this instance no longer owns. */
    private void dropStatesOf(Collection<TopicPartition> partitions) {
        BitSet gone = new BitSet();
        for (TopicPartition tp : partitions) {
            Integer id = sourceIds.get(tp);
            if (id != null) {
                gone.set(id);
            }
        }
        if (gone.isEmpty()) {
            return;
        }
        for (Pipeline p : pipelines) {
            p.runner.store().removeIf(e -> e.source() >= 0 && gone.get(e.source()));
        }
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> r, Pipeline p, RejectReason reason, String message) {
        deadLetters.merge(reason, 1L, Long::sum);
        p.meters.deadLetters[reason.ordinal()].increment();
        RecordHeaders h = new RecordHeaders(r.headers().toArray());
        h.add(H_REASON, utf8(reason.id));
        h.add(H_ERROR, utf8(message));
        h.add(H_TOPIC, utf8(r.topic()));
        h.add(H_PARTITION, utf8(Integer.toString(r.partition())));
        h.add(H_OFFSET, utf8(Long.toString(r.offset())));
        h.add(H_PIPELINE, p.name);
        committer.send(new ProducerRecord<>(config.deadLetterTopic, null, r.timestamp(), r.key(), r.value(), h), true);
    }

    private void announceEviction(Pipeline p, String stream, StreamStateStore.Cause cause, long lastEventTime, long steps) {
        p.meters.evictions[cause.ordinal()].increment();
        if (config.evictionsTopic.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"stream\":");
        jsonString(sb, stream);
        sb.append(",\"pipeline\":");
        jsonString(sb, p.config.name());
        sb.append(",\"cause\":\"").append(cause.id).append('"');
        if (lastEventTime != StreamStateStore.NO_TIME) {
            sb.append(",\"last_time\":").append(lastEventTime);
        }
        sb.append(",\"steps\":").append(steps).append('}');
        committer.send(new ProducerRecord<>(config.evictionsTopic, utf8(stream), utf8(sb.toString())), false);
    }

    private static void jsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }

    private void publishStats() {
        stats = snapshot();
    }

    /** The counts as of now. */
    private Stats snapshot() {
        long predictions = 0;
        long late = 0;
        long gaps = 0;
        long cap = 0;
        long idle = 0;
        long streams = 0;
        long steps = 0;
        long rows = 0;
        for (Pipeline p : pipelines) {
            PipelineRunner r = p.runner;
            predictions += r.predictions();
            late += r.lateDropped();
            gaps += r.gapResets();
            cap += r.store().evictions(StreamStateStore.Cause.CAPACITY);
            idle += r.store().evictions(StreamStateStore.Cause.IDLE);
            streams += r.store().size();
            p.meters.activeStreams.set(r.store().size());
            steps += r.batchedSteps();
            rows += r.rowsStepped();
        }
        EnumMap<RejectReason, Long> dl = new EnumMap<>(RejectReason.class);
        for (RejectReason reason : RejectReason.values()) {
            dl.put(reason, deadLetters.getOrDefault(reason, 0L));
        }
        meters.partitions.set(partitions);
        return new Stats(polls, records, predictions, Map.copyOf(dl), late, gaps, cap, idle, streams, steps, rows, commits,
                partitions);
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
        return running && started && finished.getCount() > 0 && System.nanoTime() - lastPollNanos < LIVENESS_NANOS;
    }

    /**
     * Whether the processor is alive, owns input partitions and has restored their streams' states
     * ({@link StateRestore}; an empty step while states live in memory only): the readiness probe.
     * False from the moment partitions are assigned until their restore has returned. Any thread.
     */
    public boolean ready() {
        return alive() && partitions > 0 && restored;
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
        for (Pipeline p : pipelines) {
            p.runner.tap(factory.forPipeline(p.config.name(), p.runner.spec()));
        }
        this.taps = factory;
    }

    /** Replaces the restore step of {@link StateRestore} (tests: a restore that takes its time). */
    void restoreStep(StateRestore step) {
        this.restore = step;
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

    private void closeClients() {
        try {
            consumer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            // closing: nothing left to do about it
        } finally {
            committer.close();
            consumerMetrics.close();
            producerMetrics.close();
        }
    }

    private static LongSupplier monotonicMillis() {
        return () -> System.nanoTime() / 1_000_000;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The pipeline names with their runners (tests). */
    Map<String, PipelineRunner> runners() {
        Map<String, PipelineRunner> m = new LinkedHashMap<>();
        for (Pipeline p : pipelines) {
            m.put(p.config.name(), p.runner);
        }
        return m;
    }
}
