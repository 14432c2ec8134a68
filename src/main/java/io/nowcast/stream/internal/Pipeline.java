package io.nowcast.stream.internal;

import io.nowcast.codec.RejectReason;
import io.nowcast.codec.RejectedException;
import io.nowcast.stream.PredictionTap;
import io.nowcast.stream.ProcessorConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * One pipeline of the processor, the step of a record between the poll and the model: its input
 * decoded and kept with its record and partition number, then, once the poll is spread over the
 * pipelines, the batch given to the runner's {@link StreamBatcher} and what it returns written
 * ({@link OutputRecords}). {@link SamplePipeline} serves samples through a {@link PipelineRunner},
 * {@link FramePipeline} frames through a {@link FrameRunner}; each gives this class its decoder
 * and its runner.
 *
 * <p>A batch: {@link #add} each record (one that cannot be decoded is dead-lettered at once),
 * {@link #process}, {@link #clear}. Not thread-safe: the processor's loop thread only.
 *
 * @param <T> what a record decodes to
 */
public abstract class Pipeline<T> {
    /** A record's value decoded (the signature of the codecs' {@code decode}). */
    @FunctionalInterface
    interface Decoder<T> {
        T decode(byte[] key, byte[] value, long timestamp) throws RejectedException;
    }

    final ProcessorConfig.Pipeline config;
    final PipelineMeters meters;
    /** Where the outputs, dead letters and evictions go; the changelog's dirty streams. */
    final OutputRecords outputs;
    /** What the runner made of the batch; also the store's eviction listener, so evictions are in order. */
    final BatchResult result = new BatchResult();

    private final Sources sources;
    private final Decoder<T> decoder;
    private final String decoderName;
    private final List<T> inputs = new ArrayList<>();
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    private int[] sourceOf = new int[64];

    /**
     * @param decoderName what the decoder is called in a dead letter's error when it fails
     *                    unexpectedly ("the decoder failed: ...")
     */
    Pipeline(ProcessorConfig.Pipeline config, PipelineMeters meters, OutputRecords outputs, Sources sources,
             Decoder<T> decoder, String decoderName) {
        this.config = config;
        this.meters = meters;
        this.outputs = outputs;
        this.sources = sources;
        this.decoder = decoder;
        this.decoderName = decoderName;
    }

    /** The runner serving the pipeline now. */
    public abstract StreamRunner runner();

    /** The pipeline's name ({@code pipeline.<name>.*}). */
    public String name() {
        return config.name();
    }

    /** Sets the pipeline's input lag gauge ({@link io.nowcast.stream.Meters#LAG}). */
    public void lag(long records) {
        meters.lag.set(records);
    }

    /** Sets the pipeline's active-streams gauge to the streams its store holds now. */
    public void publishActiveStreams() {
        meters.activeStreams.set(runner().store().size());
    }

    /** Dead letters written of this reason. */
    public long deadLetters(RejectReason reason) {
        return outputs.deadLetters(reason);
    }

    /** The batching of {@link #runner()}. */
    abstract StreamBatcher<T> batcher();

    /** Between batches: takes a new model version if one has arrived; none but for a sample pipeline with a model.dir. */
    public void swapModel(long nowMs, PredictionTap.Factory taps) {
    }

    /** Gives the pipeline's runner its tap ({@link PredictionTap}); frame pipelines have none. */
    public void tap(PredictionTap.Factory taps) {
    }

    /** Decodes the record and keeps it for {@link #process}; dead-letters it if it cannot be decoded. */
    public void add(ConsumerRecord<byte[], byte[]> r) {
        meters.recordsIn.increment();
        T input;
        try {
            input = decoder.decode(r.key(), r.value(), r.timestamp());
        } catch (RejectedException e) {
            outputs.deadLetter(r, e.reason, e.getMessage());
            return;
        } catch (RuntimeException e) {
            outputs.deadLetter(r, RejectReason.UNDECODABLE, decoderName + " failed: " + e);
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
    public void process() {
        outputs.write(batcher().process(inputs, sourceOf, result), records);
    }

    /** Evicts the streams idle for the store's time-to-live and writes their announcements; between batches. */
    public int expireIdle() {
        int n = runner().expireIdle();
        outputs.write(result, records);
        return n;
    }

    /** Forgets the batch's inputs, records and result. */
    public void clear() {
        inputs.clear();
        records.clear();
        result.clear();
    }

    /** Forgets the states of the streams last seen on these sources (not announced: another instance owns them now). */
    public void dropStates(BitSet gone) {
        runner().store().removeIf(e -> e.source() >= 0 && gone.get(e.source()));
    }

    /** After an aborted transaction: every state and every input of the batch forgotten. */
    void reset() {
        runner().store().removeIf(x -> true);
        outputs.dirty.clear();
        clear();
    }

    /** The runner's counts and the dead letters, for {@link #restoreCounts}. */
    public long[] counts() {
        long[] r = runner().counts();
        long[] d = outputs.deadLetters();
        long[] c = Arrays.copyOf(r, r.length + d.length);
        System.arraycopy(d, 0, c, r.length, d.length);
        return c;
    }

    public void restoreCounts(long[] c) {
        int n = c.length - RejectReason.values().length;
        runner().restoreCounts(Arrays.copyOf(c, n));
        outputs.restoreDeadLetters(Arrays.copyOfRange(c, n, c.length));
    }
}
