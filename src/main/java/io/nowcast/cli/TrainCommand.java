package io.nowcast.cli;

import io.nowcast.data.CsvTable;
import io.nowcast.data.SeriesSet;
import io.nowcast.data.TextCorpus;
import io.nowcast.data.TrajectoryFile;
import io.nowcast.eval.Baselines;
import io.nowcast.eval.EthUcy;
import io.nowcast.eval.ForecasterTrajectories;
import io.nowcast.eval.TrajectoryScore;
import io.nowcast.eval.TrajectorySequences;
import io.nowcast.eval.TrajectoryWindows;
import io.nowcast.data.Vocabulary;
import io.nowcast.model.CharModel;
import io.nowcast.eval.ForecastScore;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import io.nowcast.train.CharTrainer;
import io.nowcast.train.Optimizer;
import io.nowcast.train.SequenceTrainer;
import io.nowcast.train.TrainingLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model and write it as a .safetensors file.",
                "--kind char: a character-level language model on a UTF-8 text file (the last --val-fraction held out),",
                "truncated backpropagation through time over --streams segments read side by side, --chunk steps at a time.",
                "--kind forecaster: predict the --targets columns of a CSV 1..--horizon steps",
                "ahead from its --features columns, standardised with the training rows'",
                "statistics; the last --val-fraction of the rows (of the series, with",
                "--group) is held out and scored against the last-value baseline.",
                "--task trajectory: ETH/UCY leave-one-scene-out, dx,dy in, the next",
                "--horizon displacements out. --task forecast: one column of an hourly CSV",
                "split 12/4/4 months (ETTh1), --input-length values in, --horizon out.",
                "--kind series-denoiser: a causal denoiser of the --columns of a CSV, trained",
                "on windows given fresh --noise every time they are used; the rows are cut",
                "12/4/4 months (at least 14,400 rows) or 60/20/20%%, the validation rows stop it.",
                "--kind frame-denoiser|super-resolver: a convolutional frame model on random --patch crops of a folder",
                "of images (or an IDX file) with fresh seeded --noise, 8 flips/rotations, Adam with a cosine --lr",
                "schedule; --data synthetic:moving-shapes trains a denoiser (--recurrent: fed its previous output) on video."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--kind", required = true,
            description = "model kind: char, forecaster, series-denoiser, frame-denoiser or super-resolver")
    String kind;

    @Mixin
    SeriesDenoiserTraining.Options seriesDenoiser = new SeriesDenoiserTraining.Options();

    @Mixin
    FrameTraining.Options frames = new FrameTraining.Options();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = "--data", required = true, description = "training data: a UTF-8 text file (char) or a CSV with a header (forecaster)")
    Path data;

    @Option(names = "--features", split = ",", paramLabel = "COL",
            description = "forecaster: the CSV columns the model reads at each step, in order")
    List<String> features;

    @Option(names = "--targets", split = ",", paramLabel = "COL",
            description = "forecaster: the CSV columns whose future values the model predicts")
    List<String> targets;

    @Option(names = "--horizon", defaultValue = "1",
            description = "forecaster: predict each target 1..H steps ahead (outputs c+1..c+H per target; default: ${DEFAULT-VALUE})")
    int horizon;

    @Option(names = "--head", defaultValue = "linear",
            description = "forecaster: linear (squared error) or gaussian (mean and log-variance, Gaussian NLL; default: ${DEFAULT-VALUE})")
    String head;

    @Option(names = "--group", paramLabel = "COL",
            description = "forecaster: consecutive rows with the same value in this column form one series (e.g. a track id);"
                    + " each series starts from a zero state and the last --val-fraction of the series is held out")
    String group;

    @Option(names = "--task", paramLabel = "TASK",
            description = "forecaster: trajectory = learn from the ETH/UCY folder --data (its train/ and val/ files"
                    + " outside --leave-out), windows of 8 observed and --horizon predicted steps, dx,dy in and out")
    String task;

    @Option(names = "--input-length", defaultValue = "96",
            description = "forecast: values read before each forecast (default: ${DEFAULT-VALUE})")
    int inputLength;

    @Option(names = "--level-shift", defaultValue = "0", paramLabel = "STD",
            description = "forecast: move each training window up or down by a level drawn up to this many training"
                    + " standard deviations (default: ${DEFAULT-VALUE})")
    float levelShift;

    @Option(names = "--leave-out", paramLabel = "SCENE",
            description = "trajectory: the test scene left out (eth, hotel, univ, zara1 or zara2)")
    String leaveOut;

    @Option(names = "--relative",
            description = "forecaster: predict changes from the present (output c+k = input c now + head output);"
                    + " recorded in the model as relative_to_input")
    boolean relative;

    @Option(names = "--augment", paramLabel = "KIND",
            description = "trajectory: none, rotate (a random rotation of each training window every time it is"
                    + " used) or rotate-mirror (and a mirror image half of the time; default: ${DEFAULT-VALUE})",
            defaultValue = "none")
    String augment;

    @Option(names = "--loss", paramLabel = "ade",
            description = "trajectory: ade = train a linear head on the average displacement error itself (the mean"
                    + " distance between predicted and true future positions) instead of the squared error")
    String loss;

    @Option(names = "--input-noise", paramLabel = "METRES", defaultValue = "0",
            description = "trajectory: augment with measurement noise on the observed positions, a level drawn per"
                    + " window uniformly up to this many metres; the targets stay the true future (default: ${DEFAULT-VALUE})")
    float inputNoise;

    @Option(names = "--input-noise-share", paramLabel = "FRACTION", defaultValue = "1",
            description = "trajectory: the share of training windows that get --input-noise, the others stay as"
                    + " recorded (default: ${DEFAULT-VALUE})")
    double inputNoiseShare;

    @Option(names = "--balance", paramLabel = "none|files",
            description = "trajectory: files = every training file weighs the same (the windows of smaller ones are"
                    + " repeated, each repeat augmented afresh), so that the largest recordings do not drown the"
                    + " others (default: ${DEFAULT-VALUE})", defaultValue = "none")
    String balance;

    @Option(names = "--score-steps", defaultValue = "all", paramLabel = "all|last",
            description = "trajectory: score the predictions after every observed step or only after the last"
                    + " (default: ${DEFAULT-VALUE})")
    String scoreSteps;

    @Option(names = "--note", description = "a remark recorded in the model's provenance (e.g. what the model is for and not for)")
    String note;

    @Option(names = "--data-origin", paramLabel = "TEXT",
            description = "how the --data file was made (e.g. the nowcast synth command), recorded with the file's hash in the provenance")
    String dataOrigin;

    @Option(names = "--name", description = "model name recorded in the file (default: the --out file's name without extension)")
    String name;

    @Option(names = "--out", defaultValue = "model.safetensors", description = "model file to write (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--recipe", description = "min-char-rnn: vanilla RNN of 100, chunks of 25, summed loss, state carried and"
            + " reset on wrap, gradients clipped to +-5, Adagrad 0.1 (eps 1e-8), weights N(0, 0.01^2), one stream")
    String recipe;

    @Option(names = "--init", description = "start from the weights of this model file instead of a random initialisation")
    Path init;

    @Option(names = "--cell", defaultValue = "lstm", description = "rnn, rnn_relu, lstm or gru (default: ${DEFAULT-VALUE})")
    String cell;

    @Option(names = "--hidden", defaultValue = "128", description = "hidden units per layer (default: ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--layers", defaultValue = "1", description = "stacked layers (default: ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--streams", defaultValue = "32", description = "sequences per batch (default: ${DEFAULT-VALUE})")
    int streams;

    @Option(names = "--chunk", defaultValue = "64",
            description = "steps per truncated-BPTT chunk; 0 = backpropagate through each whole sequence (default: ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--optimizer", defaultValue = "adam", description = "sgd, adagrad, adam or adamw (default: ${DEFAULT-VALUE})")
    String optimizer;

    @Option(names = "--lr", defaultValue = "2e-3", description = "learning rate (default: ${DEFAULT-VALUE})")
    float lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE})")
    float momentum;

    @Option(names = "--weight-decay", defaultValue = "0", description = "weight decay (L2 for sgd/adam, decoupled for adamw)")
    float weightDecay;

    @Option(names = "--clip-norm", defaultValue = "5", description = "clip gradients to this global L2 norm; 0 = off (default: ${DEFAULT-VALUE})")
    double clipNorm;

    @Option(names = "--clip-value", defaultValue = "0", description = "clip each gradient entry to +-this; 0 = off")
    float clipValue;

    @Option(names = "--sum-loss", description = "sum the loss over the chunk instead of averaging it")
    boolean sumLoss;

    @Option(names = "--iterations", defaultValue = "2000", description = "maximum iterations (default: ${DEFAULT-VALUE})")
    long iterations;

    @Option(names = "--minutes", defaultValue = "0", description = "wall-clock budget in minutes; 0 = none")
    double minutes;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "last fraction of the text held out for validation (default: ${DEFAULT-VALUE})")
    double valFraction;

    @Option(names = "--eval-every", defaultValue = "100", description = "iterations between validations and log lines (default: ${DEFAULT-VALUE})")
    int evalEvery;

    @Option(names = "--eval-chars", defaultValue = "0", description = "held-out characters scored per validation; 0 = all (default: ${DEFAULT-VALUE})")
    int evalChars;

    @Option(names = "--patience", defaultValue = "0",
            description = "stop after this many validations without improvement and keep the best weights; 0 = off")
    int patience;

    @Option(names = "--forget-bias", defaultValue = "0", description = "LSTM: initial value added to the forget-gate bias (b_ih)")
    float forgetBias;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--log", description = "write metrics as JSON lines to this file")
    Path log;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (FrameTraining.isFrameKind(kind)) {
            SeriesDenoiserTraining.refuseSeriesOnly(seriesDenoiser, kind);
            return FrameTraining.train(this, frames, parseResult());
        }
        FrameTraining.refuseOptions(parseResult(), kind);
        if (ModelKind.SERIES_DENOISER.id.equals(kind)) {
            return SeriesDenoiserTraining.train(this, seriesDenoiser);
        }
        SeriesDenoiserTraining.refuseOptions(seriesDenoiser, kind);
        if (ModelKind.FORECASTER.id.equals(kind)) {
            return trainForecaster();
        }
        if (!ModelKind.CHAR.id.equals(kind)) {
            throw new IllegalArgumentException("--kind " + kind + ": expected char, forecaster, series-denoiser,"
                    + " frame-denoiser or super-resolver");
        }
        if (features != null || targets != null || group != null || horizon != 1 || !"linear".equals(head)) {
            throw new IllegalArgumentException("--features, --targets, --group, --horizon and --head are for --kind forecaster;"
                    + " a character model reads one-hot characters and predicts the next one");
        }
        boolean minChar = false;
        if (recipe != null) {
            if (!recipe.equals("min-char-rnn")) {
                throw new IllegalArgumentException("--recipe " + recipe + ": the recipe known is min-char-rnn");
            }
            minChar = true;
            cell = "rnn_tanh";
            hidden = 100;
            layers = 1;
            streams = 1;
            chunk = 25;
            sumLoss = true;
            clipValue = 5f;
            clipNorm = 0;
            optimizer = "adagrad";
            lr = 0.1f;
        }
        checkArguments();
        TextCorpus corpus = TextCorpus.read(data);
        int n = corpus.length();
        int split = (int) Math.round(n * (1 - valFraction));
        Rng rng = new Rng(seed);

        ModelSpec spec;
        RecurrentNet net;
        if (init != null) {
            Model m = ModelFiles.load(init);
            net = m.net();
            spec = m.spec();
            if (spec.kind == ModelKind.CHAR) {
                Vocabulary v = new Vocabulary(spec.vocabulary);
                corpus.encode(v, 0, n); // every character of the data must be in the model's vocabulary
            } else {
                String v = corpus.vocabulary();
                int size = (int) v.codePoints().count();
                if (net.inputSize != size || net.outputSize() != size) {
                    throw new IllegalArgumentException(init + ": the model maps " + net.inputSize + " inputs to "
                            + net.outputSize() + " outputs; the text has " + size + " distinct characters");
                }
                ModelSpec s = new ModelSpec();
                s.kind = ModelKind.CHAR;
                s.cell = spec.cell;
                s.inputSize = size;
                s.outputSize = size;
                s.hiddenSize = net.hiddenSize;
                s.numLayers = net.numLayers();
                s.head = ModelSpec.Head.LINEAR;
                s.vocabulary = v;
                spec = s;
            }
        } else {
            String v = corpus.vocabulary();
            int size = (int) v.codePoints().count();
            spec = new ModelSpec();
            spec.kind = ModelKind.CHAR;
            spec.cell = CellType.parse(cell);
            spec.inputSize = size;
            spec.hiddenSize = hidden;
            spec.numLayers = layers;
            spec.head = ModelSpec.Head.LINEAR;
            spec.outputSize = size;
            spec.vocabulary = v;
            net = new RecurrentNet(spec.cell, size, hidden, layers, size, Gemms.create());
            if (minChar) {
                // min-char-rnn: Wxh, Whh, Why ~ N(0, 0.01^2), biases zero, one hidden bias
                for (Param p : net.params()) {
                    if (p.name.contains("weight")) {
                        rng.normal(p.w(), 0.01f);
                    }
                }
            } else {
                net.initUniform(rng);
                addForgetBias(spec.cell, net);
            }
        }
        if (minChar) {
            if (spec.cell != CellType.RNN_TANH || net.numLayers() != 1) {
                throw new IllegalArgumentException("--recipe min-char-rnn trains a one-layer tanh RNN; --init "
                        + init + " holds a " + net.numLayers() + "-layer " + spec.cell.id);
            }
            // min-char-rnn has a single hidden bias: b_hh stays at zero, b_ih plays bh
            Param bhh = net.param("rnn.bias_hh_l0");
            java.util.Arrays.fill(bhh.w(), 0f);
            bhh.trainable = false;
        }
        Vocabulary vocab = new Vocabulary(spec.vocabulary);
        int[] train = corpus.encode(vocab, 0, split);
        int[] val = corpus.encode(vocab, split, n);

        CharTrainer.Config cfg = new CharTrainer.Config();
        cfg.streams = streams;
        cfg.chunk = chunk;
        cfg.maxIterations = iterations;
        cfg.maxSeconds = minutes > 0 ? minutes * 60 : Double.POSITIVE_INFINITY;
        cfg.sumLoss = sumLoss;
        cfg.clipNorm = clipNorm;
        cfg.clipValue = clipValue;
        cfg.evalEvery = evalEvery;
        cfg.evalChars = evalChars;
        cfg.patience = patience;
        cfg.smoothing = minChar ? 0.999 : 0.99;
        Optimizer opt = Optimizer.create(optimizer, net.params(), lr, momentum, weightDecay);
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d on %s: %d characters (%d held out), vocabulary %d, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, net.hiddenSize, data.getFileName(), split, n - split, vocab.size(),
                net.parameterCount(), optimizer, net.gemm().name());
        CharTrainer.Result r;
        try (TrainingLog tl = new TrainingLog(quiet ? null : System.err, !quiet && System.console() != null, log)) {
            tl.message(summary);
            r = new CharTrainer(net, opt, vocab.size(), cfg, tl).train(train, val);
            tl.message(String.format(Locale.ROOT,
                    "done: %d iterations in %.1f s, %.0f chars/s, train loss %.4f nats/char, %s%s",
                    r.iterations, r.seconds, r.charsPerSecond, r.trainLoss,
                    Double.isNaN(r.finalValLoss) ? "no validation"
                            : String.format(Locale.ROOT, "val loss %.4f nats/char", r.finalValLoss)
                            + (Double.isNaN(r.valLoss) || r.valLoss == r.finalValLoss ? ""
                            : String.format(Locale.ROOT, " (best at a validation: %.4f, iteration %d)", r.valLoss, r.bestIteration)),
                    r.stoppedEarly ? " (stopped early at the best weights of iteration " + r.bestIteration + ")" : ""));
        }
        spec.provenance = provenance();
        spec.provenance.put("iterations", r.iterations);
        spec.provenance.put("train_loss", r.trainLoss);
        if (!Double.isNaN(r.finalValLoss)) {
            spec.provenance.put("val_loss", r.finalValLoss);
        }
        spec.provenance.put("seconds", Math.round(r.seconds * 10) / 10.0);
        if (init != null) {
            spec.provenance.put("init", init.getFileName().toString());
        }
        if (name != null) {
            spec.name = name;
        }
        ModelFiles.save(out, new CharModel(spec, net));
        System.err.println("wrote " + out);
        return 0;
    }

    private int trainForecaster() throws Exception {
        if ("trajectory".equals(task)) {
            return trainTrajectory();
        }
        if ("forecast".equals(task)) {
            return trainLtsf();
        }
        if (task != null) {
            throw new IllegalArgumentException("--task " + task + ": expected trajectory or forecast");
        }
        if (leaveOut != null || !"none".equals(augment) || relative || loss != null || levelShift != 0) {
            throw new IllegalArgumentException("--leave-out, --augment, --loss, --relative and --level-shift are for"
                    + " --task trajectory or forecast");
        }
        if (recipe != null || init != null || sumLoss || evalChars != 0) {
            throw new IllegalArgumentException("--recipe, --init, --sum-loss and --eval-chars are for --kind char");
        }
        if (features == null || features.isEmpty() || targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("--kind forecaster needs --features COL[,COL...] and --targets COL[,COL...]");
        }
        if (horizon < 1 || horizon > ModelSpec.MAX_HORIZON) {
            throw new IllegalArgumentException("--horizon must be in [1, " + ModelSpec.MAX_HORIZON + "], got " + horizon);
        }
        SequenceTrainer.Objective objective;
        ModelSpec.Head headKind;
        switch (head) {
            case "linear":
                objective = SequenceTrainer.Objective.MSE;
                headKind = ModelSpec.Head.LINEAR;
                break;
            case "gaussian":
                objective = SequenceTrainer.Objective.GAUSSIAN_NLL;
                headKind = ModelSpec.Head.GAUSSIAN;
                break;
            default:
                throw new IllegalArgumentException("--head " + head + ": expected linear or gaussian");
        }
        checkArguments();
        CsvTable table = CsvTable.read(data);
        SeriesSet all = SeriesSet.of(table, features, targets, horizon, group);
        SeriesSet[] parts = all.split(valFraction);
        SeriesSet train = parts[0];
        SeriesSet val = parts[1];
        if (train.scoredSteps() == 0) {
            throw new IllegalArgumentException(data + ": no training step has a target " + horizon + " step(s) ahead"
                    + " (series too short for the horizon)");
        }
        if (valFraction > 0 && val.scoredSteps() == 0) {
            throw new IllegalArgumentException(data + ": the held-out " + val.rows() + " rows have no step with a target "
                    + horizon + " step(s) ahead; raise --val-fraction or lower --horizon");
        }
        int D = features.size();
        int C = targets.size();
        int O = C * horizon;
        float[][] fs = train.featureStats();
        float[][] ts = train.targetStats();

        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = name != null ? name : baseName(out);
        spec.cell = CellType.parse(cell);
        spec.inputSize = D;
        spec.hiddenSize = hidden;
        spec.numLayers = layers;
        spec.head = headKind;
        spec.outputSize = O;
        spec.inputFeatures = new ArrayList<>(features);
        spec.outputFeatures = new ArrayList<>(SeriesSet.outputNames(targets, horizon));
        spec.targets = new ArrayList<>(targets);
        spec.horizon = horizon;
        spec.inputMean = fs[0];
        spec.inputStd = fs[1];
        spec.outputMean = new float[O];
        spec.outputStd = new float[O];
        for (int j = 0; j < C; j++) {
            for (int k = 0; k < horizon; k++) {
                spec.outputMean[j * horizon + k] = ts[0][j];
                spec.outputStd[j * horizon + k] = ts[1][j];
            }
        }
        Rng rng = new Rng(seed);
        RecurrentNet net = new RecurrentNet(spec.cell, D, hidden, layers, spec.headOutputs(), Gemms.create()).initUniform(rng);
        addForgetBias(spec.cell, net);
        SequenceTrainer.Config cfg = new SequenceTrainer.Config();
        cfg.objective = objective;
        cfg.streams = streams;
        cfg.chunk = chunk;
        cfg.maxIterations = iterations;
        cfg.maxSeconds = minutes > 0 ? minutes * 60 : Double.POSITIVE_INFINITY;
        cfg.clipNorm = clipNorm;
        cfg.clipValue = clipValue;
        cfg.evalEvery = evalEvery;
        cfg.patience = patience;
        cfg.seed = rng.nextLong();
        cfg.targetStd = spec.outputStd;
        Optimizer opt = Optimizer.create(optimizer, net.params(), lr, momentum, weightDecay);
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d on %s: %d series, %d rows (%d series, %d rows held out), %s -> %s,"
                        + " %s head, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, net.hiddenSize, data.getFileName(), train.series.size(), train.rows(),
                val.series.size(), val.rows(), features, spec.outputFeatures, headKind.id(), net.parameterCount(), optimizer,
                net.gemm().name());
        SequenceTrainer.Result r;
        Forecaster model = new Forecaster(spec, net);
        ForecastScore score = null;
        try (TrainingLog tl = new TrainingLog(quiet ? null : System.err, !quiet && System.console() != null, log)) {
            tl.message(summary);
            r = new SequenceTrainer(net, opt, O, cfg, tl).train(sequences(train, spec), sequences(val, spec));
            tl.message(String.format(Locale.ROOT, "done: %d iterations in %.1f s, %.0f steps/s, train loss %.4f, %s%s",
                    r.iterations, r.seconds, r.stepsPerSecond, r.trainLoss,
                    Double.isNaN(r.finalValLoss) ? "no validation"
                            : String.format(Locale.ROOT, "val loss %.4f (best at an evaluation %.4f)", r.finalValLoss, r.valLoss),
                    r.stoppedEarly ? " (stopped early at the best weights of iteration " + r.bestIteration + ")" : ""));
            if (!val.series.isEmpty()) {
                score = ForecastScore.of(model, val);
                tl.message("held out (" + val.rows() + " rows, " + score.scored() + " steps scored), data units:\n"
                        + score.table().stripTrailing());
            }
        }
        spec.provenance = provenance();
        spec.provenance.put("features", features);
        spec.provenance.put("targets", targets);
        spec.provenance.put("horizon", horizon);
        if (group != null) {
            spec.provenance.put("group", group);
        }
        spec.provenance.put("train_rows", train.rows());
        spec.provenance.put("val_rows", val.rows());
        spec.provenance.put("iterations", r.iterations);
        if (r.stoppedEarly || patience > 0 && r.bestIteration > 0) {
            spec.provenance.put("best_iteration", r.bestIteration);
        }
        spec.provenance.put("train_loss", r.trainLoss);
        if (!Double.isNaN(r.finalValLoss)) {
            spec.provenance.put("val_loss", r.finalValLoss);
        }
        if (score != null) {
            spec.provenance.put("validation", Provenance.score(score));
        }
        spec.provenance.put("seconds", Math.round(r.seconds * 10) / 10.0);
        ModelFiles.save(out, model);
        System.err.println("wrote " + out);
        return 0;
    }

    /**
     * A trajectory forecaster on ETH/UCY, leaving one scene out: the windows of the other scenes'
     * train/ files teach, those of their val/ files validate (early stopping, the figures recorded).
     */
    private int trainTrajectory() throws Exception {
        if (recipe != null || init != null || sumLoss || evalChars != 0 || features != null || targets != null
                || group != null) {
            throw new IllegalArgumentException("--task trajectory reads dx,dy and predicts dx,dy: --features, --targets,"
                    + " --group, --recipe, --init, --sum-loss and --eval-chars do not apply");
        }
        if (leaveOut == null) {
            throw new IllegalArgumentException("--task trajectory needs --leave-out SCENE (one of "
                    + EthUcy.SCENES.keySet() + ")");
        }
        if (horizon < 1 || horizon > TrajectoryWindows.PREDICTED) {
            throw new IllegalArgumentException("--horizon must be in [1, " + TrajectoryWindows.PREDICTED + "] for"
                    + " the protocol's windows, got " + horizon);
        }
        boolean everyStep = switch (scoreSteps) {
            case "all" -> true;
            case "last" -> false;
            default -> throw new IllegalArgumentException("--score-steps " + scoreSteps + ": expected all or last");
        };
        SequenceTrainer.Augmentation turn = switch (augment) {
            case "none" -> null;
            case "rotate" -> TrajectorySequences.rotations(horizon, false);
            case "rotate-mirror" -> TrajectorySequences.rotations(horizon, true);
            default -> throw new IllegalArgumentException("--augment " + augment + ": expected none, rotate or rotate-mirror");
        };
        SequenceTrainer.Objective objective;
        ModelSpec.Head headKind;
        switch (head) {
            case "linear" -> {
                objective = SequenceTrainer.Objective.MSE;
                headKind = ModelSpec.Head.LINEAR;
            }
            case "gaussian" -> {
                objective = SequenceTrainer.Objective.GAUSSIAN_NLL;
                headKind = ModelSpec.Head.GAUSSIAN;
            }
            default -> throw new IllegalArgumentException("--head " + head + ": expected linear or gaussian");
        }
        if (loss != null) {
            if (!loss.equals("ade") || headKind != ModelSpec.Head.LINEAR) {
                throw new IllegalArgumentException("--loss " + loss + ": the loss known is ade, with a linear head");
            }
            objective = SequenceTrainer.Objective.DISPLACEMENT;
        }
        checkArguments();
        List<Path> trainFiles = EthUcy.files(data, "train", leaveOut);
        List<Path> valFiles = EthUcy.files(data, "val", leaveOut);
        List<List<TrajectoryWindows.Window>> perFile = new ArrayList<>();
        List<TrajectoryWindows.Window> trainW = new ArrayList<>();
        for (Path f : trainFiles) {
            List<TrajectoryWindows.Window> w = TrajectoryWindows.of(TrajectoryFile.read(f));
            perFile.add(w);
            trainW.addAll(w);
        }
        List<TrajectoryWindows.Window> pool = switch (balance) {
            case "none" -> trainW;
            case "files" -> balanced(perFile);
            default -> throw new IllegalArgumentException("--balance " + balance + ": expected none or files");
        };
        List<TrajectoryWindows.Window> valW = new ArrayList<>();
        for (Path f : valFiles) {
            valW.addAll(TrajectoryWindows.of(TrajectoryFile.read(f)));
        }
        int obs = TrajectoryWindows.OBSERVED;
        float inScale = TrajectorySequences.inputScale(trainW, obs);
        float outScale = TrajectorySequences.targetScale(trainW, obs, horizon, relative, everyStep);
        List<String> xy = ForecasterTrajectories.FEATURES;
        int O = 2 * horizon;
        if (!(inputNoise >= 0 && inputNoise < 10)) {
            throw new IllegalArgumentException("--input-noise must be in [0, 10) metres, got " + inputNoise);
        }
        if (!(inputNoiseShare >= 0 && inputNoiseShare <= 1)) {
            throw new IllegalArgumentException("--input-noise-share must be in [0, 1], got " + inputNoiseShare);
        }
        SequenceTrainer.Augmentation aug = TrajectorySequences.then(inputNoise > 0
                ? TrajectorySequences.noise(horizon, relative, inScale, outScale, inputNoise, inputNoiseShare) : null, turn);

        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = name != null ? name : baseName(out);
        spec.cell = CellType.parse(cell);
        spec.inputSize = 2;
        spec.hiddenSize = hidden;
        spec.numLayers = layers;
        spec.head = headKind;
        spec.outputSize = O;
        spec.inputFeatures = new ArrayList<>(xy);
        spec.outputFeatures = new ArrayList<>(SeriesSet.outputNames(xy, horizon));
        spec.targets = new ArrayList<>(xy);
        spec.horizon = horizon;
        spec.relativeToInput = relative;
        spec.inputMean = new float[2];
        spec.inputStd = new float[] {inScale, inScale};
        spec.outputMean = new float[O];
        spec.outputStd = new float[O];
        java.util.Arrays.fill(spec.outputStd, outScale);
        Rng rng = new Rng(seed);
        RecurrentNet net = new RecurrentNet(spec.cell, 2, hidden, layers, spec.headOutputs(), Gemms.create()).initUniform(rng);
        addForgetBias(spec.cell, net);
        SequenceTrainer.Config cfg = new SequenceTrainer.Config();
        cfg.objective = objective;
        cfg.streams = streams;
        cfg.chunk = 0;
        cfg.maxIterations = iterations;
        cfg.maxSeconds = minutes > 0 ? minutes * 60 : Double.POSITIVE_INFINITY;
        cfg.clipNorm = clipNorm;
        cfg.clipValue = clipValue;
        cfg.evalEvery = evalEvery;
        cfg.patience = patience;
        cfg.seed = rng.nextLong();
        cfg.targetStd = spec.outputStd;
        cfg.augmentation = aug;
        cfg.evalStreams = 512;
        Optimizer opt = Optimizer.create(optimizer, net.params(), lr, momentum, weightDecay);
        Forecaster model = new Forecaster(spec, net);
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d to predict %d steps of ETH/UCY without %s: %d training windows (%d files),"
                        + " %d validation windows (%d files), %s head%s, augmentation %s%s, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, hidden, horizon, leaveOut, trainW.size(), trainFiles.size(), valW.size(),
                valFiles.size(), headKind.id(), relative ? " relative to the last displacement" : "", augment,
                inputNoise > 0 ? " with input noise up to " + inputNoise + " m" : "",
                net.parameterCount(), optimizer, net.gemm().name());
        SequenceTrainer.Result r;
        TrajectoryScore valModel;
        TrajectoryScore valCv;
        try (TrainingLog tl = new TrainingLog(quiet ? null : System.err, !quiet && System.console() != null, log)) {
            tl.message(summary);
            r = new SequenceTrainer(net, opt, O, cfg, tl).train(
                    TrajectorySequences.of(pool, obs, horizon, relative, everyStep, inScale, outScale),
                    TrajectorySequences.of(valW, obs, horizon, relative, everyStep, inScale, outScale));
            tl.message(String.format(Locale.ROOT, "done: %d iterations in %.1f s, %.0f steps/s, train loss %.4f, %s%s",
                    r.iterations, r.seconds, r.stepsPerSecond, r.trainLoss,
                    Double.isNaN(r.finalValLoss) ? "no validation"
                            : String.format(Locale.ROOT, "val loss %.4f (best at an evaluation %.4f)", r.finalValLoss, r.valLoss),
                    r.stoppedEarly ? " (stopped early at the best weights of iteration " + r.bestIteration + ")" : ""));
            valModel = TrajectoryScore.of(valW, obs, new ForecasterTrajectories(model));
            valCv = TrajectoryScore.of(valW, obs, Baselines.constantVelocity());
            tl.message(String.format(Locale.ROOT, "validation windows (%d): model ADE %.4f FDE %.4f, constant velocity"
                    + " ADE %.4f FDE %.4f", valW.size(), valModel.ade(), valModel.fde(), valCv.ade(), valCv.fde()));
        }
        spec.provenance = Provenance.of(null, seed);
        java.util.Map<String, Object> d = new java.util.LinkedHashMap<>();
        d.put("benchmark", "ETH/UCY, leave one scene out");
        d.put("leave_out", leaveOut);
        d.put("train_files", Provenance.files(trainFiles));
        d.put("val_files", Provenance.files(valFiles));
        if (dataOrigin != null) {
            d.put("origin", dataOrigin);
        }
        spec.provenance.put("data", d);
        if (note != null) {
            spec.provenance.put("note", note);
        }
        spec.provenance.put("train_windows", trainW.size());
        spec.provenance.put("val_windows", valW.size());
        spec.provenance.put("augmentation", augment);
        spec.provenance.put("balance", balance);
        spec.provenance.put("input_noise", inputNoise);
        spec.provenance.put("input_noise_share", inputNoiseShare);
        spec.provenance.put("score_steps", scoreSteps);
        spec.provenance.put("loss", loss != null ? loss : objective == SequenceTrainer.Objective.MSE ? "mse" : "nll");
        spec.provenance.put("iterations", r.iterations);
        if (r.stoppedEarly || patience > 0 && r.bestIteration > 0) {
            spec.provenance.put("best_iteration", r.bestIteration);
        }
        spec.provenance.put("train_loss", r.trainLoss);
        if (!Double.isNaN(r.finalValLoss)) {
            spec.provenance.put("val_loss", r.finalValLoss);
        }
        java.util.Map<String, Object> v = new java.util.LinkedHashMap<>();
        v.put("windows", valW.size());
        v.put("ade", Math.round(valModel.ade() * 1e4) / 1e4);
        v.put("fde", Math.round(valModel.fde() * 1e4) / 1e4);
        v.put("constant_velocity_ade", Math.round(valCv.ade() * 1e4) / 1e4);
        v.put("constant_velocity_fde", Math.round(valCv.fde() * 1e4) / 1e4);
        spec.provenance.put("validation", v);
        spec.provenance.put("seconds", Math.round(r.seconds * 10) / 10.0);
        ModelFiles.save(out, model);
        System.err.println("wrote " + out);
        return 0;
    }

    /**
     * A forecaster on one column of an hourly CSV cut as the LTSF benchmarks cut ETTh1 (12/4/4
     * months): windows of --input-length values teach it to predict the next --horizon, the
     * validation months stop it early, the test months are left alone (nowcast eval scores them).
     */
    private int trainLtsf() throws Exception {
        if (recipe != null || init != null || sumLoss || evalChars != 0 || features != null || group != null
                || leaveOut != null || loss != null || !"none".equals(augment) || inputNoise != 0 || !"none".equals(balance)) {
            throw new IllegalArgumentException("--task forecast reads one column (--targets COL) and predicts it:"
                    + " --features, --group, --leave-out, --loss, --augment, --input-noise, --balance, --recipe, --init,"
                    + " --sum-loss and --eval-chars do not apply");
        }
        if (targets == null || targets.size() != 1) {
            throw new IllegalArgumentException("--task forecast needs one column: --targets COL (e.g. OT)");
        }
        boolean everyStep = switch (scoreSteps) {
            case "all" -> true;
            case "last" -> false;
            default -> throw new IllegalArgumentException("--score-steps " + scoreSteps + ": expected all or last");
        };
        SequenceTrainer.Objective objective;
        ModelSpec.Head headKind;
        switch (head) {
            case "linear" -> {
                objective = SequenceTrainer.Objective.MSE;
                headKind = ModelSpec.Head.LINEAR;
            }
            case "gaussian" -> {
                objective = SequenceTrainer.Objective.GAUSSIAN_NLL;
                headKind = ModelSpec.Head.GAUSSIAN;
            }
            default -> throw new IllegalArgumentException("--head " + head + ": expected linear or gaussian");
        }
        checkArguments();
        String col = targets.get(0);
        io.nowcast.eval.LtsfSplit split = io.nowcast.eval.LtsfSplit.read(data, col, inputLength, horizon);
        int H = horizon;
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = name != null ? name : baseName(out);
        spec.cell = CellType.parse(cell);
        spec.inputSize = 1;
        spec.hiddenSize = hidden;
        spec.numLayers = layers;
        spec.head = headKind;
        spec.outputSize = H;
        spec.inputFeatures = new ArrayList<>(List.of(col));
        spec.outputFeatures = new ArrayList<>(SeriesSet.outputNames(List.of(col), H));
        spec.targets = new ArrayList<>(List.of(col));
        spec.horizon = H;
        spec.relativeToInput = relative;
        spec.inputMean = new float[] {(float) split.mean};
        spec.inputStd = new float[] {(float) split.std};
        spec.outputMean = new float[H];
        spec.outputStd = new float[H];
        java.util.Arrays.fill(spec.outputMean, relative ? 0f : (float) split.mean);
        java.util.Arrays.fill(spec.outputStd, (float) split.std);
        Rng rng = new Rng(seed);
        RecurrentNet net = new RecurrentNet(spec.cell, 1, hidden, layers, spec.headOutputs(), Gemms.create()).initUniform(rng);
        addForgetBias(spec.cell, net);
        SequenceTrainer.Config cfg = new SequenceTrainer.Config();
        cfg.objective = objective;
        cfg.streams = streams;
        cfg.chunk = 0;
        cfg.maxIterations = iterations;
        cfg.maxSeconds = minutes > 0 ? minutes * 60 : Double.POSITIVE_INFINITY;
        cfg.clipNorm = clipNorm;
        cfg.clipValue = clipValue;
        cfg.evalEvery = evalEvery;
        cfg.patience = patience;
        cfg.seed = rng.nextLong();
        cfg.evalStreams = 256;
        if (!(levelShift >= 0 && levelShift < 100)) {
            throw new IllegalArgumentException("--level-shift must be in [0, 100), got " + levelShift);
        }
        cfg.augmentation = levelShift > 0 ? io.nowcast.eval.LtsfSplit.levelShift(levelShift, relative) : null;
        Optimizer opt = Optimizer.create(optimizer, net.params(), lr, momentum, weightDecay);
        Forecaster model = new Forecaster(spec, net);
        io.nowcast.eval.LtsfSplit.Part train = io.nowcast.eval.LtsfSplit.Part.TRAIN;
        io.nowcast.eval.LtsfSplit.Part val = io.nowcast.eval.LtsfSplit.Part.VAL;
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d to predict %s %d steps from %d on %s: %d training windows (rows [%d, %d)),"
                        + " %d validation windows (rows [%d, %d)), %s head%s, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, hidden, col, H, inputLength, data.getFileName(), split.windows(train),
                split.from(train), split.to(train), split.windows(val), split.from(val), split.to(val), headKind.id(),
                relative ? " relative to the current value" : "", net.parameterCount(), optimizer, net.gemm().name());
        SequenceTrainer.Result r;
        io.nowcast.eval.WindowScore valModel;
        io.nowcast.eval.WindowScore valLast;
        try (TrainingLog tl = new TrainingLog(quiet ? null : System.err, !quiet && System.console() != null, log)) {
            tl.message(summary);
            r = new SequenceTrainer(net, opt, H, cfg, tl).train(split.sequences(train, relative, everyStep),
                    split.sequences(val, relative, false));
            tl.message(String.format(Locale.ROOT, "done: %d iterations in %.1f s, %.0f steps/s, train loss %.4f, %s%s",
                    r.iterations, r.seconds, r.stepsPerSecond, r.trainLoss,
                    Double.isNaN(r.finalValLoss) ? "no validation"
                            : String.format(Locale.ROOT, "val loss %.4f (best at an evaluation %.4f)", r.finalValLoss, r.valLoss),
                    r.stoppedEarly ? " (stopped early at the best weights of iteration " + r.bestIteration + ")" : ""));
            valModel = io.nowcast.eval.WindowScore.of(split, val, new io.nowcast.eval.ForecasterWindows(model, col, H));
            valLast = io.nowcast.eval.WindowScore.of(split, val, io.nowcast.eval.SeriesBaselines.lastValue());
            tl.message(String.format(Locale.ROOT, "validation windows (%d): model MSE %.4f MAE %.4f, last value MSE %.4f"
                    + " MAE %.4f", valModel.windows(), valModel.mse(), valModel.mae(), valLast.mse(), valLast.mae()));
        }
        spec.provenance = provenance();
        java.util.Map<String, Object> b = new java.util.LinkedHashMap<>();
        b.put("benchmark", "LTSF split 12/4/4 months of 30 days, univariate");
        b.put("column", col);
        b.put("input_length", inputLength);
        b.put("horizon", H);
        b.put("train_rows", List.of(split.from(train), split.to(train)));
        b.put("val_rows", List.of(split.from(val), split.to(val)));
        spec.provenance.put("split", b);
        spec.provenance.put("level_shift", levelShift);
        spec.provenance.put("score_steps", scoreSteps);
        spec.provenance.put("iterations", r.iterations);
        if (r.stoppedEarly || patience > 0 && r.bestIteration > 0) {
            spec.provenance.put("best_iteration", r.bestIteration);
        }
        spec.provenance.put("train_loss", r.trainLoss);
        if (!Double.isNaN(r.finalValLoss)) {
            spec.provenance.put("val_loss", r.finalValLoss);
        }
        java.util.Map<String, Object> v = new java.util.LinkedHashMap<>();
        v.put("windows", valModel.windows());
        v.put("mse", Math.round(valModel.mse() * 1e5) / 1e5);
        v.put("mae", Math.round(valModel.mae() * 1e5) / 1e5);
        v.put("last_value_mse", Math.round(valLast.mse() * 1e5) / 1e5);
        v.put("last_value_mae", Math.round(valLast.mae() * 1e5) / 1e5);
        spec.provenance.put("validation", v);
        spec.provenance.put("seconds", Math.round(r.seconds * 10) / 10.0);
        ModelFiles.save(out, model);
        System.err.println("wrote " + out);
        return 0;
    }

    /** Each file's windows repeated round(largest / its count) times, so that every file weighs about the same. */
    private static List<TrajectoryWindows.Window> balanced(List<List<TrajectoryWindows.Window>> perFile) {
        int largest = 0;
        for (List<TrajectoryWindows.Window> w : perFile) {
            largest = Math.max(largest, w.size());
        }
        List<TrajectoryWindows.Window> out = new ArrayList<>();
        for (List<TrajectoryWindows.Window> w : perFile) {
            if (!w.isEmpty()) {
                long times = Math.max(1, Math.round(largest / (double) w.size()));
                for (long i = 0; i < times; i++) {
                    out.addAll(w);
                }
            }
        }
        return out;
    }

    /** Command, data file and hash (and origin), seed, versions, time, and the note. */
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> provenance() throws java.io.IOException {
        java.util.Map<String, Object> p = Provenance.of(data, seed);
        if (dataOrigin != null) {
            ((java.util.Map<String, Object>) p.get("data")).put("origin", dataOrigin);
        }
        if (note != null) {
            p.put("note", note);
        }
        return p;
    }

    static String baseName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** The series standardised with the model's statistics: inputs, and targets with NaN where unscored. */
    static List<SequenceTrainer.Sequence> sequences(SeriesSet set, ModelSpec spec) {
        int D = spec.inputSize;
        int O = spec.outputSize;
        List<SequenceTrainer.Sequence> out = new ArrayList<>();
        for (SeriesSet.Series s : set.series) {
            float[] x = new float[s.length * D];
            for (int t = 0; t < s.length; t++) {
                for (int j = 0; j < D; j++) {
                    x[t * D + j] = (s.features[t * D + j] - spec.inputMean[j]) / spec.inputStd[j];
                }
            }
            float[] y = s.targets(set.horizon);
            for (int t = 0; t < s.length; t++) {
                for (int o = 0; o < O; o++) {
                    y[t * O + o] = (y[t * O + o] - spec.outputMean[o]) / spec.outputStd[o]; // NaN stays NaN
                }
            }
            out.add(new SequenceTrainer.Sequence(x, y, s.length));
        }
        return out;
    }

    /** The parse result of this command (null when built outside picocli). */
    picocli.CommandLine.ParseResult parseResult() {
        return commandSpec == null ? null : commandSpec.commandLine().getParseResult();
    }

    boolean valFractionGiven() {
        picocli.CommandLine.ParseResult pr = parseResult();
        return pr != null && pr.hasMatchedOption("--val-fraction");
    }

    void checkArguments() {
        if (hidden < 1 || layers < 1 || streams < 1 || chunk < 0) {
            throw new IllegalArgumentException("--hidden, --layers and --streams must be >= 1 and --chunk >= 0");
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("--val-fraction must be in [0, 1), got " + valFraction);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("--iterations must be >= 1");
        }
    }

    /** LSTM: adds --forget-bias to the forget-gate block of every layer's b_ih (rows hidden..2*hidden). */
    void addForgetBias(CellType cell, RecurrentNet net) {
        if (cell != CellType.LSTM || forgetBias == 0f) {
            return;
        }
        for (int k = 0; k < net.numLayers(); k++) {
            float[] b = net.param("rnn.bias_ih_l" + k).w();
            for (int j = net.hiddenSize; j < 2 * net.hiddenSize; j++) {
                b[j] += forgetBias;
            }
        }
    }
}
