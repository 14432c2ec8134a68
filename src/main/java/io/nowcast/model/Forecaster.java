package io.nowcast.model;

import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;

/**
 * A numeric sequence model: one feature vector per step in, per step the head's predictions
 * (with a standard deviation for a Gaussian head) or, without a head, the top hidden state.
 * Inputs are standardised and outputs de-standardised with the statistics in the spec; a model
 * {@link ModelSpec#relativeToInput relative to its inputs} adds each target's current input value
 * to its outputs, so that the head predicts changes.
 * Not thread-safe (scratch space is reused).
 */
public final class Forecaster implements Model {
    private final ModelSpec spec;
    private final RecurrentNet net;
    private float[] raw = new float[0];
    /** With {@link ModelSpec#relativeToInput}: per output, the input column whose current value it is relative to. */
    private final int[] base;

    public Forecaster(ModelSpec spec, RecurrentNet net) {
        this.spec = spec;
        this.net = net;
        if (spec.relativeToInput) {
            if (spec.head == ModelSpec.Head.NONE || spec.targets.isEmpty()) {
                throw new IllegalArgumentException("relative_to_input needs a head and named targets");
            }
            base = new int[spec.outputSize];
            int H = spec.horizon;
            for (int j = 0; j < spec.targets.size(); j++) {
                int col = spec.inputFeatures.indexOf(spec.targets.get(j));
                if (col < 0) {
                    throw new IllegalArgumentException("relative_to_input: the target " + spec.targets.get(j)
                            + " is not an input feature " + spec.inputFeatures);
                }
                for (int k = 0; k < H; k++) {
                    base[j * H + k] = col;
                }
            }
        } else {
            base = null;
        }
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public RecurrentNet net() {
        return net;
    }

    /** Values per output row: outputSize predictions, then outputSize standard deviations for a Gaussian head. */
    public int outputWidth() {
        switch (spec.head) {
            case NONE:
                return net.hiddenSize;
            case GAUSSIAN:
                return 2 * spec.outputSize;
            default:
                return spec.outputSize;
        }
    }

    /** Floats of scratch space {@link #step} needs for {@code rows} streams. */
    public int scratchSize(int rows) {
        return rows * (Math.max(spec.inputSize, Math.max(outputWidth(), net.outputSize())) + net.hiddenSize);
    }

    /** Names for the output columns. */
    public String[] outputNames() {
        int w = outputWidth();
        String[] names = new String[w];
        int k = spec.head == ModelSpec.Head.NONE ? w : spec.outputSize;
        for (int j = 0; j < k; j++) {
            names[j] = spec.head != ModelSpec.Head.NONE && j < spec.outputFeatures.size()
                    ? spec.outputFeatures.get(j) : (spec.head == ModelSpec.Head.NONE ? "h" : "y") + j;
        }
        for (int j = k; j < w; j++) {
            names[j] = names[j - k] + "_std";
        }
        return names;
    }

    /**
     * One step for the N streams of {@code state}: raw inputs (N, inputSize) in, outputs
     * (N, outputWidth) written to {@code out}. {@code scratch} must hold N * max(inputSize,
     * headOutputs, hidden) floats.
     */
    public void step(float[] input, RecurrentState state, float[] out, float[] scratch) {
        int N = state.batch;
        int D = spec.inputSize;
        float[] x = input;
        if (spec.inputMean != null) {
            for (int n = 0; n < N; n++) {
                for (int j = 0; j < D; j++) {
                    scratch[n * D + j] = (input[n * D + j] - spec.inputMean[j]) / spec.inputStd[j];
                }
            }
            x = scratch;
        }
        int hw = net.outputSize();
        if (raw.length < N * hw) {
            raw = new float[N * hw];
        }
        net.step(x, 0, state, raw, 0);
        int O = spec.outputSize;
        for (int n = 0; n < N; n++) {
            switch (spec.head) {
                case NONE:
                    System.arraycopy(raw, n * hw, out, n * hw, hw);
                    break;
                case LINEAR:
                    for (int j = 0; j < O; j++) {
                        out[n * O + j] = destandardise(raw[n * hw + j], j) + (base == null ? 0f : input[n * D + base[j]]);
                    }
                    break;
                case GAUSSIAN:
                    for (int j = 0; j < O; j++) {
                        out[n * 2 * O + j] = destandardise(raw[n * hw + j], j)
                                + (base == null ? 0f : input[n * D + base[j]]);
                        float lv = Math.max(-12f, Math.min(12f, raw[n * hw + O + j]));
                        float sd = (float) Math.exp(0.5 * lv);
                        out[n * 2 * O + O + j] = spec.outputStd != null ? sd * spec.outputStd[j] : sd;
                    }
                    break;
                default:
                    throw new IllegalStateException();
            }
        }
    }

    private float destandardise(float v, int j) {
        return spec.outputMean != null ? v * spec.outputStd[j] + spec.outputMean[j] : v;
    }
}
