package io.nowcast.nn;

import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ReLU, LeakyReLU and Sigmoid: values, gradients against finite differences, planted errors caught. */
class ActivationTest {
    private static final Nchw SHAPE = new Nchw(3, 2, 3, 4);

    private static LayerCheck check(Activation a, long seed) {
        // inputs kept 0.05 away from the kink: central differences with eps 2e-3 never straddle it
        LayerCheck chk = new LayerCheck(a, SHAPE, new Rng(seed)).awayFromZero(0.05f);
        for (int i = 0; i < chk.x.length; i++) {
            chk.x[i] *= 3f;   // and reach the sigmoid's flat tails
        }
        return chk;
    }

    @Test
    void values() {
        float[] x = {-2f, -0.5f, 0f, 0.5f, 2f};
        Nchw s = new Nchw(1, 5, 1, 1);
        assertArrayEquals(new float[] {0f, 0f, 0f, 0.5f, 2f}, java.util.Arrays.copyOf(Activation.relu().forward(x, s), 5));
        assertArrayEquals(new float[] {-0.2f, -0.05f, 0f, 0.5f, 2f},
                java.util.Arrays.copyOf(Activation.leakyRelu(0.1f).forward(x, s), 5), 1e-7f);
        float[] y = Activation.sigmoid().forward(x, s);
        for (int i = 0; i < x.length; i++) {
            assertEquals(1.0 / (1.0 + Math.exp(-x[i])), y[i], 1e-6);
        }
    }

    @Test
    void reluGradientMatches() {
        check(Activation.relu(), 1).assertAllMatch("relu");
    }

    @Test
    void leakyReluGradientMatches() {
        check(Activation.leakyRelu(0.1f), 2).assertAllMatch("leaky relu");
    }

    @Test
    void sigmoidGradientMatches() {
        check(Activation.sigmoid(), 3).assertAllMatch("sigmoid");
    }

    @Test
    void plantedErrorsAreCaught() {
        // LeakyReLU's backward as ReLU's (the negative slope forgotten)
        LayerCheck leaky = check(Activation.leakyRelu(0.2f), 4);
        double[] num = leaky.numericDx();
        float[] asRelu = new float[leaky.x.length];
        Activation.reluBackward(asRelu, leaky.w, leaky.x, asRelu.length);
        double e = GradCheck.relativeError(num, asRelu);
        assertTrue(e > GradCheck.TOLERANCE, "leaky relu without its slope passed (" + e + ")");
        assertTrue(GradCheck.relativeError(num, leaky.analytic()) < GradCheck.TOLERANCE);

        // sigmoid's backward as dy * y (the factor 1 - y forgotten)
        LayerCheck sig = check(Activation.sigmoid(), 5);
        double[] numS = sig.numericDx();
        float[] y = sig.layer.forward(sig.x, SHAPE).clone();
        float[] wrong = new float[sig.x.length];
        for (int i = 0; i < wrong.length; i++) {
            wrong[i] = sig.w[i] * y[i];
        }
        e = GradCheck.relativeError(numS, wrong);
        assertTrue(e > GradCheck.TOLERANCE, "sigmoid without 1 - y passed (" + e + ")");
        e = GradCheck.relativeError(numS, LayerCheck.corruptLargest(sig.analytic()));
        assertTrue(e > GradCheck.TOLERANCE, "a 5% error in one entry passed (" + e + ")");
    }
}
