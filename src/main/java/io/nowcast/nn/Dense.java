package io.nowcast.nn;

import java.util.List;

/**
 * A {@link Linear} as a layer: each frame is flattened to c*h*w features, the output is
 * (N, out, 1, 1). With activations this is the dense autoencoder's building block.
 */
public final class Dense implements Layer {
    public final Linear linear;
    private Nchw in;
    private float[] dx = new float[0];

    public Dense(Linear linear) {
        this.linear = linear;
    }

    @Override
    public List<Param> params() {
        return linear.params();
    }

    @Override
    public Nchw outShape(Nchw in) {
        if (in.frame() != linear.inFeatures) {
            throw new IllegalArgumentException("dense " + linear.inFeatures + "->" + linear.outFeatures + ": input " + in);
        }
        return new Nchw(in.n(), linear.outFeatures, 1, 1);
    }

    @Override
    public float[] forward(float[] x, Nchw in) {
        outShape(in);
        this.in = in;
        return linear.forward(x, 0, in.n());
    }

    @Override
    public float[] backward(float[] dy) {
        dx = Layer.grow(dx, in.size());
        linear.backward(dy, dx, 0);
        return dx;
    }
}
