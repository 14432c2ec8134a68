package io.nowcast.nn;

import java.util.function.DoubleSupplier;

/**
 * Finite-difference gradient checking in float32: central differences, compared with the analytic
 * gradient over a whole tensor as {@code ||num - ana|| / max(||num||, ||ana||, tiny)}. The
 * relative error of a correct float32 backward sits around 1e-4..1e-3 here; a wrong gradient
 * (one entry off by a few percent, a missing path) gives 1e-2 and more.
 */
final class GradCheck {
    static final double TOLERANCE = 5e-3;

    private GradCheck() {
    }

    /** Numerical gradient of {@code loss} w.r.t. every entry of {@code values}, by central differences. */
    static double[] numeric(float[] values, int n, DoubleSupplier loss, float eps) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            float v = values[i];
            values[i] = v + eps;
            double plus = loss.getAsDouble();
            values[i] = v - eps;
            double minus = loss.getAsDouble();
            values[i] = v;
            g[i] = (plus - minus) / (2.0 * eps);
        }
        return g;
    }

    static double relativeError(double[] numeric, float[] analytic) {
        double diff = 0;
        double nn = 0;
        double na = 0;
        for (int i = 0; i < numeric.length; i++) {
            double d = numeric[i] - analytic[i];
            diff += d * d;
            nn += numeric[i] * numeric[i];
            na += (double) analytic[i] * analytic[i];
        }
        return Math.sqrt(diff) / Math.max(1e-12, Math.max(Math.sqrt(nn), Math.sqrt(na)));
    }
}
