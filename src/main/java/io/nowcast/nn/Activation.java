package io.nowcast.nn;

import io.nowcast.tensor.Kernels;

/**
 * Element-wise activations as layers (any shape in, the same shape out): ReLU, LeakyReLU(slope)
 * and Sigmoid. The array functions below are the layers' arithmetic, usable on their own: outputs
 * first, then inputs, then sizes; a backward's dx is overwritten.
 */
public final class Activation implements Layer {
    public enum Kind { RELU, LEAKY_RELU, SIGMOID }

    public final Kind kind;
    /** The negative-side slope of LEAKY_RELU (0 for RELU). */
    public final float slope;
    private float[] x;                  // the input of the last forward, borrowed (ReLU family)
    private int size;
    private float[] y = new float[0];
    private float[] dx = new float[0];

    private Activation(Kind kind, float slope) {
        this.kind = kind;
        this.slope = slope;
    }

    public static Activation relu() {
        return new Activation(Kind.RELU, 0f);
    }

    /** PyTorch's default slope is 0.01. */
    public static Activation leakyRelu(float slope) {
        return new Activation(Kind.LEAKY_RELU, slope);
    }

    public static Activation sigmoid() {
        return new Activation(Kind.SIGMOID, 0f);
    }

    @Override
    public Nchw outShape(Nchw in) {
        return in;
    }

    @Override
    public float[] forward(float[] x, Nchw in) {
        this.x = x;
        this.size = in.size();
        y = Layer.grow(y, size);
        if (kind == Kind.SIGMOID) {
            sigmoidForward(y, x, size);
        } else if (kind == Kind.RELU) {
            reluForward(y, x, size);
        } else {
            leakyReluForward(y, x, size, slope);
        }
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        dx = Layer.grow(dx, size);
        if (kind == Kind.SIGMOID) {
            sigmoidBackward(dx, dy, y, size);
        } else if (kind == Kind.RELU) {
            reluBackward(dx, dy, x, size);
        } else {
            leakyReluBackward(dx, dy, x, size, slope);
        }
        return dx;
    }

    /** y = max(x, 0), over [0, n) (+0 for negative x, as PyTorch). */
    public static void reluForward(float[] y, float[] x, int n) {
        for (int i = 0; i < n; i++) {
            y[i] = Math.max(x[i], 0f);
        }
    }

    /** dx = dy if x > 0 else 0. */
    public static void reluBackward(float[] dx, float[] dy, float[] x, int n) {
        for (int i = 0; i < n; i++) {
            dx[i] = x[i] > 0f ? dy[i] : 0f;
        }
    }

    /** y = x if x > 0 else slope * x, over [0, n). */
    public static void leakyReluForward(float[] y, float[] x, int n, float slope) {
        for (int i = 0; i < n; i++) {
            float v = x[i];
            y[i] = v > 0f ? v : slope * v;
        }
    }

    /** dx = dy if x > 0 else slope * dy (the derivative at 0 taken as slope, as PyTorch). */
    public static void leakyReluBackward(float[] dx, float[] dy, float[] x, int n, float slope) {
        for (int i = 0; i < n; i++) {
            dx[i] = x[i] > 0f ? dy[i] : slope * dy[i];
        }
    }

    /** y = 1 / (1 + e^-x), over [0, n) ({@link Kernels#sigmoid}). */
    public static void sigmoidForward(float[] y, float[] x, int n) {
        System.arraycopy(x, 0, y, 0, n);
        Kernels.sigmoid(y, 0, n);
    }

    /** dx = dy * y (1 - y), from the forward's output y. */
    public static void sigmoidBackward(float[] dx, float[] dy, float[] y, int n) {
        for (int i = 0; i < n; i++) {
            float v = y[i];
            dx[i] = dy[i] * v * (1f - v);
        }
    }

    @Override
    public String toString() {
        return kind == Kind.LEAKY_RELU ? "LeakyReLU(" + slope + ")" : kind.toString();
    }
}
