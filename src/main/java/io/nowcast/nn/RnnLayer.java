package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Kernels;

/** Elman RNN: {@code h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)}, act = tanh or relu. */
public final class RnnLayer extends RecurrentLayer {
    private final boolean relu;
    private float[] dz = new float[0];     // (T*N, H)
    private float[] dhNext = new float[0]; // (N, H)

    private static final byte[] TANH_ACTIVATION = {TANH};
    private static final byte[] RELU_ACTIVATION = {RELU};

    RnnLayer(CellType type, int layerIndex, int inputSize, int hiddenSize, Gemm gemm) {
        super(type, layerIndex, inputSize, hiddenSize, gemm);
        if (type != CellType.RNN_TANH && type != CellType.RNN_RELU) {
            throw new IllegalArgumentException("RnnLayer takes rnn_tanh or rnn_relu, not " + type);
        }
        this.relu = type == CellType.RNN_RELU;
    }

    @Override
    public void forward(float[] x, int xOff, int T, int N, float[] h, float[] c) {
        int H = hiddenSize;
        this.x = x;
        this.xOff = xOff;
        this.steps = T;
        this.batch = N;
        hAll = grow(hAll, (T + 1) * N * H);
        System.arraycopy(h, 0, hAll, 0, N * H);
        // hAll[t+1] = b + x_t W_ih^T for all steps, written straight into the output blocks
        Kernels.broadcastRows(summedBias(), hAll, N * H, T * N, H);
        gemm.gemm(false, true, T * N, H, inputSize, 1f, x, xOff, inputSize, weightIh.w(), 0, inputSize, 1f, hAll, N * H, H);
        for (int t = 0; t < T; t++) {
            int prev = t * N * H;
            int cur = prev + N * H;
            // z = ... + h_{t-1} W_hh^T
            gemm.gemm(false, true, N, H, H, 1f, hAll, prev, H, weightHh.w(), 0, H, 1f, hAll, cur, H);
            activate(hAll, cur, N * H);
        }
        System.arraycopy(hAll, T * N * H, h, 0, N * H);
    }

    private void activate(float[] z, int off, int n) {
        if (relu) {
            Kernels.relu(z, off, n);
        } else {
            Kernels.tanh(z, off, n);
        }
    }

    @Override
    public void backward(float[] dy, int dyOff, float[] dx, int dxOff) {
        int T = steps;
        int N = batch;
        int H = hiddenSize;
        dz = grow(dz, T * N * H);
        dhNext = grow(dhNext, N * H);
        java.util.Arrays.fill(dhNext, 0, N * H, 0f);
        for (int t = T - 1; t >= 0; t--) {
            int o = t * N * H;
            int hOff = o + N * H;
            // dz = (dy_t + dh_next) * act'(z), act' from the output: tanh' = 1 - h^2, relu' = [h > 0]
            for (int i = 0; i < N * H; i++) {
                float d = dy[dyOff + o + i] + dhNext[i];
                float hv = hAll[hOff + i];
                dz[o + i] = relu ? (hv > 0f ? d : 0f) : d * (1f - hv * hv);
            }
            // dh_{t-1} = dz W_hh
            gemm.gemm(false, false, N, H, H, 1f, dz, o, H, weightHh.w(), 0, H, 0f, dhNext, 0, H);
        }
        dh0 = grow(dh0, N * H);
        System.arraycopy(dhNext, 0, dh0, 0, N * H);
        sharedBiasGradients(dz, T * N, null, dx, dxOff);
    }

    @Override
    protected byte[] stepActivations() {
        return relu ? RELU_ACTIVATION : TANH_ACTIVATION;
    }

    @Override
    protected void updateStep(int NH, float[] h, float[] c) {
        System.arraycopy(gateStep[0], 0, h, 0, NH);
    }
}
