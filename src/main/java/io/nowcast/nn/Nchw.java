package io.nowcast.nn;

/**
 * The shape of a batch of frames in NCHW layout: n frames of c channels of h x w pixels, element
 * {@code (i, ch, y, x)} at {@code ((i * c + ch) * h + y) * w + x}. A batch of feature vectors is
 * {@code (n, features, 1, 1)}.
 */
public record Nchw(int n, int c, int h, int w) {
    public Nchw {
        if (n < 0 || c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("bad shape " + n + "x" + c + "x" + h + "x" + w);
        }
    }

    /** c * h * w: the values of one frame. */
    public int frame() {
        return c * h * w;
    }

    /** n * c * h * w: the values of the batch. */
    public int size() {
        return n * frame();
    }

    @Override
    public String toString() {
        return "(" + n + ", " + c + ", " + h + ", " + w + ")";
    }
}
