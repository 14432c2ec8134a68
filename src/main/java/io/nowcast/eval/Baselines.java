package io.nowcast.eval;

/** The two honest trajectory baselines: no learning, nothing but the observed positions. */
public final class Baselines {
    private Baselines() {
    }

    /**
     * Constant velocity (Schöller et al., RA-L 2020): the last observed displacement, carried
     * forward: p(n-1+k) = p(n-1) + k (p(n-1) - p(n-2)).
     */
    public static TrajectoryPredictor constantVelocity() {
        return (obs, steps) -> {
            int n = obs.length / 2;
            if (n < 2) {
                throw new IllegalArgumentException("constant velocity needs at least 2 observed positions");
            }
            float[] out = new float[2 * steps];
            for (int d = 0; d < 2; d++) {
                double last = obs[2 * (n - 1) + d];
                double v = last - obs[2 * (n - 2) + d];
                for (int k = 1; k <= steps; k++) {
                    out[2 * (k - 1) + d] = (float) (last + k * v);
                }
            }
            return out;
        };
    }

    /**
     * Linear: x and y each fitted by least squares as a + b t over the observed steps t = 0..n-1,
     * then extrapolated to t = n..n+steps-1.
     */
    public static TrajectoryPredictor linear() {
        return (obs, steps) -> {
            int n = obs.length / 2;
            if (n < 2) {
                throw new IllegalArgumentException("a linear fit needs at least 2 observed positions");
            }
            double tm = (n - 1) / 2.0;
            double stt = 0;
            for (int t = 0; t < n; t++) {
                stt += (t - tm) * (t - tm);
            }
            float[] out = new float[2 * steps];
            for (int d = 0; d < 2; d++) {
                double m = 0;
                for (int t = 0; t < n; t++) {
                    m += obs[2 * t + d];
                }
                m /= n;
                double sxt = 0;
                for (int t = 0; t < n; t++) {
                    sxt += (t - tm) * (obs[2 * t + d] - m);
                }
                double b = sxt / stt;
                for (int k = 0; k < steps; k++) {
                    out[2 * k + d] = (float) (m + b * (n + k - tm));
                }
            }
            return out;
        };
    }
}
