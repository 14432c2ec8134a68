package io.nowcast.tensor;

import java.util.SplittableRandom;

/** Seeded randomness: every random choice in Nowcast goes through one of these, so runs repeat. */
public final class Rng {
    private final SplittableRandom r;

    public Rng(long seed) {
        this.r = new SplittableRandom(seed);
    }

    public double nextDouble() {
        return r.nextDouble();
    }

    public int nextInt(int bound) {
        return r.nextInt(bound);
    }

    public long nextLong() {
        return r.nextLong();
    }

    /** Standard normal (Box-Muller, one of the pair). */
    public double nextGaussian() {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fills with uniform values in [-k, k). */
    public void uniform(float[] x, float k) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((2.0 * r.nextDouble() - 1.0) * k);
        }
    }

    /** Fills with normal values of the given standard deviation. */
    public void normal(float[] x, float std) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (nextGaussian() * std);
        }
    }

    /** An independent generator derived from this one. */
    public Rng split() {
        return new Rng(r.nextLong());
    }
}
