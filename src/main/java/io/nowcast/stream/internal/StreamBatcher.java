package io.nowcast.stream.internal;

import io.nowcast.codec.RejectReason;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The batching every runner shares, whatever its inputs are (samples, frames): one poll's inputs
 * grouped by stream in each stream's order, the event-time policy per stream, rounds of one model
 * call across streams, the retry of a failed call row by row, and the counts. What differs by kind
 * (how an input becomes a row of the model's work space, how the model is called, what comes out)
 * is the {@link Stepper}'s.
 *
 * <h2>One batch</h2>
 * {@link #process} gives each input to {@link Stepper#admit} (a runner may refuse an input it
 * cannot take, before it touches the stream's state), then groups the admitted ones by stream.
 * Round after round, it takes the next pending input of every stream that still has one (every
 * pending one, in order, when {@link Stepper#allPending}: a model that carries nothing from input to
 * input); an input older than its stream's last one is out of order: rejected with
 * {@link RejectReason#OUT_OF_ORDER}, or dropped and counted with the late policy {@code drop}. An
 * input more than {@code gap.ms} after its stream's last one restarts the stream first (a gap
 * reset). The round's rows are split into calls of inputs that {@link Stepper#sameCall} may share,
 * at most {@link Stepper#maxCall} each.
 *
 * <h2>One call</h2>
 * The stepper loads the call's rows and steps them together. If that throws, every row is stepped
 * again alone, from the last row down (the call changed no stored state); a row that throws alone,
 * or whose result is not finite ({@link Stepper#nonFinite}), is rejected with
 * {@link RejectReason#MODEL_ERROR} and its stream restarts, its event time kept for the order
 * checks. Every other row gives one output ({@link Stepper#emit}).
 *
 * <p>Not thread-safe: one per runner, the processor's loop thread.
 */
final class StreamBatcher<T> {
    /** What one kind of runner does with its inputs; the batcher decides when. */
    interface Stepper<T> {
        String stream(T input);

        long eventTime(T input);

        /** What an input is called in messages: "sample", "frame". */
        String noun();

        /** How a stream restarts after a model error, for the message: "from a fresh state". */
        String restart();

        /** Whether the input at {@code index} is taken; if not, the stepper has rejected it into {@code result}. */
        default boolean admit(int index, T input, BatchResult result) {
            return true;
        }

        /** Whether all of a stream's pending inputs join one round (the model carries nothing between them). */
        default boolean allPending() {
            return false;
        }

        /** Whether two inputs of a round may go through one model call. */
        default boolean sameCall(T a, T b) {
            return true;
        }

        /** Most inputs in one model call. */
        default int maxCall() {
            return Integer.MAX_VALUE;
        }

        /** Makes room for a call of {@code m} inputs like {@code first}. */
        void reserve(int m, T first);

        /** Loads input {@code j} of the call, of stream {@code e}. */
        void load(int j, StreamStateStore.Entry e, T input);

        /** One model call for the call's inputs [0, m). */
        void stepAll(int m);

        /** Input {@code j} of the call stepped alone, its result where {@link #stepAll} puts it. */
        void stepAlone(int j);

        /** After the call, before input {@code j}'s result is checked (the live error). */
        default void observe(int j, StreamStateStore.Entry e, T input) {
        }

        /** Null if input {@code j}'s result is finite, else what is not. */
        String nonFinite(int j);

        /** Input {@code j}'s output (its stream's step counted already): the new state kept, the record value. */
        byte[] emit(int j, StreamStateStore.Entry e, T input);
    }

    private final Stepper<T> stepper;
    private final StreamStateStore store;
    private final boolean dropLate;
    private final long gapMs;
    private final LongSupplier clockMs;
    private final PipelineMeters meters;

    // work space, grown to the largest batch seen and then reused
    private int[] next = new int[0];                  // (inputs) next pending input of the same stream, -1: none
    private StreamStateStore.Entry[] active = new StreamStateStore.Entry[0];  // streams with pending inputs
    private StreamStateStore.Entry[] rowEntry = new StreamStateStore.Entry[16]; // (rows) stream of each row
    private int[] rowInput = new int[16];             // (rows) input index of each row
    private boolean[] rowDone = new boolean[16];      // (rows) in a call already
    private int[] group = new int[16];                // rows of one call, in row order
    private String[] rowError = new String[16];       // per call row: its error when stepped alone, or null

    private long inputs;
    private long outputs;
    private long outOfOrder;
    private long lateDropped;
    private long gapResets;
    private long modelErrors;
    private long calls;
    private long rows;

    StreamBatcher(Stepper<T> stepper, StreamStateStore store, boolean dropLate, long gapMs, LongSupplier clockMs,
                  PipelineMeters meters) {
        this.stepper = stepper;
        this.store = store;
        this.dropLate = dropLate;
        this.gapMs = gapMs;
        this.clockMs = clockMs;
        this.meters = meters;
    }

    /**
     * Processes one batch into {@code result}: every input ends as exactly one output, one
     * rejection, or (late, with the drop policy) nothing.
     *
     * @param sources per input, a number for where it came from, kept with the stream's state; null if not tracked
     */
    BatchResult process(List<T> batch, int[] sources, BatchResult result) {
        int n = batch.size();
        if (n == 0) {
            return result;
        }
        if (next.length < n) {
            next = new int[Math.max(n, 2 * next.length)];
        }
        long now = clockMs.getAsLong();
        store.beginBatch();
        inputs += n;
        int streams = 0;
        try {
            // group by stream, keeping each stream's order: a linked list of input indexes per stream
            for (int i = 0; i < n; i++) {
                next[i] = -1;
                T input = batch.get(i);
                if (!stepper.admit(i, input, result)) {
                    continue;
                }
                StreamStateStore.Entry e = store.acquire(stepper.stream(input), now);
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
            // rounds: each stream's next input (every pending one with allPending)
            while (streams > 0) {
                int r = 0;
                int kept = 0;
                for (int a = 0; a < streams; a++) {
                    StreamStateStore.Entry e = active[a];
                    do {
                        int idx = nextInOrder(e, batch, result);
                        if (idx < 0) {
                            break;
                        }
                        long t = stepper.eventTime(batch.get(idx));
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
                        rowInput[r] = idx;
                        r++;
                    } while (stepper.allPending() && e.head >= 0);
                    if (e.head >= 0) {
                        active[kept++] = e;
                    }
                }
                for (int a = kept; a < streams; a++) {
                    active[a] = null;
                }
                streams = kept;
                if (r > 0) {
                    round(r, batch, result);
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
        return result;
    }

    /** Pops the stream's next input that is in event-time order; rejects or drops the ones that are not. */
    private int nextInOrder(StreamStateStore.Entry e, List<T> batch, BatchResult result) {
        while (e.head >= 0) {
            int idx = e.head;
            e.head = next[idx];
            if (e.head < 0) {
                e.tail = -1;
            }
            long t = stepper.eventTime(batch.get(idx));
            if (e.lastEventTime != StreamStateStore.NO_TIME && t < e.lastEventTime) {
                if (dropLate) {
                    lateDropped++;
                    meters.dropped.increment();
                } else {
                    outOfOrder++;
                    result.rejected(idx, e.stream(), RejectReason.OUT_OF_ORDER, "event time " + t + " is " + (e.lastEventTime - t)
                            + " ms before the stream's last " + stepper.noun() + " (" + e.lastEventTime + ")");
                }
                continue;
            }
            return idx;
        }
        return -1;
    }

    /** One round's rows [0, r): split into calls of inputs that may share one, at most maxCall each. */
    private void round(int r, List<T> batch, BatchResult result) {
        Arrays.fill(rowDone, 0, r, false);
        int max = stepper.maxCall();
        for (int first = 0; first < r; first++) {
            if (rowDone[first]) {
                continue;
            }
            T f0 = batch.get(rowInput[first]);
            int m = 0;
            for (int k = first; k < r; k++) {
                if (!rowDone[k] && stepper.sameCall(f0, batch.get(rowInput[k]))) {
                    rowDone[k] = true;
                    if (m == group.length) {
                        group = Arrays.copyOf(group, 2 * m);
                    }
                    group[m++] = k;
                }
            }
            for (int from = 0; from < m; from += max) {
                call(from, Math.min(m, from + max), batch, result);
            }
        }
    }

    /** One model call for the group rows [from, to); on failure each row alone; then an output or a rejection per row. */
    private void call(int from, int to, List<T> batch, BatchResult result) {
        int m = to - from;
        if (rowError.length < m) {
            rowError = new String[Math.max(m, 2 * rowError.length)];
        }
        stepper.reserve(m, batch.get(rowInput[group[from]]));
        for (int j = 0; j < m; j++) {
            int row = group[from + j];
            stepper.load(j, rowEntry[row], batch.get(rowInput[row]));
            rowError[j] = null;
        }
        calls++;
        rows += m;
        meters.stepRows.record(m);
        try {
            long t0 = System.nanoTime();
            stepper.stepAll(m);
            meters.step.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        } catch (RuntimeException callFailure) {
            // nothing stored was changed: step every row alone to find the ones that fail
            for (int j = m - 1; j >= 0; j--) {
                try {
                    stepper.stepAlone(j);
                } catch (RuntimeException e) {
                    rowError[j] = e.toString();
                }
            }
        }
        for (int j = 0; j < m; j++) {
            int row = group[from + j];
            StreamStateStore.Entry e = rowEntry[row];
            int idx = rowInput[row];
            T input = batch.get(idx);
            stepper.observe(j, e, input);
            String problem = rowError[j] != null ? "the model failed: " + rowError[j] : stepper.nonFinite(j);
            if (problem != null) {
                e.resetState();
                modelErrors++;
                result.rejected(idx, e.stream(), RejectReason.MODEL_ERROR, problem + " (the stream restarts " + stepper.restart() + ")");
                continue;
            }
            e.steps++;
            byte[] value = stepper.emit(j, e, input);
            outputs++;
            meters.predictions.increment();
            result.output(idx, e.stream(), stepper.eventTime(input), e.steps, value);
        }
    }

    private void growRows(int c) {
        rowEntry = Arrays.copyOf(rowEntry, c);
        rowInput = Arrays.copyOf(rowInput, c);
        rowDone = Arrays.copyOf(rowDone, c);
    }

    /** Whether a[off, off + n) are all finite: x * 0 is 0 for a finite x and NaN otherwise, without a branch per value. */
    static boolean allFinite(float[] a, int off, int n) {
        float acc = 0f;
        for (int i = off, end = off + n; i < end; i++) {
            acc += a[i] * 0f;
        }
        return acc == 0f;
    }

    /** The first j in [0, n) with a[off + j] not finite, or -1. */
    static int firstNonFinite(float[] a, int off, int n) {
        if (allFinite(a, off, n)) {
            return -1;
        }
        for (int j = 0; j < n; j++) {
            if (!Float.isFinite(a[off + j])) {
                return j;
            }
        }
        return -1;
    }

    /** The counts, for {@link #restoreCounts} (the processor rolls them back with an aborted transaction). */
    long[] counts() {
        return new long[] {inputs, outputs, outOfOrder, lateDropped, gapResets, modelErrors, calls, rows};
    }

    void restoreCounts(long[] c) {
        inputs = c[0];
        outputs = c[1];
        outOfOrder = c[2];
        lateDropped = c[3];
        gapResets = c[4];
        modelErrors = c[5];
        calls = c[6];
        rows = c[7];
    }

    long inputs() {
        return inputs;
    }

    long outputs() {
        return outputs;
    }

    long outOfOrder() {
        return outOfOrder;
    }

    long lateDropped() {
        return lateDropped;
    }

    long gapResets() {
        return gapResets;
    }

    long modelErrors() {
        return modelErrors;
    }

    long calls() {
        return calls;
    }

    long rows() {
        return rows;
    }
}
