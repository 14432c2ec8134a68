package io.nowcast.eval;

import io.nowcast.train.SequenceTrainer;

import java.util.ArrayList;
import java.util.List;

/**
 * Training sequences for a trajectory forecaster from the protocol's windows, laid out as the
 * model will meet them in the processor: a window's positions p0..p(L-1) become the displacements
 * d1..d(L-1) (dx, dy), and the model reads the {@code observed - 1} observed ones, one per step. At
 * step t (after reading d1..dt) the targets are the next {@code horizon} displacements
 * d(t+1)..d(t+horizon), target by target ({@code dx+1..dx+H, dy+1..dy+H}), minus dt when the model
 * predicts relative to its input (a correction to constant velocity). Every observed step is scored,
 * or only the last one (the protocol's prediction point); steps whose future leaves the window are
 * not scored.
 *
 * <p>Displacements are standardised by one scale shared by dx and dy and no mean, so that a
 * rotation or a mirror image commutes with the standardisation: {@link #rotations} can then turn
 * the standardised sequences themselves.
 */
public final class TrajectorySequences {
    private TrajectorySequences() {
    }

    /** Root mean square of the displacement components over the windows' observed steps. */
    public static float inputScale(List<TrajectoryWindows.Window> windows, int observed) {
        double sq = 0;
        long n = 0;
        for (TrajectoryWindows.Window w : windows) {
            float[] p = w.xy();
            for (int t = 1; t < observed; t++) {
                for (int d = 0; d < 2; d++) {
                    double v = p[2 * t + d] - p[2 * t - 2 + d];
                    sq += v * v;
                    n++;
                }
            }
        }
        return scale(sq, n);
    }

    /** Root mean square of the target components (as {@link #of} makes them, before scaling). */
    public static float targetScale(List<TrajectoryWindows.Window> windows, int observed, int horizon, boolean relative,
                                    boolean everyStep) {
        double sq = 0;
        long n = 0;
        for (TrajectoryWindows.Window w : windows) {
            float[] y = targets(w, observed, horizon, relative, everyStep, 1f);
            for (float v : y) {
                if (!Float.isNaN(v)) {
                    sq += (double) v * v;
                    n++;
                }
            }
        }
        return scale(sq, n);
    }

    private static float scale(double sq, long n) {
        double s = Math.sqrt(sq / Math.max(1, n));
        return s > 1e-9 && Double.isFinite(s) ? (float) s : 1f;
    }

    /** One sequence per window: inputs divided by {@code inScale}, targets by {@code outScale}. */
    public static List<SequenceTrainer.Sequence> of(List<TrajectoryWindows.Window> windows, int observed, int horizon,
                                                    boolean relative, boolean everyStep, float inScale, float outScale) {
        if (observed < 2) {
            throw new IllegalArgumentException("a trajectory model needs at least 2 observed positions");
        }
        List<SequenceTrainer.Sequence> out = new ArrayList<>(windows.size());
        int T = observed - 1;
        for (TrajectoryWindows.Window w : windows) {
            float[] p = w.xy();
            float[] x = new float[2 * T];
            for (int t = 1; t <= T; t++) {
                x[2 * (t - 1)] = (p[2 * t] - p[2 * t - 2]) / inScale;
                x[2 * (t - 1) + 1] = (p[2 * t + 1] - p[2 * t - 1]) / inScale;
            }
            out.add(new SequenceTrainer.Sequence(x, targets(w, observed, horizon, relative, everyStep, outScale), T));
        }
        return out;
    }

    private static float[] targets(TrajectoryWindows.Window w, int observed, int horizon, boolean relative,
                                   boolean everyStep, float outScale) {
        float[] p = w.xy();
        int L = w.length();
        int T = observed - 1;
        int O = 2 * horizon;
        float[] y = new float[T * O];
        java.util.Arrays.fill(y, Float.NaN);
        for (int t = everyStep ? 1 : T; t <= T; t++) {
            float bx = relative ? p[2 * t] - p[2 * t - 2] : 0f;
            float by = relative ? p[2 * t + 1] - p[2 * t - 1] : 0f;
            for (int k = 1; k <= horizon && t + k < L; k++) {
                int s = t + k;
                y[(t - 1) * O + k - 1] = (p[2 * s] - p[2 * s - 2] - bx) / outScale;
                y[(t - 1) * O + horizon + k - 1] = (p[2 * s + 1] - p[2 * s - 1] - by) / outScale;
            }
        }
        return y;
    }

    /**
     * Turns every sequence by a random angle (uniform on the circle) and, with {@code mirror}, mirrors
     * it across the x axis half of the time: the inputs' (dx, dy) pairs and the targets' (dx+k, dy+k)
     * pairs alike. Pedestrians walk the same way whichever way the camera looks.
     */
    public static SequenceTrainer.Augmentation rotations(int horizon, boolean mirror) {
        return (s, rng) -> {
            double a = 2 * Math.PI * rng.nextDouble();
            float c = (float) Math.cos(a);
            float sn = (float) Math.sin(a);
            float f = mirror && rng.nextDouble() < 0.5 ? -1f : 1f;
            int T = s.length();
            float[] x = s.x().clone();
            float[] y = s.y().clone();
            for (int t = 0; t < T; t++) {
                turn(x, 2 * t, 2 * t + 1, c, sn, f);
                for (int k = 0; k < horizon; k++) {
                    turn(y, t * 2 * horizon + k, t * 2 * horizon + horizon + k, c, sn, f);
                }
            }
            return new SequenceTrainer.Sequence(x, y, T);
        };
    }

    /**
     * Measurement noise on the observed positions: a share {@code share} of the windows (drawn
     * afresh each time) draws a level sigma uniformly in [0, {@code maxSigma}] metres, and each observed position p0..p(T) moves by independent
     * N(0, sigma^2) in x and y. The inputs become the noisy displacements; the targets stay the
     * true future, now seen from the noisy present: the first step ahead of step t is
     * p(t+1) - (p(t) + noise(t)) (the further ones are unchanged), and with {@code relative} the
     * base is the noisy current displacement. The model thus learns to smooth as much as the
     * jitter of its inputs asks, as on the hand-annotated BIWI scenes, while the interpolated UCY
     * tracks are nearly noise-free.
     *
     * @param inScale  the inputs' standardisation scale (metres per unit)
     * @param outScale the targets' standardisation scale
     */
    public static SequenceTrainer.Augmentation noise(int horizon, boolean relative, float inScale, float outScale,
                                                     float maxSigma, double share) {
        return (s, rng) -> {
            if (rng.nextDouble() >= share) {
                return s;
            }
            int T = s.length();
            int O = 2 * horizon;
            double sigma = maxSigma * rng.nextDouble();
            // noise of positions 0..T (T displacements read, positions 0..T observed)
            double[] n = new double[2 * (T + 1)];
            for (int i = 0; i < n.length; i++) {
                n[i] = sigma * rng.nextGaussian();
            }
            float[] x = new float[2 * T];
            for (int t = 0; t < T; t++) {
                for (int d = 0; d < 2; d++) {
                    x[2 * t + d] = s.x()[2 * t + d] + (float) ((n[2 * (t + 1) + d] - n[2 * t + d]) / inScale);
                }
            }
            float[] y = s.y().clone();
            for (int t = 0; t < T; t++) {
                for (int d = 0; d < 2; d++) {
                    // raw change of base: the current displacement moved by the noise (relative targets only)
                    double baseShift = relative ? (x[2 * t + d] - s.x()[2 * t + d]) * inScale : 0;
                    for (int k = 0; k < horizon; k++) {
                        int i = t * O + d * horizon + k;
                        if (Float.isNaN(y[i])) {
                            continue;
                        }
                        double raw = -baseShift;
                        if (k == 0) {
                            raw -= n[2 * (t + 1) + d]; // from the noisy present position t+1 (in 0..T)
                        }
                        y[i] = (float) (y[i] + raw / outScale);
                    }
                }
            }
            return new SequenceTrainer.Sequence(x, y, T);
        };
    }

    /** One augmentation after the other. */
    public static SequenceTrainer.Augmentation then(SequenceTrainer.Augmentation a, SequenceTrainer.Augmentation b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return (s, rng) -> b.apply(a.apply(s, rng), rng);
    }

    private static void turn(float[] v, int i, int j, float c, float s, float f) {
        float a = v[i];
        float b = f * v[j];
        v[i] = c * a - s * b;
        v[j] = s * a + c * b;
    }
}
