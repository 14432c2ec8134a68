package io.nowcast.nn;

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
    // ---- inference step ----
    private StepWeights inputWeights;       // (stepRows, D + 1): [W_ih | b]; built on first use
    private float[] x1 = new float[0];      // (N, D + 1): [x | 1]
    private float[] zStep = new float[0];   // (N, stepRows): pre-activations before the split, one stream
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
    public abstract void step(float[] x, int xOff, int N, float[] h, float[] c);

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
     * The step computes every gate's pre-activation, biases included, as
     *     z = [x | 1] [W_ih | b]^T + h W_hh^T
     * (b = b_ih + b_hh, GRU keeps the parts of n apart, see stepRows). The second product reads
     * W_hh where the parameter lives; only the small input part [W_ih | b] is a derived copy, and it
     * is compared with the parameters on every step and rebuilt when they differ (StepWeights), so
     * in-place training updates are always seen. A fused [W_ih | b | W_hh] copy (one product of
     * [x | 1 | h]) was measured too: no faster at any batch size (the product is 5% longer, and
     * checking the large copy costs what the second, thin product does) and a copy of W_hh to keep
     * in step.
     */

    /** From this many streams on, one pair of products per gate block instead of one wide pair. */
    static final int PER_GATE_FROM = 2;

    /** Activation codes for {@link #stepGates}. */
    protected static final byte NONE = 0;
    protected static final byte SIGMOID = 1;
    protected static final byte TANH = 2;
    protected static final byte RELU = 3;

    /** Rows of the step's input weights (pre-activations per stream): gh by default, GRU adds a block. */
    protected int stepRows() {
        return gh;
    }

    /**
     * Writes the step's input weights, {@link #stepRows()} rows of width ld = D + 1 (zeroed
     * before): {@code [W_ih[j] | b_ih[j] + b_hh[j]]} by default.
     */
    protected void fillInputWeights(float[] w, int ld) {
        int D = inputSize;
        float[] wi = weightIh.w();
        float[] bi = biasIh.w();
        float[] bh = biasHh.w();
        for (int j = 0; j < gh; j++) {
            System.arraycopy(wi, j * D, w, j * ld, D);
            w[j * ld + D] = bi[j] + bh[j];
        }
    }

    /**
     * The step's gates into one (N, H) array per gate block, {@link #gateStep}, each activated in
     * place by {@code act[g]} ({@code act.length * H == stepRows()}); blocks past gh (GRU's input
     * part of n) get no recurrent term. x (N, D) at xOff, h (N, H) the current hidden state (read
     * only). The element-wise passes that follow need the gates in separate arrays (see
     * {@link Kernels}).
     *
     * <p>One stream: one wide pair of products and a split (every product is a native call with a
     * fixed cost). More streams: one pair per gate block, written straight into its array and
     * activated while in cache; OpenBLAS also runs these narrower products on its small-matrix
     * kernels for a few streams (4 or 8 streams: 3x faster than the wide product, which it packs).
     */
    protected void stepGates(float[] x, int xOff, int N, float[] h, byte[] act) {
        int H = hiddenSize;
        int D1 = inputSize + 1;
        int NH = N * H;
        int blocks = act.length;
        int rows = stepRows();
        if (inputWeights == null) {
            inputWeights = new StepWeights(rows, D1, this::fillInputWeights, weightIh, biasIh, biasHh);
        }
        float[] wx = inputWeights.current();
        float[] wh = weightHh.w();
        x1 = grow(x1, N * D1);
        for (int n = 0; n < N; n++) {
            System.arraycopy(x, xOff + n * inputSize, x1, n * D1, inputSize);
            x1[n * D1 + inputSize] = 1f;
        }
        for (int g = 0; g < blocks; g++) {
            gateStep[g] = grow(gateStep[g], NH);
        }
        if (N < PER_GATE_FROM) {
            zStep = grow(zStep, N * rows);
            gemm.gemm(false, true, N, rows, D1, 1f, x1, 0, D1, wx, 0, D1, 0f, zStep, 0, rows);
            gemm.gemm(false, true, N, gh, H, 1f, h, 0, H, wh, 0, H, 1f, zStep, 0, rows);
            Kernels.splitColumns(zStep, 0, rows, N, H, gateStep, blocks);
            for (int g = 0; g < blocks; g++) {
                activate(act[g], gateStep[g], NH);
            }
        } else {
            for (int g = 0; g < blocks; g++) {
                float[] z = gateStep[g];
                gemm.gemm(false, true, N, H, D1, 1f, x1, 0, D1, wx, g * H * D1, D1, 0f, z, 0, H);
                if (g * H < gh) {
                    gemm.gemm(false, true, N, H, H, 1f, h, 0, H, wh, g * H * H, H, 1f, z, 0, H);
                }
                activate(act[g], z, NH);
            }
        }
    }

    /** How often the step's input weights were (re)built; 0 before the first step. */
    long stepWeightBuilds() {
        return inputWeights == null ? 0 : inputWeights.rebuilds();
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
        // dW_ih (GH, D) += dz^T (GH, TN) * x (TN, D)
        gemm.gemm(true, false, gh, inputSize, rows, 1f, dz, 0, gh, x, xOff, inputSize, 1f, weightIh.g(), 0, inputSize);
        Kernels.addColumnSums(dz, 0, rows, gh, biasIh.g());
        if (dx != null) {
            // dx (TN, D) = dz (TN, GH) * W_ih (GH, D)
            gemm.gemm(false, false, rows, inputSize, gh, 1f, dz, 0, gh, weightIh.w(), 0, inputSize, 0f, dx, dxOff, inputSize);
        }
    }

    /** Accumulates dW_hh, db_hh from dz (TN, GH) and the previous hidden states hAll[0..TN). */
    protected void recurrentGradients(float[] dz, int rows) {
        // dW_hh (GH, H) += dz^T (GH, TN) * h_prev (TN, H)
        gemm.gemm(true, false, gh, hiddenSize, rows, 1f, dz, 0, gh, hAll, 0, hiddenSize, 1f, weightHh.g(), 0, hiddenSize);
        Kernels.addColumnSums(dz, 0, rows, gh, biasHh.g());
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
