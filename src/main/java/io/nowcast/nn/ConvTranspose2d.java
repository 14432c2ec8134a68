package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Rng;

import java.util.Arrays;
import java.util.List;

/**
 * A 2-D transposed convolution (PyTorch's {@code ConvTranspose2d}, no groups or dilation), batched
 * over frames: every input pixel scatters a k x k patch into the output,
 * {@code y[n, o, i*s - p + ki, j*s - p + kj] += x[n, c, i, j] W[c, o, ki, kj]}, plus the bias.
 * Output size {@code (H - 1) s - 2p + k + outputPadding}. Parameters {@code <prefix>.weight}
 * (in, out, k, k) and {@code <prefix>.bias} (out).
 *
 * <p>It is the adjoint of {@link Conv2d} with the same geometry, and runs as its backward does:
 * {@code cols_n (OC*k*k, H*W) = W^T x_n} through {@link Gemm}, then {@link Im2col#col2im} sums the
 * overlapping patches. Its backward is a convolution: {@code dcols_n = im2col(dy_n)},
 * {@code dx_n = W dcols_n}, {@code dW += x_n dcols_n^T}.
 */
public final class ConvTranspose2d implements Layer {
    public final int inChannels;
    public final int outChannels;
    public final int kernel;
    public final int stride;
    public final int padding;
    public final int outputPadding;
    public final Param weight;   // (C, OC, k, k), stored (C, OC*k*k)
    public final Param bias;     // (OC)
    private final Gemm gemm;
    private final int okk;       // OC*k*k: the rows of a patch matrix

    // ---- cache of the last forward ----
    private float[] x;           // (N, C, H, W), borrowed
    private Nchw in;
    private Nchw out;
    // ---- buffers, grown and reused ----
    private float[] y = new float[0];     // (N, OC, OH, OW)
    private float[] cols = new float[0];  // (OC*k*k, H*W): one frame's patches, forward and backward
    private float[] dx = new float[0];    // (N, C, H, W)

    public ConvTranspose2d(String prefix, int inChannels, int outChannels, int kernel, int stride, int padding,
                           int outputPadding, Gemm gemm) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0
                || outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException("conv-transpose2d: in " + inChannels + ", out " + outChannels + ", kernel "
                    + kernel + ", stride " + stride + ", padding " + padding + ", output padding " + outputPadding
                    + " (must be below the stride)");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.outputPadding = outputPadding;
        this.weight = new Param(prefix + ".weight", inChannels, outChannels, kernel, kernel);
        this.bias = new Param(prefix + ".bias", outChannels);
        this.gemm = gemm;
        this.okk = outChannels * kernel * kernel;
    }

    @Override
    public List<Param> params() {
        return List.of(weight, bias);
    }

    /** PyTorch's default: weight and bias uniform in +-1/sqrt(OC*k*k) (its fan-in is weight dimension 1). */
    public ConvTranspose2d initUniform(Rng rng) {
        float b = (float) (1.0 / Math.sqrt(okk));
        rng.uniform(weight.w(), b);
        rng.uniform(bias.w(), b);
        return this;
    }

    @Override
    public Nchw outShape(Nchw in) {
        int oh = (in.h() - 1) * stride - 2 * padding + kernel + outputPadding;
        int ow = (in.w() - 1) * stride - 2 * padding + kernel + outputPadding;
        if (in.c() != inChannels || oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("conv-transpose2d " + inChannels + "->" + outChannels + " k" + kernel
                    + " s" + stride + " p" + padding + ": input " + in);
        }
        return new Nchw(in.n(), outChannels, oh, ow);
    }

    @Override
    public float[] forward(float[] x, Nchw in) {
        Nchw out = outShape(in);
        this.x = x;
        this.in = in;
        this.out = out;
        int hw = in.h() * in.w();
        int P = out.h() * out.w();
        y = Layer.grow(y, out.size());
        cols = Layer.grow(cols, okk * hw);
        float[] b = bias.w();
        for (int n = 0; n < in.n(); n++) {
            int yOff = n * out.frame();
            // cols_n (OCkk, HW) = W^T (OCkk, C) x_n (C, HW)
            gemm.gemm(true, false, okk, hw, inChannels, 1f, weight.w(), 0, okk, x, n * in.frame(), hw, 0f, cols, 0, hw);
            // y_n (OC, OH, OW) = b + col2im(cols_n)
            for (int o = 0; o < outChannels; o++) {
                Arrays.fill(y, yOff + o * P, yOff + (o + 1) * P, b[o]);
            }
            Im2col.col2im(y, yOff, cols, outChannels, out.h(), out.w(), kernel, stride, padding, in.h(), in.w());
        }
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        int hw = in.h() * in.w();
        int P = out.h() * out.w();
        dx = Layer.grow(dx, in.size());
        float[] db = bias.g();
        for (int n = 0; n < in.n(); n++) {
            int dyOff = n * out.frame();
            int xOff = n * in.frame();
            // forward: y_n = b + col2im(W^T x_n)
            // db (OC) += row sums of dy_n (OC, OH*OW)
            for (int o = 0; o < outChannels; o++) {
                float s = 0f;
                for (int i = dyOff + o * P, end = i + P; i < end; i++) {
                    s += dy[i];
                }
                db[o] += s;
            }
            // dcols_n (OCkk, HW) = im2col(dy_n), the adjoint of col2im
            Im2col.im2col(cols, dy, dyOff, outChannels, out.h(), out.w(), kernel, stride, padding, in.h(), in.w());
            // dW (C, OCkk) += x_n (C, HW) dcols_n^T (HW, OCkk)
            gemm.gemm(false, true, inChannels, okk, hw, 1f, x, xOff, hw, cols, 0, hw, 1f, weight.g(), 0, okk);
            // dx_n (C, HW) = W (C, OCkk) dcols_n (OCkk, HW)
            gemm.gemm(false, false, inChannels, hw, okk, 1f, weight.w(), 0, okk, cols, 0, hw, 0f, dx, xOff, hw);
        }
        return dx;
    }
}
