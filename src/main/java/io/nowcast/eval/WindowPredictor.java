package io.nowcast.eval;

/** Predicts the next values of a series from its last ones. */
@FunctionalInterface
public interface WindowPredictor {
    /**
     * @param input   the last L values, oldest first, in data units
     * @param horizon how many values to predict
     * @return the next {@code horizon} values, in data units
     */
    float[] predict(float[] input, int horizon);
}
