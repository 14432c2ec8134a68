package io.nowcast.stream;

import io.nowcast.model.ModelSpec;

/**
 * Sees each prediction of one pipeline as it is made: a live view (the dashboard) taps the
 * processor here instead of reading its output topic back.
 *
 * <p>Called from the processor's loop thread, once per prediction, before the prediction is handed
 * to the producer. An implementation must return quickly and never block (it runs on the hot
 * path: the usual one looks the stream up in a small table and returns), must not throw, and must
 * not keep the arrays it is given, which are reused: it copies what it keeps. It may be read from
 * other threads only through its own synchronisation.
 */
@FunctionalInterface
public interface PredictionTap {
    /**
     * One prediction.
     *
     * @param stream    the stream id
     * @param eventTime the event time of the sample it was made from (ms)
     * @param sample    that sample's values (the model's {@code inputSize}), read only
     * @param out       the model's output row at {@code off}: {@code outputSize} predicted values,
     *                  target by target (target k's value h+1 steps ahead at
     *                  {@code off + k * horizon + h}), then, for a Gaussian head, their
     *                  {@code outputSize} standard deviations in the same order; read only
     */
    void prediction(String stream, long eventTime, float[] sample, float[] out, int off);

    /** Taps nothing. */
    PredictionTap NONE = (stream, eventTime, sample, out, off) -> {
    };

    /**
     * Makes the tap of each pipeline: before the processor runs, and again in the loop thread when
     * a pipeline's model is swapped for another version (whose outputs may be laid out differently).
     */
    @FunctionalInterface
    interface Factory {
        /**
         * @param pipeline the pipeline's name
         * @param spec     its model's description (inputs, targets, horizon, head); not to be modified
         * @return the pipeline's tap, {@link #NONE} for none
         */
        PredictionTap forPipeline(String pipeline, ModelSpec spec);
    }
}
