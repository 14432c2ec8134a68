package io.nowcast.eval.motion;

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
}
