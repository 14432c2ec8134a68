package io.nowcast.train;

import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a {@link RecurrentNet} to predict target values from feature sequences: at every step
 * of a sequence the head's output is compared with that step's targets, by squared error
 * (linear head) or Gaussian negative log-likelihood (Gaussian head: a mean and a log-variance per
 * target). Targets that are NaN are not scored: padding, and steps whose future lies past the end
 * of their sequence. The loss is the mean over the scored values of a batch.
 *
 * <p>Batches hold {@code streams} sequences side by side (one row each). Two ways to cut them:
 * <ul>
 * <li>{@code chunk = 0}: whole-sequence backpropagation through time. Each iteration takes the
 * next {@code streams} sequences of a shuffled order, pads the shorter ones at their end (padded
 * steps are not scored, and since they come after every real step they change no gradient) and
 * runs them from a zero state.
 * <li>{@code chunk = T}: truncated BPTT. Each row is a lane that reads one sequence chunk by
 * chunk, the state carried from chunk to chunk and the gradient cut at chunk boundaries; when its
 * sequence ends the lane pads the rest of that chunk, resets its state and takes the next sequence
 * of the shuffled order. When there are fewer sequences than streams, the sequences are first cut
 * into about {@code streams} contiguous segments (one long series becomes {@code streams} segments
 * read side by side, as {@link CharTrainer} does with text).
 * </ul>
 * The shuffled order is reshuffled at each pass and seeded, so a run repeats exactly.
 *
 * <p>As {@link CharTrainer}: every {@code evalEvery} iterations the validation sequences are scored
 * (each from a zero state over its whole length) and a line is logged; with patience the run stops
 * after that many evaluations without improvement and ends at the best weights.
 */
public final class SequenceTrainer {

    /** One sequence, already standardised: x (length, D) and targets y (length, O), NaN = not scored. */
    public record Sequence(float[] x, float[] y, int length) {
        public Sequence {
            if (length < 1) {
                throw new IllegalArgumentException("a sequence needs at least one step");
            }
        }

        /** Steps [from, to) as a sequence of its own. */
        Sequence slice(int from, int to, int d, int o) {
            return new Sequence(Arrays.copyOfRange(x, from * d, to * d), Arrays.copyOfRange(y, from * o, to * o), to - from);
        }
    }

    /** What the head's outputs mean and how they are scored. */
    public enum Objective {
        /** One value per target, squared error. */
        MSE,
        /** Mean then log-variance per target, Gaussian negative log-likelihood (including 0.5 log 2 pi). */
        GAUSSIAN_NLL,
        /**
         * Average displacement error: the targets are the next steps of a 2-D walk, laid out
         * target by target ({@code dx+1..dx+H, dy+1..dy+H}, both in one unit). A row's loss is the
         * mean over k of the Euclidean distance between the predicted and the true position k steps
         * ahead (the running sums of the displacements): the ADE the trajectory benchmarks report.
         * A row is scored when all its targets are given; the loss is the mean over scored rows.
         */
        DISPLACEMENT
    }

    /** Settings of one run. */
    public static final class Config {
        public Objective objective = Objective.MSE;
        public int streams = 32;
        /** Steps per chunk; 0 = each whole sequence. */
        public int chunk = 64;
        public long maxIterations = Long.MAX_VALUE;
        public double maxSeconds = Double.POSITIVE_INFINITY;
        public double clipNorm;     // 0 = off
        public float clipValue;     // 0 = off
        public int evalEvery = 100;
        /** Evaluations without improvement before stopping; 0 = never stop early. */
        public int patience;
        /** Sequences scored side by side in an evaluation. */
        public int evalStreams = 64;
        /** Smoothing of the reported training loss. */
        public double smoothing = 0.99;
        /** Seed of the sequence order. */
        public long seed;
        /** Standard deviations of the targets, to report the held-out RMSE in data units; null = standardised units. */
        public float[] targetStd;
        /**
         * Data augmentation: applied to each training sequence every time it enters a batch (never
         * to validation), with the trainer's seeded random numbers; null = none.
         */
        public Augmentation augmentation;
    }

    /** A random transformation of a training sequence (e.g. a rotation of 2-D displacements). */
    @FunctionalInterface
    public interface Augmentation {
        /** A transformed copy of {@code s} (or {@code s} itself); must not modify {@code s}. */
        Sequence apply(Sequence s, Rng rng);
    }

    /** What a run produced. */
    public static final class Result {
        public long iterations;
        public double trainLoss = Double.NaN;      // smoothed, per scored value
        public double valLoss = Double.NaN;        // best held-out loss seen at an evaluation
        public double finalValLoss = Double.NaN;   // held-out loss of the weights the run ends with
        public long bestIteration;
        public double stepsPerSecond;
        public double seconds;
        public boolean stoppedEarly;
        public final List<double[]> curve = new ArrayList<>(); // {iteration, train loss, val loss}
    }

    /** A held-out score: the mean loss and, per target, the squared error of the predicted mean. */
    public static final class Score {
        public double loss;
        public final double[] sse;
        public final long[] count;

        Score(int outputs) {
            sse = new double[outputs];
            count = new long[outputs];
        }

        /** Root mean squared error of target j, in the units the targets were given in. */
        public double rmse(int j) {
            return Math.sqrt(sse[j] / Math.max(1, count[j]));
        }
    }

    private final RecurrentNet net;
    private final Optimizer optimizer;
    private final Config cfg;
    private final TrainingLog log;
    private final int inputs;
    private final int outputs;

    public SequenceTrainer(RecurrentNet net, Optimizer optimizer, int outputs, Config cfg, TrainingLog log) {
        int width = cfg.objective == Objective.GAUSSIAN_NLL ? 2 * outputs : outputs;
        if (net.head() == null || net.outputSize() != width) {
            throw new IllegalArgumentException("predicting " + outputs + " targets with "
                    + (cfg.objective == Objective.GAUSSIAN_NLL ? "a Gaussian" : "a linear") + " head needs " + width
                    + " head outputs; the net has " + (net.head() == null ? "no head" : net.outputSize()));
        }
        if (cfg.objective == Objective.DISPLACEMENT && outputs % 2 != 0) {
            throw new IllegalArgumentException("the displacement objective needs an x and a y target per step ahead;"
                    + " found " + outputs + " outputs");
        }
        if (cfg.streams < 1 || cfg.chunk < 0) {
            throw new IllegalArgumentException("streams must be >= 1 and chunk >= 0");
        }
        this.net = net;
        this.optimizer = optimizer;
        this.cfg = cfg;
        this.log = log;
        this.inputs = net.inputSize;
        this.outputs = outputs;
    }

    /** Trains on {@code train}, scoring {@code val} (may be empty) every {@code evalEvery} iterations. */
    public Result train(List<Sequence> train, List<Sequence> val) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training sequences");
        }
        for (Sequence s : train) {
            check(s);
        }
        for (Sequence s : val) {
            check(s);
        }
        boolean truncated = cfg.chunk > 0;
        List<Sequence> pool = truncated ? segments(train) : train;
        int N = Math.min(cfg.streams, pool.size());
        int T = truncated ? cfg.chunk : 0;
        if (!truncated) {
            for (Sequence s : pool) {
                T = Math.max(T, s.length());
            }
        }
        int D = inputs;
        int O = outputs;
        int W = net.outputSize();
        List<Param> params = net.params();
        RecurrentState state = net.newState(N);
        float[] x = new float[T * N * D];
        float[] y = new float[T * N * O];
        float[] dOut = new float[T * N * W];
        Order order = new Order(pool.size(), new Rng(cfg.seed));
        Rng augmentRng = new Rng(cfg.seed ^ 0x5DEECE66DL);
        Sequence[] lane = new Sequence[N];
        int[] pos = new int[N];

        Result r = new Result();
        EarlyStopping stopping = new EarlyStopping(params, cfg.patience, false, cfg.patience > 0);
        double smooth = Double.NaN;
        long t0 = System.nanoTime();
        long stepsDone = 0;
        long lastReport = t0;
        long stepsAtReport = 0;
        double rate = 0;
        long lastEval = -1;
        double lastVal = Double.NaN;
        for (long it = 0; it < cfg.maxIterations; it++) {
            double elapsed = (System.nanoTime() - t0) / 1e9;
            if (elapsed >= cfg.maxSeconds) {
                break;
            }
            int steps;
            if (truncated) {
                steps = T;
                for (int n = 0; n < N; n++) {
                    if (lane[n] == null || pos[n] >= lane[n].length()) {
                        lane[n] = augmented(pool.get(order.next()), augmentRng);
                        pos[n] = 0;
                        state.resetRow(n);
                    }
                    int take = Math.min(T, lane[n].length() - pos[n]);
                    fill(lane[n], pos[n], take, n, N, T, x, y);
                    pos[n] += take;
                }
            } else {
                Sequence[] batch = new Sequence[N];
                steps = 0;
                for (int n = 0; n < N; n++) {
                    batch[n] = augmented(pool.get(order.next()), augmentRng);
                    steps = Math.max(steps, batch[n].length());
                }
                for (int n = 0; n < N; n++) {
                    fill(batch[n], 0, batch[n].length(), n, N, steps, x, y);
                }
                state.reset();
            }
            net.zeroGrad();
            float[] out = net.forward(x, steps, state);
            double[] sc = lossAndGradient(out, y, steps * N, dOut);
            if (sc[1] == 0) {
                continue; // nothing scored in this batch (every step padding or past the horizon)
            }
            double loss = sc[0] / sc[1];
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("training diverged at iteration " + it + ": loss " + loss
                        + " (try a lower learning rate or gradient clipping)");
            }
            float scale = (float) (1.0 / sc[1]);
            for (int i = 0, n = steps * N * W; i < n; i++) {
                dOut[i] *= scale;
            }
            net.backward(dOut);
            if (cfg.clipValue > 0) {
                Clip.byValue(params, cfg.clipValue);
            }
            if (cfg.clipNorm > 0 && !Double.isFinite(Clip.byGlobalNorm(params, cfg.clipNorm))) {
                throw new IllegalStateException("training diverged at iteration " + it + ": the gradient norm is not finite");
            }
            optimizer.step();
            stepsDone += (long) steps * N;
            smooth = Double.isNaN(smooth) ? loss : cfg.smoothing * smooth + (1 - cfg.smoothing) * loss;
            r.iterations = it + 1;
            r.trainLoss = smooth;

            long now = System.nanoTime();
            if (rate == 0 || now - lastReport > 1_000_000_000L) {
                rate = (stepsDone - stepsAtReport) / Math.max(1e-9, (now - lastReport) / 1e9);
                lastReport = now;
                stepsAtReport = stepsDone;
            }
            boolean evalNow = cfg.evalEvery > 0 && (it + 1) % cfg.evalEvery == 0;
            double fraction = Math.max(
                    cfg.maxIterations == Long.MAX_VALUE ? 0 : (it + 1) / (double) cfg.maxIterations,
                    Double.isInfinite(cfg.maxSeconds) ? 0 : elapsed / cfg.maxSeconds);
            String line = String.format(Locale.ROOT, "iter %d  loss %.4f  %.0f steps/s", it + 1, smooth, rate);
            if (evalNow) {
                Score s = val.isEmpty() ? null : evaluate(val);
                double v = s == null ? Double.NaN : s.loss;
                lastEval = it + 1;
                lastVal = v;
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("train_loss_smoothed", round(smooth));
                if (s != null) {
                    extra.put("val_loss", round(v));
                    double[] rmse = new double[O];
                    for (int j = 0; j < O; j++) {
                        rmse[j] = round(s.rmse(j) * (cfg.targetStd != null ? cfg.targetStd[j] : 1.0));
                    }
                    extra.put("val_rmse", rmse);
                }
                extra.put("steps_per_s", Math.round(rate));
                log.record(it + 1, round(loss), extra);
                r.curve.add(new double[] {it + 1, smooth, v});
                line += Double.isNaN(v) ? "" : String.format(Locale.ROOT, "  val %.4f", v);
                log.progress(fraction, line, true);
                if (!Double.isNaN(v)) {
                    if (stopping.offer(v, it + 1)) {
                        r.valLoss = v;
                        r.bestIteration = it + 1;
                    } else if (stopping.shouldStop()) {
                        r.stoppedEarly = true;
                        break;
                    }
                }
            } else if ((it & 15) == 0) {
                log.progress(fraction, line, false);
            }
        }
        r.seconds = (System.nanoTime() - t0) / 1e9;
        r.stepsPerSecond = stepsDone / Math.max(1e-9, r.seconds);
        if (stopping.restore()) {
            r.finalValLoss = r.valLoss;
        } else if (!val.isEmpty()) {
            r.finalValLoss = lastEval == r.iterations ? lastVal : evaluate(val).loss;
        }
        return r;
    }

    private Sequence augmented(Sequence s, Rng rng) {
        if (cfg.augmentation == null) {
            return s;
        }
        Sequence a = cfg.augmentation.apply(s, rng);
        if (a.length() != s.length()) {
            throw new IllegalStateException("the augmentation changed a sequence's length");
        }
        return a;
    }

    private void check(Sequence s) {
        if (s.x().length < s.length() * inputs || s.y().length < s.length() * outputs) {
            throw new IllegalArgumentException("a sequence of " + s.length() + " steps needs " + s.length() * inputs
                    + " inputs and " + s.length() * outputs + " targets; found " + s.x().length + " and " + s.y().length);
        }
    }

    /**
     * The sequences as they are when there are at least {@code streams} of them, else each cut
     * into contiguous segments of about total / streams steps, so that every stream has its own.
     * A segment whose length is not a multiple of the chunk ends in a padded chunk.
     */
    private List<Sequence> segments(List<Sequence> train) {
        if (train.size() >= cfg.streams) {
            return train;
        }
        long total = 0;
        for (Sequence s : train) {
            total += s.length();
        }
        int seg = (int) Math.max(1, total / cfg.streams);
        List<Sequence> out = new ArrayList<>();
        for (Sequence s : train) {
            int k = Math.max(1, s.length() / seg);
            for (int i = 0; i < k; i++) {
                int from = (int) ((long) s.length() * i / k);
                int to = (int) ((long) s.length() * (i + 1) / k);
                out.add(k == 1 ? s : s.slice(from, to, inputs, outputs));
            }
        }
        return out;
    }

    /** Writes steps [from, from+take) of s into column n of the (T, N) block; the rest of the column is padding. */
    private void fill(Sequence s, int from, int take, int n, int N, int T, float[] x, float[] y) {
        int D = inputs;
        int O = outputs;
        for (int t = 0; t < T; t++) {
            int row = t * N + n;
            if (t < take) {
                System.arraycopy(s.x(), (from + t) * D, x, row * D, D);
                System.arraycopy(s.y(), (from + t) * O, y, row * O, O);
            } else {
                Arrays.fill(x, row * D, row * D + D, 0f);
                Arrays.fill(y, row * O, row * O + O, Float.NaN);
            }
        }
    }

    /**
     * Summed loss over the scored (non-NaN) targets of {@code rows} rows and its gradient with
     * respect to the head's outputs (zero for unscored values). Returns {sum, scored count}.
     * Squared error: (y - t)^2. Gaussian: 0.5 (log var + (t - mu)^2 / var) + 0.5 log 2 pi with the
     * log-variance clamped to [-12, 12], as {@link io.nowcast.nn.Loss#gaussianNll}.
     */
    double[] lossAndGradient(float[] out, float[] target, int rows, float[] d) {
        if (cfg.objective == Objective.DISPLACEMENT) {
            return displacementLoss(out, target, rows, d);
        }
        int O = outputs;
        double sum = 0;
        long count = 0;
        boolean gaussian = cfg.objective == Objective.GAUSSIAN_NLL;
        int W = gaussian ? 2 * O : O;
        for (int r = 0; r < rows; r++) {
            int o = r * W;
            for (int j = 0; j < O; j++) {
                float t = target[r * O + j];
                if (Float.isNaN(t)) {
                    d[o + j] = 0f;
                    if (gaussian) {
                        d[o + O + j] = 0f;
                    }
                    continue;
                }
                count++;
                if (!gaussian) {
                    float e = out[o + j] - t;
                    sum += (double) e * e;
                    d[o + j] = 2f * e;
                } else {
                    float mu = out[o + j];
                    float lvRaw = out[o + O + j];
                    float lv = Math.max(-12f, Math.min(12f, lvRaw));
                    double inv = Math.exp(-lv);
                    double e = t - mu;
                    sum += 0.5 * (lv + e * e * inv) + HALF_LOG_2PI;
                    d[o + j] = (float) (-e * inv);
                    d[o + O + j] = lvRaw == lv ? (float) (0.5 * (1.0 - e * e * inv)) : 0f;
                }
            }
        }
        return new double[] {sum, count};
    }

    /** {@link Objective#DISPLACEMENT}: summed over scored rows, the mean distance of the running sums. */
    private double[] displacementLoss(float[] out, float[] target, int rows, float[] d) {
        int O = outputs;
        int H = O / 2;
        double[] ux = new double[H];
        double[] uy = new double[H];
        double sum = 0;
        long count = 0;
        for (int r = 0; r < rows; r++) {
            int o = r * O;
            boolean scored = true;
            for (int j = 0; j < O && scored; j++) {
                scored = !Float.isNaN(target[o + j]);
            }
            if (!scored) {
                Arrays.fill(d, o, o + O, 0f);
                continue;
            }
            count++;
            double ex = 0;
            double ey = 0;
            double row = 0;
            for (int k = 0; k < H; k++) {
                ex += out[o + k] - target[o + k];
                ey += out[o + H + k] - target[o + H + k];
                double dist = Math.sqrt(ex * ex + ey * ey);
                row += dist;
                // d dist / d e = e / dist (0 at 0, a subgradient)
                ux[k] = dist > 1e-12 ? ex / dist : 0;
                uy[k] = dist > 1e-12 ? ey / dist : 0;
            }
            sum += row / H;
            // every output i moves the positions k >= i
            double gx = 0;
            double gy = 0;
            for (int k = H - 1; k >= 0; k--) {
                gx += ux[k];
                gy += uy[k];
                d[o + k] = (float) (gx / H);
                d[o + H + k] = (float) (gy / H);
            }
        }
        return new double[] {sum, count};
    }

    private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

    /**
     * Scores sequences, each run from a zero state over its whole length (side by side, in chunks
     * of at most 256 steps with the state carried): the mean loss per scored value and, per
     * target, the squared error of the predicted mean (standardised units).
     */
    public Score evaluate(List<Sequence> seqs) {
        int O = outputs;
        int W = net.outputSize();
        Score score = new Score(O);
        double sum = 0;
        long count = 0;
        int maxChunk = 256;
        int N = Math.max(1, Math.min(cfg.evalStreams, seqs.size()));
        float[] x = new float[maxChunk * N * inputs];
        float[] y = new float[maxChunk * N * O];
        float[] d = new float[maxChunk * N * W];
        for (int b = 0; b < seqs.size(); b += N) {
            int n = Math.min(N, seqs.size() - b);
            int longest = 0;
            for (int k = 0; k < n; k++) {
                longest = Math.max(longest, seqs.get(b + k).length());
            }
            RecurrentState state = net.newState(n);
            for (int p = 0; p < longest; p += maxChunk) {
                int steps = Math.min(maxChunk, longest - p);
                for (int k = 0; k < n; k++) {
                    Sequence s = seqs.get(b + k);
                    int take = Math.max(0, Math.min(steps, s.length() - p));
                    fill(s, p, take, k, n, steps, x, y);
                }
                float[] out = net.forward(x, steps, state);
                double[] sc = lossAndGradient(out, y, steps * n, d);
                sum += sc[0];
                count += (long) sc[1];
                for (int r = 0; r < steps * n; r++) {
                    for (int j = 0; j < O; j++) {
                        float t = y[r * O + j];
                        if (!Float.isNaN(t)) {
                            double e = out[r * W + j] - t;
                            score.sse[j] += e * e;
                            score.count[j]++;
                        }
                    }
                }
            }
        }
        score.loss = count == 0 ? Double.NaN : sum / count;
        return score;
    }

    private static double round(double v) {
        return Math.round(v * 1e5) / 1e5;
    }

    /** A seeded order of the indices 0..n-1, reshuffled (Fisher-Yates) after every pass. */
    private static final class Order {
        private final int[] idx;
        private final Rng rng;
        private int next;

        Order(int n, Rng rng) {
            this.idx = new int[n];
            this.rng = rng;
            for (int i = 0; i < n; i++) {
                idx[i] = i;
            }
            shuffle();
        }

        int next() {
            if (next == idx.length) {
                shuffle();
            }
            return idx[next++];
        }

        private void shuffle() {
            for (int i = idx.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
            next = 0;
        }
    }
}
