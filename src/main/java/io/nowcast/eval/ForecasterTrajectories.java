package io.nowcast.eval;

import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.RecurrentState;

import java.util.List;

/**
 * A forecaster as a trajectory predictor, run exactly as the processor runs it: one stream, from
 * a zero state, one sample at a time through {@link Forecaster#step}. The model reads a
 * pedestrian's displacement since the previous sample ({@code dx, dy}, metres per step) and
 * predicts the future displacements ({@code targets dx, dy}). From n observed positions it is fed
 * the n-1 observed displacements; then
 * <ul>
 * <li>a model of horizon at least the steps asked for gives them all at once: the last step's
 * outputs {@code dx+1..dx+k, dy+1..dy+k};</li>
 * <li>a shorter horizon rolls out: the predicted next displacement ({@code dx+1, dy+1}) is fed
 * back as the next sample, and so on.</li>
 * </ul>
 * Positions are the last observed one plus the running sum of the displacements. A Gaussian
 * head's means are used. Whatever the model does to its inputs and outputs (standardisation, a
 * frame, a constant-velocity base) happens inside {@link Forecaster#step}.
 */
public final class ForecasterTrajectories implements TrajectoryPredictor {
    public static final List<String> FEATURES = List.of("dx", "dy");

    private final Forecaster model;
    private final int horizon;
    private final float[] in = new float[2];
    private final float[] out;
    private final float[] scratch;

    public ForecasterTrajectories(Forecaster model) {
        ModelSpec spec = model.spec();
        if (!FEATURES.equals(spec.inputFeatures) || !FEATURES.equals(spec.targets) || spec.head == ModelSpec.Head.NONE) {
            throw new IllegalArgumentException("a trajectory model reads the features " + FEATURES + " (displacement since"
                    + " the previous sample) and predicts the targets " + FEATURES + "; model " + spec.name + " reads "
                    + spec.inputFeatures + " and predicts " + spec.targets + " with a " + spec.head.id() + " head");
        }
        this.model = model;
        this.horizon = spec.horizon;
        this.out = new float[model.outputWidth()];
        this.scratch = new float[model.scratchSize(1)];
    }

    @Override
    public float[] predict(float[] observed, int steps) {
        int n = observed.length / 2;
        if (n < 2) {
            throw new IllegalArgumentException("a trajectory model needs at least 2 observed positions");
        }
        RecurrentState state = model.net().newState(1);
        for (int t = 1; t < n; t++) {
            in[0] = observed[2 * t] - observed[2 * t - 2];
            in[1] = observed[2 * t + 1] - observed[2 * t - 1];
            model.step(in, state, out, scratch);
        }
        float[] pos = new float[2 * steps];
        double x = observed[2 * n - 2];
        double y = observed[2 * n - 1];
        int H = horizon;
        float dx = 0;
        float dy = 0;
        for (int k = 0; k < steps; k++) {
            if (H >= steps) {
                dx = out[k];
                dy = out[H + k];
            } else {
                if (k > 0) {
                    in[0] = dx;
                    in[1] = dy;
                    model.step(in, state, out, scratch);
                }
                dx = out[0];
                dy = out[H];
            }
            x += dx;
            y += dy;
            pos[2 * k] = (float) x;
            pos[2 * k + 1] = (float) y;
        }
        return pos;
    }
}
