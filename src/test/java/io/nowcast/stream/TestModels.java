package io.nowcast.stream;

import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Small seeded forecasters for the processor tests. */
public final class TestModels {
    private TestModels() {
    }

    /**
     * An LSTM 2 -> 16 with a linear head of 2, seeded weights, and standardisation of inputs and
     * outputs (positions of a random walk around the origin, predicted next positions).
     */
    public static Forecaster lstm2x16(long seed) {
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = "walk-lstm";
        spec.version = "7";
        spec.cell = CellType.LSTM;
        spec.inputSize = 2;
        spec.hiddenSize = 16;
        spec.numLayers = 1;
        spec.head = ModelSpec.Head.LINEAR;
        spec.outputSize = 2;
        spec.inputFeatures = new ArrayList<>(List.of("x", "y"));
        spec.outputFeatures = new ArrayList<>(List.of("next_x", "next_y"));
        spec.inputMean = new float[] {0.5f, -0.25f};
        spec.inputStd = new float[] {3f, 2.5f};
        spec.outputMean = new float[] {0.5f, -0.25f};
        spec.outputStd = new float[] {3f, 2.5f};
        RecurrentNet net = new RecurrentNet(CellType.LSTM, 2, 16, 1, 2, Gemms.create()).initUniform(new Rng(seed));
        return new Forecaster(spec, net);
    }

    /**
     * An LSTM 2 -> 4 whose output is NaN for a sample whose two values are both 1e10 or more, and
     * finite otherwise: input standard deviations of 1e-30 turn such values into +Inf, and every
     * gate reads the two inputs with weights +1 and -1, so Inf - Inf = NaN reaches the state.
     * Ordinary values (|x| below about 1e8) stay finite, the gates merely saturate.
     */
    public static Forecaster overflowsOnHugeInput() {
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = "fragile";
        spec.cell = CellType.LSTM;
        spec.inputSize = 2;
        spec.hiddenSize = 4;
        spec.head = ModelSpec.Head.LINEAR;
        spec.outputSize = 2;
        spec.inputMean = new float[] {0f, 0f};
        spec.inputStd = new float[] {1e-30f, 1e-30f};
        RecurrentNet net = new RecurrentNet(CellType.LSTM, 2, 4, 1, 2, Gemms.create()).initUniform(new Rng(5));
        Param wih = net.param("rnn.weight_ih_l0"); // (4H, 2)
        float[] w = new float[wih.size()];
        for (int g = 0; g < w.length / 2; g++) {
            w[2 * g] = 1f;
            w[2 * g + 1] = -1f;
        }
        wih.set(w);
        return new Forecaster(spec, net);
    }

    /**
     * A GRU 2 -> 8 with a linear head of 2, named walk-gru, reading and predicting what
     * {@link #lstm2x16} does: the same pipeline can take it, but its state has another shape.
     */
    public static Forecaster gru2x8(long seed) {
        Forecaster l = lstm2x16(seed);
        ModelSpec spec = l.spec();
        spec.name = "walk-gru";
        spec.version = "1";
        spec.cell = CellType.GRU;
        spec.hiddenSize = 8;
        RecurrentNet net = new RecurrentNet(CellType.GRU, 2, 8, 1, 2, Gemms.create()).initUniform(new Rng(seed));
        return new Forecaster(spec, net);
    }

    /** The model with another version in its spec (the same weights). */
    public static Forecaster version(Forecaster f, String version) {
        f.spec().version = version;
        return f;
    }

    public static Path save(Forecaster f, Path file) {
        try {
            ModelFiles.save(file, f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    public static float[] copy(float[] v) {
        return Arrays.copyOf(v, v.length);
    }
}
