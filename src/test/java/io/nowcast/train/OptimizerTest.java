package io.nowcast.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nowcast.nn.Param;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Updates checked against values worked out by hand from each optimizer's formula. */
class OptimizerTest {

    private static final float TOL = 1e-6f;

    private static Param param(String name, float[] w) {
        Param p = new Param(name, w.length);
        p.set(w);
        return p;
    }

    private static void grad(Param p, float... g) {
        System.arraycopy(g, 0, p.g(), 0, g.length);
    }

    private static void assertValues(double[] expected, Param p, String what) {
        float[] w = p.w();
        assertEquals(expected.length, p.size(), what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], w[i], TOL, what + " [" + i + "]");
        }
    }

    // ---------------------------------------------------------------- SGD

    @Test
    void sgdWithMomentumOverTwoSteps() {
        Param p = param("w", new float[] {1f, -2f, 0.5f});
        Optimizer opt = new Optimizer.Sgd(List.of(p), 0.1f, 0.9f, 0f);
        grad(p, 0.5f, -1f, 2f);
        opt.step();
        // v1 = g1; w1 = w0 - 0.1 g1
        assertValues(new double[] {0.95, -1.9, 0.3}, p, "after step 1");
        grad(p, -1f, 0.25f, 0f);
        opt.step();
        // v2 = 0.9 g1 + g2 = (-0.55, -0.65, 1.8); w2 = w1 - 0.1 v2
        assertValues(new double[] {1.005, -1.835, 0.12}, p, "after step 2");
        assertEquals(2, opt.steps());
    }

    @Test
    void sgdWeightDecayAddsL2TermToTheGradient() {
        Param p = param("w", new float[] {2f, -4f});
        Optimizer opt = Optimizer.create("sgd", List.of(p), 0.5f, 0f, 0.1f);
        grad(p, 1f, 1f);
        opt.step();
        // w1 = w0 - 0.5 (g + 0.1 w0) = (2 - 0.5 * 1.2, -4 - 0.5 * 0.6)
        assertValues(new double[] {1.4, -4.3}, p, "sgd + weight decay");
    }

    // ---------------------------------------------------------------- Adagrad

    @Test
    void adagradAsInMinCharRnn() {
        Param p = param("w", new float[] {1f, -2f, 0.5f, 3f});
        Optimizer opt = Optimizer.create("adagrad", List.of(p), 0.1f, 0f, 0f);
        grad(p, 0.5f, -1f, 2f, 0f);
        opt.step();
        // mem = g^2; w -= 0.1 g / sqrt(mem + 1e-8) = 0.1 sign(g) (to 1e-7); a zero gradient moves nothing
        assertValues(new double[] {0.9, -1.9, 0.4, 3.0}, p, "after step 1");
        grad(p, -1f, 0.25f, 0f, 0f);
        opt.step();
        // mem = (1.25, 1.0625, 4, 0)
        assertValues(new double[] {
            0.9 + 0.1 / Math.sqrt(1.25),
            -1.9 - 0.1 * 0.25 / Math.sqrt(1.0625),
            0.4,
            3.0,
        }, p, "after step 2");
    }

    // ---------------------------------------------------------------- Adam / AdamW

    @Test
    void adamFirstStepMovesEachWeightByLearningRateTimesSignOfGradient() {
        float[] g = {1e-3f, -1e3f, 5f, -0.02f, 0f};
        float[] w0 = {0.3f, 0.3f, -1f, 7f, 2f};
        Param p = param("w", w0.clone());
        Optimizer opt = Optimizer.create("adam", List.of(p), 0.01f, 0f, 0f);
        grad(p, g);
        opt.step();
        for (int i = 0; i < g.length; i++) {
            assertEquals(w0[i] - 0.01 * Math.signum(g[i]), p.w()[i], 1e-6, "step 1 [" + i + "]");
        }
        // bias correction: with the same gradient again, the second step is again lr * sign(g)
        opt.step();
        for (int i = 0; i < g.length; i++) {
            assertEquals(w0[i] - 0.02 * Math.signum(g[i]), p.w()[i], 2e-6, "step 2 [" + i + "]");
        }
    }

    @Test
    void adamwDecaysWeightsDirectlyWhileAdamAddsL2ToTheGradient() {
        float[] w0 = {2f, -3f};
        float[] g = {-0.1f, 0.1f};
        float lr = 0.01f;
        float wd = 0.1f;

        Param l2 = param("w", w0.clone());
        grad(l2, g);
        Optimizer.create("adam", List.of(l2), lr, 0f, wd).step();
        // L2: d = g + wd w0 = (0.1, -0.2), and Adam's first step is lr * sign(d): the decay flips the direction
        assertValues(new double[] {1.99, -2.99}, l2, "adam (L2)");

        Param dec = param("w", w0.clone());
        grad(dec, g);
        Optimizer.create("adamw", List.of(dec), lr, 0f, wd).step();
        // decoupled: w1 = (1 - lr wd) w0 - lr sign(g) = 0.999 w0 + (0.01, -0.01)
        assertValues(new double[] {2.008, -3.007}, dec, "adamw (decoupled)");
    }

    @Test
    void adamAndAdamwAreIdenticalWithoutWeightDecay() {
        float[] w0 = {0.4f, -1.3f, 2.2f};
        Param a = param("w", w0.clone());
        Param b = param("w", w0.clone());
        Optimizer oa = Optimizer.create("adam", List.of(a), 0.003f, 0f, 0f);
        Optimizer ob = Optimizer.create("adamw", List.of(b), 0.003f, 0f, 0f);
        float[][] gs = {{0.1f, -0.2f, 3f}, {-0.5f, 0.01f, 1f}, {2f, 2f, -2f}};
        for (float[] g : gs) {
            grad(a, g);
            grad(b, g);
            oa.step();
            ob.step();
        }
        assertArrayEquals(a.w(), b.w());
    }

    // ---------------------------------------------------------------- frozen parameters

    @Test
    void nonTrainableParametersAreLeftAloneByEveryOptimizer() {
        for (String name : List.of("sgd", "adagrad", "adam", "adamw")) {
            Param before = param("before", new float[] {1f, -2f, 0.5f});
            Param frozen = param("frozen", new float[] {3f, 4f});
            frozen.trainable = false;
            Param after = param("after", new float[] {1f, -2f, 0.5f});
            Optimizer opt = Optimizer.create(name, List.of(before, frozen, after), 0.1f, 0.9f, 0.01f);
            for (int s = 0; s < 3; s++) {
                grad(before, 0.5f, -1f, 2f);
                grad(frozen, 10f, -10f);
                grad(after, 0.5f, -1f, 2f);
                opt.step();
            }
            assertArrayEquals(new float[] {3f, 4f}, frozen.w(), name + ": frozen parameter changed");
            assertArrayEquals(new float[] {10f, -10f}, frozen.g(), name + ": frozen gradient changed");
            // the parameter after the frozen one keeps its own state: same trajectory as the one before it
            assertArrayEquals(before.w(), after.w(), name + ": state of the parameter after the frozen one");
            assertEquals(false, before.w()[0] == 1f, name + ": trainable parameter did not move");
        }
    }

    // ---------------------------------------------------------------- clipping

    @Test
    void clipByGlobalNormScalesAllGradientsTogether() {
        Param a = param("a", new float[] {0f, 0f});
        Param b = param("b", new float[] {0f});
        grad(a, 3f, 0f);
        grad(b, -4f);
        assertEquals(5.0, Clip.globalNorm(List.of(a, b)), 1e-12);
        double before = Clip.byGlobalNorm(List.of(a, b), 1.0);
        assertEquals(5.0, before, 1e-12, "returns the norm before clipping");
        assertEquals(0.6f, a.g()[0], TOL);
        assertEquals(0f, a.g()[1], 0f);
        assertEquals(-0.8f, b.g()[0], TOL);
        assertEquals(1.0, Clip.globalNorm(List.of(a, b)), 1e-6, "norm after clipping");
    }

    @Test
    void clipByGlobalNormLeavesSmallGradientsAlone() {
        Param a = param("a", new float[] {0f, 0f, 0f});
        grad(a, 0.3f, -0.4f, 0f);
        double before = Clip.byGlobalNorm(List.of(a), 1.0);
        assertEquals(0.5, before, 1e-7);
        assertArrayEquals(new float[] {0.3f, -0.4f, 0f}, a.g());
    }

    @Test
    void clipByValueClampsEachEntry() {
        Param a = param("a", new float[] {0f, 0f, 0f});
        Param b = param("b", new float[] {0f, 0f});
        grad(a, -7f, 3f, 5.5f);
        grad(b, -5f, 0f);
        Clip.byValue(List.of(a, b), 5f);
        assertArrayEquals(new float[] {-5f, 3f, 5f}, a.g());
        assertArrayEquals(new float[] {-5f, 0f}, b.g());
    }

    // ---------------------------------------------------------------- arguments

    @Test
    void badLearningRatesAndNamesAreRefused() {
        Param p = param("w", new float[] {1f});
        for (float lr : new float[] {0f, -0.1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> Optimizer.create("sgd", List.of(p), lr, 0f, 0f),
                    "lr " + lr);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Optimizer.create("rmsprop", List.of(p), 0.1f, 0f, 0f));
        assertEquals(true, e.getMessage().contains("rmsprop"), e.getMessage());
    }
}
