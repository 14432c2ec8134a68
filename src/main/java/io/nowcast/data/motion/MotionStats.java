package io.nowcast.data.motion;

import java.util.Arrays;
import java.util.List;

/**
 * The normalisation of the motion-prediction literature, {@code normalization_stats} of Martinez
 * et al.'s {@code data_utils.py} (from Jain et al.'s SRNN {@code processdata.py}), which Li et al.'s
 * {@code data_utils_cmu.py} copies: the mean and the population standard deviation of each value
 * over every frame of the training sequences (at the file rate, before subsampling, as both
 * {@code load_data} functions collect {@code completeData}); the dimensions whose standard deviation
 * is below 1e-4 never vary in training and are left out of the model ({@code dimensions_to_ignore};
 * their std is set to 1).
 *
 * <p>{@link #normalise}: the used dimensions only, (x - mean) / std. {@link #restore}
 * ({@code unNormalizeData}): the full frame back, x = z std + mean on the used dimensions and the
 * training mean on the ignored ones, which is how the published evaluations see both the
 * prediction and the ground truth. The normalised values are float32 as the model sees them
 * ({@code unNormalizeData} writes them into a float32 array before scaling back); means and
 * standard deviations are accumulated in double.
 */
public final class MotionStats {
    /** {@code data_std < 1e-4}: ignored. */
    public static final double MIN_STD = 1e-4;

    public final int dim;
    public final double[] mean;
    /** The standard deviation of each dimension; 1 for the ignored ones, as in the original. */
    public final double[] std;
    /** The dimensions the model sees, ascending ({@code dimensions_to_use}). */
    public final int[] used;
    /** The dimensions that never vary in training, ascending ({@code dimensions_to_ignore}). */
    public final int[] ignored;

    private MotionStats(double[] mean, double[] std, int[] used, int[] ignored) {
        this.dim = mean.length;
        this.mean = mean;
        this.std = std;
        this.used = used;
        this.ignored = ignored;
    }

    /** The statistics of every frame of {@code training} (all of one dimension). */
    public static MotionStats of(List<MotionSequence> training) {
        if (training.isEmpty()) {
            throw new IllegalArgumentException("normalisation statistics need at least one training sequence");
        }
        int d = training.get(0).dim();
        double[] sum = new double[d];
        long n = 0;
        for (MotionSequence s : training) {
            if (s.dim() != d) {
                throw new IllegalArgumentException(s.file() + ": " + s.dim() + " values a frame, the others have " + d);
            }
            for (int i = 0; i < s.values().length; i++) {
                sum[i % d] += s.values()[i];
            }
            n += s.frames();
        }
        double[] mean = new double[d];
        for (int j = 0; j < d; j++) {
            mean[j] = sum[j] / n;
        }
        double[] sq = new double[d];
        for (MotionSequence s : training) {
            for (int i = 0; i < s.values().length; i++) {
                double e = s.values()[i] - mean[i % d];
                sq[i % d] += e * e;
            }
        }
        double[] std = new double[d];
        int[] used = new int[d];
        int[] ignored = new int[d];
        int u = 0;
        int g = 0;
        for (int j = 0; j < d; j++) {
            std[j] = Math.sqrt(sq[j] / n);
            if (std[j] < MIN_STD) {
                ignored[g++] = j;
                std[j] = 1;
            } else {
                used[u++] = j;
            }
        }
        return new MotionStats(mean, std, Arrays.copyOf(used, u), Arrays.copyOf(ignored, g));
    }

    /** Frames (n, dim) row-major to (n, used.length): (x - mean) / std on the used dimensions. */
    public float[] normalise(float[] frames) {
        int n = frames(frames.length, dim);
        float[] out = new float[n * used.length];
        for (int t = 0; t < n; t++) {
            for (int k = 0; k < used.length; k++) {
                int j = used[k];
                out[t * used.length + k] = (float) ((frames[t * dim + j] - mean[j]) / std[j]);
            }
        }
        return out;
    }

    /** Normalised frames (n, used.length) back to full frames (n, dim): z std + mean, the mean where ignored. */
    public double[] restore(float[] normalised) {
        int n = frames(normalised.length, used.length);
        double[] out = new double[n * dim];
        for (int t = 0; t < n; t++) {
            for (int j : ignored) {
                out[t * dim + j] = mean[j];
            }
            for (int k = 0; k < used.length; k++) {
                int j = used[k];
                out[t * dim + j] = normalised[t * used.length + k] * std[j] + mean[j];
            }
        }
        return out;
    }

    private static int frames(int length, int width) {
        if (width == 0 || length % width != 0) {
            throw new IllegalArgumentException(length + " values are not whole frames of " + width);
        }
        return length / width;
    }
}
