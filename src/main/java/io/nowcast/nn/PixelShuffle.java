package io.nowcast.nn;

/**
 * Sub-pixel upsampling (PyTorch's {@code PixelShuffle(r)}): (N, C*r*r, H, W) to (N, C, H*r, W*r),
 * {@code y[n, c, h*r + i, w*r + j] = x[n, c*r*r + i*r + j, h, w]}. No parameters; backward is the
 * inverse permutation.
 */
public final class PixelShuffle implements Layer {
    public final int factor;
    private Nchw in;
    private float[] y = new float[0];   // (N, C, H*r, W*r)
    private float[] dx = new float[0];  // (N, C*r*r, H, W)

    public PixelShuffle(int factor) {
        if (factor <= 0) {
            throw new IllegalArgumentException("pixel shuffle factor must be positive: " + factor);
        }
        this.factor = factor;
    }

    @Override
    public Nchw outShape(Nchw in) {
        int rr = factor * factor;
        if (in.c() % rr != 0) {
            throw new IllegalArgumentException("pixel shuffle by " + factor + ": " + in.c() + " channels are not a multiple of " + rr);
        }
        return new Nchw(in.n(), in.c() / rr, in.h() * factor, in.w() * factor);
    }

    @Override
    public float[] forward(float[] x, Nchw in) {
        Nchw out = outShape(in);
        this.in = in;
        y = Layer.grow(y, out.size());
        shuffle(y, x, in, false);
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        dx = Layer.grow(dx, in.size());
        // forward: y[n, c, h*r + i, w*r + j] = x[n, c*r*r + i*r + j, h, w]
        shuffle(dx, dy, in, true);
        return dx;
    }

    /** y = shuffle(x), or with inverse x = unshuffle(y) (arguments then swapped: small is (N, C*r*r, H, W)). */
    private void shuffle(float[] dst, float[] src, Nchw small, boolean inverse) {
        int r = factor;
        int H = small.h();
        int W = small.w();
        int C = small.c() / (r * r);
        int OW = W * r;
        for (int n = 0; n < small.n(); n++) {
            int base = n * small.frame();
            for (int c = 0; c < C; c++) {
                for (int i = 0; i < r; i++) {
                    for (int j = 0; j < r; j++) {
                        int xc = base + ((c * r + i) * r + j) * H * W;
                        for (int h = 0; h < H; h++) {
                            int yo = base + (c * H * r + h * r + i) * OW + j;
                            int xo = xc + h * W;
                            if (inverse) {
                                for (int w = 0; w < W; w++) {
                                    dst[xo + w] = src[yo + w * r];
                                }
                            } else {
                                for (int w = 0; w < W; w++) {
                                    dst[yo + w * r] = src[xo + w];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
