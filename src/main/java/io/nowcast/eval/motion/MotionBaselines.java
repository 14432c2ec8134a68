package io.nowcast.eval.motion;

/**
 * The two baselines of short-term motion prediction, no learning, nothing but the observed poses.
 * Zero velocity is the one Martinez et al. (CVPR 2017, {@code baselines.py}, "running average 1")
 * and Li et al. (CVPR 2018, {@code zero_velocity.py}) report; constant velocity is its first-order
 * counterpart, extrapolated in the exponential-map angles the models predict.
 */
public final class MotionBaselines {
    private MotionBaselines() {
    }

    /** The last observed pose, held: p(n-1+k) = p(n-1). */
    public static MotionPredictor zeroVelocity() {
        return (obs, dim, frames) -> {
            int n = observedFrames(obs, dim, 1);
            float[] out = new float[frames * dim];
            for (int k = 0; k < frames; k++) {
                System.arraycopy(obs, (n - 1) * dim, out, k * dim, dim);
            }
            return out;
        };
    }

    /** The last observed difference, carried forward: p(n-1+k) = p(n-1) + k (p(n-1) - p(n-2)). */
    public static MotionPredictor constantVelocity() {
        return (obs, dim, frames) -> {
            int n = observedFrames(obs, dim, 2);
            float[] out = new float[frames * dim];
            for (int j = 0; j < dim; j++) {
                double last = obs[(n - 1) * dim + j];
                double v = last - obs[(n - 2) * dim + j];
                for (int k = 1; k <= frames; k++) {
                    out[(k - 1) * dim + j] = (float) (last + k * v);
                }
            }
            return out;
        };
    }

    private static int observedFrames(float[] obs, int dim, int atLeast) {
        if (dim < 1 || obs.length % dim != 0 || obs.length / dim < atLeast) {
            throw new IllegalArgumentException("expected at least " + atLeast + " observed frames of " + dim + " values, found "
                    + obs.length + " values");
        }
        return obs.length / dim;
    }
}
