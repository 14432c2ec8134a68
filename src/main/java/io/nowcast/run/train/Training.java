package io.nowcast.run.train;

import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import io.nowcast.train.Optimizer;
import io.nowcast.train.SequenceTrainer;
import io.nowcast.train.TrainingLog;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What the recurrent training runs share: the spec, network, trainer configuration, optimizer and
 * log built from the options, the closing lines of a run and the result part of its provenance,
 * so that each run only says what differs.
 */
final class Training {
    private Training() {
    }

    /** The objective and the head that computes it. */
    record Head(SequenceTrainer.Objective objective, ModelSpec.Head kind) {
        /** --head linear (squared error) or gaussian (mean and log-variance, Gaussian NLL). */
        static Head of(String head) {
            return switch (head) {
                case "linear" -> new Head(SequenceTrainer.Objective.MSE, ModelSpec.Head.LINEAR);
                case "gaussian" -> new Head(SequenceTrainer.Objective.GAUSSIAN_NLL, ModelSpec.Head.GAUSSIAN);
                default -> throw new IllegalArgumentException("--head " + head + ": expected linear or gaussian");
            };
        }
    }

    /** --score-steps all (after every observed step, true) or last. */
    static boolean everyStep(String scoreSteps) {
        return switch (scoreSteps) {
            case "all" -> true;
            case "last" -> false;
            default -> throw new IllegalArgumentException("--score-steps " + scoreSteps + ": expected all or last");
        };
    }

    /** A spec of the kind with the options' name (the --out file's name by default), cell and sizes. */
    static ModelSpec spec(TrainOptions o, ModelKind kind, int inputSize, ModelSpec.Head head, int outputSize) {
        ModelSpec spec = new ModelSpec();
        spec.kind = kind;
        spec.name = o.name() != null ? o.name() : baseName(o.out());
        spec.cell = CellType.parse(o.cell());
        spec.inputSize = inputSize;
        spec.hiddenSize = o.hidden();
        spec.numLayers = o.layers();
        spec.head = head;
        spec.outputSize = outputSize;
        return spec;
    }

    /** The spec's network, uniformly initialised from {@code rng}, with --forget-bias added. */
    static RecurrentNet net(TrainOptions o, ModelSpec spec, Rng rng) {
        RecurrentNet net = new RecurrentNet(spec.cell, spec.inputSize, o.hidden(), o.layers(), spec.headOutputs(),
                Gemms.create()).initUniform(rng);
        addForgetBias(o, spec.cell, net);
        return net;
    }

    /** The trainer's budget, clipping, validation and patience from the options; its seed the next of {@code rng}. */
    static SequenceTrainer.Config config(TrainOptions o, SequenceTrainer.Objective objective, int chunk, Rng rng) {
        SequenceTrainer.Config cfg = new SequenceTrainer.Config();
        cfg.objective = objective;
        cfg.streams = o.streams();
        cfg.chunk = chunk;
        cfg.maxIterations = o.iterations();
        cfg.maxSeconds = maxSeconds(o);
        cfg.clipNorm = o.clipNorm();
        cfg.clipValue = o.clipValue();
        cfg.evalEvery = o.evalEvery();
        cfg.patience = o.patience();
        cfg.seed = rng.nextLong();
        return cfg;
    }

    /** --minutes as seconds; none: infinite. */
    static double maxSeconds(TrainOptions o) {
        return o.minutes() > 0 ? o.minutes() * 60 : Double.POSITIVE_INFINITY;
    }

    static Optimizer optimizer(TrainOptions o, RecurrentNet net) {
        return Optimizer.create(o.optimizer(), net.params(), o.lr(), o.momentum(), o.weightDecay());
    }

    /** Progress to {@code progress} (none with --quiet; redrawn in place on a terminal), metrics to --log. */
    static TrainingLog log(TrainOptions o, PrintWriter progress) throws IOException {
        return new TrainingLog(o.quiet() ? null : progress, !o.quiet() && System.console() != null, o.log());
    }

    /** The closing line of a sequence trainer's run. */
    static String done(SequenceTrainer.Result r) {
        return String.format(Locale.ROOT, "done: %d iterations in %.1f s, %.0f steps/s, train loss %.4f, %s%s",
                r.iterations, r.seconds, r.stepsPerSecond, r.trainLoss,
                Double.isNaN(r.finalValLoss) ? "no validation"
                        : String.format(Locale.ROOT, "val loss %.4f (best at an evaluation %.4f)", r.finalValLoss, r.valLoss),
                r.stoppedEarly ? " (stopped early at the best weights of iteration " + r.bestIteration + ")" : "");
    }

    /** Iterations, the best one (when early stopping was on and found one), and the losses. */
    static void putResult(Map<String, Object> p, SequenceTrainer.Result r, int patience) {
        p.put("iterations", r.iterations);
        if (r.stoppedEarly || patience > 0 && r.bestIteration > 0) {
            p.put("best_iteration", r.bestIteration);
        }
        p.put("train_loss", r.trainLoss);
        if (!Double.isNaN(r.finalValLoss)) {
            p.put("val_loss", r.finalValLoss);
        }
    }

    /** Seconds to a tenth, the last entry of a recurrent model's provenance. */
    static double seconds(double s) {
        return Math.round(s * 10) / 10.0;
    }

    static void save(Model model, Path out, PrintWriter progress) throws IOException {
        ModelFiles.save(out, model);
        progress.println("wrote " + out);
    }

    static String baseName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** LSTM: adds --forget-bias to the forget-gate block of every layer's b_ih (rows hidden..2*hidden). */
    static void addForgetBias(TrainOptions o, CellType cell, RecurrentNet net) {
        if (cell != CellType.LSTM || o.forgetBias() == 0f) {
            return;
        }
        for (int k = 0; k < net.numLayers(); k++) {
            float[] b = net.param("rnn.bias_ih_l" + k).w();
            for (int j = net.hiddenSize; j < 2 * net.hiddenSize; j++) {
                b[j] += o.forgetBias();
            }
        }
    }
}
