package io.nowcast.run.train;

import io.nowcast.data.CsvTable;
import io.nowcast.data.SeriesSet;
import io.nowcast.data.TrajectoryFile;
import io.nowcast.eval.Baselines;
import io.nowcast.eval.EthUcy;
import io.nowcast.eval.ForecastScore;
import io.nowcast.eval.ForecasterTrajectories;
import io.nowcast.eval.ForecasterWindows;
import io.nowcast.eval.LtsfSplit;
import io.nowcast.eval.SeriesBaselines;
import io.nowcast.eval.TrajectoryScore;
import io.nowcast.eval.TrajectorySequences;
import io.nowcast.eval.TrajectoryWindows;
import io.nowcast.eval.WindowScore;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.run.Provenance;
import io.nowcast.tensor.Rng;
import io.nowcast.train.SequenceTrainer;
import io.nowcast.train.TrainingLog;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nowcast train --kind forecaster}: a recurrent forecaster of CSV columns 1..--horizon
 * steps ahead (rows or series held out and scored against the last value), or with --task
 * trajectory the ETH/UCY leave-one-scene-out protocol, or with --task forecast one column of an
 * hourly CSV cut 12/4/4 months as the LTSF benchmarks cut ETTh1.
 */
public final class ForecasterTraining {
    private ForecasterTraining() {
    }

    public static int train(TrainOptions o, Provenance provenance, PrintWriter progress) throws Exception {
        if ("trajectory".equals(o.task())) {
            return trajectory(o, provenance, progress);
        }
        if ("forecast".equals(o.task())) {
            return ltsf(o, provenance, progress);
        }
        if (o.task() != null) {
            throw new IllegalArgumentException("--task " + o.task() + ": expected trajectory or forecast");
        }
        if (o.leaveOut() != null || !"none".equals(o.augment()) || o.relative() || o.loss() != null || o.levelShift() != 0) {
            throw new IllegalArgumentException("--leave-out, --augment, --loss, --relative and --level-shift are for"
                    + " --task trajectory or forecast");
        }
        if (o.recipe() != null || o.init() != null || o.sumLoss() || o.evalChars() != 0) {
            throw new IllegalArgumentException("--recipe, --init, --sum-loss and --eval-chars are for --kind char");
        }
        List<String> features = o.features();
        List<String> targets = o.targets();
        int horizon = o.horizon();
        if (features == null || features.isEmpty() || targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("--kind forecaster needs --features COL[,COL...] and --targets COL[,COL...]");
        }
        if (horizon < 1 || horizon > ModelSpec.MAX_HORIZON) {
            throw new IllegalArgumentException("--horizon must be in [1, " + ModelSpec.MAX_HORIZON + "], got " + horizon);
        }
        Training.Head head = Training.Head.of(o.head());
        o.check();
        Path data = o.data();
        SeriesSet all = SeriesSet.of(CsvTable.read(data), features, targets, horizon, o.group());
        SeriesSet[] parts = all.split(o.valFraction());
        SeriesSet train = parts[0];
        SeriesSet val = parts[1];
        if (train.scoredSteps() == 0) {
            throw new IllegalArgumentException(data + ": no training step has a target " + horizon + " step(s) ahead"
                    + " (series too short for the horizon)");
        }
        if (o.valFraction() > 0 && val.scoredSteps() == 0) {
            throw new IllegalArgumentException(data + ": the held-out " + val.rows() + " rows have no step with a target "
                    + horizon + " step(s) ahead; raise --val-fraction or lower --horizon");
        }
        int C = targets.size();
        int O = C * horizon;
        float[][] fs = train.featureStats();
        float[][] ts = train.targetStats();
        ModelSpec spec = forecasterSpec(o, features.size(), head.kind(), features, targets);
        spec.inputMean = fs[0];
        spec.inputStd = fs[1];
        for (int j = 0; j < C; j++) {
            for (int k = 0; k < horizon; k++) {
                spec.outputMean[j * horizon + k] = ts[0][j];
                spec.outputStd[j * horizon + k] = ts[1][j];
            }
        }
        Rng rng = new Rng(o.seed());
        RecurrentNet net = Training.net(o, spec, rng);
        SequenceTrainer.Config cfg = Training.config(o, head.objective(), o.chunk(), rng);
        cfg.targetStd = spec.outputStd;
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d on %s: %d series, %d rows (%d series, %d rows held out), %s -> %s,"
                        + " %s head, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, net.hiddenSize, data.getFileName(), train.series.size(), train.rows(),
                val.series.size(), val.rows(), features, spec.outputFeatures, head.kind().id(), net.parameterCount(),
                o.optimizer(), net.gemm().name());
        SequenceTrainer.Result r;
        Forecaster model = new Forecaster(spec, net);
        ForecastScore score = null;
        try (TrainingLog tl = Training.log(o, progress)) {
            tl.message(summary);
            r = new SequenceTrainer(net, Training.optimizer(o, net), O, cfg, tl).train(sequences(train, spec),
                    sequences(val, spec));
            tl.message(Training.done(r));
            if (!val.series.isEmpty()) {
                score = ForecastScore.of(model, val);
                tl.message("held out (" + val.rows() + " rows, " + score.scored() + " steps scored), data units:\n"
                        + score.table().stripTrailing());
            }
        }
        spec.provenance = provenance.of(data);
        spec.provenance.put("features", features);
        spec.provenance.put("targets", targets);
        spec.provenance.put("horizon", horizon);
        if (o.group() != null) {
            spec.provenance.put("group", o.group());
        }
        spec.provenance.put("train_rows", train.rows());
        spec.provenance.put("val_rows", val.rows());
        Training.putResult(spec.provenance, r, o.patience());
        if (score != null) {
            spec.provenance.put("validation", Provenance.score(score));
        }
        spec.provenance.put("seconds", Training.seconds(r.seconds));
        Training.save(model, o.out(), progress);
        return 0;
    }

    /**
     * A trajectory forecaster on ETH/UCY, leaving one scene out: the windows of the other scenes'
     * train/ files teach, those of their val/ files validate (early stopping, the figures recorded).
     */
    private static int trajectory(TrainOptions o, Provenance provenance, PrintWriter progress) throws Exception {
        if (o.recipe() != null || o.init() != null || o.sumLoss() || o.evalChars() != 0 || o.features() != null
                || o.targets() != null || o.group() != null) {
            throw new IllegalArgumentException("--task trajectory reads dx,dy and predicts dx,dy: --features, --targets,"
                    + " --group, --recipe, --init, --sum-loss and --eval-chars do not apply");
        }
        String leaveOut = o.leaveOut();
        int horizon = o.horizon();
        boolean relative = o.relative();
        if (leaveOut == null) {
            throw new IllegalArgumentException("--task trajectory needs --leave-out SCENE (one of "
                    + EthUcy.SCENES.keySet() + ")");
        }
        if (horizon < 1 || horizon > TrajectoryWindows.PREDICTED) {
            throw new IllegalArgumentException("--horizon must be in [1, " + TrajectoryWindows.PREDICTED + "] for"
                    + " the protocol's windows, got " + horizon);
        }
        boolean everyStep = Training.everyStep(o.scoreSteps());
        SequenceTrainer.Augmentation turn = switch (o.augment()) {
            case "none" -> null;
            case "rotate" -> TrajectorySequences.rotations(horizon, false);
            case "rotate-mirror" -> TrajectorySequences.rotations(horizon, true);
            default -> throw new IllegalArgumentException("--augment " + o.augment()
                    + ": expected none, rotate or rotate-mirror");
        };
        Training.Head head = Training.Head.of(o.head());
        SequenceTrainer.Objective objective = head.objective();
        if (o.loss() != null) {
            if (!o.loss().equals("ade") || head.kind() != ModelSpec.Head.LINEAR) {
                throw new IllegalArgumentException("--loss " + o.loss() + ": the loss known is ade, with a linear head");
            }
            objective = SequenceTrainer.Objective.DISPLACEMENT;
        }
        o.check();
        List<Path> trainFiles = EthUcy.files(o.data(), "train", leaveOut);
        List<Path> valFiles = EthUcy.files(o.data(), "val", leaveOut);
        List<List<TrajectoryWindows.Window>> perFile = new ArrayList<>();
        List<TrajectoryWindows.Window> trainW = new ArrayList<>();
        for (Path f : trainFiles) {
            List<TrajectoryWindows.Window> w = TrajectoryWindows.of(TrajectoryFile.read(f));
            perFile.add(w);
            trainW.addAll(w);
        }
        List<TrajectoryWindows.Window> pool = switch (o.balance()) {
            case "none" -> trainW;
            case "files" -> balanced(perFile);
            default -> throw new IllegalArgumentException("--balance " + o.balance() + ": expected none or files");
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
        float inputNoise = o.inputNoise();
        if (!(inputNoise >= 0 && inputNoise < 10)) {
            throw new IllegalArgumentException("--input-noise must be in [0, 10) metres, got " + inputNoise);
        }
        if (!(o.inputNoiseShare() >= 0 && o.inputNoiseShare() <= 1)) {
            throw new IllegalArgumentException("--input-noise-share must be in [0, 1], got " + o.inputNoiseShare());
        }
        SequenceTrainer.Augmentation aug = TrajectorySequences.then(inputNoise > 0
                ? TrajectorySequences.noise(horizon, relative, inScale, outScale, inputNoise, o.inputNoiseShare())
                : null, turn);

        ModelSpec spec = forecasterSpec(o, 2, head.kind(), xy, xy);
        spec.inputStd = new float[] {inScale, inScale};
        Arrays.fill(spec.outputStd, outScale);
        Rng rng = new Rng(o.seed());
        RecurrentNet net = Training.net(o, spec, rng);
        SequenceTrainer.Config cfg = Training.config(o, objective, 0, rng);
        cfg.targetStd = spec.outputStd;
        cfg.augmentation = aug;
        cfg.evalStreams = 512;
        Forecaster model = new Forecaster(spec, net);
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d to predict %d steps of ETH/UCY without %s: %d training windows (%d files),"
                        + " %d validation windows (%d files), %s head%s, augmentation %s%s, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, o.hidden(), horizon, leaveOut, trainW.size(), trainFiles.size(),
                valW.size(), valFiles.size(), head.kind().id(), relative ? " relative to the last displacement" : "",
                o.augment(), inputNoise > 0 ? " with input noise up to " + inputNoise + " m" : "",
                net.parameterCount(), o.optimizer(), net.gemm().name());
        SequenceTrainer.Result r;
        TrajectoryScore valModel;
        TrajectoryScore valCv;
        try (TrainingLog tl = Training.log(o, progress)) {
            tl.message(summary);
            r = new SequenceTrainer(net, Training.optimizer(o, net), O, cfg, tl).train(
                    TrajectorySequences.of(pool, obs, horizon, relative, everyStep, inScale, outScale),
                    TrajectorySequences.of(valW, obs, horizon, relative, everyStep, inScale, outScale));
            tl.message(Training.done(r));
            valModel = TrajectoryScore.of(valW, obs, new ForecasterTrajectories(model));
            valCv = TrajectoryScore.of(valW, obs, Baselines.constantVelocity());
            tl.message(String.format(Locale.ROOT, "validation windows (%d): model ADE %.4f FDE %.4f, constant velocity"
                    + " ADE %.4f FDE %.4f", valW.size(), valModel.ade(), valModel.fde(), valCv.ade(), valCv.fde()));
        }
        spec.provenance = provenance.withoutData();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("benchmark", "ETH/UCY, leave one scene out");
        d.put("leave_out", leaveOut);
        d.put("train_files", Provenance.files(trainFiles));
        d.put("val_files", Provenance.files(valFiles));
        if (provenance.dataOrigin() != null) {
            d.put("origin", provenance.dataOrigin());
        }
        spec.provenance.put("data", d);
        if (provenance.note() != null) {
            spec.provenance.put("note", provenance.note());
        }
        spec.provenance.put("train_windows", trainW.size());
        spec.provenance.put("val_windows", valW.size());
        spec.provenance.put("augmentation", o.augment());
        spec.provenance.put("balance", o.balance());
        spec.provenance.put("input_noise", inputNoise);
        spec.provenance.put("input_noise_share", o.inputNoiseShare());
        spec.provenance.put("score_steps", o.scoreSteps());
        spec.provenance.put("loss", o.loss() != null ? o.loss() : objective == SequenceTrainer.Objective.MSE ? "mse" : "nll");
        Training.putResult(spec.provenance, r, o.patience());
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("windows", valW.size());
        v.put("ade", Math.round(valModel.ade() * 1e4) / 1e4);
        v.put("fde", Math.round(valModel.fde() * 1e4) / 1e4);
        v.put("constant_velocity_ade", Math.round(valCv.ade() * 1e4) / 1e4);
        v.put("constant_velocity_fde", Math.round(valCv.fde() * 1e4) / 1e4);
        spec.provenance.put("validation", v);
        spec.provenance.put("seconds", Training.seconds(r.seconds));
        Training.save(model, o.out(), progress);
        return 0;
    }

    /**
     * A forecaster on one column of an hourly CSV cut as the LTSF benchmarks cut ETTh1 (12/4/4
     * months): windows of --input-length values teach it to predict the next --horizon, the
     * validation months stop it early, the test months are left alone (nowcast eval scores them).
     */
    private static int ltsf(TrainOptions o, Provenance provenance, PrintWriter progress) throws Exception {
        if (o.recipe() != null || o.init() != null || o.sumLoss() || o.evalChars() != 0 || o.features() != null
                || o.group() != null || o.leaveOut() != null || o.loss() != null || !"none".equals(o.augment())
                || o.inputNoise() != 0 || !"none".equals(o.balance())) {
            throw new IllegalArgumentException("--task forecast reads one column (--targets COL) and predicts it:"
                    + " --features, --group, --leave-out, --loss, --augment, --input-noise, --balance, --recipe, --init,"
                    + " --sum-loss and --eval-chars do not apply");
        }
        if (o.targets() == null || o.targets().size() != 1) {
            throw new IllegalArgumentException("--task forecast needs one column: --targets COL (e.g. OT)");
        }
        boolean everyStep = Training.everyStep(o.scoreSteps());
        Training.Head head = Training.Head.of(o.head());
        o.check();
        String col = o.targets().get(0);
        int H = o.horizon();
        boolean relative = o.relative();
        LtsfSplit split = LtsfSplit.read(o.data(), col, o.inputLength(), H);
        ModelSpec spec = forecasterSpec(o, 1, head.kind(), List.of(col), List.of(col));
        spec.inputMean = new float[] {(float) split.mean};
        spec.inputStd = new float[] {(float) split.std};
        Arrays.fill(spec.outputMean, relative ? 0f : (float) split.mean);
        Arrays.fill(spec.outputStd, (float) split.std);
        Rng rng = new Rng(o.seed());
        RecurrentNet net = Training.net(o, spec, rng);
        SequenceTrainer.Config cfg = Training.config(o, head.objective(), 0, rng);
        cfg.evalStreams = 256;
        if (!(o.levelShift() >= 0 && o.levelShift() < 100)) {
            throw new IllegalArgumentException("--level-shift must be in [0, 100), got " + o.levelShift());
        }
        cfg.augmentation = o.levelShift() > 0 ? LtsfSplit.levelShift(o.levelShift(), relative) : null;
        Forecaster model = new Forecaster(spec, net);
        LtsfSplit.Part train = LtsfSplit.Part.TRAIN;
        LtsfSplit.Part val = LtsfSplit.Part.VAL;
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d to predict %s %d steps from %d on %s: %d training windows (rows [%d, %d)),"
                        + " %d validation windows (rows [%d, %d)), %s head%s, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, o.hidden(), col, H, o.inputLength(), o.data().getFileName(),
                split.windows(train), split.from(train), split.to(train), split.windows(val), split.from(val),
                split.to(val), head.kind().id(), relative ? " relative to the current value" : "",
                net.parameterCount(), o.optimizer(), net.gemm().name());
        SequenceTrainer.Result r;
        WindowScore valModel;
        WindowScore valLast;
        try (TrainingLog tl = Training.log(o, progress)) {
            tl.message(summary);
            r = new SequenceTrainer(net, Training.optimizer(o, net), H, cfg, tl).train(
                    split.sequences(train, relative, everyStep), split.sequences(val, relative, false));
            tl.message(Training.done(r));
            valModel = WindowScore.of(split, val, new ForecasterWindows(model, col, H));
            valLast = WindowScore.of(split, val, SeriesBaselines.lastValue());
            tl.message(String.format(Locale.ROOT, "validation windows (%d): model MSE %.4f MAE %.4f, last value MSE %.4f"
                    + " MAE %.4f", valModel.windows(), valModel.mse(), valModel.mae(), valLast.mse(), valLast.mae()));
        }
        spec.provenance = provenance.of(o.data());
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("benchmark", "LTSF split 12/4/4 months of 30 days, univariate");
        b.put("column", col);
        b.put("input_length", o.inputLength());
        b.put("horizon", H);
        b.put("train_rows", List.of(split.from(train), split.to(train)));
        b.put("val_rows", List.of(split.from(val), split.to(val)));
        spec.provenance.put("split", b);
        spec.provenance.put("level_shift", o.levelShift());
        spec.provenance.put("score_steps", o.scoreSteps());
        Training.putResult(spec.provenance, r, o.patience());
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("windows", valModel.windows());
        v.put("mse", Math.round(valModel.mse() * 1e5) / 1e5);
        v.put("mae", Math.round(valModel.mae() * 1e5) / 1e5);
        v.put("last_value_mse", Math.round(valLast.mse() * 1e5) / 1e5);
        v.put("last_value_mae", Math.round(valLast.mae() * 1e5) / 1e5);
        spec.provenance.put("validation", v);
        spec.provenance.put("seconds", Training.seconds(r.seconds));
        Training.save(model, o.out(), progress);
        return 0;
    }

    /**
     * A forecaster's spec: the inputs, each target 1..--horizon steps ahead, --relative; zero
     * means and unit stds to be filled in by the run.
     */
    private static ModelSpec forecasterSpec(TrainOptions o, int inputSize, ModelSpec.Head head, List<String> inputs,
                                            List<String> targets) {
        int O = targets.size() * o.horizon();
        ModelSpec spec = Training.spec(o, ModelKind.FORECASTER, inputSize, head, O);
        spec.inputFeatures = new ArrayList<>(inputs);
        spec.outputFeatures = new ArrayList<>(SeriesSet.outputNames(targets, o.horizon()));
        spec.targets = new ArrayList<>(targets);
        spec.horizon = o.horizon();
        spec.relativeToInput = o.relative();
        spec.inputMean = new float[inputSize];
        spec.inputStd = new float[inputSize];
        spec.outputMean = new float[O];
        spec.outputStd = new float[O];
        return spec;
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
}
