package io.nowcast.stream;

import io.nowcast.codec.RejectReason;
import io.nowcast.codec.RejectedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One pipeline of the processor: the records of its input topics decoded, given to its runner in
 * poll order, and what the runner returns written. {@link SamplePipeline} runs samples through a
 * {@link PipelineRunner}, {@link FramePipeline} frames through a {@link FrameRunner}; this class
 * holds what they share: the batch's inputs and records, the writing of outputs, dead letters and
 * eviction announcements ({@link OutputRecords}), and with exactly-once the streams whose state
 * the open transaction changed (written by {@link Changelog#flush} before it commits).
 *
 * <p>A batch: {@link #add} each record (a record that cannot be decoded is dead-lettered at once),
 * {@link #process}, {@link #clear}. Not thread-safe: the processor's loop thread only.
 *
 * @param <T> what a record decodes to
 */
abstract class Pipeline<T> {
    final ProcessorConfig.Pipeline config;
    final Meters.PipelineMeters meters;
    /** exactly_once: the changelog topic, and the streams whose state changed in the open transaction; else null. */
    final String changelog;
    final Set<String> dirty = new HashSet<>();
    /** The serving model's name and version, written into its outputs' headers and state records. */
    byte[] modelName;
    byte[] modelVersion;
    /** What the runner made of the batch; also the store's eviction listener, so evictions are in order. */
    final BatchResult result = new BatchResult();

    private final ProcessorConfig processor;
    private final OutputCommitter out;
    private final Sources sources;
    private final byte[] name;
    private final List<T> inputs = new ArrayList<>();
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    private int[] sourceOf = new int[64];
    private final long[] deadLetters = new long[RejectReason.values().length];
    private final Writer writer = new Writer();

    Pipeline(ProcessorConfig processor, ProcessorConfig.Pipeline config, Meters.PipelineMeters meters, OutputCommitter out,
             Sources sources, String modelName, String modelVersion) {
        this.processor = processor;
        this.config = config;
        this.meters = meters;
        this.out = out;
        this.sources = sources;
        this.name = OutputRecords.utf8(config.name());
        this.changelog = processor.exactlyOnce ? processor.changelogTopic(config) : null;
        this.modelName = OutputRecords.utf8(modelName);
        this.modelVersion = OutputRecords.utf8(modelVersion);
    }

    /** What every runner has, whatever it runs. */
    abstract StreamRunner runner();

    /** The record's input; throws if it cannot be read. */
    abstract T decode(ConsumerRecord<byte[], byte[]> r) throws RejectedException;

    /** What the decoder is called in a dead letter's error: "the decoder". */
    abstract String decoder();

    abstract String stream(T input);

    abstract long eventTime(T input);

    /** Runs the batch's inputs through the runner into {@code result}. */
    abstract void run(List<T> inputs, int[] sources, BatchResult result);

    /** The output record of the input {@code in}. */
    abstract ProducerRecord<byte[], byte[]> output(ConsumerRecord<byte[], byte[]> in, String stream, long step, byte[] value);

    /** Between batches: takes a new model version if one has arrived; none but for a sample pipeline with a model.dir. */
    void swapModel(long nowMs, PredictionTap.Factory taps) {
    }

    /** Gives the pipeline's runner its tap ({@link PredictionTap}); frame pipelines have none. */
    void tap(PredictionTap.Factory taps) {
    }

    /** Decodes the record and keeps it for {@link #process}; dead-letters it if it cannot be decoded. */
    void add(ConsumerRecord<byte[], byte[]> r) {
        meters.recordsIn.increment();
        T input;
        try {
            input = decode(r);
        } catch (RejectedException e) {
            deadLetter(r, e.reason, e.getMessage());
            return;
        } catch (RuntimeException e) {
            deadLetter(r, RejectReason.UNDECODABLE, decoder() + " failed: " + e);
            return;
        }
        if (records.size() == sourceOf.length) {
            sourceOf = Arrays.copyOf(sourceOf, 2 * sourceOf.length);
        }
        sourceOf[records.size()] = sources.id(r);
        inputs.add(input);
        records.add(r);
    }

    /** Runs the inputs added since the last {@link #clear} and writes what came of them. */
    void process() {
        if (!inputs.isEmpty()) {
            run(inputs, sourceOf, result);
        }
        write();
    }

    /** Evicts the streams idle for the store's time-to-live and writes their announcements; between batches. */
    int expireIdle() {
        int n = runner().expireIdle();
        write();
        return n;
    }

    /** Forgets the batch's inputs, records and result. */
    void clear() {
        inputs.clear();
        records.clear();
        result.clear();
    }

    /** Forgets the states of the streams last seen on these sources (not announced: another instance owns them now). */
    void dropStates(BitSet gone) {
        runner().store().removeIf(e -> e.source() >= 0 && gone.get(e.source()));
    }

    /** After an aborted transaction: every state and every input of the batch forgotten. */
    void reset() {
        runner().store().removeIf(x -> true);
        dirty.clear();
        clear();
    }

    /** Dead letters by {@link RejectReason} ordinal. */
    long deadLetters(RejectReason reason) {
        return deadLetters[reason.ordinal()];
    }

    /** The runner's counts and the dead letters, for {@link #restoreCounts}. */
    long[] counts() {
        long[] r = runner().counts();
        long[] c = Arrays.copyOf(r, r.length + deadLetters.length);
        System.arraycopy(deadLetters, 0, c, r.length, deadLetters.length);
        return c;
    }

    void restoreCounts(long[] c) {
        int n = c.length - deadLetters.length;
        runner().restoreCounts(Arrays.copyOf(c, n));
        System.arraycopy(c, n, deadLetters, 0, deadLetters.length);
    }

    private void write() {
        result.replay(writer);
        result.clear();
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> r, RejectReason reason, String message) {
        deadLetters[reason.ordinal()]++;
        meters.deadLetters[reason.ordinal()].increment();
        out.send(OutputRecords.deadLetter(processor.deadLetterTopic, r, name, reason, message), true);
    }

    /** Writes what the runner returned, in its order. */
    private final class Writer implements BatchResult.Reader {
        @Override
        public void output(int index, String stream, long step, byte[] value) {
            ConsumerRecord<byte[], byte[]> in = records.get(index);
            long ms = System.currentTimeMillis() - eventTime(inputs.get(index));
            meters.latency.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
            out.send(Pipeline.this.output(in, stream, step, value), false);
            if (changelog != null) {
                dirty.add(stream);
            }
        }

        @Override
        public void rejected(int index, RejectReason reason, String message) {
            deadLetter(records.get(index), reason, message);
            if (changelog != null && reason == RejectReason.MODEL_ERROR) {
                dirty.add(stream(inputs.get(index))); // its state was reset
            }
        }

        @Override
        public void evicted(String stream, StreamStateStore.Cause cause, long lastEventTime, long steps, int source) {
            meters.evictions[cause.ordinal()].increment();
            if (!processor.evictionsTopic.isEmpty()) {
                out.send(OutputRecords.eviction(processor.evictionsTopic, stream, config.name(), cause, lastEventTime,
                        steps), false);
            }
            if (changelog != null) {
                dirty.remove(stream);
                if (source >= 0) {
                    // a tombstone: the stream starts afresh if it comes back, after a restart too
                    out.send(OutputRecords.state(changelog, sources.partition(source).partition(), stream, null), false);
                    meters.stateRecords.increment();
                }
            }
        }
    }
}
