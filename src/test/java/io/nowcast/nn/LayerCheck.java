package io.nowcast.nn;

import io.nowcast.tensor.Rng;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradient checks for a {@link Layer} on the loss {@code sum(w * y)} with a fixed random w, so that
 * dy = w: the input gradient and every parameter gradient against finite differences
 * ({@link GradCheck}).
 */
final class LayerCheck {
    static final float EPS = 2e-3f;

    final Layer layer;
    final Nchw in;
    final float[] x;
    final float[] w;     // loss = sum(w * y), (outShape)

    LayerCheck(Layer layer, Nchw in, Rng rng) {
        this.layer = layer;
        this.in = in;
        this.x = new float[in.size()];
        rng.uniform(x, 1f);
        this.w = new float[layer.outShape(in).size()];
        rng.uniform(w, 1f);
    }

    /** Moves every input at least margin away from 0, so that a ReLU kink is not within eps of an input. */
    LayerCheck awayFromZero(float margin) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.copySign(margin + Math.abs(x[i]), x[i]);
        }
        return this;
    }

    double loss() {
        float[] y = layer.forward(x, in);
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            s += (double) w[i] * y[i];
        }
        return s;
    }

    /** Zeroes the parameter gradients, runs forward and backward; returns a copy of dx. */
    float[] analytic() {
        for (Param p : layer.params()) {
            p.zeroGrad();
        }
        layer.forward(x, in);
        return Arrays.copyOf(layer.backward(w.clone()), x.length);
    }

    double[] numericDx() {
        return GradCheck.numeric(x, x.length, this::loss, EPS);
    }

    double[] numeric(Param p) {
        return GradCheck.numeric(p.w(), p.size(), this::loss, EPS);
    }

    /** dx and every parameter gradient within {@link GradCheck#TOLERANCE} of finite differences. */
    void assertAllMatch(String what) {
        float[] dx = analytic();
        float[][] grads = new float[layer.params().size()][];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = layer.params().get(i).g().clone();
        }
        double err = GradCheck.relativeError(numericDx(), dx);
        assertTrue(err < GradCheck.TOLERANCE, what + " dx: relative error " + err);
        for (int i = 0; i < grads.length; i++) {
            Param p = layer.params().get(i);
            double e = GradCheck.relativeError(numeric(p), grads[i]);
            assertTrue(e < GradCheck.TOLERANCE, what + " " + p.name + ": relative error " + e);
        }
    }

    /** A copy of g with its largest entry moved by 5% of its magnitude. */
    static float[] corruptLargest(float[] g) {
        float[] wrong = g.clone();
        int at = 0;
        for (int i = 1; i < wrong.length; i++) {
            if (Math.abs(wrong[i]) > Math.abs(wrong[at])) {
                at = i;
            }
        }
        wrong[at] += 0.05f * Math.abs(wrong[at]);
        return wrong;
    }

    static float[] random(Rng rng, int n, float k) {
        float[] a = new float[n];
        rng.uniform(a, k);
        return a;
    }
}
