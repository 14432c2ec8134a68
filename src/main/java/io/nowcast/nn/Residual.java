package io.nowcast.nn;

import java.util.List;

/** A residual block {@code y = x + f(x)}; f keeps the shape. Backward: {@code dx = dy + df/dx^T dy}. */
public final class Residual implements Layer {
    public final Layer body;
    private int size;
    private float[] y = new float[0];
    private float[] dx = new float[0];

    public Residual(Layer body) {
        this.body = body;
    }

    @Override
    public List<Param> params() {
        return body.params();
    }

    @Override
    public Nchw outShape(Nchw in) {
        Nchw out = body.outShape(in);
        if (!out.equals(in)) {
            throw new IllegalArgumentException("residual: the body maps " + in + " to " + out + ", not to the same shape");
        }
        return in;
    }

    @Override
    public float[] forward(float[] x, Nchw in) {
        outShape(in);
        size = in.size();
        float[] f = body.forward(x, in);
        y = Layer.grow(y, size);
        // y = x + f(x)
        for (int i = 0; i < size; i++) {
            y[i] = x[i] + f[i];
        }
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        float[] df = body.backward(dy);
        dx = Layer.grow(dx, size);
        // dx = dy + J_f^T dy
        for (int i = 0; i < size; i++) {
            dx[i] = dy[i] + df[i];
        }
        return dx;
    }
}
