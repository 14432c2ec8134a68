package io.nowcast.eval;

/** The honest baselines of series forecasting: the last value, and a linear map fitted by least squares. */
public final class SeriesBaselines {
    private SeriesBaselines() {
    }

    /** Every future value is the last input value (persistence). */
    public static WindowPredictor lastValue() {
        return (in, horizon) -> {
            float[] out = new float[horizon];
            java.util.Arrays.fill(out, in[in.length - 1]);
            return out;
        };
    }

    /**
     * A linear map from the L inputs (and a constant) to the H outputs, fitted by ordinary least
     * squares on every training window of the split (standardised values, in double precision; the
     * normal equations are solved by Cholesky with a ridge of 1e-9 of their mean diagonal against
     * round-off only). One independent regression per horizon step, as in the LTSF "Linear" model,
     * but solved exactly instead of by gradient descent.
     */
    public static WindowPredictor leastSquares(LtsfSplit split) {
        int L = split.inputLength;
        int H = split.horizon;
        int P = L + 1;
        double[] xtx = new double[P * P];
        double[] xty = new double[P * H];
        int n = split.windows(LtsfSplit.Part.TRAIN);
        double[] x = new double[P];
        for (int w = 0; w < n; w++) {
            int s = split.start(LtsfSplit.Part.TRAIN, w);
            for (int i = 0; i < L; i++) {
                x[i] = (split.values[s + i] - split.mean) / split.std;
            }
            x[L] = 1;
            for (int i = 0; i < P; i++) {
                double xi = x[i];
                for (int j = 0; j <= i; j++) {
                    xtx[i * P + j] += xi * x[j];
                }
                for (int k = 0; k < H; k++) {
                    xty[i * H + k] += xi * (split.values[s + L + k] - split.mean) / split.std;
                }
            }
        }
        double diag = 0;
        for (int i = 0; i < P; i++) {
            diag += xtx[i * P + i];
        }
        double ridge = 1e-9 * diag / P;
        for (int i = 0; i < P; i++) {
            for (int j = 0; j < i; j++) {
                xtx[j * P + i] = xtx[i * P + j];
            }
            xtx[i * P + i] += ridge;
        }
        double[] coef = solve(xtx, xty, P, H);
        double mean = split.mean;
        double std = split.std;
        return (in, horizon) -> {
            if (in.length != L || horizon > H) {
                throw new IllegalArgumentException("the least-squares map reads " + L + " values and predicts " + H);
            }
            double[] z = new double[L];
            for (int i = 0; i < L; i++) {
                z[i] = (in[i] - mean) / std;
            }
            float[] out = new float[horizon];
            for (int k = 0; k < horizon; k++) {
                double v = coef[L * H + k];
                for (int i = 0; i < L; i++) {
                    v += z[i] * coef[i * H + k];
                }
                out[k] = (float) (v * std + mean);
            }
            return out;
        };
    }

    /** Solves A X = B for a symmetric positive definite A (P, P) and B (P, H) by Cholesky. */
    static double[] solve(double[] a, double[] b, int p, int h) {
        double[] l = new double[p * p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * p + j];
                for (int k = 0; k < j; k++) {
                    s -= l[i * p + k] * l[j * p + k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalStateException("the least-squares system is not positive definite");
                    }
                    l[i * p + i] = Math.sqrt(s);
                } else {
                    l[i * p + j] = s / l[j * p + j];
                }
            }
        }
        double[] x = b.clone();
        for (int c = 0; c < h; c++) {
            for (int i = 0; i < p; i++) {
                double s = x[i * h + c];
                for (int k = 0; k < i; k++) {
                    s -= l[i * p + k] * x[k * h + c];
                }
                x[i * h + c] = s / l[i * p + i];
            }
            for (int i = p - 1; i >= 0; i--) {
                double s = x[i * h + c];
                for (int k = i + 1; k < p; k++) {
                    s -= l[k * p + i] * x[k * h + c];
                }
                x[i * h + c] = s / l[i * p + i];
            }
        }
        return x;
    }
}
