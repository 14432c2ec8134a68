package io.nowcast.nn;

import java.util.Arrays;

/**
 * Weights derived from a layer's parameters for the inference step, e.g. the input part
 * {@code [W_ih | b_ih + b_hh]} (one row per pre-activation) that multiplies {@code [x | 1]}, so
 * that the bias comes out of the product (see {@link RecurrentLayer}).
 *
 * <p>It is a copy, and the parameters are changed in place by training. So that it can never be
 * used stale, {@link #current()} compares the parameters with the values it was built from on
 * every call (vectorised array comparisons; the input part of a layer is a few thousand floats,
 * well under a microsecond) and rebuilds when anything differs: nothing has to remember to
 * invalidate it.
 */
final class StepWeights {
    /** Fills the matrix (rows x ld, row-major, zeroed before) from the parameters' current values. */
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

    /** The matrix, rebuilt first if any parameter changed since it was last built. */
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
