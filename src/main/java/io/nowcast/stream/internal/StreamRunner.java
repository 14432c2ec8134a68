package io.nowcast.stream.internal;

/**
 * What the processor asks of a pipeline's runner whatever it runs ({@link PipelineRunner} over
 * samples, {@link FrameRunner} over frames): its state store, idle expiry and its counts.
 * Not thread-safe, like the runners: the processor's loop thread only.
 */
public interface StreamRunner {
    /** The pipeline's state store. */
    StreamStateStore store();

    /** Evicts the streams idle for the store's time-to-live; call between batches. */
    int expireIdle();

    /** Values of the last prediction kept per stream for the live error (0: none). */
    int errorValues();

    /** The counts, for {@link #restoreCounts} (rolled back with an aborted transaction). */
    long[] counts();

    void restoreCounts(long[] c);

    /** Outputs made (predictions, or frames). */
    long predictions();

    /** Out-of-order inputs dropped (late policy {@code drop}). */
    long lateDropped();

    /** Streams restarted from a fresh state after an event-time gap. */
    long gapResets();

    /** Model calls made (batched steps). */
    long batchedSteps();

    /** Rows (streams, or frames) over all model calls. */
    long rowsStepped();
}
