package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every cell, stacked layers and the head against finite differences, through time, for the
 * parameters, the inputs and the initial state; and proof that the check catches wrong gradients.
 */
class RecurrentGradientTest {
    private static final int D = 3;
    private static final int H = 4;
    private static final int T = 5;
    private static final int N = 2;
    private static final int OUT = 2;
    private static final float EPS = 2e-3f;

    /** A fixed problem: net, inputs, initial state and a random linear loss on the outputs. */
    private static final class Problem {
        final RecurrentNet net;
        final float[] x;
        final RecurrentState init;
        final float[] w;   // loss = sum(w * output)

        Problem(CellType cell, int layers, int headOut, long seed) {
            Gemm gemm = Gemms.create();
            Rng rng = new Rng(seed);
            net = new RecurrentNet(cell, D, H, layers, headOut, gemm).initUniform(rng);
            // larger weights than the default init so that the non-linearities are exercised
            for (Param p : net.params()) {
                for (int i = 0; i < p.size(); i++) {
                    p.w()[i] *= 2f;
                }
            }
            x = new float[T * N * D];
            rng.uniform(x, 1f);
            init = net.newState(N);
            for (int l = 0; l < layers; l++) {
                rng.uniform(init.h[l], 0.5f);
                rng.uniform(init.c[l], 0.5f);
            }
            w = new float[T * N * net.outputSize()];
            rng.uniform(w, 1f);
        }

        double loss() {
            RecurrentState s = init.copy();
            float[] y = net.forward(x, T, s);
            int off = net.outputOffset();
            double sum = 0;
            for (int i = 0; i < w.length; i++) {
                sum += (double) w[i] * y[off + i];
            }
            return sum;
        }

        /** Forward + backward over the whole sequence, parameter gradients in place. */
        void analytic() {
            net.zeroGrad();
            RecurrentState s = init.copy();
            net.forward(x, T, s);
            net.backward(w.clone());
        }

        /** The planted error: gradients computed by truncated BPTT in two chunks, i.e. with no
         *  gradient flowing back across the chunk boundary, compared with the full-sequence loss. */
        void analyticCutInTheMiddle() {
            net.zeroGrad();
            RecurrentState s = init.copy();
            int t1 = T / 2;
            int width = net.outputSize();
            float[] x1 = Arrays.copyOfRange(x, 0, t1 * N * D);
            float[] x2 = Arrays.copyOfRange(x, t1 * N * D, x.length);
            net.forward(x1, t1, s);
            net.backward(Arrays.copyOfRange(w, 0, t1 * N * width));
            net.forward(x2, T - t1, s);
            net.backward(Arrays.copyOfRange(w, t1 * N * width, w.length));
        }

    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void everyParameterMatchesFiniteDifferences(CellType cell) {
        Problem p = new Problem(cell, 2, OUT, 7);
        p.analytic();
        for (Param prm : p.net.params()) {
            float[] ana = prm.g().clone();
            double[] num = GradCheck.numeric(prm.w(), prm.size(), p::loss, EPS);
            double err = GradCheck.relativeError(num, ana);
            assertTrue(err < GradCheck.TOLERANCE, cell + " " + prm.name + ": relative error " + err);
        }
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void initialStateGradientMatches(CellType cell) {
        Problem p = new Problem(cell, 1, 0, 11);
        p.analytic();
        RecurrentLayer l = p.net.layers().get(0);
        double[] num = GradCheck.numeric(p.init.h[0], N * H, p::loss, EPS);
        double err = GradCheck.relativeError(num, Arrays.copyOf(l.dh0(), N * H));
        assertTrue(err < GradCheck.TOLERANCE, cell + " dh0: relative error " + err);
        if (cell.hasCell()) {
            double[] numC = GradCheck.numeric(p.init.c[0], N * H, p::loss, EPS);
            double errC = GradCheck.relativeError(numC, Arrays.copyOf(l.dc0(), N * H));
            assertTrue(errC < GradCheck.TOLERANCE, cell + " dc0: relative error " + errC);
        }
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void inputGradientMatches(CellType cell) {
        // the input gradient of a layer is what the layer below receives; check it directly on one layer
        Gemm gemm = Gemms.create();
        Rng rng = new Rng(5);
        RecurrentLayer layer = RecurrentLayer.create(cell, 0, D, H, gemm);
        layer.initUniform(rng);
        float[] x = new float[T * N * D];
        rng.uniform(x, 1f);
        float[] h0 = new float[N * H];
        float[] c0 = new float[N * H];
        rng.uniform(h0, 0.5f);
        rng.uniform(c0, 0.5f);
        float[] w = new float[T * N * H];
        rng.uniform(w, 1f);
        java.util.function.DoubleSupplier loss = () -> {
            float[] h = h0.clone();
            float[] c = c0.clone();
            layer.forward(x, 0, T, N, h, c);
            double s = 0;
            float[] out = layer.outputs();
            for (int i = 0; i < w.length; i++) {
                s += (double) w[i] * out[layer.outputOffset() + i];
            }
            return s;
        };
        loss.getAsDouble();
        float[] dx = new float[x.length];
        layer.backward(w, 0, dx, 0);
        double err = GradCheck.relativeError(GradCheck.numeric(x, x.length, loss, EPS), dx);
        assertTrue(err < GradCheck.TOLERANCE, cell + " dx: relative error " + err);
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void plantedErrorsAreCaught(CellType cell) {
        Problem p = new Problem(cell, 1, OUT, 13);
        Param whh = p.net.param("rnn.weight_hh_l0");
        double[] num = GradCheck.numeric(whh.w(), whh.size(), p::loss, EPS);

        // 1. the right gradient passes
        p.analytic();
        assertTrue(GradCheck.relativeError(num, whh.g()) < GradCheck.TOLERANCE);

        // 2. one entry off by 5% of the gradient's largest entry fails
        float[] wrong = whh.g().clone();
        float max = 0;
        int at = 0;
        for (int i = 0; i < wrong.length; i++) {
            if (Math.abs(wrong[i]) > max) {
                max = Math.abs(wrong[i]);
                at = i;
            }
        }
        wrong[at] += 0.05f * max;
        double errOne = GradCheck.relativeError(num, wrong);
        assertTrue(errOne > GradCheck.TOLERANCE, cell + ": a 5% error in one entry passed (" + errOne + ")");

        // 3. a gradient that does not flow back through time across a cut fails
        p.analyticCutInTheMiddle();
        double errCut = GradCheck.relativeError(num, whh.g());
        assertTrue(errCut > GradCheck.TOLERANCE, cell + ": gradient cut in time passed (" + errCut + ")");
    }

    @Test
    void lossesMatchFiniteDifferences() {
        Rng rng = new Rng(3);
        int rows = 4;
        int width = 3;
        float[] y = new float[rows * width];
        float[] t = new float[rows * width];
        rng.uniform(y, 1f);
        rng.uniform(t, 1f);
        float[] d = new float[y.length];
        Loss.squaredError(y, t, y.length, 1f, d);
        double err = GradCheck.relativeError(
                GradCheck.numeric(y, y.length, () -> Loss.squaredError(y, t, y.length, 1f, null), EPS), d);
        assertTrue(err < GradCheck.TOLERANCE, "mse " + err);

        float[] yg = new float[rows * 2 * width];
        rng.uniform(yg, 1f);
        float[] dg = new float[yg.length];
        Loss.gaussianNll(yg, t, rows, width, 1f, dg);
        err = GradCheck.relativeError(
                GradCheck.numeric(yg, yg.length, () -> Loss.gaussianNll(yg, t, rows, width, 1f, null), EPS), dg);
        assertTrue(err < GradCheck.TOLERANCE, "gaussian nll " + err);

        int classes = 5;
        float[] logits = new float[rows * classes];
        rng.uniform(logits, 2f);
        int[] targets = {0, 3, 4, 1};
        float[] dl = new float[logits.length];
        Loss.softmaxCrossEntropy(logits, targets, 0, rows, classes, 1f, dl);
        err = GradCheck.relativeError(GradCheck.numeric(logits, logits.length,
                () -> Loss.softmaxCrossEntropy(logits, targets, 0, rows, classes, 1f, null), EPS), dl);
        assertTrue(err < GradCheck.TOLERANCE, "softmax ce " + err);

        // planted: the Gaussian NLL's log-variance gradient without its factor 0.5 is caught
        float[] bad = dg.clone();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j++) {
                bad[r * 2 * width + width + j] *= 2f;
            }
        }
        double errBad = GradCheck.relativeError(
                GradCheck.numeric(yg, yg.length, () -> Loss.gaussianNll(yg, t, rows, width, 1f, null), EPS), bad);
        assertTrue(errBad > GradCheck.TOLERANCE, "planted nll error passed: " + errBad);
    }

    @Test
    void softmaxCrossEntropyOfUniformLogitsIsLogClasses() {
        float[] logits = new float[7];
        assertEquals(Math.log(7), Loss.softmaxCrossEntropy(logits, new int[] {2}, 0, 1, 7, 1f, null), 1e-9);
    }
}
