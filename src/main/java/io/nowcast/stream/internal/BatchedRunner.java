package io.nowcast.stream.internal;

/**
 * What the two runners ({@link PipelineRunner}, {@link FrameRunner}) share beyond their
 * {@link StreamBatcher}: the counts the batcher keeps, read through the runner. Not thread-safe,
 * like the runners.
 *
 * @param <T> what one call steps: samples or frames
 */
abstract class BatchedRunner<T> implements StreamRunner {
    /** The batching of this runner's inputs; set once by the subclass's constructor. */
    protected StreamBatcher<T> batcher;

    /** The batching of this runner's inputs. */
    StreamBatcher<T> batcher() {
        return batcher;
    }

    @Override
    public long[] counts() {
        return batcher.counts();
    }

    @Override
    public void restoreCounts(long[] c) {
        batcher.restoreCounts(c);
    }

    /** Outputs made (predictions, or output frames). */
    @Override
    public long predictions() {
        return batcher.outputs();
    }

    /** Out-of-order inputs dead-lettered. */
    public long outOfOrder() {
        return batcher.outOfOrder();
    }

    /** Out-of-order inputs dropped (late policy {@code drop}). */
    @Override
    public long lateDropped() {
        return batcher.lateDropped();
    }

    /** Streams restarted from a fresh state after an event-time gap. */
    @Override
    public long gapResets() {
        return batcher.gapResets();
    }

    /** Inputs dead-lettered because the model failed or gave a non-finite result. */
    public long modelErrors() {
        return batcher.modelErrors();
    }

    /** Model calls made (one per round). */
    @Override
    public long batchedSteps() {
        return batcher.calls();
    }

    /** Rows over all model calls: divided by {@link #batchedSteps()}, the mean rows per call. */
    @Override
    public long rowsStepped() {
        return batcher.rows();
    }
}
