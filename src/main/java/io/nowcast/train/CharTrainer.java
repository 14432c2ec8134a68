package io.nowcast.train;

import io.nowcast.nn.Loss;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a character model: predict the next character from the ones before, softmax
 * cross-entropy over the vocabulary, one-hot inputs.
 *
 * <p>The training text is cut into {@code streams} contiguous segments read side by side (one row
 * of the batch each). Each iteration takes the next {@code chunk} characters of every segment:
 * truncated backpropagation through time, the hidden state carried from chunk to chunk and the
 * gradient cut at the chunk boundary. When a segment's read position wraps to its start (the
 * next chunk plus its target no longer fits) that stream's state is reset to zero, exactly as
 * min-char-rnn does. {@code chunk = 0} backpropagates through each whole segment at once.
 */
public final class CharTrainer {

    /** Settings of one run. */
    public static final class Config {
        public int streams = 32;
        /** Characters per chunk; 0 = the whole segment (full BPTT). */
        public int chunk = 64;
        public long maxIterations = Long.MAX_VALUE;
        public double maxSeconds = Double.POSITIVE_INFINITY;
        /** Loss summed over the chunk (min-char-rnn) instead of averaged per character. */
        public boolean sumLoss;
        public double clipNorm;     // 0 = off
        public float clipValue;     // 0 = off
        public int evalEvery = 200;
        /** Evaluations without improvement before stopping; 0 = never stop early. */
        public int patience;
        /** Characters of held-out text scored per evaluation (from its start); 0 = all. */
        public int evalChars = 200_000;
        public int evalStreams = 64;
        /** Smoothing of the reported training loss, as min-char-rnn's smooth_loss (0.999). */
        public double smoothing = 0.99;
    }

    /** What a run produced. */
    public static final class Result {
        public long iterations;
        public double trainLoss = Double.NaN;       // smoothed, nats per character
        public double valLoss = Double.NaN;         // best held-out loss seen at an evaluation, nats per character
        public double finalValLoss = Double.NaN;    // held-out loss of the weights the run ends with
        public long bestIteration;
        public double charsPerSecond;
        public double seconds;
        public boolean stoppedEarly;
        public final List<double[]> curve = new ArrayList<>(); // {iteration, train loss, val loss}
    }

    private final RecurrentNet net;
    private final Optimizer optimizer;
    private final int vocab;
    private final Config cfg;
    private final TrainingLog log;

    public CharTrainer(RecurrentNet net, Optimizer optimizer, int vocab, Config cfg, TrainingLog log) {
        if (net.inputSize != vocab || net.outputSize() != vocab) {
            throw new IllegalArgumentException("a character model maps " + vocab + " characters to " + vocab
                    + " logits; the net has input " + net.inputSize + ", output " + net.outputSize());
        }
        this.net = net;
        this.optimizer = optimizer;
        this.vocab = vocab;
        this.cfg = cfg;
        this.log = log;
    }

    /**
     * Trains on {@code train} (character indices), scoring {@code val} (may be empty) every
     * {@code evalEvery} iterations. With patience, the best parameters seen are restored at the end.
     */
    public Result train(int[] train, int[] val) {
        int N = cfg.streams;
        int segment = train.length / N;
        if (segment < 2) {
            throw new IllegalArgumentException("the training text (" + train.length + " characters) is too short for "
                    + N + " streams: each needs at least 2 characters");
        }
        int T = cfg.chunk == 0 ? segment - 1 : cfg.chunk;
        if (T + 1 > segment) {
            throw new IllegalArgumentException("chunk " + T + " does not fit in a segment of " + segment
                    + " characters (text " + train.length + " / " + N + " streams)");
        }
        List<Param> params = net.params();
        RecurrentState state = net.newState(N);
        float[] x = new float[T * N * vocab];
        int[] targets = new int[T * N];
        float[] dOut = new float[T * N * vocab];
        int[] pos = new int[N];
        Result r = new Result();
        EarlyStopping stopping = new EarlyStopping(params, cfg.patience, false, cfg.patience > 0);
        double smooth = Double.NaN;
        long t0 = System.nanoTime();
        long charsDone = 0;
        long lastReport = t0;
        long charsAtReport = 0;
        double rate = 0;
        long lastEval = -1;
        double lastVal = Double.NaN;
        for (long it = 0; it < cfg.maxIterations; it++) {
            double elapsed = (System.nanoTime() - t0) / 1e9;
            if (elapsed >= cfg.maxSeconds) {
                break;
            }
            // gather the next chunk of every stream; wrap and reset the stream's state as min-char-rnn
            Arrays.fill(x, 0f);
            for (int n = 0; n < N; n++) {
                if (it == 0 || pos[n] + T + 1 >= segment) {  // min-char-rnn: p+seq_length+1 >= len(data)
                    pos[n] = 0;
                    state.resetRow(n);
                }
                int base = n * segment + pos[n];
                for (int t = 0; t < T; t++) {
                    int row = t * N + n;
                    x[row * vocab + train[base + t]] = 1f;
                    targets[row] = train[base + t + 1];
                }
                pos[n] += T;
            }
            net.zeroGrad();
            float[] logits = net.forward(x, T, state);
            float scale = cfg.sumLoss ? 1f : 1f / (T * N);
            double loss = Loss.softmaxCrossEntropy(logits, targets, 0, T * N, vocab, scale, dOut) / (T * N);
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("training diverged at iteration " + it + ": loss " + loss
                        + " (try a lower learning rate or gradient clipping)");
            }
            net.backward(dOut);
            if (cfg.clipValue > 0) {
                Clip.byValue(params, cfg.clipValue);
            }
            if (cfg.clipNorm > 0 && !Double.isFinite(Clip.byGlobalNorm(params, cfg.clipNorm))) {
                throw new IllegalStateException("training diverged at iteration " + it + ": the gradient norm is not finite");
            }
            optimizer.step();
            charsDone += (long) T * N;
            smooth = Double.isNaN(smooth) ? loss : cfg.smoothing * smooth + (1 - cfg.smoothing) * loss;
            r.iterations = it + 1;
            r.trainLoss = smooth;

            long now = System.nanoTime();
            if (rate == 0 || now - lastReport > 1_000_000_000L) {
                rate = (charsDone - charsAtReport) / ((now - lastReport) / 1e9);
                lastReport = now;
                charsAtReport = charsDone;
            }
            boolean evalNow = cfg.evalEvery > 0 && (it + 1) % cfg.evalEvery == 0;
            double fraction = Math.max(
                    cfg.maxIterations == Long.MAX_VALUE ? 0 : (it + 1) / (double) cfg.maxIterations,
                    Double.isInfinite(cfg.maxSeconds) ? 0 : elapsed / cfg.maxSeconds);
            String line = String.format(Locale.ROOT, "iter %d  loss %.4f  %.0f chars/s", it + 1, smooth, rate);
            if (evalNow) {
                double v = val.length > vocab ? evaluate(val) : Double.NaN;
                lastEval = it + 1;
                lastVal = v;
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("train_loss_smoothed", round(smooth));
                if (!Double.isNaN(v)) {
                    extra.put("val_loss", round(v));
                }
                extra.put("chars_per_s", Math.round(rate));
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
        r.charsPerSecond = charsDone / Math.max(1e-9, r.seconds);
        if (stopping.restore()) {
            r.finalValLoss = r.valLoss;
        } else if (val.length > vocab) {
            r.finalValLoss = lastEval == r.iterations ? lastVal : evaluate(val);
        }
        return r;
    }

    private static double round(double v) {
        return Math.round(v * 1e5) / 1e5;
    }

    /**
     * Mean loss in nats per character on held-out text: the text (up to evalChars) cut into
     * evalStreams contiguous segments, each read from a zero state with the state carried,
     * every character after a segment's first scored once.
     */
    public double evaluate(int[] text) {
        return evaluate(net, vocab, text, cfg.evalStreams, cfg.chunk == 0 ? 256 : cfg.chunk, cfg.evalChars);
    }

    /** Held-out loss of {@code net} on {@code text}; see {@link #evaluate(int[])}. */
    public static double evaluate(RecurrentNet net, int vocab, int[] text, int streams, int chunk, int maxChars) {
        int len = maxChars > 0 ? Math.min(maxChars, text.length) : text.length;
        int N = Math.max(1, Math.min(streams, len / 2));
        int segment = len / N;
        RecurrentState state = net.newState(N);
        int T = Math.min(chunk, segment - 1);
        float[] x = new float[T * N * vocab];
        int[] targets = new int[T * N];
        double sum = 0;
        long count = 0;
        for (int p = 0; p + 1 < segment; p += T) {
            int steps = Math.min(T, segment - 1 - p);
            Arrays.fill(x, 0, steps * N * vocab, 0f);
            for (int n = 0; n < N; n++) {
                int base = n * segment + p;
                for (int t = 0; t < steps; t++) {
                    int row = t * N + n;
                    x[row * vocab + text[base + t]] = 1f;
                    targets[row] = text[base + t + 1];
                }
            }
            float[] logits = net.forward(x, steps, state);
            sum += Loss.softmaxCrossEntropy(logits, targets, 0, steps * N, vocab, 1f, null);
            count += (long) steps * N;
        }
        return sum / count;
    }
}
