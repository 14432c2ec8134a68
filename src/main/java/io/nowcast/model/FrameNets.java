package io.nowcast.model;

import io.nowcast.nn.Activation;
import io.nowcast.nn.Conv2d;
import io.nowcast.nn.Layer;
import io.nowcast.nn.Param;
import io.nowcast.nn.PixelShuffle;
import io.nowcast.nn.Sequential;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * The convolution stacks of the frame models, numbered as PyTorch's {@code nn.Sequential} numbers
 * them (a ReLU takes an index too): {@code body.0} conv(in -> C) + ReLU, then (L - 2) x
 * [conv(C -> C) + ReLU] at {@code body.2, body.4, ...}, then {@code body.(2L-2)} conv(C -> out),
 * and for pixel-shuffle upsampling a {@code PixelShuffle} at {@code body.(2L-1)}. Convolution i
 * has dilation {@code dilations[i]} and padding {@code dilations[i] * (kernel / 2)}: every one keeps
 * the frame size.
 */
final class FrameNets {
    private FrameNets() {
    }

    static Sequential build(FrameSpec spec, int in, int out, int shuffle, Gemm gemm) {
        return build(in, spec.channels, spec.layers, spec.kernel, spec.dilationsOrOnes(), out, shuffle, gemm);
    }

    static Sequential build(int in, int channels, int layers, int kernel, int[] dilations, int out, int shuffle, Gemm gemm) {
        List<Layer> l = new ArrayList<>();
        int c = in;
        for (int i = 0; i < layers - 1; i++) {
            l.add(new Conv2d("body." + l.size(), c, channels, kernel, 1, dilations[i] * (kernel / 2), dilations[i], gemm));
            l.add(Activation.relu());
            c = channels;
        }
        int d = dilations[layers - 1];
        l.add(new Conv2d("body." + l.size(), c, out, kernel, 1, d * (kernel / 2), d, gemm));
        if (shuffle > 1) {
            l.add(new PixelShuffle(shuffle));
        }
        return new Sequential(l);
    }

    /**
     * Seeded initial weights: He (Kaiming) normal for the convolutions followed by a ReLU
     * (std sqrt(2 / fan_in)); the last one uniform in +-0.1/sqrt(fan_in) (a tenth of PyTorch's
     * default), so that an untrained model starts near its pass-through (the noisy frame, the
     * bicubic upscale) instead of adding noise of its own; biases zero.
     */
    static void init(Sequential body, long seed) {
        Rng rng = new Rng(seed);
        List<Layer> ls = body.layers();
        Conv2d last = null;
        for (Layer l : ls) {
            if (l instanceof Conv2d c) {
                last = c;
            }
        }
        for (Layer l : ls) {
            if (l instanceof Conv2d c) {
                int fanIn = c.inChannels * c.kernel * c.kernel;
                if (c == last) {
                    rng.uniform(c.weight.w(), (float) (0.1 / Math.sqrt(fanIn)));
                } else {
                    rng.normal(c.weight.w(), (float) Math.sqrt(2.0 / fanIn));
                }
                java.util.Arrays.fill(c.bias.w(), 0f);
            }
        }
    }

    static int paramCount(Sequential body) {
        int n = 0;
        for (Param p : body.params()) {
            n += p.size();
        }
        return n;
    }

    /** out[i] = min(1, max(0, v)). */
    static float clip(float v) {
        return v < 0f ? 0f : v > 1f ? 1f : v;
    }
}
