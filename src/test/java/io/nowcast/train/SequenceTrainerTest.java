package io.nowcast.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.nn.CellType;
import io.nowcast.nn.Loss;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import io.nowcast.train.SequenceTrainer.Objective;
import io.nowcast.train.SequenceTrainer.Sequence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SequenceTrainer: it learns a noisy sine well enough to beat last-value persistence on held-out
 * data in both BPTT modes, padding changes no gradient, truncated BPTT carries the state across
 * chunks, the Gaussian head learns the noise level, runs repeat, early stopping ends at the best weights.
 */
class SequenceTrainerTest {
    private static final double PERIOD = 20;
    private static final double NOISE = 0.1;

    /** x_t = sin(2 pi (t + phase) / period) + noise; target y_t = x_{t+1} (NaN at the last step). */
    private static Sequence sine(int length, double phase, Rng rng) {
        float[] v = new float[length + 1];
        for (int t = 0; t <= length; t++) {
            v[t] = (float) (Math.sin(2 * Math.PI * (t + phase) / PERIOD) + NOISE * rng.nextGaussian());
        }
        float[] x = Arrays.copyOf(v, length);
        float[] y = Arrays.copyOfRange(v, 1, length + 1);
        y[length - 1] = Float.NaN;
        return new Sequence(x, y, length);
    }

    /** Mean squared error of predicting x_{t+1} by x_t, over the scored steps. */
    private static double persistenceMse(List<Sequence> seqs) {
        double s = 0;
        long n = 0;
        for (Sequence q : seqs) {
            for (int t = 0; t < q.length(); t++) {
                if (!Float.isNaN(q.y()[t])) {
                    double e = q.y()[t] - q.x()[t];
                    s += e * e;
                    n++;
                }
            }
        }
        return s / n;
    }

    private static RecurrentNet net(CellType cell, int hidden, int outputs, long seed) {
        return new RecurrentNet(cell, 1, hidden, 1, outputs, Gemms.create()).initUniform(new Rng(seed));
    }

    private static SequenceTrainer.Config config(int streams, int chunk, long iterations) {
        SequenceTrainer.Config c = new SequenceTrainer.Config();
        c.streams = streams;
        c.chunk = chunk;
        c.maxIterations = iterations;
        c.clipNorm = 5;
        c.evalEvery = 50;
        c.seed = 3;
        return c;
    }

    @Test
    void truncatedBpttOnOneLongSeriesBeatsPersistence() {
        Rng rng = new Rng(1);
        List<Sequence> train = List.of(sine(2400, 0, rng));
        List<Sequence> val = List.of(sine(400, 7.3, rng));
        RecurrentNet net = net(CellType.LSTM, 16, 1, 2);
        SequenceTrainer.Config cfg = config(16, 20, 300);
        SequenceTrainer tr = new SequenceTrainer(net, Optimizer.create("adam", net.params(), 0.01f, 0, 0), 1, cfg,
                TrainingLog.silent());
        double before = tr.evaluate(val).loss;
        SequenceTrainer.Result r = tr.train(train, val);
        double persistence = persistenceMse(val);
        assertEquals(300, r.iterations);
        assertTrue(r.finalValLoss < before / 5, "the loss went down: " + before + " -> " + r.finalValLoss);
        assertTrue(r.finalValLoss < 0.6 * persistence,
                "held-out MSE " + r.finalValLoss + " beats last-value persistence " + persistence);
        assertEquals(r.finalValLoss, tr.evaluate(val).loss, 1e-12, "the reported loss is the final weights' loss");
    }

    @Test
    void wholeSequenceBpttOnManyShortSequencesBeatsPersistence() {
        Rng rng = new Rng(4);
        List<Sequence> train = new ArrayList<>();
        for (int i = 0; i < 96; i++) {
            train.add(sine(24 + rng.nextInt(24), rng.nextDouble() * PERIOD, rng)); // lengths differ: padding
        }
        List<Sequence> val = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            val.add(sine(40, rng.nextDouble() * PERIOD, rng));
        }
        RecurrentNet net = net(CellType.GRU, 16, 1, 5);
        SequenceTrainer tr = new SequenceTrainer(net, Optimizer.create("adam", net.params(), 0.01f, 0, 0), 1,
                config(16, 0, 300), TrainingLog.silent());
        SequenceTrainer.Result r = tr.train(train, val);
        double persistence = persistenceMse(val);
        assertTrue(r.finalValLoss < 0.6 * persistence,
                "held-out MSE " + r.finalValLoss + " beats last-value persistence " + persistence);
    }

    /** Sums the gradient of the summed squared error of each sequence run alone from a zero state. */
    private static void gradientAlone(RecurrentNet net, Sequence s) {
        RecurrentState st = net.newState(1);
        float[] out = net.forward(s.x(), s.length(), st);
        float[] y = s.y().clone();
        float[] d = new float[s.length()];
        for (int t = 0; t < s.length(); t++) {
            if (Float.isNaN(y[t])) {
                y[t] = out[t]; // unscored: no error, no gradient
            }
        }
        Loss.squaredError(out, y, s.length(), 1f, d);
        net.backward(d);
    }

    @Test
    void paddingChangesNoGradient() {
        Rng rng = new Rng(9);
        Sequence shortOne = sine(5, 0, rng);
        Sequence longOne = sine(13, 3, rng);
        // one iteration of plain SGD with lr 1 moves every weight by minus the gradient
        RecurrentNet trained = net(CellType.LSTM, 6, 1, 11);
        RecurrentNet reference = net(CellType.LSTM, 6, 1, 11);
        new SequenceTrainer(trained, Optimizer.create("sgd", trained.params(), 1f, 0, 0), 1, config(2, 0, 1),
                TrainingLog.silent()).train(List.of(shortOne, longOne), List.of());
        reference.zeroGrad();
        gradientAlone(reference, shortOne);
        gradientAlone(reference, longOne);
        float scored = (shortOne.length() - 1) + (longOne.length() - 1);
        for (int i = 0; i < trained.params().size(); i++) {
            Param a = trained.params().get(i);
            Param e = reference.params().get(i);
            for (int j = 0; j < a.size(); j++) {
                float expected = e.w()[j] - e.g()[j] / scored;
                assertEquals(expected, a.w()[j], 1e-5f * Math.max(1f, Math.abs(expected)), a.name + "[" + j + "]");
            }
        }
    }

    /** SGD by hand over the chunks of one sequence, the state carried from chunk to chunk or reset. */
    private static RecurrentNet byHand(Sequence s, int chunk, boolean carry) {
        RecurrentNet ref = net(CellType.GRU, 5, 1, 13);
        Optimizer sgd = Optimizer.create("sgd", ref.params(), 0.1f, 0, 0);
        RecurrentState st = ref.newState(1);
        for (int from = 0; from < s.length(); from += chunk) {
            int steps = Math.min(chunk, s.length() - from);
            float[] x = Arrays.copyOfRange(s.x(), from, from + steps);
            float[] y = Arrays.copyOfRange(s.y(), from, from + steps);
            if (!carry) {
                st.reset();
            }
            ref.zeroGrad();
            float[] out = ref.forward(x, steps, st);
            int scored = 0;
            for (int t = 0; t < steps; t++) {
                if (Float.isNaN(y[t])) {
                    y[t] = out[t];
                } else {
                    scored++;
                }
            }
            float[] d = new float[steps];
            Loss.squaredError(out, y, steps, 1f / scored, d);
            ref.backward(d); // the gradient stops at the chunk's initial state
            sgd.step();
        }
        return ref;
    }

    @Test
    void truncatedBpttCarriesTheStateAcrossChunks() {
        Sequence s = sine(10, 1, new Rng(12));
        int chunk = 4; // chunks of 4, 4, then 2 steps and 2 of padding
        RecurrentNet trained = net(CellType.GRU, 5, 1, 13);
        new SequenceTrainer(trained, Optimizer.create("sgd", trained.params(), 0.1f, 0, 0), 1, config(1, chunk, 3),
                TrainingLog.silent()).train(List.of(s), List.of());
        RecurrentNet carried = byHand(s, chunk, true);
        RecurrentNet reset = byHand(s, chunk, false);
        boolean differsFromReset = false;
        for (int i = 0; i < carried.params().size(); i++) {
            Param e = carried.params().get(i);
            Param a = trained.params().get(i);
            for (int j = 0; j < e.size(); j++) {
                assertEquals(e.w()[j], a.w()[j], 1e-6f, e.name + "[" + j + "]");
                differsFromReset |= Math.abs(reset.params().get(i).w()[j] - a.w()[j]) > 1e-5f;
            }
        }
        assertTrue(differsFromReset, "resetting the state at each chunk would have given other weights");
    }

    @Test
    void chunkAsLongAsTheSequencesIsWholeSequenceBptt() {
        Rng rng = new Rng(21);
        List<Sequence> train = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            train.add(sine(12, rng.nextDouble() * PERIOD, rng));
        }
        RecurrentNet a = net(CellType.LSTM, 6, 1, 22);
        RecurrentNet b = net(CellType.LSTM, 6, 1, 22);
        new SequenceTrainer(a, Optimizer.create("adam", a.params(), 0.01f, 0, 0), 1, config(4, 0, 10),
                TrainingLog.silent()).train(train, List.of());
        new SequenceTrainer(b, Optimizer.create("adam", b.params(), 0.01f, 0, 0), 1, config(4, 12, 10),
                TrainingLog.silent()).train(train, List.of());
        for (int i = 0; i < a.params().size(); i++) {
            assertArrayEquals(a.params().get(i).w(), b.params().get(i).w(), a.params().get(i).name);
        }
    }

    @Test
    void gaussianHeadLearnsTheNoiseLevel() {
        Rng rng = new Rng(31);
        List<Sequence> train = List.of(sine(2400, 0, rng));
        List<Sequence> val = List.of(sine(400, 5, rng));
        RecurrentNet net = net(CellType.LSTM, 16, 2, 32);
        SequenceTrainer.Config cfg = config(16, 20, 400);
        cfg.objective = Objective.GAUSSIAN_NLL;
        SequenceTrainer tr = new SequenceTrainer(net, Optimizer.create("adam", net.params(), 0.01f, 0, 0), 1, cfg,
                TrainingLog.silent());
        SequenceTrainer.Result r = tr.train(train, val);
        // the best possible NLL with noise 0.1: 0.5 log(2 pi e 0.01) = -0.88
        assertTrue(r.finalValLoss < -0.4, "held-out Gaussian NLL " + r.finalValLoss);
        RecurrentState st = net.newState(1);
        float[] out = net.forward(val.get(0).x(), 400, st);
        double sumSd = 0;
        for (int t = 100; t < 400; t++) {
            double sd = Math.exp(0.5 * out[2 * t + 1]);
            assertTrue(sd > 0 && Double.isFinite(sd));
            sumSd += sd;
        }
        double meanSd = sumSd / 300;
        assertTrue(meanSd > 0.06 && meanSd < 0.25, "predicted std " + meanSd + " is near the noise level " + NOISE);
        assertThrows(IllegalArgumentException.class, () -> new SequenceTrainer(net,
                Optimizer.create("adam", net.params(), 0.01f, 0, 0), 2, cfg, TrainingLog.silent()),
                "two targets need four Gaussian outputs");
    }

    @Test
    void runsRepeatAndEarlyStoppingEndsAtTheBestWeights() {
        Rng rng = new Rng(41);
        List<Sequence> train = List.of(sine(600, 0, rng));
        List<Sequence> val = List.of(sine(200, 2, rng));
        float[][] weights = new float[2][];
        for (int run = 0; run < 2; run++) {
            RecurrentNet net = net(CellType.GRU, 8, 1, 42);
            SequenceTrainer.Config cfg = config(8, 16, 400);
            cfg.evalEvery = 10;
            cfg.patience = 3;
            SequenceTrainer tr = new SequenceTrainer(net, Optimizer.create("adam", net.params(), 0.05f, 0, 0), 1, cfg,
                    TrainingLog.silent());
            SequenceTrainer.Result r = tr.train(train, val);
            assertEquals(r.valLoss, tr.evaluate(val).loss, 1e-12, "the weights kept are the best seen");
            assertEquals(r.valLoss, r.finalValLoss);
            weights[run] = net.param("rnn.weight_ih_l0").w().clone();
        }
        assertArrayEquals(weights[0], weights[1], "same seed, same weights");
    }
}
