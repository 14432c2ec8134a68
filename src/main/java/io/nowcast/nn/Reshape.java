package io.nowcast.nn;

/**
 * Gives each frame a new (c, h, w) of the same size (e.g. after a {@link Dense}). The data are not
 * moved: forward returns its input and backward its dy, the same arrays.
 */
public final class Reshape implements Layer {
    public final int c;
    public final int h;
    public final int w;

    public Reshape(int c, int h, int w) {
        this.c = c;
        this.h = h;
        this.w = w;
    }

    @Override
    public Nchw outShape(Nchw in) {
        if (in.frame() != c * h * w) {
            throw new IllegalArgumentException("reshape to (" + c + ", " + h + ", " + w + "): input " + in);
        }
        return new Nchw(in.n(), c, h, w);
    }

    @Override
    public float[] forward(float[] x, Nchw in) {
        outShape(in);
        return x;
    }

    @Override
    public float[] backward(float[] dy) {
        return dy;
    }
}
