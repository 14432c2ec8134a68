package io.nowcast.eval;

/**
 * The geometric self-ensemble of the super-resolution and denoising literature (EDSR's "+"
 * models): a method is run on the 8 flips and rotations of an image (the dihedral group of the
 * square), each output is turned back, and the 8 are averaged. It is a different method from the
 * plain one (8 times the work) and is always reported as its own row.
 *
 * <p>Transform k (0..7): a mirror (x -> w-1-x) when k >= 4, then k mod 4 quarter turns
 * counter-clockwise; its inverse is as many quarter turns clockwise, then the mirror again.
 * Each is defined for any image size, so a super-resolver's (w*s) x (h*s) output is turned back
 * by the same k.
 */
public final class SelfEnsemble {
    /** Number of transforms. */
    public static final int COUNT = 8;

    private SelfEnsemble() {
    }

    /** An image method: w x h in, (w*s) x (h*s) out, for a fixed scale s. */
    @FunctionalInterface
    public interface ImageOp {
        float[] apply(float[] in, int w, int h);
    }

    private static float[] mirror(float[] in, int w, int h) {
        float[] out = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out[y * w + (w - 1 - x)] = in[y * w + x];
            }
        }
        return out;
    }

    /** w x h in, h x w out: (x, y) goes to (y, w-1-x). */
    private static float[] turnLeft(float[] in, int w, int h) {
        float[] out = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out[(w - 1 - x) * h + y] = in[y * w + x];
            }
        }
        return out;
    }

    /** w x h in, h x w out: (x, y) goes to (h-1-y, x); undoes turnLeft. */
    private static float[] turnRight(float[] in, int w, int h) {
        float[] out = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out[x * h + (h - 1 - y)] = in[y * w + x];
            }
        }
        return out;
    }

    /** Transform k of a w x h image; the result is h x w when k is odd. */
    public static float[] transform(float[] in, int w, int h, int k) {
        check(k);
        float[] x = k >= 4 ? mirror(in, w, h) : in.clone();
        for (int i = 0; i < k % 4; i++) {
            x = turnLeft(x, w, h);
            int t = w;
            w = h;
            h = t;
        }
        return x;
    }

    /**
     * Undoes transform k: {@code in} is the transformed image, w x h its own size (h x w of the
     * original when k is odd).
     */
    public static float[] inverse(float[] in, int w, int h, int k) {
        check(k);
        float[] x = in.clone();
        for (int i = 0; i < k % 4; i++) {
            x = turnRight(x, w, h);
            int t = w;
            w = h;
            h = t;
        }
        return k >= 4 ? mirror(x, w, h) : x;
    }

    /** The mean of the 8 turned-back outputs of {@code op} on the 8 transforms of {@code in} (w x h). */
    public static float[] apply(ImageOp op, float[] in, int w, int h) {
        double[] sum = null;
        for (int k = 0; k < COUNT; k++) {
            boolean odd = k % 2 == 1;
            int tw = odd ? h : w;
            int th = odd ? w : h;
            float[] out = op.apply(transform(in, w, h, k), tw, th);
            // the output is (tw*s) x (th*s) for the op's scale s
            int s = (int) Math.round(Math.sqrt(out.length / (double) (w * h)));
            if ((long) tw * s * th * s != out.length) {
                throw new IllegalStateException("an image method gave " + out.length + " values for " + tw + " x " + th
                        + ": expected the same size times a whole scale squared");
            }
            float[] back = inverse(out, tw * s, th * s, k);
            if (sum == null) {
                sum = new double[back.length];
            }
            for (int i = 0; i < back.length; i++) {
                sum[i] += back[i];
            }
        }
        float[] mean = new float[sum.length];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) (sum[i] / COUNT);
        }
        return mean;
    }

    private static void check(int k) {
        if (k < 0 || k >= COUNT) {
            throw new IllegalArgumentException("transform " + k + ": expected 0..7");
        }
    }
}
