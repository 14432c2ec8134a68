package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conv2d against a direct convolution written as loops (forward on both Gemm backends, and the
 * backward pass), against finite differences for dx, dW and db, and proof that the checks catch a
 * wrong gradient: one corrupted entry, and a col2im that drops the sum over overlapping patches.
 */
class Conv2dTest {

    /** A convolution problem: batch n of (c, h, w) frames, oc output channels, kernel k, stride s, padding p, dilation d. */
    record Case(int n, int c, int h, int w, int oc, int k, int s, int p, int d) {
        Case(int n, int c, int h, int w, int oc, int k, int s, int p) {
            this(n, c, h, w, oc, k, s, p, 1);
        }

        Nchw in() {
            return new Nchw(n, c, h, w);
        }

        Conv2d conv(Gemm gemm, Rng rng) {
            return new Conv2d("enc.0", c, oc, k, s, p, d, gemm).initUniform(rng);
        }

        int oh() {
            return (h + 2 * p - d * (k - 1) - 1) / s + 1;
        }

        int ow() {
            return (w + 2 * p - d * (k - 1) - 1) / s + 1;
        }

        @Override
        public String toString() {
            return "N" + n + " C" + c + " " + h + "x" + w + " ->" + oc + " k" + k + " s" + s + " p" + p + (d > 1 ? " d" + d : "");
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(2, 3, 5, 6, 4, 3, 1, 1),   // 'same' 3x3
                new Case(3, 2, 7, 5, 3, 3, 2, 1),   // stride 2, padding 1, odd sizes
                new Case(2, 2, 8, 6, 3, 4, 2, 1),   // the usual 2x downsampling
                new Case(2, 2, 6, 6, 2, 2, 2, 0),   // patches that do not overlap
                new Case(2, 3, 4, 5, 5, 1, 1, 0),   // pointwise: no patch matrix
                new Case(1, 1, 5, 4, 2, 5, 1, 2),   // kernel wider than the frame minus padding
                new Case(2, 2, 7, 7, 2, 3, 3, 0),   // stride = kernel: disjoint patches, last row and column unused
                new Case(2, 2, 9, 8, 3, 3, 1, 2, 2), // dilation 2, 'same'
                new Case(1, 2, 11, 9, 2, 3, 1, 4, 4), // dilation 4, padding 4: most taps fall outside a small frame
                new Case(2, 1, 10, 9, 2, 3, 2, 1, 3)); // dilation with stride, less padding than the span
    }

    static Stream<Arguments> casesOnBothBackends() {
        return cases().flatMap(c -> Stream.of(Arguments.of("ejml", c), Arguments.of("default", c)));
    }

    static Gemm backend(String name) {
        return name.equals("default") ? Gemms.create() : Gemms.create(name);
    }

    // ---- the direct convolution, as loops in double ----

    /** y (N, OC, OH, OW) = b + sum over c, ki, kj of W[o, c, ki, kj] x[n, c, oh*s - p + ki, ow*s - p + kj]. */
    static float[] directForward(Case q, float[] x, float[] wt, float[] b) {
        int oh = q.oh();
        int ow = q.ow();
        float[] y = new float[q.n * q.oc * oh * ow];
        for (int n = 0; n < q.n; n++) {
            for (int o = 0; o < q.oc; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double s = b[o];
                        for (int c = 0; c < q.c; c++) {
                            for (int ki = 0; ki < q.k; ki++) {
                                for (int kj = 0; kj < q.k; kj++) {
                                    int ih = i * q.s - q.p + ki * q.d;
                                    int iw = j * q.s - q.p + kj * q.d;
                                    if (ih >= 0 && ih < q.h && iw >= 0 && iw < q.w) {
                                        s += (double) wt[((o * q.c + c) * q.k + ki) * q.k + kj]
                                                * x[((n * q.c + c) * q.h + ih) * q.w + iw];
                                    }
                                }
                            }
                        }
                        y[((n * q.oc + o) * oh + i) * ow + j] = (float) s;
                    }
                }
            }
        }
        return y;
    }

    /**
     * dx of the direct convolution. With overlapSum false it is the realistic bug of a col2im that
     * stores each patch entry into its pixel instead of adding it: a pixel in several patches keeps
     * only the last one's contribution.
     */
    static float[] directDx(Case q, float[] dy, float[] wt, boolean overlapSum) {
        int oh = q.oh();
        int ow = q.ow();
        float[] dx = new float[q.n * q.c * q.h * q.w];
        for (int n = 0; n < q.n; n++) {
            for (int c = 0; c < q.c; c++) {
                for (int ki = 0; ki < q.k; ki++) {
                    for (int kj = 0; kj < q.k; kj++) {
                        for (int i = 0; i < oh; i++) {
                            for (int j = 0; j < ow; j++) {
                                int ih = i * q.s - q.p + ki * q.d;
                                int iw = j * q.s - q.p + kj * q.d;
                                if (ih < 0 || ih >= q.h || iw < 0 || iw >= q.w) {
                                    continue;
                                }
                                // dcols[c, ki, kj, i, j] = sum over o of W[o, c, ki, kj] dy[n, o, i, j]
                                double d = 0;
                                for (int o = 0; o < q.oc; o++) {
                                    d += (double) wt[((o * q.c + c) * q.k + ki) * q.k + kj] * dy[((n * q.oc + o) * oh + i) * ow + j];
                                }
                                int at = ((n * q.c + c) * q.h + ih) * q.w + iw;
                                dx[at] = overlapSum ? dx[at] + (float) d : (float) d;
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /** dW of the direct convolution: sum over n, i, j of dy[n, o, i, j] x[n, c, i*s - p + ki, j*s - p + kj]. */
    static float[] directDw(Case q, float[] dy, float[] x) {
        int oh = q.oh();
        int ow = q.ow();
        float[] dw = new float[q.oc * q.c * q.k * q.k];
        for (int o = 0; o < q.oc; o++) {
            for (int c = 0; c < q.c; c++) {
                for (int ki = 0; ki < q.k; ki++) {
                    for (int kj = 0; kj < q.k; kj++) {
                        double s = 0;
                        for (int n = 0; n < q.n; n++) {
                            for (int i = 0; i < oh; i++) {
                                for (int j = 0; j < ow; j++) {
                                    int ih = i * q.s - q.p + ki * q.d;
                                    int iw = j * q.s - q.p + kj * q.d;
                                    if (ih >= 0 && ih < q.h && iw >= 0 && iw < q.w) {
                                        s += (double) dy[((n * q.oc + o) * oh + i) * ow + j] * x[((n * q.c + c) * q.h + ih) * q.w + iw];
                                    }
                                }
                            }
                        }
                        dw[((o * q.c + c) * q.k + ki) * q.k + kj] = (float) s;
                    }
                }
            }
        }
        return dw;
    }

    static double maxAbsDiff(float[] a, float[] b, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    // ---- tests ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesOnBothBackends")
    void forwardMatchesDirectConvolution(String backend, Case q) {
        Rng rng = new Rng(17);
        Conv2d conv = q.conv(backend(backend), rng);
        float[] x = LayerCheck.random(rng, q.in().size(), 1f);
        float[] y = conv.forward(x, q.in());
        float[] ref = directForward(q, x, conv.weight.w(), conv.bias.w());
        assertEquals(new Nchw(q.n, q.oc, q.oh(), q.ow()), conv.outShape(q.in()));
        double d = maxAbsDiff(ref, y, ref.length);
        assertTrue(d < 1e-5, backend + " " + q + ": max |y - direct| = " + d);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesOnBothBackends")
    void backwardMatchesDirectConvolution(String backend, Case q) {
        Rng rng = new Rng(19);
        Conv2d conv = q.conv(backend(backend), rng);
        float[] x = LayerCheck.random(rng, q.in().size(), 1f);
        float[] dy = LayerCheck.random(rng, q.n * q.oc * q.oh() * q.ow(), 1f);
        conv.forward(x, q.in());
        float[] dx = conv.backward(dy);
        assertTrue(maxAbsDiff(directDx(q, dy, conv.weight.w(), true), dx, x.length) < 1e-5, q + " dx");
        assertTrue(maxAbsDiff(directDw(q, dy, x), conv.weight.g(), conv.weight.size()) < 1e-4, q + " dW");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(Case q) {
        Rng rng = new Rng(23);
        new LayerCheck(q.conv(Gemms.create(), rng), q.in(), rng).assertAllMatch(q.toString());
    }

    @Test
    void parameterGradientsAccumulate() {
        Case q = cases().findFirst().orElseThrow();
        Rng rng = new Rng(29);
        LayerCheck chk = new LayerCheck(q.conv(Gemms.create(), rng), q.in(), rng);
        Conv2d conv = (Conv2d) chk.layer;
        chk.analytic();
        float[] once = conv.weight.g().clone();
        float[] bOnce = conv.bias.g().clone();
        conv.forward(chk.x, q.in());
        conv.backward(chk.w);
        for (int i = 0; i < once.length; i++) {
            assertEquals(2 * once[i], conv.weight.g()[i], 1e-5f * (1 + Math.abs(once[i])));
        }
        for (int i = 0; i < bOnce.length; i++) {
            assertEquals(2 * bOnce[i], conv.bias.g()[i], 1e-5f * (1 + Math.abs(bOnce[i])));
        }
    }

    @Test
    void plantedErrorsAreCaught() {
        Case q = new Case(2, 2, 5, 6, 3, 3, 1, 1);
        Rng rng = new Rng(31);
        LayerCheck chk = new LayerCheck(q.conv(Gemms.create(), rng), q.in(), rng);
        Conv2d conv = (Conv2d) chk.layer;
        float[] dx = chk.analytic();
        double[] numDx = chk.numericDx();
        double[] numW = chk.numeric(conv.weight);
        double[] numB = chk.numeric(conv.bias);

        // the right gradients pass
        assertTrue(GradCheck.relativeError(numDx, dx) < GradCheck.TOLERANCE);
        assertTrue(GradCheck.relativeError(numW, conv.weight.g()) < GradCheck.TOLERANCE);
        assertTrue(GradCheck.relativeError(numB, conv.bias.g()) < GradCheck.TOLERANCE);

        // one entry off by 5% fails, in each of dx, dW and db
        double e = GradCheck.relativeError(numDx, LayerCheck.corruptLargest(dx));
        assertTrue(e > GradCheck.TOLERANCE, "a 5% error in one entry of dx passed (" + e + ")");
        e = GradCheck.relativeError(numW, LayerCheck.corruptLargest(conv.weight.g()));
        assertTrue(e > GradCheck.TOLERANCE, "a 5% error in one entry of dW passed (" + e + ")");
        e = GradCheck.relativeError(numB, LayerCheck.corruptLargest(conv.bias.g()));
        assertTrue(e > GradCheck.TOLERANCE, "a 5% error in one entry of db passed (" + e + ")");

        // col2im without the sum over overlapping patches: the direct reference with the same bug fails,
        // while the same reference with the sum passes
        float[] right = directDx(q, chk.w, conv.weight.w(), true);
        float[] dropped = directDx(q, chk.w, conv.weight.w(), false);
        assertTrue(GradCheck.relativeError(numDx, right) < GradCheck.TOLERANCE);
        e = GradCheck.relativeError(numDx, dropped);
        assertTrue(e > GradCheck.TOLERANCE, "col2im without the overlap sum passed (" + e + ")");
    }

    @Test
    void aDilatedConvolutionIsCheckedAgainstItsOwnTaps() {
        // a backward that forgot the dilation (taps next to each other) is caught by the same check
        Case q = new Case(2, 2, 9, 8, 3, 3, 1, 2, 2);
        Case undilated = new Case(2, 2, 9, 8, 3, 3, 1, 2, 1);
        Rng rng = new Rng(33);
        LayerCheck chk = new LayerCheck(q.conv(Gemms.create(), rng), q.in(), rng);
        Conv2d conv = (Conv2d) chk.layer;
        float[] dx = chk.analytic();
        double[] numDx = chk.numericDx();
        assertTrue(GradCheck.relativeError(numDx, dx) < GradCheck.TOLERANCE);
        // undilated 3x3 with padding 2 is 11x10 out, not 9x8: read dy as the dilated layout through the same loops
        float[] wrong = new float[dx.length];
        float[] dyPad = new float[undilated.n * undilated.oc * undilated.oh() * undilated.ow()];
        for (int n = 0; n < q.n; n++) {
            for (int o = 0; o < q.oc; o++) {
                for (int i = 0; i < q.oh(); i++) {
                    for (int j = 0; j < q.ow(); j++) {
                        dyPad[((n * q.oc + o) * undilated.oh() + i + 1) * undilated.ow() + j + 1] =
                                chk.w[((n * q.oc + o) * q.oh() + i) * q.ow() + j];
                    }
                }
            }
        }
        System.arraycopy(directDx(undilated, dyPad, conv.weight.w(), true), 0, wrong, 0, wrong.length);
        double e = GradCheck.relativeError(numDx, wrong);
        assertTrue(e > GradCheck.TOLERANCE, "a backward without the dilation passed (" + e + ")");
        assertEquals(new Nchw(2, 3, 9, 8), conv.outShape(q.in()));
    }

    @Test
    void theOverlapBugIsInvisibleWithoutOverlap() {
        // why the shapes above include k > s: with k = s the patches are disjoint and the bug is harmless
        Case q = new Case(2, 2, 6, 6, 2, 2, 2, 0);
        Rng rng = new Rng(37);
        LayerCheck chk = new LayerCheck(q.conv(Gemms.create(), rng), q.in(), rng);
        Conv2d conv = (Conv2d) chk.layer;
        chk.analytic();
        float[] dropped = directDx(q, chk.w, conv.weight.w(), false);
        assertTrue(GradCheck.relativeError(chk.numericDx(), dropped) < GradCheck.TOLERANCE);
    }

    @Test
    void buffersAreReusedAcrossCallsAndBatchSizes() {
        Case q = new Case(3, 2, 5, 5, 2, 3, 1, 1);
        Rng rng = new Rng(41);
        Conv2d conv = q.conv(Gemms.create(), rng);
        float[] x = LayerCheck.random(rng, q.in().size(), 1f);
        float[] y1 = conv.forward(x, q.in());
        float[] dx1 = conv.backward(new float[y1.length]);
        Nchw two = new Nchw(2, 2, 5, 5);
        float[] x2 = Arrays.copyOf(x, two.size());
        float[] y2 = conv.forward(x2, two);
        assertSame(y1, y2);
        assertSame(dx1, conv.backward(new float[y1.length]));
        // a smaller batch gives the first frames of the larger one
        float[] ref = directForward(new Case(2, 2, 5, 5, 2, 3, 1, 1), x2, conv.weight.w(), conv.bias.w());
        assertTrue(maxAbsDiff(ref, y2, ref.length) < 1e-5);
    }

    @Test
    void shapesArePyTorchs() {
        Conv2d conv = new Conv2d("enc.0", 3, 8, 3, 2, 1, Gemms.create("ejml"));
        assertArrayEquals(new int[] {8, 3, 3, 3}, conv.weight.shape());
        assertArrayEquals(new int[] {8}, conv.bias.shape());
        assertEquals(8, conv.weight.value.numRows);    // stored as the (OC, C*k*k) matrix of the product
        assertEquals(27, conv.weight.value.numCols);
        assertEquals("enc.0.weight", conv.weight.name);
        assertEquals(new Nchw(4, 8, 16, 16), conv.outShape(new Nchw(4, 3, 32, 32)));
        assertEquals(new Nchw(4, 8, 17, 16), conv.outShape(new Nchw(4, 3, 33, 31)));
        assertThrows(IllegalArgumentException.class, () -> conv.outShape(new Nchw(4, 2, 32, 32)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ejml", "default"})
    void aLargerFrameMatchesTheDirectConvolution(String backend) {
        Case q = new Case(2, 4, 17, 13, 6, 3, 2, 1);
        Rng rng = new Rng(43);
        Conv2d conv = q.conv(backend(backend), rng);
        float[] x = LayerCheck.random(rng, q.in().size(), 1f);
        float[] y = conv.forward(x, q.in());
        double d = maxAbsDiff(directForward(q, x, conv.weight.w(), conv.bias.w()), y, q.n * q.oc * q.oh() * q.ow());
        assertTrue(d < 1e-5, backend + ": " + d);
    }
}
