package io.nowcast.nn;

import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PixelShuffle in PyTorch's channel order, its gradient, and a wrong sub-pixel order caught. */
class PixelShuffleTest {

    @Test
    void channelOrderIsPyTorchs() {
        // torch.nn.PixelShuffle(2)(torch.arange(8.).reshape(1, 8, 1, 1)):
        // [[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]]
        PixelShuffle ps = new PixelShuffle(2);
        Nchw in = new Nchw(1, 8, 1, 1);
        assertEquals(new Nchw(1, 2, 2, 2), ps.outShape(in));
        float[] x = {0, 1, 2, 3, 4, 5, 6, 7};
        assertArrayEquals(x, Arrays.copyOf(ps.forward(x, in), 8));

        // torch.nn.PixelShuffle(2)(torch.arange(8.).reshape(1, 4, 1, 2)):
        // [[[[0, 2, 1, 3], [4, 6, 5, 7]]]]
        Nchw wide = new Nchw(1, 4, 1, 2);
        assertEquals(new Nchw(1, 1, 2, 4), ps.outShape(wide));
        assertArrayEquals(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, Arrays.copyOf(ps.forward(x, wide), 8));
    }

    @Test
    void matchesTheDefinitionOnAnOddShape() {
        int r = 3;
        Nchw in = new Nchw(2, 2 * r * r, 2, 3);
        PixelShuffle ps = new PixelShuffle(r);
        Rng rng = new Rng(3);
        float[] x = LayerCheck.random(rng, in.size(), 1f);
        float[] y = ps.forward(x, in);
        Nchw out = ps.outShape(in);
        for (int n = 0; n < in.n(); n++) {
            for (int c = 0; c < out.c(); c++) {
                for (int oh = 0; oh < out.h(); oh++) {
                    for (int ow = 0; ow < out.w(); ow++) {
                        // y[n, c, h*r + i, w*r + j] = x[n, c*r*r + i*r + j, h, w]
                        int h = oh / r;
                        int i = oh % r;
                        int w = ow / r;
                        int j = ow % r;
                        float want = x[((n * in.c() + c * r * r + i * r + j) * in.h() + h) * in.w() + w];
                        assertEquals(want, y[((n * out.c() + c) * out.h() + oh) * out.w() + ow]);
                    }
                }
            }
        }
        // backward is the inverse permutation
        assertArrayEquals(x, Arrays.copyOf(ps.backward(Arrays.copyOf(y, out.size())), x.length));
        assertThrows(IllegalArgumentException.class, () -> ps.outShape(new Nchw(1, 10, 2, 2)));
    }

    @Test
    void gradientMatchesFiniteDifferencesAndAWrongOrderFails() {
        Nchw in = new Nchw(2, 8, 3, 2);
        LayerCheck chk = new LayerCheck(new PixelShuffle(2), in, new Rng(5));
        float[] dx = chk.analytic();
        double[] num = chk.numericDx();
        double err = GradCheck.relativeError(num, dx);
        assertTrue(err < GradCheck.TOLERANCE, "dx: relative error " + err);

        // planted: the sub-pixel offsets (i, j) read transposed in the backward, a plausible slip
        float[] wrong = new float[in.size()];
        int r = 2;
        int C = in.c() / (r * r);
        int H = in.h();
        int W = in.w();
        for (int n = 0; n < in.n(); n++) {
            for (int c = 0; c < C; c++) {
                for (int i = 0; i < r; i++) {
                    for (int j = 0; j < r; j++) {
                        for (int h = 0; h < H; h++) {
                            for (int w = 0; w < W; w++) {
                                wrong[((n * in.c() + c * r * r + i * r + j) * H + h) * W + w] =
                                        chk.w[((n * C + c) * H * r + h * r + j) * W * r + w * r + i];
                            }
                        }
                    }
                }
            }
        }
        double e = GradCheck.relativeError(num, wrong);
        assertTrue(e > GradCheck.TOLERANCE, "transposed sub-pixel order passed (" + e + ")");
        e = GradCheck.relativeError(num, LayerCheck.corruptLargest(dx));
        assertTrue(e > GradCheck.TOLERANCE, "a 5% error in one entry passed (" + e + ")");
    }
}
