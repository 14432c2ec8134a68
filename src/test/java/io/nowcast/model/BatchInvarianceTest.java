package io.nowcast.model;

import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream's outputs and states are the same bits whether it is stepped alone or inside a batch of
 * any size, at any row, beside any other streams: the guarantee that makes a restarted or
 * rebalanced processor produce byte for byte what an uninterrupted one would. Each model is
 * stepped for every stream alone, then again with the streams shuffled into batches of 1 to 300
 * rows at random positions among other streams' rows; every output and every state value must
 * match bit for bit. A kernel that sums in another order for a batch than for a single row (as a
 * BLAS does when it picks another micro-kernel for another shape) is planted to show the check
 * catches it.
 */
class BatchInvarianceTest {
    private static final Path MODELS = Path.of("models");
    private static final int STREAMS = 24;
    private static final int STEPS = 6;
    private static final int MAX_BATCH = 300;

    /** One model's step as the processor calls it: rows of inputs in, rows of outputs out, state in place. */
    interface Stepper {
        int inWidth();

        int outWidth();

        RecurrentState newState(int rows);

        void step(float[] in, RecurrentState state, float[] out);

        /** A plausible raw input value for column j. */
        float input(Rng rng, int j);
    }

    @AfterEach
    void unplant() {
        FixedOrderGemm.plantBatchDependence(false);
    }

    static Stepper net(CellType cell, int input, int hidden, int layers, int head, long seed) {
        RecurrentNet net = new RecurrentNet(cell, input, hidden, layers, head, Gemms.create()).initUniform(new Rng(seed));
        return new Stepper() {
            public int inWidth() {
                return input;
            }

            public int outWidth() {
                return net.outputSize();
            }

            public RecurrentState newState(int rows) {
                return net.newState(rows);
            }

            public void step(float[] in, RecurrentState state, float[] out) {
                net.step(in, 0, state, out, 0);
            }

            public float input(Rng rng, int j) {
                return (float) (2 * rng.nextDouble() - 1);
            }
        };
    }

    /** How a served model kind steps: (input, state, out, scratch). */
    interface ModelStep {
        void step(float[] in, RecurrentState state, float[] out, float[] scratch);
    }

    static Stepper forecaster(String file) throws Exception {
        Forecaster f = (Forecaster) ModelFiles.load(MODELS.resolve(file));
        return served(f.spec(), f.outputWidth(), f.net()::newState, f::scratchSize, f::step);
    }

    static Stepper seriesDenoiser(String file) throws Exception {
        SeriesDenoiser d = (SeriesDenoiser) ModelFiles.load(MODELS.resolve(file));
        return served(d.spec(), d.width(), d::newState, d::scratchSize, d::step);
    }

    /** A model as the processor serves it: raw inputs around the spec's normalisation, scratch grown as needed. */
    private static Stepper served(ModelSpec s, int width, java.util.function.IntFunction<RecurrentState> states,
                                  java.util.function.IntUnaryOperator scratchSize, ModelStep step) {
        return new Stepper() {
            float[] scratch = new float[0];

            public int inWidth() {
                return s.inputSize;
            }

            public int outWidth() {
                return width;
            }

            public RecurrentState newState(int rows) {
                return states.apply(rows);
            }

            public void step(float[] in, RecurrentState state, float[] out) {
                if (scratch.length < scratchSize.applyAsInt(state.batch)) {
                    scratch = new float[scratchSize.applyAsInt(state.batch)];
                }
                step.step(in, state, out, scratch);
            }

            public float input(Rng rng, int j) {
                float mean = s.inputMean == null ? 0f : s.inputMean[j];
                float std = s.inputStd == null ? 1f : s.inputStd[j];
                return mean + std * (float) (4 * rng.nextDouble() - 2);
            }
        };
    }

    static List<Object[]> recurrentModels() throws Exception {
        List<Object[]> m = new ArrayList<>();
        m.add(new Object[] {"lstm", net(CellType.LSTM, 6, 128, 1, 0, 1)});
        m.add(new Object[] {"gru", net(CellType.GRU, 6, 128, 1, 0, 2)});
        m.add(new Object[] {"rnn-tanh", net(CellType.RNN_TANH, 3, 37, 1, 0, 3)});
        m.add(new Object[] {"rnn-relu", net(CellType.RNN_RELU, 5, 20, 1, 4, 4)});
        m.add(new Object[] {"stacked lstm with a head", net(CellType.LSTM, 7, 50, 3, 5, 5)});
        m.add(new Object[] {"stacked gru with a head", net(CellType.GRU, 2, 33, 2, 2, 6)});
        m.add(new Object[] {"gaussian-head forecaster tracks-lstm", forecaster("tracks-lstm.safetensors")});
        m.add(new Object[] {"forecaster sensors-gru", forecaster("sensors-gru.safetensors")});
        m.add(new Object[] {"series denoiser etth1-denoiser", seriesDenoiser("etth1-denoiser.safetensors")});
        return m;
    }

    /** Steps every stream alone, then in random batches; returns every difference found (empty: invariant). */
    static List<String> differences(Stepper model, long seed) {
        Rng rng = new Rng(seed);
        Random pick = new Random(seed);
        int D = model.inWidth();
        int O = model.outWidth();
        float[][][] inputs = new float[STREAMS][STEPS][D];
        for (float[][] stream : inputs) {
            for (float[] step : stream) {
                for (int j = 0; j < D; j++) {
                    step[j] = model.input(rng, j);
                }
            }
        }
        // alone: one stream per call
        float[][][] alone = new float[STREAMS][STEPS][O];
        RecurrentState aloneStates = model.newState(STREAMS);
        for (int s = 0; s < STREAMS; s++) {
            RecurrentState one = model.newState(1);
            for (int t = 0; t < STEPS; t++) {
                model.step(inputs[s][t].clone(), one, alone[s][t]);
            }
            aloneStates.copyRow(one, 0, s);
        }
        // batched: shuffled into chunks, each chunk at random rows of a batch of random size
        RecurrentState store = model.newState(STREAMS);
        List<String> diffs = new ArrayList<>();
        List<Integer> order = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            order.add(s);
        }
        for (int t = 0; t < STEPS; t++) {
            Collections.shuffle(order, pick);
            int at = 0;
            while (at < STREAMS) {
                int chunk = 1 + pick.nextInt(STREAMS - at);
                int rows = t == 0 && at == 0 ? MAX_BATCH : chunk + pick.nextInt(MAX_BATCH - chunk + 1);
                List<Integer> positions = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    positions.add(r);
                }
                Collections.shuffle(positions, pick);
                RecurrentState batch = model.newState(rows);
                float[] in = new float[rows * D];
                // the other rows: other streams' states and inputs, as a processor's batch would hold
                for (int r = 0; r < rows; r++) {
                    batch.copyRow(aloneStates, pick.nextInt(STREAMS), r);
                    for (int j = 0; j < D; j++) {
                        in[r * D + j] = model.input(rng, j);
                    }
                }
                for (int q = 0; q < chunk; q++) {
                    int s = order.get(at + q);
                    int r = positions.get(q);
                    batch.copyRow(store, s, r);
                    if (t == 0) {
                        batch.resetRow(r);
                    }
                    System.arraycopy(inputs[s][t], 0, in, r * D, D);
                }
                float[] out = new float[rows * O];
                model.step(in, batch, out);
                for (int q = 0; q < chunk; q++) {
                    int s = order.get(at + q);
                    int r = positions.get(q);
                    store.copyRow(batch, r, s);
                    for (int j = 0; j < O; j++) {
                        if (Float.floatToRawIntBits(out[r * O + j]) != Float.floatToRawIntBits(alone[s][t][j])) {
                            diffs.add("stream " + s + " step " + t + " output " + j + " at row " + r + " of " + rows
                                    + ": alone " + alone[s][t][j] + ", batched " + out[r * O + j]);
                        }
                    }
                }
                at += chunk;
            }
        }
        for (int s = 0; s < STREAMS; s++) {
            compareState(aloneStates, store, s, diffs);
        }
        return diffs;
    }

    private static void compareState(RecurrentState a, RecurrentState b, int s, List<String> diffs) {
        int H = a.hiddenSize;
        for (int l = 0; l < a.layers(); l++) {
            for (int j = 0; j < H; j++) {
                if (Float.floatToRawIntBits(a.h[l][s * H + j]) != Float.floatToRawIntBits(b.h[l][s * H + j])) {
                    diffs.add("stream " + s + " final h layer " + l + " [" + j + "]");
                }
                if (a.hasCell() && Float.floatToRawIntBits(a.c[l][s * H + j]) != Float.floatToRawIntBits(b.c[l][s * H + j])) {
                    diffs.add("stream " + s + " final c layer " + l + " [" + j + "]");
                }
            }
        }
        int E = a.extraWidth;
        for (int j = 0; j < E; j++) {
            if (Float.floatToRawIntBits(a.extra[s * E + j]) != Float.floatToRawIntBits(b.extra[s * E + j])) {
                diffs.add("stream " + s + " final extra [" + j + "]");
            }
        }
    }

    @Test
    void everyRecurrentModelGivesAStreamTheSameBitsAloneAndInAnyBatch() throws Exception {
        for (Object[] m : recurrentModels()) {
            List<String> d = differences((Stepper) m[1], 11);
            assertTrue(d.isEmpty(), m[0] + " (kernel " + FixedOrderGemm.kernel() + "): " + d.size()
                    + " differences, first " + d.subList(0, Math.min(3, d.size())));
        }
    }

    @Test
    void aPlantedBatchDependentKernelIsCaught() throws Exception {
        FixedOrderGemm.plantBatchDependence(true);
        for (Object[] m : recurrentModels()) {
            assertFalse(differences((Stepper) m[1], 12).isEmpty(), m[0] + ": the planted batch dependence went unseen");
        }
    }

    /**
     * Frame models compute each frame with its own fixed-shape products (one per layer and frame),
     * on every matrix-product backend; a frame's output must not depend on the frames beside it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ejml", "blas"})
    void aFrameIsCleanedToTheSameBitsAloneAndInAnyBatch(String backend) throws Exception {
        Gemm gemm = Gemms.create(backend);
        for (String file : new String[] {"camera-denoiser.safetensors", "set12-dncnn8x32.safetensors"}) {
            FrameModel m = FrameModels.load(MODELS.resolve(file), gemm);
            int h = 12;
            int w = 10;
            int P = h * w;
            Rng rng = new Rng(21);
            Random pick = new Random(21);
            int frames = 8;
            float[] noisy = new float[frames * P];
            float[] prev = new float[frames * P];
            rng.uniform(noisy, 0.5f);
            rng.uniform(prev, 0.5f);
            for (int i = 0; i < noisy.length; i++) {
                noisy[i] += 0.5f;
                prev[i] += 0.5f;
            }
            float[][] alone = new float[frames][P];
            for (int f = 0; f < frames; f++) {
                float[] o = new float[P];
                m.apply(java.util.Arrays.copyOfRange(noisy, f * P, (f + 1) * P), 1, h, w,
                        java.util.Arrays.copyOfRange(prev, f * P, (f + 1) * P), o);
                alone[f] = o;
            }
            for (int rows : new int[] {2, 5, 17, 300}) {
                float[] in = new float[rows * P];
                float[] pv = new float[rows * P];
                rng.uniform(in, 0.5f);
                rng.uniform(pv, 0.5f);
                int[] where = new int[frames];
                List<Integer> positions = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    positions.add(r);
                }
                Collections.shuffle(positions, pick);
                int placed = Math.min(frames, rows);
                for (int f = 0; f < placed; f++) {
                    where[f] = positions.get(f);
                    System.arraycopy(noisy, f * P, in, where[f] * P, P);
                    System.arraycopy(prev, f * P, pv, where[f] * P, P);
                }
                float[] out = new float[rows * P];
                m.apply(in, rows, h, w, pv, out);
                for (int f = 0; f < placed; f++) {
                    for (int i = 0; i < P; i++) {
                        assertEquals(Float.floatToRawIntBits(alone[f][i]), Float.floatToRawIntBits(out[where[f] * P + i]),
                                file + " on " + gemm.name() + ": frame " + f + " pixel " + i + " at row " + where[f]
                                        + " of " + rows);
                    }
                }
            }
        }
    }
}
