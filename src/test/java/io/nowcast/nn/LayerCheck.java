package io.nowcast.nn;

import io.nowcast.tensor.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradient checks for a {@link Layer} on the loss {@code sum(w * y)} with a fixed random w, so that
 * dy = w: the input gradient and every parameter gradient against finite differences
 * ({@link GradCheck}).
 *
 * <p>Networks with ReLUs have kinks: where a central difference moves an activation's input across
 * 0, the numeric derivative is a mix of the two sides and disagrees with the (correct) one-sided
 * analytic one. Activations wrapped in a {@link KinkWatch} report this, and such entries are
 * checked with a one-sided difference instead ({@link #errorAwayFromKinks}).
 */
final class LayerCheck {
    static final float EPS = 2e-3f;

    final Layer layer;
    final Nchw in;
    final float[] x;
    final float[] w;     // loss = sum(w * y), (outShape)
    final List<KinkWatch> watches = new ArrayList<>();

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

    /**
     * Relative error of analytic against finite differences, kinks avoided: central differences
     * where neither side crosses a watched kink, the one-sided difference on the side that does not
     * where one does, and the entry left out where both do (at most half of the entries).
     */
    static double errorAwayFromKinks(float[] values, int n, DoubleSupplier loss, float[] analytic, List<KinkWatch> watches,
                                     String what) {
        if (watches.isEmpty()) {
            return GradCheck.relativeError(GradCheck.numeric(values, n, loss, EPS), analytic);
        }
        watches.forEach(KinkWatch::recordNext);
        double base = loss.getAsDouble();
        double[] num = new double[n];
        float[] ana = new float[n];
        int kept = 0;
        for (int i = 0; i < n; i++) {
            float v = values[i];
            values[i] = v + EPS;
            double plus = loss.getAsDouble();
            boolean crossPlus = crossedAndReset(watches);
            values[i] = v - EPS;
            double minus = loss.getAsDouble();
            boolean crossMinus = crossedAndReset(watches);
            values[i] = v;
            if (crossPlus && crossMinus) {
                continue;
            }
            num[kept] = crossPlus ? (base - minus) / EPS : crossMinus ? (plus - base) / EPS : (plus - minus) / (2.0 * EPS);
            ana[kept] = analytic[i];
            kept++;
        }
        assertTrue(2 * kept >= n, what + ": " + (n - kept) + " of " + n + " entries have a kink on both sides");
        return GradCheck.relativeError(Arrays.copyOf(num, kept), Arrays.copyOf(ana, kept));
    }

    private static boolean crossedAndReset(List<KinkWatch> watches) {
        boolean any = false;
        for (KinkWatch k : watches) {
            any |= k.crossed;
            k.crossed = false;
        }
        return any;
    }

    /**
     * An activation that notes whether any of its inputs lies on the other side of 0 than at the
     * recorded point: wraps an activation of a network under test, changes nothing else.
     */
    static final class KinkWatch implements Layer {
        final Layer act;
        private boolean[] positive = new boolean[0];
        private boolean record;
        boolean crossed;

        KinkWatch(Layer act) {
            this.act = act;
        }

        /** The next forward records the signs of the inputs; later forwards compare with them. */
        void recordNext() {
            record = true;
        }

        @Override
        public Nchw outShape(Nchw in) {
            return act.outShape(in);
        }

        @Override
        public float[] forward(float[] x, Nchw in) {
            int n = in.size();
            if (record) {
                positive = new boolean[n];
                for (int i = 0; i < n; i++) {
                    positive[i] = x[i] > 0f;
                }
                record = false;
            } else if (positive.length == n) {
                for (int i = 0; i < n; i++) {
                    crossed |= (x[i] > 0f) != positive[i];
                }
            }
            return act.forward(x, in);
        }

        @Override
        public float[] backward(float[] dy) {
            return act.backward(dy);
        }
    }

    /** dx and every parameter gradient within {@link GradCheck#TOLERANCE} of finite differences. */
    void assertAllMatch(String what) {
        float[] dx = analytic();
        float[][] grads = new float[layer.params().size()][];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = layer.params().get(i).g().clone();
        }
        double err = errorAwayFromKinks(x, x.length, this::loss, dx, watches, what + " dx");
        assertTrue(err < GradCheck.TOLERANCE, what + " dx: relative error " + err);
        for (int i = 0; i < grads.length; i++) {
            Param p = layer.params().get(i);
            double e = errorAwayFromKinks(p.w(), p.size(), this::loss, grads[i], watches, what + " " + p.name);
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
