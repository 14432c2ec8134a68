package io.nowcast.data.synthetic;

import io.nowcast.tensor.Rng;

/**
 * A seeded synthetic video of {@code side x side} grey frames: a static textured background
 * (two crossed sinusoids and a diagonal ripple) with a bright disc (radius 8) and a dark square
 * (side 13) moving over it, bouncing between the frame's edges. Frame t is a pure function of the
 * seed and t, so any frame can be drawn in any order. The demo cameras and the recurrent frame
 * denoisers' training and evaluation use it: a stream whose static parts a model with memory
 * can average over time, while the moving parts make copying the previous frame wrong.
 */
public final class MovingShapes {
    public final int side;
    private final float[] background;
    private final double[] disc;    // x, y, vx, vy (pixels, pixels per frame)
    private final double[] square;

    public MovingShapes(int side, long seed) {
        if (side <= 0) {
            throw new IllegalArgumentException("moving shapes: side " + side);
        }
        this.side = side;
        Rng r = new Rng(seed);
        double fx = 2 + 3 * r.nextDouble();
        double fy = 2 + 3 * r.nextDouble();
        double ph = 6.28 * r.nextDouble();
        background = new float[side * side];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                double u = (double) x / side;
                double v = (double) y / side;
                background[y * side + x] = (float) (0.45 + 0.12 * Math.sin(6.28 * fx * u + ph)
                        * Math.cos(6.28 * fy * v) + 0.08 * Math.sin(6.28 * 7 * (u + v)));
            }
        }
        disc = new double[] {side * r.nextDouble(), side * r.nextDouble(), 0.8 + r.nextDouble(), 0.5 + r.nextDouble()};
        square = new double[] {side * r.nextDouble(), side * r.nextDouble(), -0.6 - r.nextDouble(), 0.7 * r.nextDouble()};
    }

    /** The clean frame of time step {@code t} into out (side * side values), grey levels in [0, 1]. */
    public void frame(int t, float[] out) {
        frame(t, out, 0);
    }

    /** The clean frame of time step {@code t} into out from offset off. */
    public void frame(int t, float[] out, int off) {
        int n = side * side;
        System.arraycopy(background, 0, out, off, n);
        double dx = bounce(disc[0] + disc[2] * t);
        double dy = bounce(disc[1] + disc[3] * t);
        double sx = bounce(square[0] + square[2] * t);
        double sy = bounce(square[1] + square[3] * t);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                if (Math.abs(x - sx) < 7 && Math.abs(y - sy) < 7) {
                    out[off + y * side + x] = 0.08f;
                }
                double d2 = (x - dx) * (x - dx) + (y - dy) * (y - dy);
                if (d2 < 64) {
                    out[off + y * side + x] = 0.95f;
                }
            }
        }
    }

    /** A position moving back and forth between the frame's edges. */
    private double bounce(double p) {
        double span = side - 1;
        double m = ((p % (2 * span)) + 2 * span) % (2 * span);
        return m <= span ? m : 2 * span - m;
    }
}
