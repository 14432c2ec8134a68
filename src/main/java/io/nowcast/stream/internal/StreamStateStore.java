package io.nowcast.stream.internal;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.Predicate;

/**
 * The per-stream state of one pipeline: stream id to the hidden vectors of every layer (and the
 * LSTM cell vectors), the event time of the stream's last sample and its step count.
 *
 * <h2>Bounds</h2>
 * At most {@code maxStreams} streams are kept; a new stream beyond that evicts the least recently
 * used one (cause {@link Cause#CAPACITY}). A stream with no sample for {@code idleTtlMs} of
 * processing time is evicted by {@link #expire(long)} (cause {@link Cause#IDLE}); 0 turns that off.
 * An evicted stream that comes back starts from a fresh state, as a new stream. Every eviction is
 * counted by cause and reported to the listener.
 *
 * <h2>Batches</h2>
 * The store is used one batch of samples at a time. {@link #beginBatch()} starts one; every stream
 * {@link #acquire acquired} in it is pinned until the next batch begins, so that a batch with
 * more distinct streams than {@code maxStreams} never evicts a stream whose state it is still
 * stepping: the store then holds more than its bound for the rest of the batch, and
 * {@link #trim()} brings it back to the bound once the batch is done.
 *
 * <h2>Costs</h2>
 * Streams are kept in a {@link LinkedHashMap} in access order, which is both the LRU order and the
 * order of processing time of the last sample: a lookup moves the stream to the young end, capacity
 * eviction and idle expiry take from the old end and stop at the first stream that stays, so each
 * costs O(streams evicted). The vectors of a stream are one {@code float[]}; the entries of evicted
 * streams are kept in a small pool and reused for new streams, so a steady state of streams coming
 * and going allocates only the map's node per new stream.
 *
 * <p>Not thread-safe: one store per pipeline, used by the processor's loop thread only.
 */
public final class StreamStateStore {
    /** Why a stream's state was evicted; the id is what an eviction announcement says. */
    public enum Cause {
        /** The store was full and this was the least recently used stream. */
        CAPACITY("capacity"),
        /** No sample for the idle time-to-live. */
        IDLE("idle");

        public final String id;

        Cause(String id) {
            this.id = id;
        }
    }

    /** Told of every eviction, after the stream has been removed. */
    @FunctionalInterface
    public interface EvictionListener {
        /**
         * @param lastEventTime event time of the stream's last sample ({@link Long#MIN_VALUE}: none)
         * @param steps         samples since the stream's state was (re)started
         * @param source        where its last sample came from ({@link Entry#source()}), -1: unknown
         */
        void evicted(String stream, Cause cause, long lastEventTime, long steps, int source);
    }

    /** No event time yet. */
    public static final long NO_TIME = Long.MIN_VALUE;
    private static final int POOL = 256;

    /**
     * One stream's state. {@code vectors} holds, per layer l, h at {@code [2 l H, 2 l H + H)} and c
     * at {@code [2 l H + H, 2 (l + 1) H)} for an LSTM, h only at {@code [l H, (l + 1) H)} otherwise;
     * then the model's {@link #extraWidth() extra} values ({@link io.nowcast.nn.RecurrentState#extra}).
     */
    public static final class Entry {
        String stream;
        /** The state's values (read and written by the runners, the changelog and the tests that make states). */
        public final float[] vectors;
        public long lastEventTime = NO_TIME;
        public long steps;
        long lastTouchedMs;
        /** The batch this stream was last acquired in (pins it against capacity eviction). */
        long batch = -1;
        /** Where its last sample came from, as the caller numbers sources (the processor: its partitions). */
        int source = -1;
        /** Pending samples of the current batch: indexes into the batch, a linked list through the runner's array. */
        int head = -1;
        int tail = -1;
        /**
         * The one-step-ahead values of the stream's last prediction that the next sample is compared
         * with (the runner's live error), valid if {@code hasPrediction}; made by the runner, kept
         * when the entry is reused.
         */
        float[] predicted;
        boolean hasPrediction;
        /**
         * Frame pipelines ({@link FrameRunner}): the stream's previous output frame, {@code frameWidth x
         * frameHeight} grey levels row-major at the start of {@code frame}; {@code frameWidth} 0: none (the
         * next frame is its own previous). The array is kept when the entry is reused.
         */
        float[] frame;
        int frameWidth;
        int frameHeight;

        Entry(int size) {
            this.vectors = new float[size];
        }

        public String stream() {
            return stream;
        }

        public long lastEventTime() {
            return lastEventTime;
        }

        public long steps() {
            return steps;
        }

        public int source() {
            return source;
        }

        /** A fresh state: zero vectors, no steps, no previous frame. The last event time is kept. */
        void resetState() {
            Arrays.fill(vectors, 0f);
            steps = 0;
            hasPrediction = false;
            frameWidth = 0;
            frameHeight = 0;
        }

        /** Keeps {@code width x height} values of {@code pixels} from {@code offset} as the stream's previous frame. */
        void keepFrame(float[] pixels, int offset, int width, int height) {
            int n = width * height;
            if (frame == null || frame.length < n) {
                frame = new float[n];
            }
            System.arraycopy(pixels, offset, frame, 0, n);
            frameWidth = width;
            frameHeight = height;
        }

        /** Whether the stream has a previous frame of that size. */
        boolean hasFrame(int width, int height) {
            return frameWidth == width && frameHeight == height && width > 0;
        }
    }

    private final int layers;
    private final int extra;
    private final int hidden;
    private final boolean cell;
    private final int maxStreams;
    private final long idleTtlMs;
    private final EvictionListener listener;
    private final LinkedHashMap<String, Entry> streams;
    private final ArrayDeque<Entry> pool = new ArrayDeque<>();
    private final long[] evictions = new long[Cause.values().length];
    private long batch;
    private long created;

    /**
     * @param layers     recurrent layers of the model
     * @param hidden     hidden size of each layer
     * @param cell       whether the layers have cell vectors (LSTM)
     * @param maxStreams most streams kept (outside a batch)
     * @param idleTtlMs  processing time without a sample after which a stream is evicted; 0: never
     * @param listener   told of every eviction; may be null
     */
    public StreamStateStore(int layers, int hidden, boolean cell, int maxStreams, long idleTtlMs, EvictionListener listener) {
        this(layers, hidden, cell, 0, maxStreams, idleTtlMs, listener);
    }

    /**
     * A store whose streams also keep {@code extra} values beside the layers (a series denoiser's
     * smoothing: {@link io.nowcast.model.SeriesDenoiser#extraWidth}).
     */
    public StreamStateStore(int layers, int hidden, boolean cell, int extra, int maxStreams, long idleTtlMs,
                            EvictionListener listener) {
        if (layers < 1 || hidden < 1 || extra < 0 || maxStreams < 1 || idleTtlMs < 0) {
            throw new IllegalArgumentException("layers " + layers + ", hidden " + hidden + ", extra " + extra
                    + ", maxStreams " + maxStreams + ", idleTtlMs " + idleTtlMs);
        }
        this.extra = extra;
        this.layers = layers;
        this.hidden = hidden;
        this.cell = cell;
        this.maxStreams = maxStreams;
        this.idleTtlMs = idleTtlMs;
        this.listener = listener;
        // grown as streams come rather than sized for the bound: a table far larger than the
        // streams present spreads them over memory, and every lookup misses the cache
        this.streams = new LinkedHashMap<>(16, 0.75f, true);
    }

    /** Starts a batch: streams acquired from now on are pinned until the next one begins. */
    public void beginBatch() {
        batch++;
    }

    /**
     * The state of a stream, created fresh (zero vectors, no event time, no steps) if the store does
     * not hold it; either way it becomes the most recently used and is pinned for this batch. A new
     * stream in a full store evicts the least recently used stream that is not pinned.
     *
     * @param nowMs processing time, for the idle time-to-live
     */
    public Entry acquire(String stream, long nowMs) {
        Entry e = streams.get(stream);
        if (e == null) {
            if (streams.size() >= maxStreams) {
                evictEldest(Cause.CAPACITY, true);
            }
            e = pool.poll();
            if (e == null) {
                e = new Entry(vectorSize());
            } else {
                Arrays.fill(e.vectors, 0f);
            }
            e.stream = stream;
            e.lastEventTime = NO_TIME;
            e.steps = 0;
            e.hasPrediction = false;
            e.frameWidth = 0;
            e.frameHeight = 0;
            e.batch = -1;
            e.source = -1;
            e.head = -1;
            e.tail = -1;
            streams.put(stream, e);
            created++;
        }
        e.lastTouchedMs = nowMs;
        e.batch = batch;
        return e;
    }

    /** Whether the entry was acquired in the current batch (so it is pinned). */
    private boolean pinned(Entry e) {
        return e.batch == batch;
    }

    /** The stream's state, or null if the store does not hold it (does not touch it). */
    public Entry peek(String stream) {
        return streams.get(stream);
    }

    /**
     * The entry a restored state is written into: the stream's, or a fresh one (zero vectors, no
     * event time, no steps) that becomes the most recently used. Never evicts: restoring more streams
     * than the bound overflows the store until the next {@link #trim()}. Call it between batches.
     */
    public Entry restore(String stream, long nowMs) {
        Entry e = streams.get(stream);
        if (e == null) {
            e = pool.poll();
            if (e == null) {
                e = new Entry(vectorSize());
            }
            e.stream = stream;
            e.batch = -1;
            e.head = -1;
            e.tail = -1;
            e.frameWidth = 0;
            e.frameHeight = 0;
            streams.put(stream, e);
        }
        e.lastTouchedMs = nowMs;
        e.source = -1;
        return e;
    }

    /** Removes the stream without counting or announcing it (a tombstone read on restore); false if not held. */
    public boolean remove(String stream) {
        Entry e = streams.remove(stream);
        if (e == null) {
            return false;
        }
        recycle(e);
        return true;
    }

    /** Whether the store holds the stream (does not touch it). */
    public boolean contains(String stream) {
        return streams.containsKey(stream);
    }

    /**
     * Evicts every stream idle for the time-to-live or longer (cause {@link Cause#IDLE}). Call it
     * between batches (it ignores pins).
     *
     * @return the number evicted
     */
    public int expire(long nowMs) {
        if (idleTtlMs == 0) {
            return 0;
        }
        int n = 0;
        Iterator<Entry> it = streams.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (nowMs - e.lastTouchedMs < idleTtlMs) {
                break; // access order: every younger stream was touched later
            }
            it.remove();
            evicted(e, Cause.IDLE);
            n++;
        }
        return n;
    }

    /**
     * Evicts least recently used streams (cause {@link Cause#CAPACITY}) until the store is within
     * its bound, pinned ones included: call it once a batch is done.
     */
    public int trim() {
        int n = 0;
        while (streams.size() > maxStreams) {
            evictEldest(Cause.CAPACITY, false);
            n++;
        }
        return n;
    }

    /**
     * Removes, without counting or announcing it, every stream the predicate selects (the streams of
     * partitions this instance no longer owns).
     *
     * @return the number removed
     */
    public int removeIf(Predicate<Entry> which) {
        int n = 0;
        Iterator<Entry> it = streams.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (which.test(e)) {
                it.remove();
                recycle(e);
                n++;
            }
        }
        return n;
    }

    /**
     * A store of another state shape holding the same streams, in the same order (least recently used
     * first), each with a fresh state: zero vectors, no steps, no prediction to compare. The last
     * event time, the last touch and the source of each stream are kept, so out-of-order checks,
     * idle expiry and partition moves go on as before; the bounds, the eviction counts and the
     * listener are those of this store. For a model swap between batches, when the new model's
     * state has another shape; this store is not to be used afterwards.
     */
    public StreamStateStore reshaped(int layers, int hidden, boolean cell) {
        StreamStateStore s = new StreamStateStore(layers, hidden, cell, extra, maxStreams, idleTtlMs, listener);
        System.arraycopy(evictions, 0, s.evictions, 0, evictions.length);
        s.batch = batch;
        s.created = created;
        for (Entry e : streams.values()) {
            Entry n = new Entry(s.vectorSize());
            n.stream = e.stream;
            n.lastEventTime = e.lastEventTime;
            n.lastTouchedMs = e.lastTouchedMs;
            n.batch = e.batch;
            n.source = e.source;
            s.streams.put(n.stream, n);
        }
        return s;
    }

    /** Forgets every stream's last prediction, so the next sample is compared with none (the live error). */
    void clearPredictions() {
        for (Entry e : streams.values()) {
            e.hasPrediction = false;
        }
    }

    private void evictEldest(Cause cause, boolean skipPinned) {
        Iterator<Entry> it = streams.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (skipPinned && pinned(e)) {
                // pinned streams are the youngest (acquired in this batch): none older is left, so
                // the batch has more streams than the bound and the store overflows until trim()
                return;
            }
            it.remove();
            evicted(e, cause);
            return;
        }
    }

    private void evicted(Entry e, Cause cause) {
        evictions[cause.ordinal()]++;
        String stream = e.stream;
        long last = e.lastEventTime;
        long steps = e.steps;
        int source = e.source;
        recycle(e);
        if (listener != null) {
            listener.evicted(stream, cause, last, steps, source);
        }
    }

    private void recycle(Entry e) {
        e.stream = null;
        if (pool.size() < POOL) {
            pool.push(e);
        }
    }

    /** Streams held now. */
    public int size() {
        return streams.size();
    }

    public int maxStreams() {
        return maxStreams;
    }

    public long idleTtlMs() {
        return idleTtlMs;
    }

    /** Evictions so far for that cause. */
    public long evictions(Cause cause) {
        return evictions[cause.ordinal()];
    }

    /** Streams created so far (first samples, and returns after an eviction). */
    public long created() {
        return created;
    }

    /** Floats of state per stream: the layers' vectors and the extra values. */
    public int vectorSize() {
        return layers * hidden * (cell ? 2 : 1) + extra;
    }

    /** Values per stream kept after the layers' vectors (0 for most models). */
    public int extraWidth() {
        return extra;
    }

    public int layers() {
        return layers;
    }

    public int hiddenSize() {
        return hidden;
    }

    public boolean hasCell() {
        return cell;
    }
}
