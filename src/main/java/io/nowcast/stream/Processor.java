package io.nowcast.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.RejectedException;
import io.nowcast.codec.Sample;
import io.nowcast.codec.SampleCodec;
import io.nowcast.model.Forecaster;
import io.nowcast.model.FrameModel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
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
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
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
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

import static io.nowcast.stream.OutputHeaders.*;
import org.slf4j.LoggerFactory;

/**
 * The stream processor: reads the samples of every pipeline's input topics, runs each pipeline's
 * model on them batched across streams ({@link PipelineRunner}), and writes predictions, dead
 * letters and eviction announcements back to Kafka.
 *
 * <h2>The loop</h2>
 * One consumer reads all pipelines' input topics (group {@code application.id}, auto-commit off,
 * {@code read_committed}); one producer (idempotent, {@code acks=all}; transactional with
 * exactly-once) writes everything. Each turn:
 * <ol>
 * <li>poll up to {@code poll.max.records} records;</li>
 * <li>swap in a new model version for each pipeline with a {@code model.dir} that has one
 *     ({@link ModelWatcher}), so that a batch is stepped by one model throughout: its predictions
 *     name the model and version that made them, the streams' states are kept if they fit the new
 *     model and reset (counted) if not;</li>
 * <li>evict the streams idle for {@code state.idle.ttl.ms} (announced if
 *     {@code state.evictions.topic} is set);</li>
 * <li>decode each record with its pipeline's {@link SampleCodec} (dimension = the model's input
 *     size, at most {@code max.record.bytes}), or, in a frame pipeline (a {@link FrameModel}), its
 *     {@link FrameCodec} (at most {@code max.record.bytes} and {@code frame.max.pixels}); a record
 *     that cannot be decoded goes to the dead-letter topic;</li>
 * <li>give each pipeline its samples in poll order ({@link PipelineRunner#process}), or its frames
 *     ({@link FrameRunner#process}): predictions or output frames to the pipeline's output topic
 *     (key = stream id), out-of-order inputs and model errors to the dead-letter topic;</li>
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
 * {@code <application.id>-<pipeline>-state} ({@link StateChangelog}, {@code schemas/state-changelog.md})
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
    /** How long a restore waits for another instance's open transaction on the changelog to end. */
    static final long RESTORE_WAIT_NANOS = TimeUnit.MINUTES.toNanos(5);
    private static final Logger LOG = LoggerFactory.getLogger(Processor.class);

    /**
     * One pipeline: its codec, runner and the current batch's samples (or frames) and records. A
     * pipeline of samples has a {@link SampleCodec} and a {@link PipelineRunner}; a frame pipeline a
     * {@link FrameCodec} and a {@link FrameRunner}.
     */
    private final class Pipeline implements PipelineRunner.Output, FrameRunner.Output {
        final ProcessorConfig.Pipeline config;
        final Meters.PipelineMeters meters;
        final byte[] name;
        final SampleCodec codec;
        /** Replaced by a model swap between batches; null for a frame pipeline. */
        PipelineRunner runner;
        /** Frame pipelines: the codec and runner; null otherwise. */
        final FrameCodec frameCodec;
        final FrameRunner frameRunner;
        final List<Frame> frames = new ArrayList<>();
        /** Null if the pipeline has no model.dir. */
        final ModelWatcher watcher;
        final List<Sample> samples = new ArrayList<>();
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        int[] sources = new int[64];
        /** exactly_once: the changelog topic, and the streams whose state changed in the open transaction. */
        final String changelog;
        final Set<String> dirty = new HashSet<>();
        /** The serving model's name and version, written into its state records (changed by a swap). */
        byte[] modelName;
        byte[] modelVersion;

        /** A frame pipeline. */
        Pipeline(ProcessorConfig.Pipeline config, FrameRunner.Served model) {
            this.config = config;
            this.name = utf8(config.name());
            this.changelog = Processor.this.config.exactlyOnce ? Processor.this.config.changelogTopic(config) : null;
            this.modelName = utf8(model.name());
            this.modelVersion = utf8(model.version());
            if (config.modelDir() != null) {
                throw new IllegalArgumentException("pipeline " + config.name() + ": model.dir swaps new versions of"
                        + " forecaster models; " + config.model() + " is a frame model");
            }
            if (config.inputSize() != 0) {
                throw new IllegalArgumentException("pipeline " + config.name() + ": input.size does not apply to a frame"
                        + " pipeline (" + config.model() + " is a frame model); set frame.size to fix the frames' size");
            }
            this.codec = null;
            this.frameCodec = new FrameCodec(config.maxRecordBytes(), config.frameMaxPixels());
            this.meters = new Meters.PipelineMeters(registry, config.name(), model.name(), model.version());
            StreamStateStore.EvictionListener evictions = (stream, cause, last, steps, source) ->
                    evicted(this, stream, cause, last, steps, source);
            this.frameRunner = FrameRunner.of(config, model, FrameRunner.store(Processor.this.config.maxStreams,
                    Processor.this.config.idleTtlMs, evictions), clockMs, meters);
            frameRunner.limitOutput(maxRequestSize(Processor.this.config), changelog != null);
            this.watcher = null;
        }

        /** {@code model} is null for a pass-through pipeline; else a forecaster or a series denoiser. */
        Pipeline(ProcessorConfig.Pipeline config, Model model) {
            this.config = config;
            this.name = utf8(config.name());
            this.frameCodec = null;
            this.frameRunner = null;
            int maxStreams = Processor.this.config.maxStreams;
            long ttl = Processor.this.config.idleTtlMs;
            StreamStateStore.EvictionListener evictions = (stream, cause, last, steps, source) ->
                    evicted(this, stream, cause, last, steps, source);
            this.changelog = Processor.this.config.exactlyOnce ? Processor.this.config.changelogTopic(config) : null;
            this.modelName = utf8(model == null ? ProcessorConfig.PASS_THROUGH : model.spec().name);
            this.modelVersion = utf8(model == null ? "1" : String.valueOf(model.spec().version));
            if (config.frameKeys()) {
                throw new IllegalArgumentException("pipeline " + config.name() + ": frame.size, frame.max.pixels and"
                        + " frame.batch.max apply to frame pipelines only; " + (model == null ? "a pass-through pipeline"
                        : config.model() + " is a " + model.spec().kind.id + " model") + " runs on samples");
            }
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
                    model.net().cell.hasCell(), model instanceof SeriesDenoiser d ? d.extraWidth() : 0, maxStreams, ttl,
                    evictions);
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

        /** What every pipeline has, whatever it runs. */
        StreamRunner runs() {
            return frameRunner != null ? frameRunner : runner;
        }

        void add(Sample s, ConsumerRecord<byte[], byte[]> r, int source) {
            if (records.size() == sources.length) {
                sources = java.util.Arrays.copyOf(sources, 2 * sources.length);
            }
            sources[records.size()] = source;
            samples.add(s);
            records.add(r);
        }

        void add(Frame f, ConsumerRecord<byte[], byte[]> r, int source) {
            if (records.size() == sources.length) {
                sources = java.util.Arrays.copyOf(sources, 2 * sources.length);
            }
            sources[records.size()] = source;
            frames.add(f);
            records.add(r);
        }

        void process() {
            if (frameRunner != null) {
                frameRunner.process(frames, sources, this);
            } else {
                runner.process(samples, sources, this);
            }
        }

        void clear() {
            samples.clear();
            frames.clear();
            records.clear();
        }

        private long eventTime(int index) {
            return frameRunner != null ? frames.get(index).eventTime() : samples.get(index).eventTime();
        }

        private String stream(int index) {
            return frameRunner != null ? frames.get(index).stream() : samples.get(index).stream();
        }

        @Override
        public void frame(int index, String stream, long step, byte[] value) {
            ConsumerRecord<byte[], byte[]> in = records.get(index);
            long ms = System.currentTimeMillis() - frames.get(index).eventTime();
            meters.latency.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
            byte[] key = in.key() != null ? in.key() : utf8(stream);
            RecordHeaders h = new RecordHeaders();
            h.add(H_MODEL, modelName);
            h.add(H_MODEL_VERSION, modelVersion);
            h.add(H_STEP, utf8(Long.toString(step)));
            committer.send(new ProducerRecord<>(config.outputTopic(), null, in.timestamp(), key, value, h), false);
            if (changelog != null) {
                dirty.add(stream);
            }
        }

        @Override
        public void prediction(int index, String stream, byte[] value) {
            ConsumerRecord<byte[], byte[]> in = records.get(index);
            long ms = System.currentTimeMillis() - samples.get(index).eventTime();
            meters.latency.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
            byte[] key = in.key() != null ? in.key() : utf8(stream);
            committer.send(new ProducerRecord<>(config.outputTopic(), null, in.timestamp(), key, value), false);
            if (changelog != null) {
                dirty.add(stream);
            }
        }

        @Override
        public void rejected(int index, RejectReason reason, String message) {
            deadLetter(records.get(index), this, reason, message);
            if (changelog != null && reason == RejectReason.MODEL_ERROR) {
                dirty.add(stream(index)); // its state was reset
            }
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
    /** Source id to partition. */
    private final List<TopicPartition> sourceList = new ArrayList<>();
    /** Input partitions whose streams' states this instance holds and are current. */
    private final Set<TopicPartition> held = new HashSet<>();
    private final KafkaProducer<byte[], byte[]> producer;
    private Admin admin;
    private KafkaConsumer<byte[], byte[]> restoreConsumer;
    private volatile boolean restoring;
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
        this.meters = new Meters.ProcessMeters(registry);
        for (ProcessorConfig.Pipeline p : config.pipelines) {
            Model m = null;
            FrameRunner.Served frameModel = null;
            if (!p.passThrough()) {
                Object given = models.get(p.name());
                if (given == null) {
                    throw new IllegalArgumentException("no model for pipeline " + p.name());
                }
                frameModel = served(given);
                if (frameModel == null) {
                    if (!(given instanceof Model)) {
                        throw new IllegalArgumentException("pipeline " + p.name() + ": a " + given.getClass().getSimpleName()
                                + " is not a model the processor serves");
                    }
                    m = (Model) given;
                    if (p.inputSize() != 0 && p.inputSize() != m.spec().inputSize) {
                        throw new IllegalArgumentException("pipeline " + p.name() + ": input.size is " + p.inputSize()
                                + ", its model takes " + m.spec().inputSize + " values");
                    }
                }
            }
            Pipeline pl = frameModel != null ? new Pipeline(p, frameModel) : new Pipeline(p, m);
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
        this.producer = p;
        this.committedCounts = counts();
        this.committer = config.exactlyOnce
                ? new ExactlyOnceCommitter(p, c, config.commitIntervalMs, this::flushStates, maxRequestSize(config))
                : new AtLeastOnceCommitter(p, c);
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

    /** The frame model to serve if {@code model} is one (a {@link FrameModel}, or already served), else null. */
    private static FrameRunner.Served served(Object model) {
        if (model instanceof FrameModel m) {
            return new FrameRunner.Served(m.spec().name, m.spec().version, m.scale(), m.recurrent(), m::apply);
        }
        if (model instanceof FrameRunner.Served s) {
            return s;
        }
        return null;
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
        if (!c.instanceId.isEmpty()) {
            s.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, c.applicationId + "-" + c.instanceId);
        }
        return s;
    }

    /** The transaction timeout of the exactly-once producer unless producer.transaction.timeout.ms says otherwise. */
    static final int DEFAULT_TRANSACTION_TIMEOUT_MS = 10_000;

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
        if (c.exactlyOnce) {
            s.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(DEFAULT_TRANSACTION_TIMEOUT_MS));
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
            lastPollNanos = System.nanoTime();
            if (config.exactlyOnce) {
                prepareExactlyOnce();
            }
            Duration timeout = Duration.ofMillis(config.pollTimeoutMs);
            while (running) {
                lastPollNanos = System.nanoTime();
                ConsumerRecords<byte[], byte[]> batch;
                try {
                    batch = consumer.poll(timeout);
                    polls++;
                    lastPollNanos = System.nanoTime();
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
                    if (aborted == null || causeOf(e, ProcessorException.class) != null) {
                        throw e;
                    }
                    rewind(aborted);
                }
            }
            committer.settle();
        } catch (ProcessorException e) {
            committer.abandon();
            throw e;
        } catch (RuntimeException e) {
            committer.abandon();
            ProcessorException inner = causeOf(e, ProcessorException.class);
            if (inner != null) {
                throw inner;
            }
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
                if (p.runner != before) {
                    p.modelName = utf8(p.runner.spec().name);
                    p.modelVersion = utf8(String.valueOf(p.runner.spec().version));
                    if (taps != null) {
                        // the new model's outputs may mean something else: its tap is made afresh
                        p.runner.tap(taps.forPipeline(p.config.name(), p.runner.spec()));
                    }
                }
            }
        }
    }

    /** One turn of the loop after the poll: decode, run the pipelines, write, commit. */
    private void processBatch(ConsumerRecords<byte[], byte[]> batch) {
        committer.begin();
        int expired = 0;
        for (Pipeline p : pipelines) {
            expired += p.runs().expireIdle();
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
            if (p.frameCodec != null) {
                try {
                    p.add(p.frameCodec.decode(r.key(), r.value(), r.timestamp()), r, sourceId(r));
                } catch (RejectedException e) {
                    deadLetter(r, p, e.reason, e.getMessage());
                } catch (RuntimeException e) {
                    deadLetter(r, p, RejectReason.UNDECODABLE, "the frame decoder failed: " + e);
                }
                continue;
            }
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
                p.process();
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
        Counts c = config.exactlyOnce ? counts() : null;
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

    private static int maxRequestSize(ProcessorConfig c) {
        Object v = producerSettings(c).get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        try {
            return v == null ? 1_048_576 : Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            return 1_048_576;
        }
    }

    /**
     * exactly_once, before the first poll: the producer's transactions (fencing a predecessor with
     * the same transactional.id and aborting its open transaction) and each pipeline's changelog
     * topic, made if missing and checked if present.
     */
    private void prepareExactlyOnce() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.putAll(config.kafkaCommon);
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers);
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, config.applicationId + "-admin");
        admin = Admin.create(a);
        Map<String, Object> r = new LinkedHashMap<>();
        r.putAll(config.kafkaCommon);
        r.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers);
        r.put(ConsumerConfig.CLIENT_ID_CONFIG, config.applicationId + "-restore");
        r.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        r.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        r.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        r.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        restoreConsumer = new KafkaConsumer<>(r, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            for (Pipeline p : pipelines) {
                prepareChangelog(p);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProcessorException("interrupted while preparing the changelog topics", e);
        } catch (ExecutionException e) {
            throw new ProcessorException("cannot prepare the changelog topics: " + e.getCause(), e.getCause());
        }
        producer.initTransactions();
    }

    /** Makes the pipeline's changelog topic (compacted, partitioned like its input) or checks the one there is. */
    private void prepareChangelog(Pipeline p) throws InterruptedException, ExecutionException {
        List<String> inputs = p.config.inputTopics();
        int n = -1;
        String first = null;
        for (String t : inputs) {
            TopicDescription d;
            try {
                d = admin.describeTopics(List.of(t)).allTopicNames().get().get(t);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    throw new ProcessorException("pipeline " + p.config.name() + ": input topic '" + t + "' does not exist;"
                            + " with exactly_once its partition count makes the changelog's, create it first", e);
                }
                throw e;
            }
            int k = d.partitions().size();
            if (n >= 0 && k != n) {
                throw new ProcessorException("pipeline " + p.config.name() + ": input topics '" + first + "' (" + n
                        + " partitions) and '" + t + "' (" + k + ") differ; with exactly_once the state changelog is"
                        + " partitioned like the input, so its input topics must have the same partition count", null);
            }
            n = k;
            first = t;
        }
        String topic = p.changelog;
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
            throw new ProcessorException("pipeline " + p.config.name() + ": the state changelog topic '" + topic
                    + "' exists with " + k + " partitions and cleanup.policy=" + pv + "; expected " + n
                    + " partitions (as the input topic '" + first + "') and cleanup.policy=compact. Delete it (every"
                    + " stream then starts afresh) or fix it", null);
        }
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
            restore(fresh);
        }
        restoreHook.restore(fresh);
        held.addAll(fresh);
        restored = true;
        publishStats();
    }

    /** exactly_once: reads the states of the streams of these input partitions from the changelog. */
    private void restore(Set<TopicPartition> fresh) {
        restoring = true;
        try {
            for (Pipeline p : pipelines) {
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
            throw new ProcessorException("interrupted while restoring stream states", e);
        } catch (ExecutionException e) {
            throw new ProcessorException("cannot restore stream states: " + e.getCause(), e.getCause());
        } finally {
            restoring = false;
        }
    }

    private void restore(Pipeline p, Map<Integer, TopicPartition> byPartition) throws InterruptedException, ExecutionException {
        long t0 = System.nanoTime();
        List<TopicPartition> parts = new ArrayList<>();
        for (int k : byPartition.keySet()) {
            parts.add(new TopicPartition(p.changelog, k));
        }
        Map<TopicPartition, Long> end = awaitNoOpenTransactions(p, parts);
        restoreConsumer.assign(parts);
        restoreConsumer.seekToBeginning(parts);
        StreamStateStore store = p.runs().store();
        int errorValues = p.runs().errorValues();
        long now = clockMs.getAsLong();
        Set<String> live = new HashSet<>();
        long read = 0;
        long misfits = 0;
        List<TopicPartition> pending = new ArrayList<>(parts);
        pending.removeIf(tp -> end.get(tp) == 0);
        while (!pending.isEmpty()) {
            lastPollNanos = System.nanoTime();
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
                e.source = sourceId(byPartition.get(r.partition()));
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
                p.config.name(), live.size(), new java.util.TreeSet<>(byPartition.keySet()), p.changelog, read,
                misfits > 0 ? ", " + misfits + " states of another model shape dropped" : "",
                String.format("%.1f", secs * 1e3), String.format("%.0f", live.size() / Math.max(secs, 1e-9)));
    }

    private ProcessorException badRecord(Pipeline p, ConsumerRecord<byte[], byte[]> r, String what) {
        String key = r.key() == null ? "(none)" : "'" + new String(r.key(), StandardCharsets.UTF_8) + "'";
        return new ProcessorException("pipeline " + p.config.name() + ": bad state record in changelog topic " + r.topic()
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
    private Map<TopicPartition, Long> awaitNoOpenTransactions(Pipeline p, List<TopicPartition> parts)
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
                throw new ProcessorException("pipeline " + p.config.name() + ": a transaction on " + p.changelog
                        + " stayed open for " + TimeUnit.NANOSECONDS.toSeconds(RESTORE_WAIT_NANOS) + " s (stable offsets "
                        + stable + ", high watermarks " + high + ")", null);
            }
            if (!said) {
                LOG.info("pipeline {}: waiting for an open transaction on {} to end before restoring (stable offsets {},"
                        + " high watermarks {})", p.config.name(), p.changelog, stable, high);
                said = true;
            }
            lastPollNanos = System.nanoTime();
            Thread.sleep(100);
        }
    }

    /** exactly_once, just before a transaction commits: the state of every stream it changed. */
    private void flushStates() {
        for (Pipeline p : pipelines) {
            if (p.changelog == null || p.dirty.isEmpty()) {
                continue;
            }
            StreamStateStore store = p.runs().store();
            for (String stream : p.dirty) {
                StreamStateStore.Entry e = store.peek(stream);
                if (e == null || e.source() < 0) {
                    continue; // evicted meanwhile: its tombstone is in the transaction
                }
                int partition = sourceList.get(e.source()).partition();
                byte[] value = StateChangelog.encode(e, store.layers(), store.hiddenSize(), store.hasCell(), p.modelName,
                        p.modelVersion);
                committer.send(new ProducerRecord<>(p.changelog, partition, utf8(stream), value), false);
                p.meters.stateRecords.increment();
            }
            p.dirty.clear();
        }
    }

    /**
     * exactly_once, after an aborted transaction: the states and positions are those of the last
     * commit again (states restored from the changelog, positions from the committed offsets), so
     * the aborted work is done again, once.
     */
    private void rewind(ExactlyOnceCommitter.AbortedException e) {
        LOG.warn("{}; rewinding to the last committed offsets and states", e.getMessage());
        if (committedCounts != null) {
            restoreCounts(committedCounts);
        }
        for (Pipeline p : pipelines) {
            p.runs().store().removeIf(x -> true);
            p.dirty.clear();
            p.clear();
        }
        held.clear();
        Set<TopicPartition> owned = consumer.assignment();
        if (owned.isEmpty()) {
            return;
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
        held.addAll(owned);
    }

    /** The loop's counts as of a commit, to roll back to when a transaction is aborted. */
    private record Counts(long polls, long records, long commits, EnumMap<RejectReason, Long> deadLetters, long[][] runners) {
    }

    private Counts committedCounts;

    private Counts counts() {
        long[][] r = new long[pipelines.size()][];
        for (int i = 0; i < r.length; i++) {
            r[i] = pipelines.get(i).runs().counts();
        }
        return new Counts(polls, records, commits, new EnumMap<>(deadLetters), r);
    }

    private void restoreCounts(Counts c) {
        polls = c.polls();
        records = c.records();
        commits = c.commits();
        deadLetters.clear();
        deadLetters.putAll(c.deadLetters());
        for (int i = 0; i < c.runners().length; i++) {
            pipelines.get(i).runs().restoreCounts(c.runners()[i]);
        }
    }

    /** A number for the record's partition; records come partition by partition, so the last one is cached. */
    private int sourceId(ConsumerRecord<byte[], byte[]> r) {
        if (r.partition() == lastPartition && r.topic().equals(lastTopic)) {
            return lastSource;
        }
        int id = sourceId(new TopicPartition(r.topic(), r.partition()));
        lastTopic = r.topic();
        lastPartition = r.partition();
        lastSource = id;
        return id;
    }

    private int sourceId(TopicPartition tp) {
        Integer id = sourceIds.get(tp);
        if (id == null) {
            id = sourceIds.size();
            sourceIds.put(tp, id);
            sourceList.add(tp);
        }
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
            p.runs().store().removeIf(e -> e.source() >= 0 && gone.get(e.source()));
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

    private void evicted(Pipeline p, String stream, StreamStateStore.Cause cause, long lastEventTime, long steps,
                         int source) {
        announceEviction(p, stream, cause, lastEventTime, steps);
        if (p.changelog != null) {
            p.dirty.remove(stream);
            if (source >= 0) {
                // a tombstone: the stream starts afresh if it comes back, after a restart too
                committer.send(new ProducerRecord<>(p.changelog, sourceList.get(source).partition(), utf8(stream), null),
                        false);
                p.meters.stateRecords.increment();
            }
        }
    }

    private void announceEviction(Pipeline p, String stream, StreamStateStore.Cause cause, long lastEventTime, long steps) {
        p.meters.evictions[cause.ordinal()].increment();
        if (config.evictionsTopic.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"stream\":");
        io.nowcast.codec.JsonText.string(sb, stream);
        sb.append(",\"pipeline\":");
        io.nowcast.codec.JsonText.string(sb, p.config.name());
        sb.append(",\"cause\":\"").append(cause.id).append('"');
        if (lastEventTime != StreamStateStore.NO_TIME) {
            sb.append(",\"last_time\":").append(lastEventTime);
        }
        sb.append(",\"steps\":").append(steps).append('}');
        committer.send(new ProducerRecord<>(config.evictionsTopic, utf8(stream), utf8(sb.toString())), false);
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
            StreamRunner r = p.runs();
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
     * (from the changelog with exactly_once): the readiness probe. False from the moment partitions
     * are assigned until their restore has returned. Any thread.
     */
    public boolean ready() {
        return alive() && partitions > 0 && restored && !restoring;
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
            if (p.runner != null) {
                p.runner.tap(factory.forPipeline(p.config.name(), p.runner.spec()));
            }
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

    private void closeClients() {
        try {
            // leave the group at once (a static member too), so that the partitions move now
            consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            // closing: nothing left to do about it
        } finally {
            if (restoreConsumer != null) {
                restoreConsumer.close(Duration.ZERO);
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(1));
            }
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
            if (p.runner != null) {
                m.put(p.config.name(), p.runner);
            }
        }
        return m;
    }
}
