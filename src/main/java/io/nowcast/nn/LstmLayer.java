package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Kernels;
import io.nowcast.tensor.VectorLstm;

import java.util.Arrays;

/**
 * LSTM, PyTorch's formulation and gate order (i, f, g, o):
 * <pre>
 *   [zi zf zg zo] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
 *   i = sigmoid(zi)  f = sigmoid(zf)  g = tanh(zg)  o = sigmoid(zo)
 *   c_t = f * c_{t-1} + i * g
 *   h_t = o * tanh(c_t)
 * </pre>
 */
public final class LstmLayer extends RecurrentLayer {
    private float[] gates = new float[0];  // (T*N, 4H): activated i, f, g, o of each step
    private float[] cAll = new float[0];   // ((T+1)*N, H): block 0 is c_0
    private float[] tc = new float[0];     // (T*N, H): tanh(c_t)
    private float[] dz = new float[0];     // (T*N, 4H)
    private float[] dhNext = new float[0]; // (N, H)
    private float[] dcNext = new float[0]; // (N, H)
    private float[] dc0 = new float[0];    // (N, H)
    private float[] db = new float[0];     // (4H): the column sums of dz, both biases' gradient

    private static final byte[] GATE_ACTIVATIONS = {SIGMOID, SIGMOID, TANH, SIGMOID};
    /** The element-wise passes run on the Vector API when the module is there (same bits). */
    private static final boolean VECTOR = Kernels.vectorised();

    LstmLayer(int layerIndex, int inputSize, int hiddenSize, Gemm gemm) {
        super(CellType.LSTM, layerIndex, inputSize, hiddenSize, gemm);
    }

    @Override
    public void forward(float[] x, int xOff, int T, int N, float[] h, float[] c) {
        int H = hiddenSize;
        this.x = x;
        this.xOff = xOff;
        this.steps = T;
        this.batch = N;
        hAll = grow(hAll, (T + 1) * N * H);
        cAll = grow(cAll, (T + 1) * N * H);
        tc = grow(tc, T * N * H);
        gates = grow(gates, T * N * gh);
        System.arraycopy(h, 0, hAll, 0, N * H);
        System.arraycopy(c, 0, cAll, 0, N * H);
        // gates = b_ih + b_hh + x W_ih^T, all steps in one product
        Kernels.broadcastRows(summedBias(), gates, 0, T * N, gh);
        gemm.gemm(false, true, T * N, gh, inputSize, 1f, x, xOff, inputSize, weightIh.w(), 0, inputSize, 1f, gates, 0, gh);
        for (int t = 0; t < T; t++) {
            int z = t * N * gh;
            // gates_t += h_{t-1} W_hh^T
            gemm.gemm(false, true, N, gh, H, 1f, hAll, t * N * H, H, weightHh.w(), 0, H, 1f, gates, z, gh);
            cell(gates, z, N, cAll, t * N * H, cAll, (t + 1) * N * H, tc, t * N * H, hAll, (t + 1) * N * H);
        }
        System.arraycopy(hAll, T * N * H, h, 0, N * H);
        System.arraycopy(cAll, T * N * H, c, 0, N * H);
    }

    /** Activates the pre-activations at z in place, then c = f c_prev + i g, tc = tanh(c), h = o tc. */
    private void cell(float[] g, int z, int N, float[] cPrev, int cpOff, float[] cOut, int cOff,
                      float[] tcOut, int tcOff, float[] hOut, int hOff) {
        int H = hiddenSize;
        for (int n = 0; n < N; n++) {
            int r = z + n * gh;
            int s = n * H;
            int j0 = VECTOR
                    ? VectorLstm.forwardRow(H, g, r, cPrev, cpOff + s, cOut, cOff + s, tcOut, tcOff + s, hOut, hOff + s) : 0;
            for (int j = j0; j < H; j++) {
                float i = Kernels.sigmoid(g[r + j]);
                float f = Kernels.sigmoid(g[r + H + j]);
                float gg = Kernels.tanh(g[r + 2 * H + j]);
                float o = Kernels.sigmoid(g[r + 3 * H + j]);
                g[r + j] = i;
                g[r + H + j] = f;
                g[r + 2 * H + j] = gg;
                g[r + 3 * H + j] = o;
                float cv = f * cPrev[cpOff + s + j] + i * gg;
                cOut[cOff + s + j] = cv;
                float t = Kernels.tanh(cv);
                tcOut[tcOff + s + j] = t;
                hOut[hOff + s + j] = o * t;
            }
        }
    }

    @Override
    public void backward(float[] dy, int dyOff, float[] dx, int dxOff) {
        int T = steps;
        int N = batch;
        int H = hiddenSize;
        dz = grow(dz, T * N * gh);
        dhNext = grow(dhNext, N * H);
        dcNext = grow(dcNext, N * H);
        Arrays.fill(dhNext, 0, N * H, 0f);
        Arrays.fill(dcNext, 0, N * H, 0f);
        db = grow(db, gh);
        Arrays.fill(db, 0, gh, 0f);
        for (int t = T - 1; t >= 0; t--) {
            int z = t * N * gh;
            int s = t * N * H;
            for (int n = 0; n < N; n++) {
                int r = z + n * gh;
                int q = n * H;
                int j0 = VECTOR
                        ? VectorLstm.backwardRow(H, gates, r, tc, cAll, s + q, dy, dyOff + s + q, dhNext, dcNext, q, dz, db)
                        : 0;
                for (int j = j0; j < H; j++) {
                    float i = gates[r + j];
                    float f = gates[r + H + j];
                    float g = gates[r + 2 * H + j];
                    float o = gates[r + 3 * H + j];
                    float tcv = tc[s + q + j];
                    float dh = dy[dyOff + s + q + j] + dhNext[q + j];
                    // h = o tanh(c): dc += dh o (1 - tanh^2 c)
                    float dc = dcNext[q + j] + dh * o * (1f - tcv * tcv);
                    // c = f c_prev + i g
                    float dzi = dc * g * i * (1f - i);
                    float dzf = dc * cAll[s + q + j] * f * (1f - f);
                    float dzg = dc * i * (1f - g * g);
                    float dzo = dh * tcv * o * (1f - o);
                    dz[r + j] = dzi;
                    dz[r + H + j] = dzf;
                    dz[r + 2 * H + j] = dzg;
                    dz[r + 3 * H + j] = dzo;
                    // db = the column sums of dz, in the order the rows are made
                    db[j] += dzi;
                    db[H + j] += dzf;
                    db[2 * H + j] += dzg;
                    db[3 * H + j] += dzo;
                    dcNext[q + j] = dc * f;
                }
            }
            // dh_{t-1} = dz_t W_hh
            gemm.gemm(false, false, N, H, gh, 1f, dz, z, gh, weightHh.w(), 0, H, 0f, dhNext, 0, H);
        }
        dh0 = grow(dh0, N * H);
        dc0 = grow(dc0, N * H);
        System.arraycopy(dhNext, 0, dh0, 0, N * H);
        System.arraycopy(dcNext, 0, dc0, 0, N * H);
        sharedBiasGradients(dz, T * N, db, dx, dxOff);
    }

    @Override
    public float[] dc0() {
        return dc0;
    }

    @Override
    protected byte[] stepActivations() {
        return GATE_ACTIVATIONS;
    }

    @Override
    protected void updateStep(int NH, float[] h, float[] c) {
        // c = f c + i g, h = o tanh(c), from the activated i, f, g, o of all N streams
        float[][] g = gateStep;
        Kernels.lstmUpdate(g[0], g[1], g[2], g[3], c, h, NH);
    }
}
