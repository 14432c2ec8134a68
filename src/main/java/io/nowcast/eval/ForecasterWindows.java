package io.nowcast.eval;

import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.RecurrentState;

import java.util.List;

/**
 * A forecaster as a window predictor, run as the processor runs it: from a zero state, the L
 * input values one sample at a time through {@link Forecaster#step}; the outputs of the last step,
 * {@code c+1 .. c+H}, are the prediction (a Gaussian head's means). The model reads one column and
 * predicts that column with a horizon of at least the one asked for.
 */
public final class ForecasterWindows implements WindowPredictor {
    private final Forecaster model;
    private final float[] in = new float[1];
    private final float[] out;
    private final float[] scratch;

    public ForecasterWindows(Forecaster model, String column, int horizon) {
        ModelSpec spec = model.spec();
        if (!List.of(column).equals(spec.inputFeatures) || !List.of(column).equals(spec.targets)
                || spec.head == ModelSpec.Head.NONE || spec.horizon < horizon) {
            throw new IllegalArgumentException("a model for this task reads [" + column + "] and predicts it " + horizon
                    + " steps ahead; model " + spec.name + " reads " + spec.inputFeatures + " and predicts " + spec.targets
                    + " " + spec.horizon + " step(s) ahead with a " + spec.head.id() + " head");
        }
        this.model = model;
        this.out = new float[model.outputWidth()];
        this.scratch = new float[model.scratchSize(1)];
    }

    @Override
    public float[] predict(float[] input, int horizon) {
        RecurrentState state = model.net().newState(1);
        for (float v : input) {
            in[0] = v;
            model.step(in, state, out, scratch);
        }
        return java.util.Arrays.copyOf(out, horizon);
    }
}
