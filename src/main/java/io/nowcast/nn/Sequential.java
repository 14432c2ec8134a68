package io.nowcast.nn;

import java.util.ArrayList;
import java.util.List;

/** Layers applied in order, {@code y = f_k(... f_1(x))}; backward runs them in reverse. */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    public Sequential(Layer... layers) {
        this(List.of(layers));
    }

    public Sequential(List<Layer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a sequential needs at least one layer");
        }
        this.layers = List.copyOf(layers);
    }

    public List<Layer> layers() {
        return layers;
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        for (Layer l : layers) {
            ps.addAll(l.params());
        }
        return ps;
    }

    @Override
    public Nchw outShape(Nchw in) {
        Nchw s = in;
        for (Layer l : layers) {
            s = l.outShape(s);
        }
        return s;
    }

    @Override
    public float[] forward(float[] x, Nchw in) {
        // each layer keeps its input by reference: the previous layer's output buffer, untouched until backward
        float[] h = x;
        Nchw s = in;
        for (Layer l : layers) {
            h = l.forward(h, s);
            s = l.outShape(s);
        }
        return h;
    }

    @Override
    public float[] backward(float[] dy) {
        float[] d = dy;
        for (int i = layers.size() - 1; i >= 0; i--) {
            d = layers.get(i).backward(d);
        }
        return d;
    }
}
