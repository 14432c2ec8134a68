package io.nowcast.eval.motion;

import io.nowcast.data.motion.MotionSequence;
import io.nowcast.data.motion.MotionStats;
import io.nowcast.train.SequenceTrainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Training sequences for a motion forecaster, laid out as {@link ForecasterMotion} meets the
 * protocol's windows: each training sequence (subsampled) is cut into windows of
 * {@code length} frames every {@code stride} frames, each frame normalised by
 * {@link MotionStats#normalise} (the used dimensions, one input feature each, named by
 * {@link #features}). After reading frame t the targets are frames t+1..t+horizon of every used
 * dimension, dimension by dimension ({@code e<j>+1..e<j>+H}), minus frame t when the model
 * predicts relative to its input (the residual of Martinez et al.: the change from the present
 * pose); every step is scored, or only the window's observed-th frame (the protocol's prediction
 * point); steps whose future leaves the window are not scored, and neither are the dimensions
 * {@link #scored} leaves out (the global position and rotation, which the error ignores: read,
 * never taught).
 */
public final class MotionSequences {
    private MotionSequences() {
    }

    /** The input features of a motion model: {@code e<j>} for each used dimension j of a frame. */
    public static List<String> features(MotionStats stats) {
        List<String> out = new ArrayList<>(stats.used.length);
        for (int j : stats.used) {
            out.add("e" + j);
        }
        return out;
    }

    /**
     * Which used dimensions the targets score: those from {@link Rotations#GLOBAL} on. The global
     * position and rotation are left out of the error (and their exponential maps jump where the
     * rotation wraps, which would swamp a validation loss).
     */
    public static boolean[] scored(MotionStats stats) {
        boolean[] out = new boolean[stats.used.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = stats.used[k] >= Rotations.GLOBAL;
        }
        return out;
    }

    /** The windows of each sequence: frames [s, s + length) for s = 0, stride, ... while they fit. */
    public static List<float[]> windows(List<MotionSequence> sequences, MotionStats stats, int length, int stride) {
        if (length < 2 || stride < 1) {
            throw new IllegalArgumentException("windows need at least 2 frames and a stride of at least 1");
        }
        List<float[]> out = new ArrayList<>();
        for (MotionSequence s : sequences) {
            float[] z = stats.normalise(s.values());
            int U = stats.used.length;
            for (int from = 0; from + length <= s.frames(); from += stride) {
                out.add(Arrays.copyOfRange(z, from * U, (from + length) * U));
            }
        }
        return out;
    }

    /**
     * Root mean square of each target (as {@link #of} makes them, before scaling), output by
     * output; 1 where the values are all zero or none is scored.
     */
    public static float[] targetScale(List<float[]> windows, boolean[] scored, int horizon, boolean relative,
                                      int scoredFrom) {
        int width = scored.length;
        int O = width * horizon;
        double[] sq = new double[O];
        long[] n = new long[O];
        for (float[] w : windows) {
            float[] y = targets(w, scored, horizon, relative, scoredFrom, null);
            int T = w.length / width;
            for (int t = 0; t < T; t++) {
                for (int o = 0; o < O; o++) {
                    float v = y[t * O + o];
                    if (!Float.isNaN(v)) {
                        sq[o] += (double) v * v;
                        n[o]++;
                    }
                }
            }
        }
        float[] out = new float[O];
        for (int o = 0; o < O; o++) {
            double s = Math.sqrt(sq[o] / Math.max(1, n[o]));
            out[o] = s > 1e-9 && Double.isFinite(s) ? (float) s : 1f;
        }
        return out;
    }

    /**
     * One sequence per window: the normalised frames as inputs, the targets divided by
     * {@code outScale} output by output; the steps before {@code scoredFrom} (0-based) not scored.
     */
    public static List<SequenceTrainer.Sequence> of(List<float[]> windows, boolean[] scored, int horizon,
                                                    boolean relative, int scoredFrom, float[] outScale) {
        int width = scored.length;
        List<SequenceTrainer.Sequence> out = new ArrayList<>(windows.size());
        for (float[] w : windows) {
            out.add(new SequenceTrainer.Sequence(w, targets(w, scored, horizon, relative, scoredFrom, outScale),
                    w.length / width));
        }
        return out;
    }

    private static float[] targets(float[] w, boolean[] scored, int horizon, boolean relative, int scoredFrom,
                                   float[] outScale) {
        int width = scored.length;
        int T = w.length / width;
        int O = width * horizon;
        float[] y = new float[T * O];
        Arrays.fill(y, Float.NaN);
        for (int t = scoredFrom; t < T; t++) {
            for (int j = 0; j < width; j++) {
                if (!scored[j]) {
                    continue;
                }
                float base = relative ? w[t * width + j] : 0f;
                for (int k = 1; k <= horizon && t + k < T; k++) {
                    int o = j * horizon + k - 1;
                    float v = w[(t + k) * width + j] - base;
                    y[t * O + o] = outScale == null ? v : v / outScale[o];
                }
            }
        }
        return y;
    }
}
