package io.nowcast.eval;

/** Predicts where a pedestrian will be from where they were. */
@FunctionalInterface
public interface TrajectoryPredictor {
    /**
     * @param observed positions (n, 2) in metres, oldest first, one step (0.4 s) apart
     * @param steps    how many future steps to predict
     * @return the predicted positions (steps, 2), one step apart, starting one step after the last observed
     */
    float[] predict(float[] observed, int steps);
}
