package io.nowcast.model;

import io.nowcast.data.Resize;
import io.nowcast.nn.Layer;
import io.nowcast.nn.Nchw;
import io.nowcast.nn.Sequential;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;

/**
 * Raises the resolution of grey frames by s = 2, 3 or 4, as a correction of the bicubic upscale
 * (MATLAB-compatible {@link Resize#bicubic}), in one of two ways:
 * <ul>
 *   <li>{@code bicubic} (VDSR-like): the network runs at the high resolution on the upscale u =
 *       bicubic(x): {@code out = clip(u + net(u))}, conv stack 1 -> C -> ... -> 1;</li>
 *   <li>{@code pixel-shuffle} (ESPCN-like, learned upsampling): the network runs at the low
 *       resolution, its last convolution has s^2 channels rearranged by a pixel shuffle into the
 *       s-times larger frame: {@code out = clip(bicubic(x) + shuffle(net(x)))}, s^2 times cheaper.</li>
 * </ul>
 * Not recurrent. Not thread-safe (buffers reused).
 */
public final class SuperResolver implements FrameModel {
    private final FrameSpec spec;
    private final Sequential body;
    private float[] up = new float[0];   // (N, 1, sH, sW): the bicubic upscale
    private float[] frame = new float[0]; // one low-resolution frame
    private float[] big = new float[0];   // one upscaled frame

    public SuperResolver(FrameSpec spec, Sequential body) {
        if (spec.kind != ModelKind.SUPER_RESOLVER || spec.problem() != null) {
            throw new IllegalArgumentException("a super-resolver needs a consistent super-resolver spec: "
                    + (spec.kind != ModelKind.SUPER_RESOLVER ? "kind " + spec.kind.id : spec.problem()));
        }
        this.spec = spec;
        this.body = body;
    }

    /** Whether the network runs at the low resolution and ends in a pixel shuffle. */
    public boolean learnedUpsampling() {
        return spec.upsampling.equals("pixel-shuffle");
    }

    /** The network of a spec, weights not set (zeros). */
    public static Sequential network(FrameSpec spec, Gemm gemm) {
        boolean shuffle = spec.upsampling.equals("pixel-shuffle");
        return FrameNets.build(spec, 1, shuffle ? spec.scale * spec.scale : 1, shuffle ? spec.scale : 1, gemm);
    }

    /** A super-resolver of this spec with seeded random initial weights, for training and tests. */
    public static SuperResolver random(FrameSpec spec, long seed) {
        return random(spec, seed, Gemms.create());
    }

    public static SuperResolver random(FrameSpec spec, long seed, Gemm gemm) {
        Sequential body = network(spec, gemm);
        FrameNets.init(body, seed);
        return new SuperResolver(spec, body);
    }

    @Override
    public FrameSpec spec() {
        return spec;
    }

    @Override
    public int scale() {
        return spec.scale;
    }

    @Override
    public boolean recurrent() {
        return false;
    }

    @Override
    public Sequential body() {
        return body;
    }

    @Override
    public void apply(float[] in, int n, int h, int w, float[] prev, float[] out) {
        int s = spec.scale;
        int P = h * w;
        int Q = P * s * s;
        if (in.length < n * P || out.length < n * Q) {
            throw new IllegalArgumentException("super-resolver x" + s + ": " + n + " frames of " + h + "x" + w + " need "
                    + n * P + " values in and " + n * Q + " out; found " + in.length + ", " + out.length);
        }
        up = Layer.grow(up, n * Q);
        frame = Layer.grow(frame, P);
        big = Layer.grow(big, Q);
        for (int i = 0; i < n; i++) {
            System.arraycopy(in, i * P, frame, 0, P);
            Resize.bicubic(frame, w, h, w * s, h * s, big);
            System.arraycopy(big, 0, up, i * Q, Q);
        }
        float[] r = learnedUpsampling()
                ? body.forward(in, new Nchw(n, 1, h, w))
                : body.forward(up, new Nchw(n, 1, h * s, w * s));
        // out = clip(bicubic(x) + r)
        for (int i = 0; i < n * Q; i++) {
            out[i] = FrameNets.clip(up[i] + r[i]);
        }
    }
}
