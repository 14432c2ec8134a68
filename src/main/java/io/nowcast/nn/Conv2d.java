package io.nowcast.nn;

import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Rng;

import java.util.Arrays;
import java.util.List;

/**
 * A 2-D convolution (PyTorch's {@code Conv2d}, cross-correlation, zero padding), batched over
 * frames: {@code y[n, o] = b[o] + sum_c W[o, c] * x[n, c]} with k x k kernels, stride s, padding
 * p on every side and dilation d (the taps d pixels apart: a 3x3 kernel with d = 2 spans 5x5 at the
 * cost of 3x3; padding d keeps the size). Parameters {@code <prefix>.weight} (out, in, k, k) and {@code <prefix>.bias} (out).
 *
 * <p>Each frame is one matrix product through {@link Gemm}, on its patch matrix ({@link Im2col}):
 * {@code y_n (OC, OH*OW) = W (OC, C*k*k) cols_n (C*k*k, OH*OW)}. One frame's patch matrix is kept,
 * not the batch's (k*k times the input): backward builds each frame's again, which costs a copy
 * next to the products. A 1x1 kernel with stride 1 and no padding multiplies the frame itself.
 */
public final class Conv2d implements Layer {
    public final int inChannels;
    public final int outChannels;
    public final int kernel;
    public final int stride;
    public final int padding;
    public final int dilation;
    public final Param weight;   // (OC, C, k, k), stored (OC, C*k*k)
    public final Param bias;     // (OC)
    private final Gemm gemm;
    private final int ckk;       // C*k*k: the rows of a patch matrix
    private final boolean pointwise; // 1x1, stride 1, no padding: the frame is its own patch matrix

    // ---- cache of the last forward ----
    private float[] x;           // (N, C, H, W), borrowed
    private Nchw in;
    private Nchw out;
    // ---- buffers, grown and reused ----
    private float[] y = new float[0];     // (N, OC, OH, OW)
    private float[] cols = new float[0];  // (C*k*k, OH*OW): one frame's patches
    private float[] dcols = new float[0]; // (C*k*k, OH*OW)
    private float[] dx = new float[0];    // (N, C, H, W)

    public Conv2d(String prefix, int inChannels, int outChannels, int kernel, int stride, int padding, Gemm gemm) {
        this(prefix, inChannels, outChannels, kernel, stride, padding, 1, gemm);
    }

    public Conv2d(String prefix, int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, Gemm gemm) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || dilation <= 0) {
            throw new IllegalArgumentException("conv2d: in " + inChannels + ", out " + outChannels + ", kernel " + kernel
                    + ", stride " + stride + ", padding " + padding + ", dilation " + dilation);
        }
        this.dilation = dilation;
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.weight = new Param(prefix + ".weight", outChannels, inChannels, kernel, kernel);
        this.bias = new Param(prefix + ".bias", outChannels);
        this.gemm = gemm;
        this.ckk = inChannels * kernel * kernel;
        this.pointwise = kernel == 1 && stride == 1 && padding == 0;
    }

    @Override
    public List<Param> params() {
        return List.of(weight, bias);
    }

    /** PyTorch's default: weight and bias uniform in +-1/sqrt(C*k*k). */
    public Conv2d initUniform(Rng rng) {
        float b = (float) (1.0 / Math.sqrt(ckk));
        rng.uniform(weight.w(), b);
        rng.uniform(bias.w(), b);
        return this;
    }

    @Override
    public Nchw outShape(Nchw in) {
        int span = dilation * (kernel - 1) + 1;
        if (in.c() != inChannels || in.h() + 2 * padding < span || in.w() + 2 * padding < span) {
            throw new IllegalArgumentException("conv2d " + inChannels + "->" + outChannels + " k" + kernel
                    + " p" + padding + " d" + dilation + ": input " + in);
        }
        return new Nchw(in.n(), outChannels, Im2col.outSize(in.h(), kernel, stride, padding, dilation),
                Im2col.outSize(in.w(), kernel, stride, padding, dilation));
    }

    @Override
    public float[] forward(float[] x, Nchw in) {
        Nchw out = outShape(in);
        this.x = x;
        this.in = in;
        this.out = out;
        int P = out.h() * out.w();
        y = Layer.grow(y, out.size());
        if (!pointwise) {
            cols = Layer.grow(cols, ckk * P);
        }
        float[] b = bias.values();
        for (int n = 0; n < in.n(); n++) {
            int yOff = n * out.frame();
            // y_n (OC, P) = b broadcast along P
            for (int o = 0; o < outChannels; o++) {
                Arrays.fill(y, yOff + o * P, yOff + (o + 1) * P, b[o]);
            }
            // y_n (OC, P) += W (OC, CKK) cols_n (CKK, P), each output one fma chain over CKK in order
            FixedOrderGemm.accumulate(outChannels, P, ckk, weight.values(), 0, ckk,
                    patches(n), pointwise ? n * in.frame() : 0, P, y, yOff, P);
        }
        return y;
    }

    /** Frame n's patch matrix: the input itself when pointwise, else built into cols. */
    private float[] patches(int n) {
        if (pointwise) {
            return x;
        }
        Im2col.im2col(cols, x, n * in.frame(), inChannels, in.h(), in.w(), kernel, stride, padding, dilation, out.h(), out.w());
        return cols;
    }

    @Override
    public float[] backward(float[] dy) {
        int P = out.h() * out.w();
        dx = Layer.grow(dx, in.size());
        dcols = Layer.grow(dcols, ckk * P);
        float[] db = bias.g();
        for (int n = 0; n < in.n(); n++) {
            int dyOff = n * out.frame();
            int xOff = n * in.frame();
            // forward: y_n = b + W cols_n
            // db (OC) += row sums of dy_n (OC, P)
            for (int o = 0; o < outChannels; o++) {
                float s = 0f;
                for (int i = dyOff + o * P, end = i + P; i < end; i++) {
                    s += dy[i];
                }
                db[o] += s;
            }
            // dW (OC, CKK) += dy_n (OC, P) cols_n^T (P, CKK)
            gemm.gemm(false, true, outChannels, ckk, P, 1f, dy, dyOff, P,
                    patches(n), pointwise ? xOff : 0, P, 1f, weight.g(), 0, ckk);
            if (pointwise) {
                // dx_n (C, P) = W^T (C, OC) dy_n (OC, P)
                gemm.gemm(true, false, ckk, P, outChannels, 1f, weight.w(), 0, ckk, dy, dyOff, P, 0f, dx, xOff, P);
            } else {
                // dcols_n (CKK, P) = W^T (CKK, OC) dy_n (OC, P);  dx_n = col2im(dcols_n), overlaps summed
                gemm.gemm(true, false, ckk, P, outChannels, 1f, weight.w(), 0, ckk, dy, dyOff, P, 0f, dcols, 0, P);
                Arrays.fill(dx, xOff, xOff + in.frame(), 0f);
                Im2col.col2im(dx, xOff, dcols, inChannels, in.h(), in.w(), kernel, stride, padding, dilation, out.h(), out.w());
            }
        }
        return dx;
    }
}
