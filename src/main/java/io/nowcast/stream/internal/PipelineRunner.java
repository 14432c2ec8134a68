package io.nowcast.stream.internal;

import io.nowcast.codec.PredictionCodec;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.Sample;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.nn.RecurrentState;
import io.nowcast.stream.Meters;
import io.nowcast.stream.PredictionTap;
import io.nowcast.stream.ProcessorConfig;

import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Runs one pipeline's model over batches of decoded samples, batched across streams.
 *
 * <h2>One batch</h2>
 * {@link #process} takes the samples of one poll in poll order and groups them by stream, keeping
 * each stream's order. Then, round after round, it takes the next pending sample of every stream
 * that still has one, gathers those streams' states into the rows of one {@link RecurrentState}
 * (N rows for N streams) and their values into one (N, inputSize) matrix, runs <b>one</b> batched
 * {@link Forecaster#step} for all of them, scatters the states back to the
 * {@link StreamStateStore} and encodes one prediction per sample: key = stream id, {@code time} =
 * the sample's event time, {@code step} = the stream's samples since its state was (re)started.
 * A stream with k samples in the batch takes part in k rounds, so the results are those of
 * stepping each stream alone, in its order (the equivalence test checks this against the offline
 * {@code nowcast predict} path).
 *
 * <h2>Event time, per stream</h2>
 * <ul>
 * <li>A sample older than the stream's last one is out of order: dead-lettered with
 *     {@link RejectReason#OUT_OF_ORDER}, or dropped and counted when the pipeline's late policy is
 *     {@code drop}. A sample with the same event time as the last one is in order.</li>
 * <li>A sample more than {@code gap.ms} after the stream's last one restarts the stream from a
 *     fresh (zero) state before it is stepped; counted as a gap reset.</li>
 * </ul>
 *
 * <h2>Live prediction error</h2>
 * Each stream's state keeps the values its last prediction gave for one step ahead. When the
 * stream's next sample is stepped, the absolute error of each of those values against the sample's
 * is recorded ({@link Meters#ERROR}); a stream that restarts (new, after a gap or a model error)
 * has no prediction to compare. A predicted value is compared with the input value of the same
 * name (the model's {@code targets} among its {@code input_features}), or, for a model with
 * unnamed targets and as many of them as inputs, with the input at the same position; a model
 * whose outputs match no input (a denoiser of other quantities, a bare hidden state) records none,
 * and neither does a {@link #seriesDenoiser series denoiser}, whose output is the present cleaned.
 *
 * <h2>Model errors</h2>
 * If the batched step throws, every row of that round is stepped again alone from its stored
 * state, which the failed step did not touch; a row that throws alone, or whose output or new state
 * is not finite, is dead-lettered with {@link RejectReason#MODEL_ERROR} and its stream restarts
 * from a fresh state (the sample's event time is kept as the stream's last, so out-of-order
 * checks go on). The other rows are unaffected.
 *
 * <p>{@link #passThrough} makes a runner without a model, whose predictions echo the samples: the
 * same path at no model cost, the ceiling a model's pipeline is measured against.
 *
 * <p>The grouping, rounds, event-time policy, retries and counts are those of {@link StreamBatcher}
 * (which this runner gives its samples); this class is what is particular to samples: the gathered
 * states, the model step, the live error and the encoding.
 *
 * <p>Not thread-safe: one runner per pipeline, called from the processor's loop thread. It knows
 * nothing of Kafka: samples come in as a list, results leave as a {@link BatchResult}.
 */
public final class PipelineRunner extends BatchedRunner<Sample> {
    /** One model step for the N rows of a state (the signature of {@link Forecaster#step}). */
    @FunctionalInterface
    interface Step {
        void step(float[] input, RecurrentState state, float[] out, float[] scratch);
    }

    private final String name;
    private final ModelSpec spec;
    private final Step model;
    private final StreamStateStore store;
    private final boolean dropLate;
    private final long gapMs;
    private final LongSupplier clockMs;
    private final PredictionCodec codec;
    private final int D;   // input size
    private final int W;   // output row width
    private final int O;   // predicted values per row (W for a model without a head)
    private final int horizon; // steps ahead per prediction: O = targets * horizon, target by target
    private final int H;
    private final int layers;
    private final boolean cell;
    private final int extra;  // values per stream the model keeps beside its layers (RecurrentState.extra)
    private final PipelineMeters meters;
    // live prediction error: predicted value k is out[row * W + errOut[k]], compared with input errIn[k]
    private final int[] errOut;
    private final int[] errIn;
    private PredictionTap tap = PredictionTap.NONE;

    // work space of one call, grown to the largest call seen and then reused
    private RecurrentState state;                    // (capacity rows) gathered states
    private float[] input = new float[0];            // (N, D)
    private float[] out = new float[0];              // (N, W)
    private float[] scratch = new float[0];          // (N, D + W + H)
    private StreamStateStore.Entry[] rowEntry;       // (N) stream of each row
    private final float[] rowIn;                     // (1, D)
    private final float[] rowOut;                    // (1, W)
    private int capacity;

    /**
     * @param name     the pipeline's name (for messages)
     * @param model    the pipeline's model; used by this runner only (it is not thread-safe)
     * @param store    the pipeline's state store, made for this model's layers and hidden size
     * @param dropLate drop out-of-order samples instead of dead-lettering them
     * @param gapMs    event-time gap after which a stream restarts from a fresh state; 0: never
     * @param clockMs  processing time in milliseconds, for the store's idle time-to-live
     */
    public PipelineRunner(String name, Forecaster model, StreamStateStore store, boolean dropLate, long gapMs,
                          LongSupplier clockMs) {
        this(name, model, model::step, store, dropLate, gapMs, clockMs, PipelineMeters.none(name));
    }

    /** With its meters (the processor resolves them once per pipeline). */
    public PipelineRunner(String name, Forecaster model, StreamStateStore store, boolean dropLate, long gapMs,
                          LongSupplier clockMs, PipelineMeters meters) {
        this(name, model, model::step, store, dropLate, gapMs, clockMs, meters);
    }

    /** With another step function in place of the model's (tests: a model that fails on chosen rows). */
    PipelineRunner(String name, Forecaster model, Step step, StreamStateStore store, boolean dropLate, long gapMs,
                   LongSupplier clockMs) {
        this(name, model, step, store, dropLate, gapMs, clockMs, PipelineMeters.none(name));
    }

    private PipelineRunner(String name, Forecaster model, Step step, StreamStateStore store, boolean dropLate, long gapMs,
                           LongSupplier clockMs, PipelineMeters meters) {
        this(name, model.spec(), model.outputWidth(), model.net().hiddenSize, model.net().numLayers(),
                model.net().cell.hasCell(), 0, step, store, dropLate, gapMs, clockMs, meters);
    }

    private PipelineRunner(String name, ModelSpec spec, int width, int hidden, int layers, boolean cell, int extra,
                           Step step, StreamStateStore store, boolean dropLate, long gapMs, LongSupplier clockMs,
                           PipelineMeters meters) {
        this.name = name;
        this.spec = spec;
        this.model = step;
        this.store = store;
        this.dropLate = dropLate;
        this.gapMs = gapMs;
        this.clockMs = clockMs;
        this.codec = new PredictionCodec(spec.name, spec.version);
        this.D = spec.inputSize;
        this.W = width;
        this.O = spec.head == ModelSpec.Head.NONE ? W : spec.outputSize;
        this.horizon = spec.horizon > 1 && O % spec.horizon == 0 ? spec.horizon : 1;
        this.H = hidden;
        this.layers = layers;
        this.cell = cell;
        this.extra = extra;
        this.meters = meters;
        int[][] pairs = errorPairs(spec, D, O);
        this.errOut = pairs[0];
        this.errIn = pairs[1];
        if (store.layers() != layers || store.hiddenSize() != H || store.hasCell() != cell
                || store.extraWidth() != extra) {
            throw new IllegalArgumentException("pipeline " + name + ": the state store is for " + store.layers()
                    + " layers of " + store.hiddenSize() + (store.hasCell() ? " with" : " without")
                    + " cell vectors and " + store.extraWidth() + " extra values, the model has " + layers + " of " + H
                    + " and " + extra);
        }
        this.rowIn = new float[D];
        this.rowOut = new float[W];
        ensureCapacity(16);
        this.batcher = new StreamBatcher<>(new Rows(), store, dropLate, gapMs, clockMs, meters);
    }

    /**
     * A runner with no model ({@code model=pass-through}): each prediction echoes its sample's
     * {@code dimension} values (model {@code "pass-through"}, version {@code "1"}). Everything else is
     * the same as with a model: grouping by stream, rounds, event-time order, gap resets, the store's
     * bounds, the encoding. The store keeps one float per stream, which stays 0: make it with
     * {@link #passThroughStore}. The live error compares each echoed value with the stream's next
     * sample: the error of predicting "no change".
     */
    public static PipelineRunner passThrough(String name, int dimension, StreamStateStore store, boolean dropLate,
                                             long gapMs, LongSupplier clockMs, PipelineMeters meters) {
        if (dimension < 1) {
            throw new IllegalArgumentException("pipeline " + name + ": a pass-through needs at least one value per sample");
        }
        ModelSpec spec = new ModelSpec();
        spec.name = ProcessorConfig.PASS_THROUGH;
        spec.version = "1";
        spec.inputSize = dimension;
        spec.outputSize = dimension;
        spec.hiddenSize = 1;
        spec.head = ModelSpec.Head.LINEAR;
        Step echo = (in, state, out, scratch) -> System.arraycopy(in, 0, out, 0, state.batch * dimension);
        return new PipelineRunner(name, spec, dimension, 1, 1, false, 0, echo, store, dropLate, gapMs, clockMs,
                meters);
    }

    /**
     * A runner of a series denoiser: each stream's noisy newest sample in, that sample cleaned out
     * ({@code predictions} holds one array, the model's {@code output_features}), the recurrent
     * state carried per stream exactly as for a forecaster. No live error is recorded: the clean
     * value is never observed, and the next noisy sample is not what the output estimates. The
     * store must keep the model's {@link SeriesDenoiser#extraWidth extra} values per stream.
     */
    public static PipelineRunner seriesDenoiser(String name, SeriesDenoiser model, StreamStateStore store,
                                                boolean dropLate, long gapMs, LongSupplier clockMs,
                                                PipelineMeters meters) {
        return new PipelineRunner(name, model.spec(), model.width(), model.net().hiddenSize, model.net().numLayers(),
                model.net().cell.hasCell(), model.extraWidth(), model::step, store, dropLate, gapMs, clockMs, meters);
    }

    /** A series-denoiser runner without meters (tests). */
    public static PipelineRunner seriesDenoiser(String name, SeriesDenoiser model, StreamStateStore store,
                                                boolean dropLate, long gapMs, LongSupplier clockMs) {
        return seriesDenoiser(name, model, store, dropLate, gapMs, clockMs, PipelineMeters.none(name));
    }

    /** A pass-through runner without meters (tests). */
    public static PipelineRunner passThrough(String name, int dimension, StreamStateStore store, boolean dropLate,
                                             long gapMs, LongSupplier clockMs) {
        return passThrough(name, dimension, store, dropLate, gapMs, clockMs, PipelineMeters.none(name));
    }

    /** The state store a {@link #passThrough} runner needs: one layer of one value, no cell. */
    public static StreamStateStore passThroughStore(int maxStreams, long idleTtlMs,
                                                    StreamStateStore.EvictionListener listener) {
        return new StreamStateStore(1, 1, false, maxStreams, idleTtlMs, listener);
    }

    /**
     * Which outputs are compared with which inputs for the live error: {out offsets, input indexes},
     * the one-step-ahead value of each target that is also an input.
     */
    public static int[][] errorPairs(ModelSpec spec, int D, int O) {
        if (spec.kind == ModelKind.SERIES_DENOISER) {
            return new int[][] {new int[0], new int[0]}; // cleans the present: nothing ahead to compare
        }
        int horizon = Math.max(1, spec.horizon);
        int targets = O / horizon;
        int[] out = new int[targets];
        int[] in = new int[targets];
        int n = 0;
        if (spec.head != ModelSpec.Head.NONE) {
            if (!spec.targets.isEmpty() && !spec.inputFeatures.isEmpty()) {
                for (int k = 0; k < spec.targets.size() && k < targets; k++) {
                    int i = spec.inputFeatures.indexOf(spec.targets.get(k));
                    if (i >= 0) {
                        out[n] = k * horizon;
                        in[n++] = i;
                    }
                }
            } else if (targets == D) {
                for (int k = 0; k < targets; k++) {
                    out[n] = k * horizon;
                    in[n++] = k;
                }
            }
        }
        return new int[][] {Arrays.copyOf(out, n), Arrays.copyOf(in, n)};
    }

    /**
     * Sets the tap that sees every prediction from now on ({@link PredictionTap#NONE}: none). Call it
     * before the runner is used by another thread (the processor's loop), not while it runs.
     */
    public void tap(PredictionTap tap) {
        this.tap = tap == null ? PredictionTap.NONE : tap;
    }

    /**
     * What a model swap made: the runner of the new model, whether the streams' states were kept and
     * how many streams were reset.
     */
    public record Swap(PipelineRunner runner, boolean statesKept, int streamsReset) {
    }

    /**
     * The runner of another model for this pipeline, to be used from the next batch on (call it
     * between batches; this runner is not to be used afterwards). The counts go on from this
     * runner's. If the new model's state has the same shape (cell type, layers, hidden size), the
     * store is kept: each stream goes on from its state, its step count going on too. Otherwise the
     * store is {@link StreamStateStore#reshaped reshaped} and every stream it held restarts from a
     * fresh state, step 1, its event-time order and source kept. The live error compares a stream's
     * next sample with the old model's last prediction only if both models compare the same values.
     * The caller checks the new model's input (size and features) against the pipeline's samples.
     */
    public Swap withModel(Forecaster m) {
        ModelSpec s = m.spec();
        if (s.inputSize != D) {
            throw new IllegalArgumentException("pipeline " + name + ": the new model takes " + s.inputSize
                    + " values per sample, the pipeline's samples have " + D);
        }
        boolean keep = s.cell == spec.cell && m.net().numLayers() == layers && m.net().hiddenSize == H;
        int reset = keep ? 0 : store.size();
        StreamStateStore st = keep ? store
                : store.reshaped(m.net().numLayers(), m.net().hiddenSize, m.net().cell.hasCell());
        PipelineRunner r = new PipelineRunner(name, m, m::step, st, dropLate, gapMs, clockMs, meters);
        if (keep && !(Arrays.equals(r.errOut, errOut) && Arrays.equals(r.errIn, errIn))) {
            st.clearPredictions();
        }
        r.restoreCounts(counts());
        return new Swap(r, keep, reset);
    }

    /** Predicted values per prediction that the live error compares with the next sample. */
    public int errorValues() {
        return errIn.length;
    }

    public String name() {
        return name;
    }

    public ModelSpec spec() {
        return spec;
    }

    public StreamStateStore store() {
        return store;
    }

    /** Evicts the streams idle for the store's time-to-live; call between batches. */
    public int expireIdle() {
        return store.expire(clockMs.getAsLong());
    }

    /**
     * Processes one batch on its own, without sources (the processor's pipelines run the batcher
     * with theirs): every sample ends as exactly one output, one rejection, or (late, with the drop
     * policy) nothing ({@link StreamBatcher}).
     *
     * @param batch samples in poll order
     */
    public BatchResult process(List<Sample> batch) {
        return batcher.process(batch, null, new BatchResult());
    }


    /** The rows of one batched step: N streams' states and samples, one model step. */
    private final class Rows implements StreamBatcher.Stepper<Sample> {
        @Override
        public String stream(Sample s) {
            return s.stream();
        }

        @Override
        public long eventTime(Sample s) {
            return s.eventTime();
        }

        @Override
        public String noun() {
            return "sample";
        }

        @Override
        public String restart() {
            return "from a fresh state";
        }

        @Override
        public void reserve(int n, Sample first) {
            ensureCapacity(n);
        }

        @Override
        public void load(int r, StreamStateStore.Entry e, Sample s) {
            gather(e, r);
            System.arraycopy(s.values(), 0, input, r * D, D);
            rowEntry[r] = e;
        }

        @Override
        public void stepAll(int n) {
            // out (N, W) = model(input (N, D), state rows [0, N)), the states updated in place
            model.step(input, state.firstRows(n), out, scratch);
        }

        @Override
        public void stepAlone(int r) {
            // row 0 is the work row: from the last row down, each row is gathered there, stepped
            // alone and moved to its own row; row 0 itself comes last and stays
            gather(rowEntry[r], 0);
            System.arraycopy(input, r * D, rowIn, 0, D);
            try {
                model.step(rowIn, state.firstRows(1), rowOut, scratch);
                System.arraycopy(rowOut, 0, out, r * W, W);
            } finally {
                if (r > 0) {
                    state.copyRow(state, 0, r);
                }
            }
        }

        @Override
        public void observe(int r, StreamStateStore.Entry e, Sample s) {
            if (e.predicted != null && e.hasPrediction) {
                // |sample - what the stream's last prediction said it would be|, per value
                float[] v = s.values();
                for (int k = 0; k < errIn.length; k++) {
                    meters.error.record(Math.abs(v[errIn[k]] - e.predicted[k]));
                }
            }
            e.hasPrediction = false;
        }

        @Override
        public String nonFinite(int r) {
            return PipelineRunner.this.nonFinite(r);
        }

        @Override
        public byte[] emit(int r, StreamStateStore.Entry e, Sample s) {
            scatter(r, e);
            byte[] value = codec.encode(e.stream, s.eventTime(), e.steps, out, r * W,
                    spec.head == ModelSpec.Head.GAUSSIAN ? out : null, r * W + O, horizon, O / horizon, true);
            if (errIn.length > 0) {
                if (e.predicted == null || e.predicted.length != errIn.length) {
                    e.predicted = new float[errIn.length];
                }
                for (int k = 0; k < errIn.length; k++) {
                    e.predicted[k] = out[r * W + errOut[k]];
                }
                e.hasPrediction = true;
            }
            tap.prediction(e.stream, s.eventTime(), s.values(), out, r * W);
            return value;
        }
    }

    /** Null if row r's output and new state are finite, else what is not. */
    private String nonFinite(int r) {
        if (StreamBatcher.allFinite(out, r * W, W) && allFiniteState(r)) {
            return null;
        }
        int j = StreamBatcher.firstNonFinite(out, r * W, W);
        if (j >= 0) {
            return "output " + j + " is " + out[r * W + j];
        }
        for (int l = 0; l < layers; l++) {
            for (int i = r * H, end = i + H; i < end; i++) {
                if (!Float.isFinite(state.h[l][i])) {
                    return "hidden state of layer " + l + " is not finite";
                }
                if (cell && !Float.isFinite(state.c[l][i])) {
                    return "cell state of layer " + l + " is not finite";
                }
            }
        }
        if (!StreamBatcher.allFinite(state.extra, r * extra, extra)) {
            return "the model's per-stream values (beside its layers) are not finite";
        }
        return null;
    }

    private boolean allFiniteState(int r) {
        for (int l = 0; l < layers; l++) {
            if (!StreamBatcher.allFinite(state.h[l], r * H, H) || (cell && !StreamBatcher.allFinite(state.c[l], r * H, H))) {
                return false;
            }
        }
        return StreamBatcher.allFinite(state.extra, r * extra, extra);
    }

    /** Copies a stream's vectors into row {@code row} of the gathered state. */
    private void gather(StreamStateStore.Entry e, int row) {
        float[] v = e.vectors;
        int stride = cell ? 2 * H : H;
        for (int l = 0; l < layers; l++) {
            System.arraycopy(v, l * stride, state.h[l], row * H, H);
            if (cell) {
                System.arraycopy(v, l * stride + H, state.c[l], row * H, H);
            }
        }
        System.arraycopy(v, layers * stride, state.extra, row * extra, extra);
    }

    /** Copies row {@code row} of the gathered state back to the stream. */
    private void scatter(int row, StreamStateStore.Entry e) {
        float[] v = e.vectors;
        int stride = cell ? 2 * H : H;
        for (int l = 0; l < layers; l++) {
            System.arraycopy(state.h[l], row * H, v, l * stride, H);
            if (cell) {
                System.arraycopy(state.c[l], row * H, v, l * stride + H, H);
            }
        }
        System.arraycopy(state.extra, row * extra, v, layers * stride, extra);
    }

    private void ensureCapacity(int n) {
        if (n <= capacity) {
            return;
        }
        int c = Math.max(n, 2 * capacity);
        state = new RecurrentState(layers, c, H, cell, extra);
        input = new float[c * D];
        out = new float[c * W];
        scratch = new float[c * (D + W + H)];
        rowEntry = new StreamStateStore.Entry[c];
        capacity = c;
    }

    /** Samples given to {@link #process}. */
    public long samples() {
        return batcher.inputs();
    }
}
