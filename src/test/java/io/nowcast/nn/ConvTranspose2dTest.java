package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ConvTranspose2d against the scatter definition written as loops (both Gemm backends), as the
 * adjoint of Conv2d, against finite differences, and with planted errors caught.
 */
class ConvTranspose2dTest {

    /** Batch n of (c, h, w) frames to oc channels, kernel k, stride s, padding p, output padding op. */
    record Case(int n, int c, int h, int w, int oc, int k, int s, int p, int op) {
        Nchw in() {
            return new Nchw(n, c, h, w);
        }

        int oh() {
            return (h - 1) * s - 2 * p + k + op;
        }

        int ow() {
            return (w - 1) * s - 2 * p + k + op;
        }

        ConvTranspose2d layer(Gemm gemm, Rng rng) {
            return new ConvTranspose2d("dec.0", c, oc, k, s, p, op, gemm).initUniform(rng);
        }

        @Override
        public String toString() {
            return "N" + n + " C" + c + " " + h + "x" + w + " ->" + oc + " k" + k + " s" + s + " p" + p + " op" + op;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(2, 3, 3, 4, 2, 4, 2, 1, 0),   // the usual 2x upsampling
                new Case(2, 2, 3, 3, 3, 3, 2, 1, 1),   // k3 s2 p1 with output padding: exactly 2x
                new Case(3, 2, 4, 3, 2, 3, 1, 1, 0),   // stride 1: a 'same' convolution's adjoint
                new Case(2, 2, 3, 2, 2, 2, 2, 0, 0),   // disjoint patches
                new Case(1, 3, 2, 2, 2, 1, 1, 0, 0),   // pointwise
                new Case(2, 1, 2, 3, 2, 3, 3, 0, 2));  // stride 3, output padding 2
    }

    static Stream<Arguments> casesOnBothBackends() {
        return cases().flatMap(c -> Stream.of(Arguments.of("ejml", c), Arguments.of("default", c)));
    }

    /** y[n, o, i*s - p + ki, j*s - p + kj] += x[n, c, i, j] W[c, o, ki, kj], plus b[o]. */
    static float[] directForward(Case q, float[] x, float[] wt, float[] b) {
        int oh = q.oh();
        int ow = q.ow();
        double[] y = new double[q.n * q.oc * oh * ow];
        for (int n = 0; n < q.n; n++) {
            for (int o = 0; o < q.oc; o++) {
                Arrays.fill(y, (n * q.oc + o) * oh * ow, (n * q.oc + o + 1) * oh * ow, b[o]);
            }
            for (int c = 0; c < q.c; c++) {
                for (int i = 0; i < q.h; i++) {
                    for (int j = 0; j < q.w; j++) {
                        for (int o = 0; o < q.oc; o++) {
                            for (int ki = 0; ki < q.k; ki++) {
                                for (int kj = 0; kj < q.k; kj++) {
                                    int r = i * q.s - q.p + ki;
                                    int t = j * q.s - q.p + kj;
                                    if (r >= 0 && r < oh && t >= 0 && t < ow) {
                                        y[((n * q.oc + o) * oh + r) * ow + t] += (double) x[((n * q.c + c) * q.h + i) * q.w + j]
                                                * wt[((c * q.oc + o) * q.k + ki) * q.k + kj];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        float[] f = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            f[i] = (float) y[i];
        }
        return f;
    }

    /** dx[n, c, i, j] = sum over o, ki, kj of dy[n, o, i*s - pad + ki, j*s - pad + kj] W[c, o, ki, kj]. */
    static float[] directDx(Case q, float[] dy, float[] wt, int pad) {
        int oh = q.oh();
        int ow = q.ow();
        float[] dx = new float[q.n * q.c * q.h * q.w];
        for (int n = 0; n < q.n; n++) {
            for (int c = 0; c < q.c; c++) {
                for (int i = 0; i < q.h; i++) {
                    for (int j = 0; j < q.w; j++) {
                        double s = 0;
                        for (int o = 0; o < q.oc; o++) {
                            for (int ki = 0; ki < q.k; ki++) {
                                for (int kj = 0; kj < q.k; kj++) {
                                    int r = i * q.s - pad + ki;
                                    int t = j * q.s - pad + kj;
                                    if (r >= 0 && r < oh && t >= 0 && t < ow) {
                                        s += (double) dy[((n * q.oc + o) * oh + r) * ow + t] * wt[((c * q.oc + o) * q.k + ki) * q.k + kj];
                                    }
                                }
                            }
                        }
                        dx[((n * q.c + c) * q.h + i) * q.w + j] = (float) s;
                    }
                }
            }
        }
        return dx;
    }

    static double maxAbsDiff(float[] a, float[] b, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesOnBothBackends")
    void forwardAndBackwardMatchTheDirectDefinition(String backend, Case q) {
        Rng rng = new Rng(3);
        Gemm gemm = backend.equals("default") ? Gemms.create() : Gemms.create(backend);
        ConvTranspose2d ct = q.layer(gemm, rng);
        assertEquals(new Nchw(q.n, q.oc, q.oh(), q.ow()), ct.outShape(q.in()));
        float[] x = LayerCheck.random(rng, q.in().size(), 1f);
        float[] y = ct.forward(x, q.in());
        double d = maxAbsDiff(directForward(q, x, ct.weight.w(), ct.bias.w()), y, q.n * q.oc * q.oh() * q.ow());
        assertTrue(d < 1e-5, backend + " " + q + ": max |y - direct| = " + d);
        float[] dy = LayerCheck.random(rng, q.n * q.oc * q.oh() * q.ow(), 1f);
        float[] dx = ct.backward(dy);
        d = maxAbsDiff(directDx(q, dy, ct.weight.w(), q.p), dx, x.length);
        assertTrue(d < 1e-5, backend + " " + q + ": max |dx - direct| = " + d);
    }

    /** <conv(x), y> = <x, convT(y)> for Conv2d and ConvTranspose2d with the same weights, no bias. */
    @Test
    void isTheAdjointOfConv2d() {
        Gemm gemm = Gemms.create();
        Rng rng = new Rng(5);
        // the conv maps (2, 3, 7, 7) to (2, 4, 4, 4) with k3 s2 p1, the transpose (4, 4) back to (7, 7)
        Conv2d conv = new Conv2d("c", 3, 4, 3, 2, 1, gemm).initUniform(rng);
        ConvTranspose2d ct = new ConvTranspose2d("t", 4, 3, 3, 2, 1, 0, gemm);
        ct.weight.set(conv.weight.w().clone());   // (OC, C, k, k) of the conv is (in, out, k, k) of the transpose
        Arrays.fill(conv.bias.w(), 0f);
        Nchw big = new Nchw(2, 3, 7, 7);
        Nchw small = conv.outShape(big);
        assertEquals(big, ct.outShape(small));
        float[] x = LayerCheck.random(rng, big.size(), 1f);
        float[] u = LayerCheck.random(rng, small.size(), 1f);
        float[] cx = conv.forward(x, big);
        float[] tu = ct.forward(u, small);
        double a = 0;
        double b = 0;
        for (int i = 0; i < small.size(); i++) {
            a += (double) cx[i] * u[i];
        }
        for (int i = 0; i < big.size(); i++) {
            b += (double) x[i] * tu[i];
        }
        assertEquals(a, b, 1e-4 * Math.max(1, Math.abs(a)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(Case q) {
        Rng rng = new Rng(7);
        new LayerCheck(q.layer(Gemms.create(), rng), q.in(), rng).assertAllMatch(q.toString());
    }

    @Test
    void plantedErrorsAreCaught() {
        Case q = new Case(2, 2, 3, 3, 2, 3, 2, 1, 1);
        Rng rng = new Rng(11);
        LayerCheck chk = new LayerCheck(q.layer(Gemms.create(), rng), q.in(), rng);
        ConvTranspose2d ct = (ConvTranspose2d) chk.layer;
        float[] dx = chk.analytic();
        double[] numDx = chk.numericDx();
        double[] numW = chk.numeric(ct.weight);
        assertTrue(GradCheck.relativeError(numDx, dx) < GradCheck.TOLERANCE);
        assertTrue(GradCheck.relativeError(numW, ct.weight.g()) < GradCheck.TOLERANCE);

        double e = GradCheck.relativeError(numW, LayerCheck.corruptLargest(ct.weight.g()));
        assertTrue(e > GradCheck.TOLERANCE, "a 5% error in one entry of dW passed (" + e + ")");
        e = GradCheck.relativeError(numDx, LayerCheck.corruptLargest(dx));
        assertTrue(e > GradCheck.TOLERANCE, "a 5% error in one entry of dx passed (" + e + ")");
        // the backward's im2col without the padding offset: the direct dx with padding 0 fails
        assertTrue(GradCheck.relativeError(numDx, directDx(q, chk.w, ct.weight.w(), q.p)) < GradCheck.TOLERANCE);
        e = GradCheck.relativeError(numDx, directDx(q, chk.w, ct.weight.w(), 0));
        assertTrue(e > GradCheck.TOLERANCE, "dx without the padding offset passed (" + e + ")");
    }

    @Test
    void shapesArePyTorchs() {
        ConvTranspose2d ct = new ConvTranspose2d("dec.1", 8, 3, 4, 2, 1, 0, Gemms.create("ejml"));
        assertArrayEquals(new int[] {8, 3, 4, 4}, ct.weight.shape());
        assertArrayEquals(new int[] {3}, ct.bias.shape());
        assertEquals(new Nchw(5, 3, 32, 30), ct.outShape(new Nchw(5, 8, 16, 15)));
        assertEquals(new Nchw(1, 3, 32, 32),
                new ConvTranspose2d("d", 8, 3, 3, 2, 1, 1, Gemms.create("ejml")).outShape(new Nchw(1, 8, 16, 16)));
        assertThrows(IllegalArgumentException.class, () -> new ConvTranspose2d("d", 8, 3, 3, 2, 1, 2, Gemms.create("ejml")));
    }
}
