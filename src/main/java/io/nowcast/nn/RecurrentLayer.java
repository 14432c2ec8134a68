package io.nowcast.nn;

import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Kernels;
import io.nowcast.tensor.Rng;

import java.util.List;

/**
 * One recurrent layer: the same weights applied at every step, {@code h_t = f(h_{t-1}, x_t)},
 * batched over N independent sequences (rows = streams).
 *
 * <p>Buffers are step-major: row {@code t*N + n} is stream n at step t, so the N rows of one step
 * are one contiguous block that the matrix products use in place. The layer keeps what its
 * backward pass needs from the last {@link #forward}; buffers grow to the largest (T, N) seen and
 * are then reused, never reallocated per call.
 *
 * <p>Life cycle: {@code forward} (caches), then at most one {@code backward} for that forward;
 * {@link #step} is the inference path and leaves the cache alone. Not thread-safe.
 */
public abstract sealed class RecurrentLayer permits RnnLayer, LstmLayer, GruLayer {
    public final CellType type;
    public final int inputSize;
    public final int hiddenSize;
    /** gates * hiddenSize: the width of the pre-activation block. */
    protected final int gh;
    public final Param weightIh;
    public final Param weightHh;
    public final Param biasIh;
    public final Param biasHh;
    protected final Gemm gemm;

    // ---- cache of the last forward ----
    protected int steps;
    protected int batch;
    protected float[] x;       // the input, (T*N, D), borrowed from the caller: must stay unchanged until backward
    protected int xOff;
    protected float[] hAll = new float[0];  // ((T+1)*N, H): block 0 is h_0, block t+1 is h_{t+1}
    // ---- gradients of the last backward w.r.t. the initial state ----
    protected float[] dh0 = new float[0];   // (N, H)
    private float[] biasGrad = new float[0]; // (GH): the column sums of dz, for sharedBiasGradients
    // ---- inference step ----
    private float[] biasStep = new float[0]; // (stepRows): the step's biases, summed on every step
    protected final float[][] gateStep = new float[4][0]; // per gate block (N, H): the step's activated gates

    protected RecurrentLayer(CellType type, int layerIndex, int inputSize, int hiddenSize, Gemm gemm) {
        if (inputSize <= 0 || hiddenSize <= 0) {
            throw new IllegalArgumentException("layer sizes must be positive: input " + inputSize + ", hidden " + hiddenSize);
        }
        this.type = type;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.gh = type.gates * hiddenSize;
        this.gemm = gemm;
        String l = "_l" + layerIndex;
        this.weightIh = new Param("rnn.weight_ih" + l, gh, inputSize);
        this.weightHh = new Param("rnn.weight_hh" + l, gh, hiddenSize);
        this.biasIh = new Param("rnn.bias_ih" + l, gh);
        this.biasHh = new Param("rnn.bias_hh" + l, gh);
    }

    /** Creates a layer of the given cell type. */
    public static RecurrentLayer create(CellType type, int layerIndex, int inputSize, int hiddenSize, Gemm gemm) {
        switch (type) {
            case LSTM:
                return new LstmLayer(layerIndex, inputSize, hiddenSize, gemm);
            case GRU:
                return new GruLayer(layerIndex, inputSize, hiddenSize, gemm);
            default:
                return new RnnLayer(type, layerIndex, inputSize, hiddenSize, gemm);
        }
    }

    public List<Param> params() {
        return List.of(weightIh, weightHh, biasIh, biasHh);
    }

    /** PyTorch's initialisation: every weight and bias uniform in +-1/sqrt(hidden). */
    public void initUniform(Rng rng) {
        float k = (float) (1.0 / Math.sqrt(hiddenSize));
        for (Param p : params()) {
            rng.uniform(p.w(), k);
        }
    }

    /**
     * Runs T steps over N sequences.
     *
     * @param x    input (T*N, D) at xOff, step-major; kept by reference for the backward pass
     * @param h    (N, H): the initial hidden state on entry, the final one on return
     * @param c    (N, H): the initial cell state on entry, the final one on return (LSTM only, else ignored)
     */
    public abstract void forward(float[] x, int xOff, int T, int N, float[] h, float[] c);

    /**
     * Backpropagates through the T steps of the last forward.
     *
     * @param dy   d(loss)/d(h_t) for t = 1..T, (T*N, H) at dyOff; not modified
     * @param dx   receives d(loss)/d(x), (T*N, D) at dxOff, overwritten; null to skip
     * Parameter gradients are accumulated (+=). The gradient flowing out of the initial state is
     * kept ({@link #dh0()}); truncated BPTT simply does not use it.
     */
    public abstract void backward(float[] dy, int dyOff, float[] dx, int dxOff);

    /**
     * One inference step for N streams, in place on their state; no cache is touched.
     *
     * @param x (N, D) at xOff
     * @param h (N, H) hidden state in and out
     * @param c (N, H) cell state in and out (LSTM only)
     */
    public final void step(float[] x, int xOff, int N, float[] h, float[] c) {
        stepGates(x, xOff, N, h, stepActivations());
        updateStep(N * hiddenSize, h, c);
    }

    /** The activation of each of the step's gate blocks (one per H of {@link #stepRows()}). */
    protected abstract byte[] stepActivations();

    /** The state update from the step's activated gates ({@link #gateStep}) over N * H values, h and c in place. */
    protected abstract void updateStep(int NH, float[] h, float[] c);

    /**
     * The rest of a step whose gate pre-activations another product wrote into {@link #gateStep}
     * (biases included): the same activations and state update as {@link #step}. For
     * {@link GemmStep}, which measures the serving step against a library's products.
     */
    void finishStep(int N, float[] h, float[] c) {
        byte[] act = stepActivations();
        for (int g = 0; g < act.length; g++) {
            activate(act[g], gateStep[g], N * hiddenSize);
        }
        updateStep(N * hiddenSize, h, c);
    }

    /** The outputs h_1..h_T of the last forward, (T*N, H) starting at {@link #outputOffset()}. */
    public float[] outputs() {
        return hAll;
    }

    public int outputOffset() {
        return batch * hiddenSize;
    }

    /** d(loss)/d(h_0) from the last backward, (N, H). */
    public float[] dh0() {
        return dh0;
    }

    /** d(loss)/d(c_0) from the last backward (LSTM), else null. */
    public float[] dc0() {
        return null;
    }

    // ---- the inference step ----
    /*
     * The step computes every gate block's pre-activation as  z = b + [x | h] P  with one
     * FixedOrderGemm product: each element is b followed by one fused multiply-add chain over x's
     * then h's features, in order. That chain is the same whether the stream is stepped alone or
     * as one of 300, at whatever row, which is what makes a stream's outputs independent of its
     * batch (a BLAS picks micro-kernels by shape and rounds an edge row differently). P is the
     * packed (D + H, stepRows) copy of [W_ih^T ; W_hh^T] in the step's block order, so the
     * product streams through it row by row; it is made again whenever either weight may have
     * changed (Param.version moves whenever the array is asked for to be written). b (b_ih + b_hh) is summed afresh on
     * every step from the parameters.
     */

    /** Activation codes for {@link #stepGates}. */
    protected static final byte NONE = 0;
    protected static final byte SIGMOID = 1;
    protected static final byte TANH = 2;
    protected static final byte RELU = 3;

    private float[] packed = new float[0];  // (D + H, stepRows): rows < D from W_ih^T, the rest from W_hh^T
    private float[] xhStep = new float[0];  // (N, D + H): each stream's input then its hidden state
    private long packedIh = -1;              // weightIh.version() the pack was made from
    private long packedHh = -1;

    /** Pre-activations per stream in the step, H per gate block: gh by default, GRU adds a block. */
    protected int stepRows() {
        return gh;
    }

    /** Writes the step's bias for each of the {@link #stepRows()} pre-activations: b_ih + b_hh by default. */
    protected void stepBias(float[] b) {
        float[] bi = biasIh.values();
        float[] bh = biasHh.values();
        for (int j = 0; j < gh; j++) {
            b[j] = bi[j] + bh[j];
        }
    }

    /** The row block of W_ih (H rows) that feeds the step's gate block g, or -1 for none. */
    protected int inputBlock(int g) {
        return g;
    }

    /** The row block of W_hh (H rows) that feeds the step's gate block g, or -1 for none. */
    protected int hiddenBlock(int g) {
        return g;
    }

    /** The packed weights of the step, made again when W_ih or W_hh changed since. */
    private float[] packedWeights() {
        if (packedIh == weightIh.version() && packedHh == weightHh.version() && packed.length > 0) {
            return packed;
        }
        int H = hiddenSize;
        int D = inputSize;
        int cols = stepRows();
        int blocks = cols / H;
        float[] p = new float[(D + H) * cols];
        float[] wi = weightIh.values();
        float[] wh = weightHh.values();
        for (int g = 0; g < blocks; g++) {
            int xb = inputBlock(g);
            int hb = hiddenBlock(g);
            for (int j = 0; j < H; j++) {
                int col = g * H + j;
                if (xb >= 0) {
                    // P[kk][col] = W_ih[xb H + j][kk]
                    int w = (xb * H + j) * D;
                    for (int kk = 0; kk < D; kk++) {
                        p[kk * cols + col] = wi[w + kk];
                    }
                }
                if (hb >= 0) {
                    // P[D + kk][col] = W_hh[hb H + j][kk]
                    int w = (hb * H + j) * H;
                    for (int kk = 0; kk < H; kk++) {
                        p[(D + kk) * cols + col] = wh[w + kk];
                    }
                }
            }
        }
        packed = p;
        packedIh = weightIh.version();
        packedHh = weightHh.version();
        return p;
    }

    /**
     * The step's gates into one (N, H) array per gate block, {@link #gateStep}, each activated in
     * place by {@code act[g]} ({@code act.length * H == stepRows()}). x (N, D) at xOff, h (N, H)
     * the current hidden state (read only). The element-wise passes that follow need the gates in
     * separate arrays (see {@link Kernels}).
     */
    protected void stepGates(float[] x, int xOff, int N, float[] h, byte[] act) {
        int H = hiddenSize;
        int D = inputSize;
        int K = D + H;
        int NH = N * H;
        int blocks = act.length;
        int cols = stepRows();
        float[] p = packedWeights();
        biasStep = grow(biasStep, cols);
        stepBias(biasStep);
        xhStep = grow(xhStep, N * K);
        for (int n = 0; n < N; n++) {
            System.arraycopy(x, xOff + n * D, xhStep, n * K, D);
            System.arraycopy(h, n * H, xhStep, n * K + D, H);
        }
        for (int g = 0; g < blocks; g++) {
            gateStep[g] = grow(gateStep[g], NH);
            float[] z = gateStep[g];
            for (int n = 0; n < N; n++) {
                System.arraycopy(biasStep, g * H, z, n * H, H);
            }
            boolean fromX = inputBlock(g) >= 0;
            boolean fromH = hiddenBlock(g) >= 0;
            // z (N, H) += [x | h] (N, K) P[rows][g H .. g H + H), rows those of the inputs block g reads
            int k0 = fromX ? 0 : D;
            int k1 = fromH ? K : D;
            FixedOrderGemm.accumulate(N, H, k1 - k0, xhStep, k0, K, p, k0 * cols + g * H, cols, z, 0, H);
            activate(act[g], z, NH);
        }
    }

    private static void activate(byte act, float[] a, int n) {
        switch (act) {
            case SIGMOID:
                Kernels.sigmoid(a, 0, n);
                break;
            case TANH:
                Kernels.tanh(a, 0, n);
                break;
            case RELU:
                Kernels.relu(a, 0, n);
                break;
            default:
                break;
        }
    }

    // ---- helpers shared by the cells ----

    protected static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    /** z[t*N..(t+1)*N rows] = bias for all T*N rows, then z += X W_ih^T: the input part of every step at once. */
    protected void inputProjection(float[] z, float[] bias, int rows) {
        Kernels.broadcastRows(bias, z, 0, rows, gh);
        // z (TN, GH) += x (TN, D) * W_ih^T (D, GH)
        gemm.gemm(false, true, rows, gh, inputSize, 1f, x, xOff, inputSize, weightIh.w(), 0, inputSize, 1f, z, 0, gh);
    }

    /** Accumulates dW_ih, db_ih from dz (TN, GH) and writes dx = dz W_ih. */
    protected void inputGradients(float[] dz, int rows, float[] dx, int dxOff) {
        Kernels.addColumnSums(dz, 0, rows, gh, biasIh.g());
        inputWeightGradients(dz, rows, dx, dxOff);
    }

    /** Accumulates dW_ih from dz (TN, GH) and writes dx = dz W_ih. */
    private void inputWeightGradients(float[] dz, int rows, float[] dx, int dxOff) {
        // dW_ih (GH, D) += dz^T (GH, TN) * x (TN, D)
        gemm.gemm(true, false, gh, inputSize, rows, 1f, dz, 0, gh, x, xOff, inputSize, 1f, weightIh.g(), 0, inputSize);
        if (dx != null) {
            // dx (TN, D) = dz (TN, GH) * W_ih (GH, D)
            gemm.gemm(false, false, rows, inputSize, gh, 1f, dz, 0, gh, weightIh.w(), 0, inputSize, 0f, dx, dxOff, inputSize);
        }
    }

    /** Accumulates dW_hh, db_hh from dz (TN, GH) and the previous hidden states hAll[0..TN). */
    protected void recurrentGradients(float[] dz, int rows) {
        recurrentWeightGradients(dz, rows);
        Kernels.addColumnSums(dz, 0, rows, gh, biasHh.g());
    }

    private void recurrentWeightGradients(float[] dz, int rows) {
        // dW_hh (GH, H) += dz^T (GH, TN) * h_prev (TN, H)
        gemm.gemm(true, false, gh, hiddenSize, rows, 1f, dz, 0, gh, hAll, 0, hiddenSize, 1f, weightHh.g(), 0, hiddenSize);
    }

    /**
     * Every parameter's gradient for a cell whose two biases see the same dz (TN, GH), as RNN's
     * and LSTM's do (z = W_ih x + b_ih + W_hh h + b_hh): dW_hh, dW_ih, and both bias gradients
     * from db (GH), the column sums of dz, which the caller may have summed on its way (null:
     * summed here, once for the two); writes dx = dz W_ih.
     */
    protected void sharedBiasGradients(float[] dz, int rows, float[] db, float[] dx, int dxOff) {
        if (db == null) {
            biasGrad = grow(biasGrad, gh);
            java.util.Arrays.fill(biasGrad, 0, gh, 0f);
            Kernels.addColumnSums(dz, 0, rows, gh, biasGrad);
            db = biasGrad;
        }
        float[] gi = biasIh.g();
        float[] gb = biasHh.g();
        for (int j = 0; j < gh; j++) {
            gi[j] += db[j];
            gb[j] += db[j];
        }
        recurrentWeightGradients(dz, rows);
        inputWeightGradients(dz, rows, dx, dxOff);
    }

    protected float[] summedBias() {
        float[] b = new float[gh];
        float[] bi = biasIh.w();
        float[] bh = biasHh.w();
        for (int j = 0; j < gh; j++) {
            b[j] = bi[j] + bh[j];
        }
        return b;
    }
}
