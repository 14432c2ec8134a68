package io.nowcast.stream.internal;

import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectReason;
import io.nowcast.stream.ProcessorConfig;

import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Runs one frame pipeline's model (a frame denoiser or super-resolver) over batches of decoded
 * frames, batched across streams (cameras).
 *
 * <h2>One batch</h2>
 * {@link #process} takes the frames of one poll in poll order. A frame of another size than the
 * pipeline's {@code frame.size} is rejected ({@link RejectReason#WRONG_DIMENSION}), one whose output
 * would have a side over {@link FrameCodec#MAX_SIDE} too ({@link RejectReason#OVERSIZED}); the
 * others are grouped by stream, each stream's order kept. Then, round after round, the next pending
 * frame of every stream that still has one is taken; the round's frames are grouped by size (width,
 * height), and each group goes through <b>one</b> model call ({@code apply(in, n, h, w, prev, out)},
 * in chunks of at most {@code frame.batch.max} frames). A stream with k frames in the poll takes part
 * in k rounds, so a recurrent model sees each stream's frames one after the other, each with the
 * output of the one before, exactly as if the stream were run alone. A model that is not recurrent
 * carries nothing from frame to frame, so all of a stream's pending frames join the first round: every
 * frame of one size in the poll goes through one call.
 *
 * <h2>State, per stream</h2>
 * The {@link StreamStateStore} entry of a stream holds, besides its last event time and step count,
 * the stream's previous output frame ({@link StreamStateStore.Entry#frame}) for a recurrent model. A
 * stream's first frame, a frame after an event-time gap longer than {@code gap.ms} (counted as a gap
 * reset), the first frame after a model error, and a frame whose output has another size than the
 * stream's previous output use their own input as the previous frame (the super-resolvers of
 * {@code io.nowcast.model} are not recurrent; one that were would get its input upscaled by pixel
 * replication to the output's size). A frame older than the stream's last
 * one is out of order: dead-lettered with {@link RejectReason#OUT_OF_ORDER}, or dropped and counted
 * when the late policy is {@code drop}. Capacity and idle eviction are the store's.
 *
 * <h2>Outputs</h2>
 * One output frame per input frame: raw grey u8 ({@code schemas/frame.md}, pixel format 1), of the
 * model's output size (the input's times {@code scale}), each value clipped to [0, 1] and rounded
 * to the nearest of 0..255, with the input frame's event time. The state keeps the model's output
 * before that rounding (float32), so the numbers do not depend on the wire format.
 *
 * <h2>Model errors</h2>
 * If a call fails, each of its frames is run again alone with the same inputs (the call changed
 * no stored state); a frame that fails alone, or whose output is not finite, is dead-lettered with
 * {@link RejectReason#MODEL_ERROR} and its stream restarts (no previous frame, step count 0), its
 * event time kept for the order checks. The other frames are unaffected.
 *
 * <p>The grouping, rounds, event-time policy, retries and counts are those of {@link StreamBatcher};
 * this class is what is particular to frames: the size checks, the calls by frame size, the
 * previous frames and the encoding.
 *
 * <p>Not thread-safe: one runner per pipeline, called from the processor's loop thread. It knows
 * nothing of Kafka: frames come in as a list, results leave as a {@link BatchResult}.
 */
public final class FrameRunner extends BatchedRunner<Frame> {
    /**
     * A frame model as the runner calls it (the signature of {@code FrameModel.apply}): n frames of
     * h x w in, n frames of (h scale) x (w scale) out; {@code prev} holds the n previous output
     * frames for a recurrent model.
     */
    @FunctionalInterface
    public interface Apply {
        void apply(float[] in, int n, int h, int w, float[] prev, float[] out);
    }

    /**
     * A frame model as a pipeline serves it: its name and version (in the outputs' headers and the
     * state records), scale, whether it is recurrent, and its apply (not thread-safe: one per runner).
     */
    public record Served(String name, String version, int scale, boolean recurrent, Apply apply) {
    }

    private final String name;
    private final String modelName;
    private final String modelVersion;
    private final int scale;
    private final boolean recurrent;
    private final Apply model;
    private final StreamStateStore store;
    private final int fixedWidth;   // 0: any size
    private final int fixedHeight;
    private final int maxBatch;
    /** Largest output frame (pixels) whose records fit in one producer request; Long.MAX_VALUE: no limit. */
    private long maxOutputPixels = Long.MAX_VALUE;
    private String outputLimit = "";
    private final LongSupplier clockMs;

    // work space of one call, grown to the largest call seen and then reused
    private float[] in = new float[0];                // (m, h, w)
    private float[] prev = new float[0];              // (m, h s, w s)
    private float[] out = new float[0];               // (m, h s, w s)
    private int h;                                    // the call's frame size
    private int w;

    /**
     * @param name         the pipeline's name (for messages)
     * @param modelName    the model's name and version (for messages and the outputs' headers)
     * @param scale        output side / input side: 1 for a denoiser
     * @param recurrent    whether the model takes the stream's previous output frame
     * @param model        the model's apply; used by this runner only (models are not thread-safe)
     * @param store        the pipeline's state store ({@link #store(int, long, StreamStateStore.EvictionListener)})
     * @param dropLate     drop out-of-order frames instead of dead-lettering them
     * @param gapMs        event-time gap after which a stream restarts; 0: never
     * @param fixedWidth   the only frame width accepted ({@code frame.size}); 0: any size
     * @param fixedHeight  the only frame height accepted; 0: any size
     * @param maxBatch     most frames in one model call ({@code frame.batch.max})
     * @param clockMs      processing time in milliseconds, for the store's idle time-to-live
     */
    public FrameRunner(String name, String modelName, String modelVersion, int scale, boolean recurrent, Apply model,
                       StreamStateStore store, boolean dropLate, long gapMs, int fixedWidth, int fixedHeight, int maxBatch,
                       LongSupplier clockMs, PipelineMeters meters) {
        if (scale < 1 || maxBatch < 1 || fixedWidth < 0 || fixedHeight < 0 || (fixedWidth == 0) != (fixedHeight == 0)) {
            throw new IllegalArgumentException("pipeline " + name + ": scale " + scale + ", frame.batch.max " + maxBatch
                    + ", frame.size " + fixedWidth + "x" + fixedHeight);
        }
        this.name = name;
        this.modelName = modelName;
        this.modelVersion = modelVersion;
        this.scale = scale;
        this.recurrent = recurrent;
        this.model = model;
        this.store = store;
        this.fixedWidth = fixedWidth;
        this.fixedHeight = fixedHeight;
        this.maxBatch = maxBatch;
        this.clockMs = clockMs;
        this.batcher = new StreamBatcher<>(new Calls(), store, dropLate, gapMs, clockMs, meters);
    }

    /** A runner of a served frame model, with the pipeline's settings. */
    public static FrameRunner of(ProcessorConfig.Pipeline p, Served m, StreamStateStore store, LongSupplier clockMs,
                                 PipelineMeters meters) {
        return new FrameRunner(p.name(), m.name(), m.version(), m.scale(), m.recurrent(), m.apply(), store, p.dropLate(),
                p.gapMs(), p.frameWidth(), p.frameHeight(), p.frameBatch(), clockMs, meters);
    }

    /**
     * Refuses ({@link RejectReason#OVERSIZED}) a frame whose output record, or whose state record
     * when {@code stateRecords} (exactly_once with a recurrent model: 4 bytes per output pixel),
     * would not fit in a producer request of {@code maxRequestBytes}: the producer would fail the
     * whole transaction on it.
     */
    void limitOutput(int maxRequestBytes, boolean stateRecords) {
        long room = Math.max(0, maxRequestBytes - 2048L); // key, headers, record and batch overhead
        boolean state = stateRecords && recurrent;
        maxOutputPixels = state ? room / 4 : room;
        outputLimit = "its " + (state ? "state record (4 bytes a pixel)" : "record") + " would exceed the producer's"
                + " max.request.size (" + maxRequestBytes + " bytes); raise producer.max.request.size and the topics'"
                + " max.message.bytes";
    }

    /** A runner without meters (tests). */
    public FrameRunner(String name, String modelName, String modelVersion, int scale, boolean recurrent, Apply model,
                       StreamStateStore store, boolean dropLate, long gapMs, int fixedWidth, int fixedHeight, int maxBatch,
                       LongSupplier clockMs) {
        this(name, modelName, modelVersion, scale, recurrent, model, store, dropLate, gapMs, fixedWidth, fixedHeight,
                maxBatch, clockMs, PipelineMeters.none(name));
    }

    /**
     * The state store a frame pipeline needs: its entries carry the previous frame, their recurrent
     * vectors (one value) stay 0.
     */
    public static StreamStateStore store(int maxStreams, long idleTtlMs, StreamStateStore.EvictionListener listener) {
        return new StreamStateStore(1, 1, false, maxStreams, idleTtlMs, listener);
    }

    public String name() {
        return name;
    }

    public String modelName() {
        return modelName;
    }

    public String modelVersion() {
        return modelVersion;
    }

    public int scale() {
        return scale;
    }

    public boolean recurrent() {
        return recurrent;
    }

    @Override
    public StreamStateStore store() {
        return store;
    }

    @Override
    public int expireIdle() {
        return store.expire(clockMs.getAsLong());
    }

    @Override
    public int errorValues() {
        return 0; // a cleaned frame is never compared with a later observation
    }

    /**
     * Processes one batch on its own, without sources (the processor's pipelines run the batcher
     * with theirs): every frame ends as exactly one output, one rejection, or (late, with the drop
     * policy) nothing ({@link StreamBatcher}).
     *
     * @param batch frames in poll order
     */
    public BatchResult process(List<Frame> batch) {
        return batcher.process(batch, null, new BatchResult());
    }


    /** The frames of one model call: one size, at most frame.batch.max of them. */
    private final class Calls implements StreamBatcher.Stepper<Frame> {
        @Override
        public String stream(Frame f) {
            return f.stream();
        }

        @Override
        public long eventTime(Frame f) {
            return f.eventTime();
        }

        @Override
        public String noun() {
            return "frame";
        }

        @Override
        public String restart() {
            return "from its own input";
        }

        @Override
        public boolean admit(int index, Frame f, BatchResult result) {
            String problem = sizeProblem(f);
            if (problem != null) {
                result.rejected(index, f.stream(), problem.startsWith("output") ? RejectReason.OVERSIZED : RejectReason.WRONG_DIMENSION,
                        problem);
                return false;
            }
            return true;
        }

        @Override
        public boolean allPending() {
            return !recurrent;
        }

        @Override
        public boolean sameCall(Frame a, Frame b) {
            return a.width() == b.width() && a.height() == b.height();
        }

        @Override
        public int maxCall() {
            return maxBatch;
        }

        @Override
        public void reserve(int m, Frame first) {
            h = first.height();
            w = first.width();
            ensure(m, h * w, h * w * scale * scale);
        }

        @Override
        public void load(int j, StreamStateStore.Entry e, Frame f) {
            int hw = h * w;
            int HW = hw * scale * scale;
            // in (m, h, w): the frames; prev (m, h s, w s): each stream's previous output, or its own input
            System.arraycopy(f.pixels(), 0, in, j * hw, hw);
            if (recurrent) {
                previous(e, f.pixels(), h, w, prev, j * HW);
            }
        }

        @Override
        public void stepAll(int m) {
            model.apply(in, m, h, w, recurrent ? prev : null, out);
        }

        @Override
        public void stepAlone(int j) {
            int hw = h * w;
            int HW = hw * scale * scale;
            float[] oneIn = Arrays.copyOfRange(in, j * hw, (j + 1) * hw);
            float[] onePrev = recurrent ? Arrays.copyOfRange(prev, j * HW, (j + 1) * HW) : null;
            float[] oneOut = new float[HW];
            model.apply(oneIn, 1, h, w, onePrev, oneOut);
            System.arraycopy(oneOut, 0, out, j * HW, HW);
        }

        @Override
        public String nonFinite(int j) {
            int HW = h * w * scale * scale;
            int i = StreamBatcher.firstNonFinite(out, j * HW, HW);
            return i < 0 ? null : "output pixel " + i + " is " + out[j * HW + i];
        }

        @Override
        public byte[] emit(int j, StreamStateStore.Entry e, Frame f) {
            int W = w * scale;
            int H = h * scale;
            if (recurrent) {
                e.keepFrame(out, j * W * H, W, H);
            }
            return FrameCodec.encodeRawU8(W, H, f.eventTime(), out, j * W * H);
        }
    }

    /** Null if the pipeline takes a frame of this size, else why not (starting "output" if the output is too large). */
    private String sizeProblem(Frame f) {
        if (fixedWidth > 0 && (f.width() != fixedWidth || f.height() != fixedHeight)) {
            return "frame of " + f.width() + "x" + f.height() + "; the pipeline takes " + fixedWidth + "x" + fixedHeight
                    + " frames (frame.size)";
        }
        long W = (long) f.width() * scale;
        long H = (long) f.height() * scale;
        if (W > FrameCodec.MAX_SIDE || H > FrameCodec.MAX_SIDE) {
            return "output frame of " + W + "x" + H + " (x" + scale + ") would exceed the largest side, "
                    + FrameCodec.MAX_SIDE;
        }
        if (W * H > maxOutputPixels) {
            return "output frame of " + W + "x" + H + ": " + outputLimit;
        }
        return null;
    }

    /**
     * Writes the stream's previous output frame ((h s) x (w s)) at {@code to[off]}: the one it holds
     * if it has one of that size, else its own input {@code px} (h x w), each pixel repeated s x s
     * times for a super-resolver.
     */
    private void previous(StreamStateStore.Entry e, float[] px, int h, int w, float[] to, int off) {
        int W = w * scale;
        int H = h * scale;
        if (e.hasFrame(W, H)) {
            System.arraycopy(e.frame, 0, to, off, W * H);
            return;
        }
        if (scale == 1) {
            System.arraycopy(px, 0, to, off, W * H);
            return;
        }
        for (int y = 0; y < H; y++) {
            int src = (y / scale) * w;
            int dst = off + y * W;
            for (int x = 0; x < W; x++) {
                to[dst + x] = px[src + x / scale];
            }
        }
    }

    private void ensure(int m, int hw, int HW) {
        if (in.length < m * hw) {
            in = new float[m * hw];
        }
        if (out.length < m * HW) {
            out = new float[m * HW];
            if (recurrent) {
                prev = new float[m * HW];
            }
        }
        if (recurrent && prev.length < m * HW) {
            prev = new float[m * HW];
        }
    }

    /** Frames given to {@link #process}. */
    public long frames() {
        return batcher.inputs();
    }
}
