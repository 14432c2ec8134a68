package io.nowcast.stream;

import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectReason;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * <p>Not thread-safe: one runner per pipeline, called from the processor's loop thread. It knows
 * nothing of Kafka: frames come in as a list, results leave through an {@link Output}.
 */
public final class FrameRunner implements StreamRunner {
    /** Where the results of a batch go, in the order they are made. */
    public interface Output {
        /**
         * The output frame (a raw frame record value) for the frame at {@code index} of the batch,
         * the {@code step}-th frame of its stream since its state was (re)started.
         */
        void frame(int index, String stream, long step, byte[] value);

        /** The frame at {@code index} of the batch cannot be processed. */
        void rejected(int index, RejectReason reason, String message);
    }

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
    private final boolean dropLate;
    private final long gapMs;
    private final int fixedWidth;   // 0: any size
    private final int fixedHeight;
    private final int maxBatch;
    /** Largest output frame (pixels) whose records fit in one producer request; Long.MAX_VALUE: no limit. */
    private long maxOutputPixels = Long.MAX_VALUE;
    private String outputLimit = "";
    private final LongSupplier clockMs;
    private final Meters.PipelineMeters meters;

    // work space, grown to the largest batch seen and then reused
    private int[] next = new int[0];                  // (frames) next pending frame of the same stream, -1: none
    private StreamStateStore.Entry[] active = new StreamStateStore.Entry[0];
    private StreamStateStore.Entry[] rowEntry = new StreamStateStore.Entry[16]; // (rows) stream of each row
    private int[] rowFrame = new int[16];             // (rows) frame index of each row
    private boolean[] rowDone = new boolean[16];      // (rows) grouped by size already
    private int[] group = new int[16];                // rows of one size, in row order
    private String[] groupError = new String[16];     // per group row: its error when run alone, or null
    private float[] in = new float[0];                // (m, h, w)
    private float[] prev = new float[0];              // (m, h s, w s)
    private float[] out = new float[0];               // (m, h s, w s)

    private long frames;
    private long outputs;
    private long outOfOrder;
    private long lateDropped;
    private long gapResets;
    private long modelErrors;
    private long calls;
    private long rows;

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
                       LongSupplier clockMs, Meters.PipelineMeters meters) {
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
        this.dropLate = dropLate;
        this.gapMs = gapMs;
        this.fixedWidth = fixedWidth;
        this.fixedHeight = fixedHeight;
        this.maxBatch = maxBatch;
        this.clockMs = clockMs;
        this.meters = meters;
    }

    /** A runner of a served frame model, with the pipeline's settings. */
    public static FrameRunner of(ProcessorConfig.Pipeline p, Served m, StreamStateStore store, LongSupplier clockMs,
                                 Meters.PipelineMeters meters) {
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
                maxBatch, clockMs, Meters.PipelineMeters.none(name));
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

    /** {@link #process(List, int[], Output)} without sources. */
    public void process(List<Frame> batch, Output output) {
        process(batch, null, output);
    }

    /**
     * Processes one batch: every frame ends as exactly one output frame, one rejection, or (late,
     * with the drop policy) nothing.
     *
     * @param batch   frames in poll order
     * @param sources per frame, a number for where it came from (the processor numbers its
     *                partitions), kept with the stream's state; null if not tracked
     */
    public void process(List<Frame> batch, int[] sources, Output output) {
        int n = batch.size();
        if (n == 0) {
            return;
        }
        if (next.length < n) {
            next = new int[Math.max(n, 2 * next.length)];
        }
        long now = clockMs.getAsLong();
        store.beginBatch();
        frames += n;
        int streams = 0;
        try {
            // group by stream, keeping each stream's order: a linked list of frame indexes per stream
            for (int i = 0; i < n; i++) {
                next[i] = -1;
                Frame f = batch.get(i);
                String problem = sizeProblem(f);
                if (problem != null) {
                    output.rejected(i, problem.startsWith("output") ? RejectReason.OVERSIZED : RejectReason.WRONG_DIMENSION,
                            problem);
                    continue;
                }
                StreamStateStore.Entry e = store.acquire(f.stream(), now);
                if (sources != null) {
                    e.source = sources[i];
                }
                if (e.head < 0) {
                    e.head = i;
                    if (streams == active.length) {
                        active = Arrays.copyOf(active, Math.max(16, 2 * streams));
                    }
                    active[streams++] = e;
                } else {
                    next[e.tail] = i;
                }
                e.tail = i;
            }
            // rounds: each stream's next frame (every pending one for a model that is not recurrent)
            while (streams > 0) {
                int r = 0;
                int kept = 0;
                for (int a = 0; a < streams; a++) {
                    StreamStateStore.Entry e = active[a];
                    do {
                        int idx = nextInOrder(e, batch, output);
                        if (idx < 0) {
                            break;
                        }
                        long t = batch.get(idx).eventTime();
                        if (gapMs > 0 && e.lastEventTime != StreamStateStore.NO_TIME && t - e.lastEventTime > gapMs) {
                            e.resetState();
                            gapResets++;
                            meters.gapResets.increment();
                        }
                        e.lastEventTime = t;
                        if (r == rowEntry.length) {
                            growRows(2 * r);
                        }
                        rowEntry[r] = e;
                        rowFrame[r] = idx;
                        r++;
                    } while (!recurrent && e.head >= 0);
                    if (e.head >= 0) {
                        active[kept++] = e;
                    }
                }
                for (int a = kept; a < streams; a++) {
                    active[a] = null;
                }
                streams = kept;
                if (r > 0) {
                    runRound(r, batch, output);
                }
            }
        } finally {
            for (int a = 0; a < streams; a++) {
                active[a].head = -1;
                active[a].tail = -1;
                active[a] = null;
            }
            Arrays.fill(rowEntry, null);
            store.trim();
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

    /** Pops the stream's next frame that is in event-time order; rejects or drops the ones that are not. */
    private int nextInOrder(StreamStateStore.Entry e, List<Frame> batch, Output output) {
        while (e.head >= 0) {
            int idx = e.head;
            e.head = next[idx];
            if (e.head < 0) {
                e.tail = -1;
            }
            long t = batch.get(idx).eventTime();
            if (e.lastEventTime != StreamStateStore.NO_TIME && t < e.lastEventTime) {
                if (dropLate) {
                    lateDropped++;
                    meters.dropped.increment();
                } else {
                    outOfOrder++;
                    output.rejected(idx, RejectReason.OUT_OF_ORDER, "event time " + t + " is " + (e.lastEventTime - t)
                            + " ms before the stream's last frame (" + e.lastEventTime + ")");
                }
                continue;
            }
            return idx;
        }
        return -1;
    }

    /** One round's rows [0, r): grouped by frame size, each group through one model call per chunk. */
    private void runRound(int r, List<Frame> batch, Output output) {
        Arrays.fill(rowDone, 0, r, false);
        for (int first = 0; first < r; first++) {
            if (rowDone[first]) {
                continue;
            }
            Frame f0 = batch.get(rowFrame[first]);
            int w = f0.width();
            int h = f0.height();
            int m = 0;
            for (int k = first; k < r; k++) {
                Frame f = batch.get(rowFrame[k]);
                if (!rowDone[k] && f.width() == w && f.height() == h) {
                    rowDone[k] = true;
                    if (m == group.length) {
                        group = Arrays.copyOf(group, 2 * m);
                    }
                    group[m++] = k;
                }
            }
            for (int from = 0; from < m; from += maxBatch) {
                call(from, Math.min(m, from + maxBatch), h, w, batch, output);
            }
        }
    }

    /** Runs the model on the group rows [from, to) (all h x w), then finishes each. */
    private void call(int from, int to, int h, int w, List<Frame> batch, Output output) {
        int m = to - from;
        int hw = h * w;
        int HW = hw * scale * scale;
        ensure(m, hw, HW);
        if (groupError.length < m) {
            groupError = new String[Math.max(m, 2 * groupError.length)];
        }
        for (int j = 0; j < m; j++) {
            int row = group[from + j];
            float[] px = batch.get(rowFrame[row]).pixels();
            // in (m, h, w): the frames; prev (m, h s, w s): each stream's previous output, or its own input
            System.arraycopy(px, 0, in, j * hw, hw);
            if (recurrent) {
                previous(rowEntry[row], px, h, w, prev, j * HW);
            }
            groupError[j] = null;
        }
        calls++;
        rows += m;
        meters.stepRows.record(m);
        try {
            long t0 = System.nanoTime();
            model.apply(in, m, h, w, recurrent ? prev : null, out);
            meters.step.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        } catch (RuntimeException batchFailure) {
            // nothing stored was changed: run each frame alone to find the ones that fail
            float[] oneIn = new float[hw];
            float[] onePrev = recurrent ? new float[HW] : null;
            float[] oneOut = new float[HW];
            for (int j = 0; j < m; j++) {
                System.arraycopy(in, j * hw, oneIn, 0, hw);
                if (recurrent) {
                    System.arraycopy(prev, j * HW, onePrev, 0, HW);
                }
                try {
                    model.apply(oneIn, 1, h, w, onePrev, oneOut);
                    System.arraycopy(oneOut, 0, out, j * HW, HW);
                } catch (RuntimeException e) {
                    groupError[j] = e.toString();
                }
            }
        }
        int W = w * scale;
        int H = h * scale;
        for (int j = 0; j < m; j++) {
            int row = group[from + j];
            StreamStateStore.Entry e = rowEntry[row];
            int idx = rowFrame[row];
            String problem = groupError[j] != null ? "the model failed: " + groupError[j] : nonFinite(j * HW, HW);
            if (problem != null) {
                e.resetState();
                modelErrors++;
                output.rejected(idx, RejectReason.MODEL_ERROR, problem + " (the stream restarts from its own input)");
                continue;
            }
            if (recurrent) {
                e.keepFrame(out, j * HW, W, H);
            }
            e.steps++;
            byte[] value = FrameCodec.encodeRawU8(W, H, batch.get(idx).eventTime(), out, j * HW);
            outputs++;
            meters.predictions.increment();
            output.frame(idx, e.stream(), e.steps, value);
        }
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

    /** Null if out[off, off + n) is finite, else the first value that is not. */
    private String nonFinite(int off, int n) {
        float acc = 0f;
        for (int i = off, end = off + n; i < end; i++) {
            acc += out[i] * 0f;  // 0 for a finite value, NaN otherwise
        }
        if (acc == 0f) {
            return null;
        }
        for (int i = off, end = off + n; i < end; i++) {
            if (!Float.isFinite(out[i])) {
                return "output pixel " + (i - off) + " is " + out[i];
            }
        }
        return null;
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

    private void growRows(int c) {
        rowEntry = Arrays.copyOf(rowEntry, c);
        rowFrame = Arrays.copyOf(rowFrame, c);
        rowDone = Arrays.copyOf(rowDone, c);
    }

    @Override
    public long[] counts() {
        return new long[] {frames, outputs, outOfOrder, lateDropped, gapResets, modelErrors, calls, rows};
    }

    @Override
    public void restoreCounts(long[] c) {
        frames = c[0];
        outputs = c[1];
        outOfOrder = c[2];
        lateDropped = c[3];
        gapResets = c[4];
        modelErrors = c[5];
        calls = c[6];
        rows = c[7];
    }

    /** Frames given to {@link #process}. */
    public long frames() {
        return frames;
    }

    /** Output frames made. */
    @Override
    public long predictions() {
        return outputs;
    }

    /** Out-of-order frames dead-lettered. */
    public long outOfOrder() {
        return outOfOrder;
    }

    @Override
    public long lateDropped() {
        return lateDropped;
    }

    @Override
    public long gapResets() {
        return gapResets;
    }

    /** Frames dead-lettered because the model failed or gave a non-finite output. */
    public long modelErrors() {
        return modelErrors;
    }

    /** Model calls made. */
    @Override
    public long batchedSteps() {
        return calls;
    }

    /** Frames over all model calls: divided by {@link #batchedSteps()}, the mean frames per call. */
    @Override
    public long rowsStepped() {
        return rows;
    }
}
