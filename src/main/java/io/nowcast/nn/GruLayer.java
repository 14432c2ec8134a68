package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Kernels;

import java.util.Arrays;

/**
 * GRU, PyTorch's formulation and gate order (r, z, n), the reset gate applied to the recurrent
 * product with its bias:
 * <pre>
 *   [ar az an] = W_ih x_t + b_ih          [br bz bn] = W_hh h_{t-1} + b_hh
 *   r = sigmoid(ar + br)   z = sigmoid(az + bz)   n = tanh(an + r * bn)
 *   h_t = (1 - z) * n + z * h_{t-1}
 * </pre>
 */
public final class GruLayer extends RecurrentLayer {
    private float[] gx = new float[0];     // (T*N, 3H): input part, then activated r, z, n in place
    private float[] gh2 = new float[0];    // (T*N, 3H): recurrent part W_hh h + b_hh of each step
    private float[] dzx = new float[0];    // (T*N, 3H)
    private float[] dzh = new float[0];    // (T*N, 3H)
    private float[] dhNext = new float[0]; // (N, H)

    private static final byte[] GATE_ACTIVATIONS = {SIGMOID, SIGMOID, NONE, NONE};

    GruLayer(int layerIndex, int inputSize, int hiddenSize, Gemm gemm) {
        super(CellType.GRU, layerIndex, inputSize, hiddenSize, gemm);
    }

    @Override
    public void forward(float[] x, int xOff, int T, int N, float[] h, float[] c) {
        int H = hiddenSize;
        this.x = x;
        this.xOff = xOff;
        this.steps = T;
        this.batch = N;
        hAll = grow(hAll, (T + 1) * N * H);
        gx = grow(gx, T * N * gh);
        gh2 = grow(gh2, T * N * gh);
        System.arraycopy(h, 0, hAll, 0, N * H);
        inputProjection(gx, biasIh.w(), T * N);
        Kernels.broadcastRows(biasHh.w(), gh2, 0, T * N, gh);
        for (int t = 0; t < T; t++) {
            int z = t * N * gh;
            // gh_t = b_hh + h_{t-1} W_hh^T
            gemm.gemm(false, true, N, gh, H, 1f, hAll, t * N * H, H, weightHh.w(), 0, H, 1f, gh2, z, gh);
            cell(gx, gh2, z, N, hAll, t * N * H, hAll, (t + 1) * N * H);
        }
        System.arraycopy(hAll, T * N * H, h, 0, N * H);
    }

    /** a (input part) becomes r, z, n in place; hOut = (1 - z) n + z hPrev. */
    private void cell(float[] a, float[] b, int z, int N, float[] hPrev, int hpOff, float[] hOut, int hOff) {
        int H = hiddenSize;
        for (int n = 0; n < N; n++) {
            int r = z + n * gh;
            for (int j = 0; j < 2 * H; j++) {
                a[r + j] += b[r + j];
            }
            Kernels.sigmoid(a, r, 2 * H);
            for (int j = 0; j < H; j++) {
                a[r + 2 * H + j] += a[r + j] * b[r + 2 * H + j];
            }
            Kernels.tanh(a, r + 2 * H, H);
            int s = n * H;
            for (int j = 0; j < H; j++) {
                float zz = a[r + H + j];
                hOut[hOff + s + j] = (1f - zz) * a[r + 2 * H + j] + zz * hPrev[hpOff + s + j];
            }
        }
    }

    @Override
    public void backward(float[] dy, int dyOff, float[] dx, int dxOff) {
        int T = steps;
        int N = batch;
        int H = hiddenSize;
        dzx = grow(dzx, T * N * gh);
        dzh = grow(dzh, T * N * gh);
        dhNext = grow(dhNext, N * H);
        Arrays.fill(dhNext, 0, N * H, 0f);
        for (int t = T - 1; t >= 0; t--) {
            int z = t * N * gh;
            int s = t * N * H;
            for (int n = 0; n < N; n++) {
                int r = z + n * gh;
                int q = n * H;
                for (int j = 0; j < H; j++) {
                    float rr = gx[r + j];
                    float zz = gx[r + H + j];
                    float nn = gx[r + 2 * H + j];
                    float hp = hAll[s + q + j];
                    float dh = dy[dyOff + s + q + j] + dhNext[q + j];
                    // h = (1 - z) n + z h_prev
                    float dan = dh * (1f - zz) * (1f - nn * nn);          // through n = tanh(an + r bn)
                    float daz = dh * (hp - nn) * zz * (1f - zz);
                    float dar = dan * gh2[r + 2 * H + j] * rr * (1f - rr);
                    dzx[r + j] = dar;
                    dzx[r + H + j] = daz;
                    dzx[r + 2 * H + j] = dan;
                    dzh[r + j] = dar;
                    dzh[r + H + j] = daz;
                    dzh[r + 2 * H + j] = dan * rr;
                    dhNext[q + j] = dh * zz;                               // direct path z h_prev
                }
            }
            // dh_{t-1} += dzh_t W_hh
            gemm.gemm(false, false, N, H, gh, 1f, dzh, z, gh, weightHh.w(), 0, H, 1f, dhNext, 0, H);
        }
        dh0 = grow(dh0, N * H);
        System.arraycopy(dhNext, 0, dh0, 0, N * H);
        recurrentGradients(dzh, T * N);
        inputGradients(dzx, T * N, dx, dxOff);
    }

    /**
     * GRU keeps the input and recurrent parts of n apart, so its step has four gate blocks:
     * r and z (both products, {@code b_i* + b_h*}), the recurrent part of n ({@code W_hn h + b_hn})
     * and its input part ({@code W_in x + b_in}).
     */
    @Override
    protected int stepRows() {
        return 4 * hiddenSize;
    }

    @Override
    protected void stepBias(float[] b) {
        int H = hiddenSize;
        float[] bi = biasIh.values();
        float[] bh = biasHh.values();
        for (int j = 0; j < 2 * H; j++) {
            b[j] = bi[j] + bh[j];
        }
        System.arraycopy(bh, 2 * H, b, 2 * H, H);
        System.arraycopy(bi, 2 * H, b, 3 * H, H);
    }

    @Override
    protected int inputBlock(int g) {
        return g == 2 ? -1 : g == 3 ? 2 : g;
    }

    @Override
    protected int hiddenBlock(int g) {
        return g == 3 ? -1 : g;
    }

    @Override
    protected byte[] stepActivations() {
        // r = sigmoid(a_r + b_r), z = sigmoid(a_z + b_z), b_n and a_n as they are
        return GATE_ACTIVATIONS;
    }

    @Override
    protected void updateStep(int NH, float[] h, float[] c) {
        float[][] g = gateStep;
        Kernels.gruUpdate(g[0], g[1], g[2], g[3], h, NH);
    }
}
