package io.nowcast.nn;

import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Kernels;
import io.nowcast.tensor.Rng;

import java.util.List;

/** A linear layer, {@code y = x W^T + b}, PyTorch layout: weight (out, in), bias (out). */
public final class Linear {
    public final int inFeatures;
    public final int outFeatures;
    public final Param weight;
    public final Param bias;
    private final Gemm gemm;
    private float[] x;
    private int xOff;
    private int rows;
    private float[] y = new float[0];
    private float[] packed = new float[0];  // (in, out): W^T for the inference path
    private long packedVersion = -1;

    public Linear(String prefix, int inFeatures, int outFeatures, Gemm gemm) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = new Param(prefix + ".weight", outFeatures, inFeatures);
        this.bias = new Param(prefix + ".bias", outFeatures);
        this.gemm = gemm;
    }

    public List<Param> params() {
        return List.of(weight, bias);
    }

    /** PyTorch's default: uniform in +-1/sqrt(in) for weight and bias. */
    public void initUniform(Rng rng) {
        float k = (float) (1.0 / Math.sqrt(inFeatures));
        rng.uniform(weight.w(), k);
        rng.uniform(bias.w(), k);
    }

    /**
     * y (rows, out) = x (rows, in) W^T + b. The input is kept by reference for backward; the
     * returned buffer is owned by the layer and overwritten by the next forward.
     */
    public float[] forward(float[] x, int xOff, int rows) {
        this.x = x;
        this.xOff = xOff;
        this.rows = rows;
        y = RecurrentLayer.grow(y, rows * outFeatures);
        Kernels.broadcastRows(bias.w(), y, 0, rows, outFeatures);
        gemm.gemm(false, true, rows, outFeatures, inFeatures, 1f, x, xOff, inFeatures, weight.w(), 0, inFeatures, 1f, y, 0, outFeatures);
        return y;
    }

    /**
     * Like forward, but into a caller's buffer and without keeping anything (inference): each
     * output is b followed by one fma chain over the inputs in order ({@link FixedOrderGemm}), so
     * a row's outputs do not depend on the other rows. Reads W^T packed (in, out), made again when
     * the weight may have changed.
     */
    public void apply(float[] x, int xOff, int rows, float[] out, int outOff) {
        Kernels.broadcastRows(bias.values(), out, outOff, rows, outFeatures);
        // out (rows, out) += x (rows, in) W^T (in, out)
        FixedOrderGemm.accumulate(rows, outFeatures, inFeatures, x, xOff, inFeatures, packedWeight(), 0, outFeatures,
                out, outOff, outFeatures);
    }

    private float[] packedWeight() {
        if (packedVersion != weight.version() || packed.length == 0) {
            float[] w = weight.values();
            float[] p = new float[inFeatures * outFeatures];
            for (int o = 0; o < outFeatures; o++) {
                for (int i = 0; i < inFeatures; i++) {
                    p[i * outFeatures + o] = w[o * inFeatures + i];
                }
            }
            packed = p;
            packedVersion = weight.version();
        }
        return packed;
    }

    /**
     * dW += dy^T x, db += column sums of dy, dx = dy W (overwritten; null to skip).
     */
    public void backward(float[] dy, float[] dx, int dxOff) {
        gemm.gemm(true, false, outFeatures, inFeatures, rows, 1f, dy, 0, outFeatures, x, xOff, inFeatures, 1f, weight.g(), 0, inFeatures);
        Kernels.addColumnSums(dy, 0, rows, outFeatures, bias.g());
        if (dx != null) {
            gemm.gemm(false, false, rows, inFeatures, outFeatures, 1f, dy, 0, outFeatures, weight.w(), 0, inFeatures, 0f, dx, dxOff, inFeatures);
        }
    }
}
