package io.nowcast.eval.motion;

import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.RecurrentState;

import java.util.List;

/**
 * A forecaster as a motion model on the normalised used dimensions (wrap it in
 * {@link MotionPredictor#normalised} to score it in data units), run as the processor runs it:
 * one stream, from a zero state, one frame at a time through {@link Forecaster#step}. It reads
 * the observed frames; then
 * <ul>
 * <li>a model of horizon at least the frames asked for gives them all at once: the last step's
 * outputs {@code e<j>+1..e<j>+k};</li>
 * <li>a shorter horizon rolls out: the predicted next frame ({@code e<j>+1}) is fed back as the
 * next input, and so on (Martinez et al.'s decoder fed its own prediction).</li>
 * </ul>
 * A model relative to its input adds the present frame inside {@link Forecaster#step}. A Gaussian
 * head's means are used.
 */
public final class ForecasterMotion implements MotionPredictor {
    private final Forecaster model;
    private final int width;
    private final int horizon;
    private final float[] out;
    private final float[] scratch;

    /** The model, which must read and predict exactly {@code features} (those of the benchmark's statistics). */
    public ForecasterMotion(Forecaster model, List<String> features) {
        ModelSpec spec = model.spec();
        if (!features.equals(spec.inputFeatures) || !features.equals(spec.targets) || spec.head == ModelSpec.Head.NONE) {
            throw new IllegalArgumentException("a motion model reads and predicts the " + features.size() + " used"
                    + " dimensions of the benchmark's training statistics (" + String.join(",", features.subList(0,
                    Math.min(3, features.size()))) + ", ...); model " + spec.name + " reads " + spec.inputFeatures.size()
                    + " features and predicts " + spec.targets.size() + " targets with a " + spec.head.id() + " head"
                    + (spec.inputFeatures.size() == features.size() ? " (other dimensions: trained on other statistics)"
                    : ""));
        }
        this.model = model;
        this.width = features.size();
        this.horizon = spec.horizon;
        this.out = new float[model.outputWidth()];
        this.scratch = new float[model.scratchSize(1)];
    }

    @Override
    public float[] predict(float[] observed, int dim, int frames) {
        if (dim != width || observed.length % dim != 0 || observed.length == 0) {
            throw new IllegalArgumentException("expected observed frames of " + width + " normalised values, found "
                    + observed.length + " values of frames of " + dim);
        }
        int n = observed.length / dim;
        RecurrentState state = model.net().newState(1);
        float[] in = new float[width];
        for (int t = 0; t < n; t++) {
            System.arraycopy(observed, t * width, in, 0, width);
            model.step(in, state, out, scratch);
        }
        float[] pred = new float[frames * width];
        int H = horizon;
        for (int k = 0; k < frames; k++) {
            if (H >= frames) {
                for (int j = 0; j < width; j++) {
                    pred[k * width + j] = out[j * H + k];
                }
            } else {
                if (k > 0) {
                    System.arraycopy(pred, (k - 1) * width, in, 0, width);
                    model.step(in, state, out, scratch);
                }
                for (int j = 0; j < width; j++) {
                    pred[k * width + j] = out[j * H];
                }
            }
        }
        return pred;
    }
}
