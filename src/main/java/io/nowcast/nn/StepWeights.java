package io.nowcast.nn;

import java.util.Arrays;

/**
 * A layer's weights laid out for the inference step: one row per pre-activation, each row
 * {@code [W_ih row | bias | W_hh row]}, so that a single matrix product of the packed input
 * {@code [x | 1 | h]} (see {@link RecurrentLayer}) against it gives every gate's pre-activation,
 * biases included.
 *
 * <p>It is a derived copy of the layer's parameters, and those are changed in place by training.
 * So that it can never be used stale, {@link #current()} compares the parameters with the values
 * it was built from on every call (two vectorised array comparisons, a few microseconds for the
 * usual sizes) and rebuilds when anything differs; nothing has to remember to invalidate it.
 */
final class StepWeights {
    /** Fills the fused matrix (rows x ld, row-major) from the parameters' current values. */
    interface Layout {
        void fill(float[] w, int ld);
    }

    private final Param[] sources;
    private final float[][] seen;
    private final Layout layout;
    final int rows;
    final int ld;
    private final float[] w;
    private boolean built;
    private long rebuilds;

    StepWeights(int rows, int ld, Layout layout, Param... sources) {
        this.rows = rows;
        this.ld = ld;
        this.layout = layout;
        this.sources = sources.clone();
        this.seen = new float[sources.length][];
        for (int i = 0; i < sources.length; i++) {
            seen[i] = new float[sources[i].size()];
        }
        this.w = new float[rows * ld];
    }

    /** The fused matrix, rebuilt first if any parameter changed since it was last built. */
    float[] current() {
        if (!built || changed()) {
            Arrays.fill(w, 0f);
            layout.fill(w, ld);
            for (int i = 0; i < sources.length; i++) {
                System.arraycopy(sources[i].w(), 0, seen[i], 0, seen[i].length);
            }
            built = true;
            rebuilds++;
        }
        return w;
    }

    /** How many times the matrix was built (for tests and diagnostics). */
    long rebuilds() {
        return rebuilds;
    }

    private boolean changed() {
        for (int i = 0; i < sources.length; i++) {
            float[] s = seen[i];
            // bit-wise comparison (Arrays.equals on floats compares floatToIntBits): -0.0 != 0.0, NaN == NaN
            if (!Arrays.equals(s, 0, s.length, sources[i].w(), 0, s.length)) {
                return true;
            }
        }
        return false;
    }
}
