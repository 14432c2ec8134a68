package io.nowcast.eval.motion;

import io.nowcast.data.motion.MotionStats;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Euler-angle error of a predictor on one action's test windows, as the short-term protocol
 * reports it (Martinez et al.'s {@code translate.py} and {@code baselines.py}, a port of Jain et
 * al.'s {@code motionGenerationError.m}; Li et al.'s {@code zero_velocity.py} and
 * {@code compute_test_error} for CMU). For each window:
 * <ol>
 * <li>the true frames and the predicted ones go through the training normalisation and back
 * ({@link MotionStats#normalise}, {@link MotionStats#restore}), so the dimensions left out of the
 * model hold the training mean in both, as {@code unNormalizeData} leaves them;</li>
 * <li>each frame becomes Euler angles with the global position and rotation zeroed
 * ({@link Rotations#poseToEuler});</li>
 * <li>the scored dimensions are those whose population standard deviation over the window's true
 * frames (observed and future, 75 for CMU) exceeds 1e-4, as Li et al. choose them
 * ({@code idx_to_use = np.where(np.std(srnn_gts_euler[action][i], 0) > 1e-4)});</li>
 * <li>the error of predicted frame k is sqrt(sum over the scored dimensions d of
 * (truth[observed + k - 1][d] - prediction[k - 1][d])^2).</li>
 * </ol>
 * The errors are then averaged over the windows, frame by frame ({@code np.mean(mean_errors, 0)}).
 * (Martinez et al.'s {@code baselines.py} takes the standard deviation over the predicted frames
 * only and {@code translate.py} over the prediction; for the baselines, whose prediction is built
 * from the window's own poses, a dimension constant over the window adds nothing either way.)
 *
 * @param action  the action
 * @param error   the mean error of each predicted frame, radians; error[k - 1] for frame k
 * @param windows how many windows were averaged
 */
public record MotionScore(String action, double[] error, int windows) {
    public MotionScore {
        error = error.clone();
    }

    @Override
    public double[] error() {
        return error.clone();
    }

    /** The mean error of predicted frame {@code k} (1-based). */
    public double atFrame(int k) {
        return error[k - 1];
    }

    /** The mean error at {@code ms} milliseconds under {@code protocol}. */
    public double atMs(MotionProtocol protocol, int ms) {
        return atFrame(protocol.horizonFrame(ms));
    }

    /** The errors of each window of one action, (windows, predicted) row-major, before averaging. */
    private static double[] perWindow(MotionProtocol protocol, List<MotionProtocol.Window> windows, MotionStats stats,
                              MotionPredictor predictor) {
        int obs = protocol.observed();
        int steps = protocol.predicted();
        double[] out = new double[windows.size() * steps];
        for (int w = 0; w < windows.size(); w++) {
            MotionProtocol.Window win = windows.get(w);
            int dim = win.dim();
            if (dim != stats.dim) {
                throw new IllegalArgumentException(win.source().file() + ": " + dim + " values a frame, the statistics have "
                        + stats.dim);
            }
            double[][] truth = euler(stats.restore(stats.normalise(win.frames())), dim);
            float[] pred = predictor.predict(win.head(obs), dim, steps);
            if (pred.length != steps * dim) {
                throw new IllegalStateException("the predictor gave " + pred.length + " values for " + steps + " frames of "
                        + dim);
            }
            double[][] guess = euler(stats.restore(stats.normalise(pred)), dim);
            boolean[] scored = varying(truth, dim);
            for (int k = 0; k < steps; k++) {
                double sum = 0;
                for (int d = 0; d < dim; d++) {
                    if (scored[d]) {
                        double e = truth[obs + k][d] - guess[k][d];
                        sum += e * e;
                    }
                }
                out[w * steps + k] = Math.sqrt(sum);
            }
        }
        return out;
    }

    /** The protocol's score of each action: its windows' errors averaged frame by frame. */
    public static Map<String, MotionScore> of(MotionProtocol protocol, Map<String, List<MotionProtocol.Window>> windows,
                                              MotionStats stats, MotionPredictor predictor) {
        Map<String, MotionScore> out = new LinkedHashMap<>();
        int steps = protocol.predicted();
        for (Map.Entry<String, List<MotionProtocol.Window>> e : windows.entrySet()) {
            int n = e.getValue().size();
            double[] all = perWindow(protocol, e.getValue(), stats, predictor);
            double[] mean = new double[steps];
            for (int w = 0; w < n; w++) {
                for (int k = 0; k < steps; k++) {
                    mean[k] += all[w * steps + k];
                }
            }
            for (int k = 0; k < steps; k++) {
                mean[k] = n == 0 ? Double.NaN : mean[k] / n;
            }
            out.put(e.getKey(), new MotionScore(e.getKey(), mean, n));
        }
        return out;
    }

    /**
     * The mean over the actions of their errors, frame by frame, as the papers' "average" column
     * (each action weighs the same whatever its number of windows), under the name {@code action}.
     */
    public static MotionScore average(String action, Map<String, MotionScore> scores) {
        if (scores.isEmpty()) {
            throw new IllegalArgumentException("no action to average");
        }
        double[] mean = null;
        int windows = 0;
        for (MotionScore s : scores.values()) {
            if (mean == null) {
                mean = new double[s.error.length];
            }
            for (int k = 0; k < mean.length; k++) {
                mean[k] += s.error[k] / scores.size();
            }
            windows += s.windows;
        }
        return new MotionScore(action, mean, windows);
    }

    /** The scores as a text table: an action a row, the protocol's horizons as columns, three decimals. */
    public static String table(MotionProtocol protocol, Map<String, MotionScore> scores) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-20s", "milliseconds"));
        for (int ms : protocol.horizonsMs()) {
            sb.append(String.format(Locale.ROOT, " | %5d", ms));
        }
        sb.append('\n');
        for (MotionScore s : scores.values()) {
            sb.append(String.format(Locale.ROOT, "%-20s", s.action()));
            for (int ms : protocol.horizonsMs()) {
                sb.append(String.format(Locale.ROOT, " | %5.3f", s.atMs(protocol, ms)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static double[][] euler(double[] frames, int dim) {
        double[][] out = new double[frames.length / dim][];
        for (int t = 0; t < out.length; t++) {
            out[t] = Rotations.poseToEuler(java.util.Arrays.copyOfRange(frames, t * dim, (t + 1) * dim));
        }
        return out;
    }

    /** np.std(truth, 0) > 1e-4: the population standard deviation of each dimension over the frames. */
    private static boolean[] varying(double[][] truth, int dim) {
        boolean[] out = new boolean[dim];
        int n = truth.length;
        for (int d = 0; d < dim; d++) {
            double m = 0;
            for (double[] f : truth) {
                m += f[d];
            }
            m /= n;
            double q = 0;
            for (double[] f : truth) {
                q += (f[d] - m) * (f[d] - m);
            }
            out[d] = Math.sqrt(q / n) > MotionStats.MIN_STD;
        }
        return out;
    }
}
