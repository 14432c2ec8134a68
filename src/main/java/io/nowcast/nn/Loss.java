package io.nowcast.nn;

/**
 * Losses over a block of rows. Each returns the summed loss over the rows and writes
 * d(loss)/d(prediction) multiplied by {@code scale} into {@code d} (overwriting it): scale 1
 * gives the gradient of the sum, {@code 1/rows} (or {@code 1/(rows*width)}) that of the mean.
 */
public final class Loss {
    private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

    private Loss() {
    }

    /** Summed squared error: sum (y - t)^2; d = scale * 2 (y - t). */
    public static double squaredError(float[] y, float[] target, int n, float scale, float[] d) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = y[i] - target[i];
            sum += (double) e * e;
            if (d != null) {
                d[i] = scale * 2f * e;
            }
        }
        return sum;
    }

    /**
     * Gaussian negative log-likelihood. Each row of {@code y} holds width means then width
     * log-variances; {@code target} is (rows, width). Per element:
     * {@code 0.5 (log var + (t - mu)^2 / var) + 0.5 log 2 pi}. The log-variance is clamped to
     * [-12, 12] (its gradient is zero where clamped) to keep a bad step from overflowing.
     */
    public static double gaussianNll(float[] y, float[] target, int rows, int width, float scale, float[] d) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            int o = r * 2 * width;
            for (int j = 0; j < width; j++) {
                float mu = y[o + j];
                float lvRaw = y[o + width + j];
                float lv = Math.max(-12f, Math.min(12f, lvRaw));
                double inv = Math.exp(-lv);
                double e = target[r * width + j] - mu;
                sum += 0.5 * (lv + e * e * inv) + HALF_LOG_2PI;
                if (d != null) {
                    d[o + j] = (float) (scale * -e * inv);
                    d[o + width + j] = lvRaw == lv ? (float) (scale * 0.5 * (1.0 - e * e * inv)) : 0f;
                }
            }
        }
        return sum;
    }

    /**
     * Softmax cross-entropy over logits (rows, classes) with integer targets; d = scale (p - onehot).
     * Returns the summed negative log-probability (nats) of the targets.
     */
    public static double softmaxCrossEntropy(float[] logits, int[] targets, int tOff, int rows, int classes, float scale, float[] d) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, logits[o + j]);
            }
            double z = 0;
            for (int j = 0; j < classes; j++) {
                z += Math.exp(logits[o + j] - max);
            }
            int t = targets[tOff + r];
            double logZ = Math.log(z) + max;
            sum += logZ - logits[o + t];
            if (d != null) {
                for (int j = 0; j < classes; j++) {
                    d[o + j] = (float) (scale * Math.exp(logits[o + j] - logZ));
                }
                d[o + t] -= scale;
            }
        }
        return sum;
    }
}
