package io.nowcast.nn;

import java.util.Arrays;

/**
 * The hidden state of a stacked recurrent net for N streams: per layer h (N, H) and, for LSTM,
 * c (N, H). Row n belongs to stream n. Passed into every forward or step and updated in place,
 * which is what carries memory from one chunk or sample to the next.
 *
 * <p>A model may keep a few more values per stream beside its layers ({@code extra} (N, E), E =
 * {@link #extraWidth}; a series denoiser's smoothed level per column): the net never reads
 * them, but every row operation here (reset, copy, views) treats them as part of the row, so they
 * travel with the stream. All zero is a fresh stream, as for the vectors.
 */
public final class RecurrentState {
    public final int batch;
    public final int hiddenSize;
    public final float[][] h;
    public final float[][] c;
    /** Values per stream kept beside the layers; 0 for a plain recurrent net. */
    public final int extraWidth;
    /** (N, extraWidth) row-major. */
    public final float[] extra;

    public RecurrentState(int layers, int batch, int hiddenSize, boolean withCell) {
        this(layers, batch, hiddenSize, withCell, 0);
    }

    public RecurrentState(int layers, int batch, int hiddenSize, boolean withCell, int extraWidth) {
        if (extraWidth < 0) {
            throw new IllegalArgumentException("extra width must be >= 0, got " + extraWidth);
        }
        this.batch = batch;
        this.hiddenSize = hiddenSize;
        this.h = new float[layers][batch * hiddenSize];
        this.c = new float[layers][withCell ? batch * hiddenSize : 0];
        this.extraWidth = extraWidth;
        this.extra = new float[batch * extraWidth];
    }

    private RecurrentState(int batch, int hiddenSize, float[][] h, float[][] c, int extraWidth, float[] extra) {
        this.batch = batch;
        this.hiddenSize = hiddenSize;
        this.h = h;
        this.c = c;
        this.extraWidth = extraWidth;
        this.extra = extra;
    }

    /** Whether this state has LSTM cell vectors. */
    public boolean hasCell() {
        return c.length > 0 && c[0].length > 0;
    }

    /**
     * The first {@code rows} streams of this state as a state of that batch size, sharing the
     * arrays: a step on the view updates those rows here. Lets a caller keep one state of the
     * largest batch and step any smaller number of streams without copying or allocating arrays.
     */
    public RecurrentState firstRows(int rows) {
        if (rows < 0 || rows > batch) {
            throw new IllegalArgumentException("rows must be in [0, " + batch + "], got " + rows);
        }
        return rows == batch ? this : new RecurrentState(rows, hiddenSize, h, c, extraWidth, extra);
    }

    public int layers() {
        return h.length;
    }

    /** Sets every vector to zero (the state of a new stream). */
    public void reset() {
        int n = batch * hiddenSize;
        for (float[] a : h) {
            Arrays.fill(a, 0, n, 0f);
        }
        for (float[] a : c) {
            if (a.length > 0) {
                Arrays.fill(a, 0, n, 0f);
            }
        }
        Arrays.fill(extra, 0, batch * extraWidth, 0f);
    }

    /** Sets the vectors of one stream (row) to zero. */
    public void resetRow(int row) {
        int from = row * hiddenSize;
        for (float[] a : h) {
            Arrays.fill(a, from, from + hiddenSize, 0f);
        }
        for (float[] a : c) {
            if (a.length > 0) {
                Arrays.fill(a, from, from + hiddenSize, 0f);
            }
        }
        Arrays.fill(extra, row * extraWidth, (row + 1) * extraWidth, 0f);
    }

    /** Copies row {@code from} of {@code src} into row {@code to} of this state. */
    public void copyRow(RecurrentState src, int from, int to) {
        for (int l = 0; l < h.length; l++) {
            System.arraycopy(src.h[l], from * hiddenSize, h[l], to * hiddenSize, hiddenSize);
            if (c[l].length > 0) {
                System.arraycopy(src.c[l], from * hiddenSize, c[l], to * hiddenSize, hiddenSize);
            }
        }
        System.arraycopy(src.extra, from * extraWidth, extra, to * extraWidth, extraWidth);
    }

    public RecurrentState copy() {
        RecurrentState s = new RecurrentState(h.length, batch, hiddenSize, hasCell(), extraWidth);
        System.arraycopy(extra, 0, s.extra, 0, batch * extraWidth);
        int n = batch * hiddenSize;
        for (int l = 0; l < h.length; l++) {
            System.arraycopy(h[l], 0, s.h[l], 0, n);
            if (s.c[l].length > 0) {
                System.arraycopy(c[l], 0, s.c[l], 0, n);
            }
        }
        return s;
    }
}
