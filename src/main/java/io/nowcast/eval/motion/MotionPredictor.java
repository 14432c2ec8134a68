package io.nowcast.eval.motion;

import io.nowcast.data.motion.MotionStats;

/** Predicts the next poses of a skeleton from its last ones. */
@FunctionalInterface
public interface MotionPredictor {
    /**
     * @param observed the observed frames (n, dim) row-major, oldest first, exponential-map angles
     *                 as read (data units), one subsampled frame apart
     * @param dim      values a frame
     * @param frames   how many frames to predict
     * @return the next {@code frames} frames (frames, dim), in data units, starting one frame after the last observed
     */
    float[] predict(float[] observed, int dim, int frames);

    /**
     * A model that works as the literature's models do, on the normalised used dimensions of
     * {@code stats} ({@link MotionStats#normalise}: (x - mean) / std, the dimensions that never
     * vary in training left out), as a predictor in data units: the observed frames are
     * normalised for it, and its frames restored ({@link MotionStats#restore}, the left-out
     * dimensions back as the training mean).
     */
    static MotionPredictor normalised(MotionStats stats, MotionPredictor model) {
        return (obs, dim, frames) -> {
            if (dim != stats.dim) {
                throw new IllegalArgumentException("frames of " + dim + " values, the statistics have " + stats.dim);
            }
            double[] x = stats.restore(model.predict(stats.normalise(obs), stats.used.length, frames));
            float[] out = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = (float) x[i];
            }
            return out;
        };
    }
}
