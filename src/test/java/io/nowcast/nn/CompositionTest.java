package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Layers composed into networks: a residual block, a dense denoising autoencoder on a squared
 * error, and a small convolutional denoiser, all against finite differences; a residual block
 * whose backward forgets the identity path is caught. The ReLUs are watched for kinks
 * ({@link LayerCheck.KinkWatch}); the denoiser's seed is {@code -Dnowcast.test.seed} (default 4,
 * seeds 4 to 13 checked to pass).
 */
class CompositionTest {
    private static final long SEED = Long.getLong("nowcast.test.seed", 4);
    private final List<LayerCheck.KinkWatch> watches = new java.util.ArrayList<>();

    /** The activation, watched for kinks crossed by the finite differences ({@link LayerCheck.KinkWatch}). */
    private Layer watched(Activation a) {
        LayerCheck.KinkWatch k = new LayerCheck.KinkWatch(a);
        watches.add(k);
        return k;
    }

    /** conv 3x3 'same' -> LeakyReLU -> conv 3x3 'same': the body of a residual block. */
    Sequential residualBody(String prefix, int channels, Gemm gemm, Rng rng) {
        return new Sequential(
                new Conv2d(prefix + ".0", channels, channels, 3, 1, 1, gemm).initUniform(rng),
                watched(Activation.leakyRelu(0.1f)),
                new Conv2d(prefix + ".2", channels, channels, 3, 1, 1, gemm).initUniform(rng));
    }

    @Test
    void residualBlockGradientsMatch() {
        Rng rng = new Rng(1);
        Residual block = new Residual(residualBody("res", 2, Gemms.create(), rng));
        assertEquals(List.of("res.0.weight", "res.0.bias", "res.2.weight", "res.2.bias"),
                block.params().stream().map(p -> p.name).toList());
        LayerCheck chk = new LayerCheck(block, new Nchw(2, 2, 4, 5), rng);
        chk.watches.addAll(watches);
        chk.assertAllMatch("residual");
    }

    @Test
    void residualWithoutTheIdentityPathIsCaught() {
        Rng rng = new Rng(2);
        Sequential body = residualBody("res", 2, Gemms.create(), rng);
        LayerCheck chk = new LayerCheck(new Residual(body), new Nchw(2, 2, 4, 4), rng);
        double[] num = chk.numericDx();
        assertTrue(GradCheck.relativeError(num, chk.analytic()) < GradCheck.TOLERANCE);
        // planted: dx = J_f^T dy only, as if y = f(x)
        body.forward(chk.x, chk.in);
        float[] bodyOnly = Arrays.copyOf(body.backward(chk.w), chk.x.length);
        double e = GradCheck.relativeError(num, bodyOnly);
        assertTrue(e > GradCheck.TOLERANCE, "residual without dy passed (" + e + ")");
    }

    @Test
    void residualNeedsAShapeKeepingBody() {
        Residual r = new Residual(new Conv2d("c", 2, 2, 3, 2, 1, Gemms.create()));
        assertThrows(IllegalArgumentException.class, () -> r.outShape(new Nchw(1, 2, 4, 4)));
    }

    /**
     * A dense denoising autoencoder on 3x2x2 frames: Linear 12->5, Sigmoid, Linear 5->12, back to
     * the frame's shape; the loss is the squared error against the clean frames.
     */
    @Test
    void denseAutoencoderGradientsMatch() {
        Gemm gemm = Gemms.create();
        Rng rng = new Rng(3);
        Linear enc = new Linear("enc", 12, 5, gemm);
        Linear dec = new Linear("dec", 5, 12, gemm);
        enc.initUniform(rng);
        dec.initUniform(rng);
        Sequential ae = new Sequential(new Dense(enc), Activation.sigmoid(), new Dense(dec), new Reshape(3, 2, 2));
        Nchw in = new Nchw(4, 3, 2, 2);
        assertEquals(in, ae.outShape(in));
        assertSquaredErrorGradientsMatch(ae, in, rng, "dense autoencoder");
    }

    /**
     * A convolutional denoiser in miniature: a stride-2 encoder, a residual block at half size, and a
     * PixelShuffle decoder back to full size with a sigmoid output. The loss is sum(w * y) with
     * random signs: a squared error sums positive terms, and its float32 rounding (divided by eps)
     * is then as large as the small gradients of the inner layers.
     */
    @Test
    void convolutionalDenoiserGradientsMatch() {
        Gemm gemm = Gemms.create();
        Rng rng = new Rng(SEED);
        int c = 4;
        Sequential net = new Sequential(
                new Conv2d("enc.0", 1, c, 4, 2, 1, gemm).initUniform(rng),
                watched(Activation.relu()),
                new Residual(residualBody("mid", c, gemm, rng)),
                new Conv2d("dec.0", c, 4, 3, 1, 1, gemm).initUniform(rng),
                new PixelShuffle(2),
                Activation.sigmoid());
        Nchw in = new Nchw(2, 1, 6, 6);
        assertEquals(in, net.outShape(in));
        LayerCheck chk = new LayerCheck(net, in, rng);
        chk.watches.addAll(watches);
        chk.assertAllMatch("conv denoiser");
    }

    /** Clean frames in [0, 1], noisy input = clean + noise; loss = sum (net(noisy) - clean)^2. */
    private void assertSquaredErrorGradientsMatch(Layer net, Nchw in, Rng rng, String what) {
        float[] clean = new float[in.size()];
        for (int i = 0; i < clean.length; i++) {
            clean[i] = (float) rng.nextDouble();
        }
        float[] noisy = clean.clone();
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] += (float) (0.2 * rng.nextGaussian());
        }
        int n = in.size();
        java.util.function.DoubleSupplier loss = () -> Loss.squaredError(net.forward(noisy, in), clean, n, 1f, null);

        for (Param p : net.params()) {
            p.zeroGrad();
        }
        float[] dy = new float[n];
        Loss.squaredError(net.forward(noisy, in), clean, n, 1f, dy);
        float[] dx = Arrays.copyOf(net.backward(dy), n);
        double err = LayerCheck.errorAwayFromKinks(noisy, n, loss, dx, watches, what + " dx");
        assertTrue(err < GradCheck.TOLERANCE, what + " dx: relative error " + err);
        for (Param p : net.params()) {
            float[] ana = p.g().clone();
            double e = LayerCheck.errorAwayFromKinks(p.w(), p.size(), loss, ana, watches, what + " " + p.name);
            assertTrue(e < GradCheck.TOLERANCE, what + " " + p.name + ": relative error " + e);
        }
    }
}
