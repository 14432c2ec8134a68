package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Rng;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Stacked recurrent layers of one cell type with an optional linear head: the network behind
 * every recurrent model kind. Layer k reads layer k-1's hidden states; the head reads the top
 * layer's. Parameter names and order are PyTorch's ({@code rnn.*_l{k}}, {@code head.*}), so a
 * PyTorch {@code nn.LSTM/GRU/RNN(batch_first=False)} plus {@code nn.Linear} state_dict maps one to one.
 *
 * <p>Two paths: {@link #forward}/{@link #backward} over a (T, N) block for training, and
 * {@link #step} for inference one sample per stream, state in place. Not thread-safe.
 */
public final class RecurrentNet {
    public final CellType cell;
    public final int inputSize;
    public final int hiddenSize;
    private final List<RecurrentLayer> layers;
    private final Linear head;   // null: the output is the top layer's hidden state
    private final Gemm gemm;
    private final List<Param> params;
    private float[] dA = new float[0];
    private float[] dB = new float[0];
    private float[] dTop = new float[0];
    private int lastT;
    private int lastN;

    public RecurrentNet(CellType cell, int inputSize, int hiddenSize, int numLayers, int headOutputs, Gemm gemm) {
        if (numLayers < 1) {
            throw new IllegalArgumentException("numLayers must be at least 1, got " + numLayers);
        }
        this.cell = cell;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.gemm = gemm;
        List<RecurrentLayer> ls = new ArrayList<>();
        for (int k = 0; k < numLayers; k++) {
            ls.add(RecurrentLayer.create(cell, k, k == 0 ? inputSize : hiddenSize, hiddenSize, gemm));
        }
        this.layers = Collections.unmodifiableList(ls);
        this.head = headOutputs > 0 ? new Linear("head", hiddenSize, headOutputs, gemm) : null;
        List<Param> ps = new ArrayList<>();
        for (RecurrentLayer l : layers) {
            ps.addAll(l.params());
        }
        if (head != null) {
            ps.addAll(head.params());
        }
        this.params = Collections.unmodifiableList(ps);
    }

    /** PyTorch's default initialisation, seeded. */
    public RecurrentNet initUniform(Rng rng) {
        for (RecurrentLayer l : layers) {
            l.initUniform(rng);
        }
        if (head != null) {
            head.initUniform(rng);
        }
        return this;
    }

    public List<Param> params() {
        return params;
    }

    public Param param(String name) {
        for (Param p : params) {
            if (p.name.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no parameter named " + name);
    }

    public List<RecurrentLayer> layers() {
        return layers;
    }

    public int numLayers() {
        return layers.size();
    }

    public Linear head() {
        return head;
    }

    public Gemm gemm() {
        return gemm;
    }

    /** Width of one output row: the head's outputs, or the hidden size without a head. */
    public int outputSize() {
        return head != null ? head.outFeatures : hiddenSize;
    }

    /** A zero state for N streams. */
    public RecurrentState newState(int batch) {
        return new RecurrentState(layers.size(), batch, hiddenSize, cell.hasCell());
    }

    public long parameterCount() {
        long n = 0;
        for (Param p : params) {
            n += p.size();
        }
        return n;
    }

    public void zeroGrad() {
        for (Param p : params) {
            p.zeroGrad();
        }
    }

    /**
     * Runs T steps for the N streams of {@code state} (updated in place to the final state).
     *
     * @param x (T*N, inputSize), step-major; must stay unchanged until {@link #backward}
     * @return the output buffer, (T*N, outputSize) starting at {@link #outputOffset()}; owned by the net
     */
    public float[] forward(float[] x, int T, RecurrentState state) {
        int N = state.batch;
        lastT = T;
        lastN = N;
        float[] in = x;
        int inOff = 0;
        for (int k = 0; k < layers.size(); k++) {
            RecurrentLayer l = layers.get(k);
            l.forward(in, inOff, T, N, state.h[k], state.c[k]);
            in = l.outputs();
            inOff = l.outputOffset();
        }
        if (head == null) {
            return in;
        }
        return head.forward(in, inOff, T * N);
    }

    /** Offset of the first output row in the buffer {@link #forward} returned. */
    public int outputOffset() {
        return head == null ? layers.get(layers.size() - 1).outputOffset() : 0;
    }

    /**
     * Backpropagates d(loss)/d(output) ((T*N, outputSize), offset 0) through the last forward,
     * accumulating every parameter gradient. Gradients are cut at the initial state (truncated BPTT).
     */
    public void backward(float[] dOut) {
        int rows = lastT * lastN;
        int H = hiddenSize;
        float[] dy;
        if (head != null) {
            dTop = RecurrentLayer.grow(dTop, rows * H);
            head.backward(dOut, dTop, 0);
            dy = dTop;
        } else {
            dy = dOut;
        }
        for (int k = layers.size() - 1; k >= 0; k--) {
            RecurrentLayer l = layers.get(k);
            float[] dx = null;
            if (k > 0) {
                if (dy == dA) {
                    dB = RecurrentLayer.grow(dB, rows * H);
                    dx = dB;
                } else {
                    dA = RecurrentLayer.grow(dA, rows * H);
                    dx = dA;
                }
            }
            l.backward(dy, 0, dx, 0);
            dy = dx;
        }
    }

    /**
     * One inference step for the N streams of {@code state}: x (N, inputSize), state in place,
     * out (N, outputSize) written at outOff.
     */
    public void step(float[] x, int xOff, RecurrentState state, float[] out, int outOff) {
        int N = state.batch;
        float[] in = x;
        int inOff = xOff;
        for (int k = 0; k < layers.size(); k++) {
            layers.get(k).step(in, inOff, N, state.h[k], state.c[k]);
            in = state.h[k];
            inOff = 0;
        }
        if (head != null) {
            head.apply(in, 0, N, out, outOff);
        } else {
            System.arraycopy(in, 0, out, outOff, N * hiddenSize);
        }
    }
}
