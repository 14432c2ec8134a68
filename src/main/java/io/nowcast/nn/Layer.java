package io.nowcast.nn;

import java.util.List;

/**
 * A layer of a feed-forward image network, batched over frames: {@code y = f(x)} on NCHW float
 * arrays ({@link Nchw}), with an explicit backward pass.
 *
 * <p>Life cycle: {@link #forward} keeps what its backward needs (the input by reference: the
 * caller leaves it unchanged until backward), then at most one {@link #backward} for that
 * forward. Both return buffers owned by the layer, allocated on the first call and grown to the
 * largest batch seen, never reallocated per call: an array may be longer than the shape says, and
 * it is overwritten by the next call, so a caller that keeps a result copies it. Not thread-safe.
 */
public interface Layer {

    /** The output shape for an input of shape {@code in}; throws IllegalArgumentException if it does not fit. */
    Nchw outShape(Nchw in);

    /** y = f(x); x is {@code in}, y is {@code outShape(in)}, in the first {@code outShape(in).size()} entries. */
    float[] forward(float[] x, Nchw in);

    /**
     * Given dy = d(loss)/dy for the last forward (outShape, not modified), accumulates (+=) the
     * parameter gradients and returns dx = d(loss)/dx (the input's shape, overwritten).
     */
    float[] backward(float[] dy);

    /** The parameters, in a fixed order (none by default). */
    default List<Param> params() {
        return List.of();
    }

    /** The buffer for n values: a itself when it is large enough, else a new array. */
    static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }
}
