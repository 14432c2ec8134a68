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
    /** Row width of the packed step input {@code [x | 1 | h]} and of the fused step weights: D + 1 + H. */
    protected final int stepLd;
    private StepWeights stepWeights;        // built on first use
    protected float[] xh = new float[0];    // (N, D + 1 + H): packed step input, column D is all ones
    protected final float[][] gateStep = new float[4][0]; // per gate (N, H): the step's pre-activations
    private float[] zStep = new float[0];   // (N, gates * H): the step's one product, small N only

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
        this.stepLd = inputSize + 1 + hiddenSize;
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

    // ---- the inference step's fused product ----

    /** Rows of the fused step weights: the pre-activations one step product yields. */
    protected int stepRows() {
        return gh;
    }

    /**
     * Writes the fused step weights, {@link #stepRows()} rows of width {@code ld} (zeroed before),
     * from the parameters' current values. The default is one row per pre-activation j:
     * {@code [W_ih[j] | b_ih[j] + b_hh[j] | W_hh[j]]}.
     */
    protected void fillStepWeights(float[] w, int ld) {
        int D = inputSize;
        int H = hiddenSize;
        float[] wi = weightIh.w();
        float[] wh = weightHh.w();
        float[] bi = biasIh.w();
        float[] bh = biasHh.w();
        for (int j = 0; j < gh; j++) {
            System.arraycopy(wi, j * D, w, j * ld, D);
            w[j * ld + D] = bi[j] + bh[j];
            System.arraycopy(wh, j * H, w, j * ld + D + 1, H);
        }
    }

    /** The fused step weights, up to date with the parameters (checked on every call). */
    protected float[] stepWeights() {
        if (stepWeights == null) {
            stepWeights = new StepWeights(stepRows(), stepLd, this::fillStepWeights, weightIh, weightHh, biasIh, biasHh);
        }
        return stepWeights.current();
    }

    /** How often the fused step weights were (re)built; 0 before the first step. */
    long stepWeightBuilds() {
        return stepWeights == null ? 0 : stepWeights.rebuilds();
    }

    /** Packs {@code xh = [x | 1 | h]} for N streams: x (N, D) at xOff, h (N, H). */
    protected void packStepInput(float[] x, int xOff, int N, float[] h) {
        int D = inputSize;
        int H = hiddenSize;
        int ld = stepLd;
        if (xh.length < N * ld) {
            xh = new float[N * ld];
            for (int n = 0; n < N; n++) {
                xh[n * ld + D] = 1f;
            }
        }
        float[] p = xh;
        for (int n = 0; n < N; n++) {
            System.arraycopy(x, xOff + n * D, p, n * ld, D);
            System.arraycopy(h, n * H, p, n * ld + D + 1, H);
        }
    }

    /** Below this many streams the step makes one product for all gates and splits it; from it on, one per gate. */
    static final int PER_GATE_PRODUCT_FROM = 8;

    /** Activation codes for {@link #stepGates}. */
    protected static final byte NONE = 0;
    protected static final byte SIGMOID = 1;
    protected static final byte TANH = 2;

    /**
     * The step's gates for the first {@code act.length} gate blocks (H fused rows each), into one
     * (N, H) array per gate, {@link #gateStep}, each activated in place by {@code act[g]}: the
     * element-wise passes need the gates apart (see {@link Kernels}). For a few streams one
     * product of width gates * H is split with System.arraycopy (each product is a native call
     * with a fixed cost); for more streams one product per gate writes each array directly, which
     * is as fast as the wide product and saves the split, and each gate is activated while it is
     * still in cache.
     */
    protected void stepGates(float[] w, int N, byte[] act) {
        int H = hiddenSize;
        int NH = N * H;
        int ld = stepLd;
        int gates = act.length;
        for (int g = 0; g < gates; g++) {
            gateStep[g] = grow(gateStep[g], NH);
        }
        if (N < PER_GATE_PRODUCT_FROM) {
            int width = gates * H;
            zStep = grow(zStep, N * width);
            gemm.gemm(false, true, N, width, ld, 1f, xh, 0, ld, w, 0, ld, 0f, zStep, 0, width);
            Kernels.splitColumns(zStep, 0, width, N, H, gateStep, gates);
            for (int g = 0; g < gates; g++) {
                activate(act[g], gateStep[g], NH);
            }
        } else {
            for (int g = 0; g < gates; g++) {
                gemm.gemm(false, true, N, H, ld, 1f, xh, 0, ld, w, g * H * ld, ld, 0f, gateStep[g], 0, H);
                activate(act[g], gateStep[g], NH);
            }
        }
    }

    private static void activate(byte act, float[] a, int n) {
        if (act == SIGMOID) {
            Kernels.sigmoid(a, 0, n);
        } else if (act == TANH) {
            Kernels.tanh(a, 0, n);
        }
    }

    /** z (N, rows) = [x | 1 | h] (N, ld) * W^T for the first {@code rows} fused rows, written at zOff with row stride ldz. */
    protected void stepProduct(float[] w, int N, int rows, float[] z, int zOff, int ldz) {
        gemm.gemm(false, true, N, rows, stepLd, 1f, xh, 0, stepLd, w, 0, stepLd, 0f, z, zOff, ldz);
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
