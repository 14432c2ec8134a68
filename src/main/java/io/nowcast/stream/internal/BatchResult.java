package io.nowcast.stream.internal;

import io.nowcast.codec.RejectReason;

import java.util.ArrayList;
import java.util.List;

/**
 * What a runner made of one batch, in the order it was made: an output per input that was
 * stepped, a rejection per input that was refused, and every stream its state store evicted
 * meanwhile (the result is the store's {@link StreamStateStore.EvictionListener}). The runner
 * fills it and returns it; its pipeline then reads it ({@link #replay}) and writes the records, so
 * nothing the runner does calls back into the processor.
 *
 * <p>Reused from batch to batch ({@link #clear}). Not thread-safe: the processor's loop thread only.
 */
public final class BatchResult implements StreamStateStore.EvictionListener {
    /** Reads a result, entry by entry in the order they were made. */
    public interface Reader {
        /**
         * The output (a prediction, or an output frame) for the input at {@code index} of the batch
         * (of event time {@code eventTime}), the {@code step}-th of its stream since its state was
         * (re)started.
         */
        void output(int index, String stream, long eventTime, long step, byte[] value);

        /** The input at {@code index} of the batch, of {@code stream}, cannot be processed. */
        void rejected(int index, String stream, RejectReason reason, String message);

        /** A stream's state was evicted ({@link StreamStateStore.EvictionListener#evicted}). */
        default void evicted(String stream, StreamStateStore.Cause cause, long lastEventTime, long steps, int source) {
        }
    }

    private sealed interface Entry {
    }

    private record Output(int index, String stream, long eventTime, long step, byte[] value) implements Entry {
    }

    private record Rejected(int index, String stream, RejectReason reason, String message) implements Entry {
    }

    private record Evicted(String stream, StreamStateStore.Cause cause, long lastEventTime, long steps, int source)
            implements Entry {
    }

    private final List<Entry> entries = new ArrayList<>();

    void output(int index, String stream, long eventTime, long step, byte[] value) {
        entries.add(new Output(index, stream, eventTime, step, value));
    }

    void rejected(int index, String stream, RejectReason reason, String message) {
        entries.add(new Rejected(index, stream, reason, message));
    }

    @Override
    public void evicted(String stream, StreamStateStore.Cause cause, long lastEventTime, long steps, int source) {
        entries.add(new Evicted(stream, cause, lastEventTime, steps, source));
    }

    /** Hands every entry to the reader, in order. */
    public void replay(Reader reader) {
        for (Entry e : entries) {
            if (e instanceof Output o) {
                reader.output(o.index(), o.stream(), o.eventTime(), o.step(), o.value());
            } else if (e instanceof Rejected r) {
                reader.rejected(r.index(), r.stream(), r.reason(), r.message());
            } else if (e instanceof Evicted v) {
                reader.evicted(v.stream(), v.cause(), v.lastEventTime(), v.steps(), v.source());
            }
        }
    }

    /** Entries held. */
    public int size() {
        return entries.size();
    }

    /** Forgets every entry (after they are written). */
    public void clear() {
        entries.clear();
    }
}
