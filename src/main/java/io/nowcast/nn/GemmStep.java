package io.nowcast.nn;

import io.nowcast.tensor.Gemm;

/**
 * The recurrent inference step on a general matrix product, for benchmarks only: what the serving
 * step ({@link RecurrentNet#step}, on {@code FixedOrderGemm}) is measured against. Same network,
 * same gate blocks, same element-wise passes; only the products differ:
 * <ul>
 *   <li>{@code rowBlock = 0}: one product per gate block over all N streams, as a user of a BLAS
 *       would write it. Fastest, and not batch-invariant: a BLAS picks its micro-kernels by
 *       shape, so a stream's row is rounded differently with the batch around it.</li>
 *   <li>{@code rowBlock = R}: products of exactly R rows, the last block padded with zero rows:
 *       the best batch-invariant way to use a BLAS (every row goes through a product of one
 *       shape), at the price of the padding.</li>
 * </ul>
 * Not for serving; not thread-safe.
 */
public final class GemmStep {
    private final RecurrentNet net;
    private final Gemm gemm;
    private final int rowBlock;
    private float[] bias = new float[0];
    private float[] padIn = new float[0];
    private float[] padOut = new float[0];

    public GemmStep(RecurrentNet net, Gemm gemm, int rowBlock) {
        if (rowBlock < 0) {
            throw new IllegalArgumentException("row block must be 0 (whole products) or positive, got " + rowBlock);
        }
        this.net = net;
        this.gemm = gemm;
        this.rowBlock = rowBlock;
    }

    /** One step for the N streams of {@code state}, in place; the top layer's hidden state is the output. */
    public void step(float[] x, int xOff, RecurrentState state) {
        int N = state.batch;
        float[] in = x;
        int inOff = xOff;
        for (int l = 0; l < net.numLayers(); l++) {
            RecurrentLayer layer = net.layers().get(l);
            step(layer, in, inOff, N, state.h[l], state.c[l]);
            in = state.h[l];
            inOff = 0;
        }
    }

    private void step(RecurrentLayer layer, float[] x, int xOff, int N, float[] h, float[] c) {
        int H = layer.hiddenSize;
        int D = layer.inputSize;
        int cols = layer.stepRows();
        bias = RecurrentLayer.grow(bias, cols);
        layer.stepBias(bias);
        float[] wi = layer.weightIh.values();
        float[] wh = layer.weightHh.values();
        float[][] gates = layer.gateStep;
        for (int g = 0; g < cols / H; g++) {
            gates[g] = RecurrentLayer.grow(gates[g], N * H);
            float[] z = gates[g];
            for (int n = 0; n < N; n++) {
                System.arraycopy(bias, g * H, z, n * H, H);
            }
            int xb = layer.inputBlock(g);
            int hb = layer.hiddenBlock(g);
            if (xb >= 0) {
                product(N, H, D, x, xOff, wi, xb * H * D, z);
            }
            if (hb >= 0) {
                product(N, H, H, h, 0, wh, hb * H * H, z);
            }
        }
        // the same activations and state update as the serving step
        layer.finishStep(N, h, c);
    }

    /** z (N, H) += a (N, K) W^T with W the (H, K) block at wOff: whole, or in padded blocks of rowBlock rows. */
    private void product(int N, int H, int K, float[] a, int aOff, float[] w, int wOff, float[] z) {
        if (rowBlock == 0) {
            gemm.gemm(false, true, N, H, K, 1f, a, aOff, K, w, wOff, K, 1f, z, 0, H);
            return;
        }
        int R = rowBlock;
        for (int n0 = 0; n0 < N; n0 += R) {
            int m = Math.min(R, N - n0);
            if (m == R) {
                gemm.gemm(false, true, R, H, K, 1f, a, aOff + n0 * K, K, w, wOff, K, 1f, z, n0 * H, H);
            } else {
                padIn = RecurrentLayer.grow(padIn, R * K);
                padOut = RecurrentLayer.grow(padOut, R * H);
                java.util.Arrays.fill(padIn, 0, R * K, 0f);
                System.arraycopy(a, aOff + n0 * K, padIn, 0, m * K);
                java.util.Arrays.fill(padOut, 0, R * H, 0f);
                System.arraycopy(z, n0 * H, padOut, 0, m * H);
                gemm.gemm(false, true, R, H, K, 1f, padIn, 0, K, w, wOff, K, 1f, padOut, 0, H);
                System.arraycopy(padOut, 0, z, n0 * H, m * H);
            }
        }
    }
}
