package io.nowcast.nn;

import org.ejml.data.FMatrixRMaj;

import java.util.Arrays;

/**
 * A named parameter tensor and its gradient, both float32 and row-major. The name follows
 * PyTorch's state_dict naming ({@code rnn.weight_ih_l0}, {@code head.bias}) and the shape is
 * PyTorch's (a bias is one-dimensional, a convolution weight (out, in, k, k)); storage is an EJML
 * matrix: a bias is a 1 x n row, a tensor of more dimensions is shape[0] x (product of the rest),
 * which is its row-major layout.
 *
 * <p>Gradients are accumulated with {@code +=} by the backward passes; zeroing them is its own
 * step ({@link #zeroGrad()}), done by the training loop.
 */
public final class Param {
    public final String name;
    private final int[] shape;
    /** The values: (rows x cols), a bias is 1 x n, an (a, b, c, d) tensor is a x (b c d). */
    public final FMatrixRMaj value;
    /** d(loss)/d(value), same layout. */
    public final FMatrixRMaj grad;
    /** False for a parameter held fixed by the training recipe (its gradient is still computed). */
    public boolean trainable = true;
    /** Bumped by {@link #w()} and {@link #changed()}: a derived copy (the step's packed layout) compares it. */
    private long version;

    public Param(String name, int... shape) {
        this.name = name;
        this.shape = shape.clone();
        if (shape.length < 1 || shape.length > 4) {
            throw new IllegalArgumentException(name + ": parameters are 1-D to 4-D, got " + Arrays.toString(shape));
        }
        int rows = shape.length == 1 ? 1 : shape[0];
        int cols = 1;
        for (int i = shape.length == 1 ? 0 : 1; i < shape.length; i++) {
            cols *= shape[i];
        }
        this.value = new FMatrixRMaj(rows, cols);
        this.grad = new FMatrixRMaj(rows, cols);
    }

    /**
     * The values as a flat row-major array (no copy), to read or to write. Asking for it counts as
     * a change ({@link #changed()}): a copy derived from the values, such as the packed weights the
     * inference step reads, is made again before it is next used. So a write through an array
     * asked for after the last step is always seen; code that keeps the array across steps and
     * writes to it later calls {@link #changed()} itself.
     */
    public float[] w() {
        version++;
        return value.data;
    }

    /** The same array as {@link #w()}, for code that only reads it: does not count as a change. */
    public float[] values() {
        return value.data;
    }

    /** The gradient as a flat row-major array (no copy). */
    public float[] g() {
        return grad.data;
    }

    /** Says that the values were changed through an array kept from an earlier {@link #w()}. */
    public void changed() {
        version++;
    }

    /** Moves on with every {@link #w()} and {@link #changed()}: equal versions mean unchanged values. */
    public long version() {
        return version;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return value.getNumElements();
    }

    public void zeroGrad() {
        Arrays.fill(grad.data, 0, size(), 0f);
    }

    /** Copies values from a float array of the same length. */
    public void set(float[] values) {
        if (values.length != size()) {
            throw new IllegalArgumentException(name + ": expected " + size() + " values, got " + values.length);
        }
        System.arraycopy(values, 0, value.data, 0, values.length);
        changed();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
