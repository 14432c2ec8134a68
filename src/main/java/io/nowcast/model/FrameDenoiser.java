package io.nowcast.model;

import io.nowcast.nn.Nchw;
import io.nowcast.nn.Sequential;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;

/**
 * A DnCNN-style denoiser of grey frames (Zhang et al. 2017, without batch normalisation):
 * conv3x3(in -> C) + ReLU, (L - 2) x [conv3x3(C -> C) + ReLU], conv3x3(C -> 1), all with padding
 * 1 so the frame keeps its size. The network predicts the noise (residual learning), so the
 * output is {@code clip(noisy - net(x))}: an untrained network that outputs zero passes the noisy
 * frame through.
 *
 * <p>Recurrent variant (2 input channels): x = [noisy frame, the stream's previous output frame].
 * The previous output is the per-stream state: static parts of a scene, already cleaned in the
 * previous frame, can be averaged with the new noisy view; a stream's first frame passes its own
 * noisy input as the previous frame. Not thread-safe (buffers reused).
 */
public final class FrameDenoiser implements FrameModel {
    private final FrameSpec spec;
    private final Sequential body;
    private float[] x = new float[0];   // (N, in, H, W): the network's input

    public FrameDenoiser(FrameSpec spec, Sequential body) {
        if (spec.kind != ModelKind.FRAME_DENOISER || spec.problem() != null) {
            throw new IllegalArgumentException("a frame denoiser needs a consistent frame-denoiser spec: "
                    + (spec.kind != ModelKind.FRAME_DENOISER ? "kind " + spec.kind.id : spec.problem()));
        }
        this.spec = spec;
        this.body = body;
    }

    /** The network of a spec, weights not set (zeros). */
    public static Sequential network(FrameSpec spec, Gemm gemm) {
        return FrameNets.build(spec, spec.inChannels, 1, 1, gemm);
    }

    /** A denoiser of this spec with seeded random initial weights (He normal), for training and tests. */
    public static FrameDenoiser random(FrameSpec spec, long seed) {
        return random(spec, seed, Gemms.create());
    }

    public static FrameDenoiser random(FrameSpec spec, long seed, Gemm gemm) {
        Sequential body = network(spec, gemm);
        FrameNets.init(body, seed);
        return new FrameDenoiser(spec, body);
    }

    @Override
    public FrameSpec spec() {
        return spec;
    }

    @Override
    public int scale() {
        return 1;
    }

    @Override
    public boolean recurrent() {
        return spec.recurrent();
    }

    @Override
    public Sequential body() {
        return body;
    }

    @Override
    public void apply(float[] in, int n, int h, int w, float[] prev, float[] out) {
        int P = h * w;
        int C = spec.inChannels;
        if (in.length < n * P || out.length < n * P || (C == 2 && (prev == null || prev.length < n * P))) {
            throw new IllegalArgumentException("frame denoiser: " + n + " frames of " + h + "x" + w + " need "
                    + n * P + " values in, out" + (C == 2 ? " and prev" : "") + "; found " + in.length + ", "
                    + out.length + (C == 2 ? ", " + (prev == null ? "no prev" : prev.length) : ""));
        }
        x = io.nowcast.nn.Layer.grow(x, n * C * P);
        inputs(in, prev, n, P, C, x);
        float[] r = body.forward(x, new Nchw(n, C, h, w));
        // out = clip(noisy - net(x))
        for (int i = 0; i < n * P; i++) {
            out[i] = FrameNets.clip(in[i] - r[i]);
        }
    }

    /** x (N, C, P) = [noisy_i, prev_i] per frame (C = 2), or the noisy frames (C = 1). */
    public static void inputs(float[] noisy, float[] prev, int n, int P, int C, float[] x) {
        for (int i = 0; i < n; i++) {
            System.arraycopy(noisy, i * P, x, i * C * P, P);
            if (C == 2) {
                System.arraycopy(prev, i * P, x, i * C * P + P, P);
            }
        }
    }
}
