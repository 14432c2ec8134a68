package io.nowcast.run.train;

import io.nowcast.data.CsvTable;
import io.nowcast.data.SeriesSet;
import io.nowcast.data.TrajectoryFile;
import io.nowcast.data.motion.MotionSequence;
import io.nowcast.data.motion.MotionStats;
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
import io.nowcast.eval.motion.ForecasterMotion;
import io.nowcast.eval.motion.MotionBaselines;
import io.nowcast.eval.motion.MotionBenchmark;
import io.nowcast.eval.motion.MotionPredictor;
import io.nowcast.eval.motion.MotionProtocol;
import io.nowcast.eval.motion.MotionScore;
import io.nowcast.eval.motion.MotionSequences;
import io.nowcast.eval.motion.Rotations;
import io.nowcast.run.eval.MotionEval;
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
 * hourly CSV cut 12/4/4 months as the LTSF benchmarks cut ETTh1, or with --task motion a residual
 * recurrent model of human motion on the CMU or Human3.6M short-term protocol.
 */
public final class ForecasterTraining {
    /** Frames between the starts of consecutive motion training windows (subsampled frames). */
    static final int MOTION_STRIDE = 5;

    private ForecasterTraining() {
    }

    public static int train(TrainOptions o, Provenance provenance, PrintWriter progress) throws Exception {
        if ("trajectory".equals(o.task())) {
            return trajectory(o, provenance, progress);
        }
        if ("forecast".equals(o.task())) {
            return ltsf(o, provenance, progress);
        }
        if ("motion".equals(o.task())) {
            return motion(o, provenance, progress);
        }
        if (o.task() != null) {
            throw new IllegalArgumentException("--task " + o.task() + ": expected trajectory, forecast or motion");
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
     * A residual recurrent motion model (Martinez et al., CVPR 2017): one model for all actions,
     * reading the normalised used dimensions of the benchmark's training statistics and predicting
     * the next --horizon frames relative to the present one (relative_to_input is always on; with
     * a horizon below the protocol's 10 frames the evaluation feeds it its own predictions). The
     * training sequences of --data (the CMU folder or the Human3.6M one) are subsampled as the
     * protocol subsamples them; a --val-fraction of them (at least one), spread evenly over the list, is held out
     * to stop the run early; the rest are cut into windows of the protocol's observed + predicted
     * frames every {@link #MOTION_STRIDE} frames, each read from a zero state as the evaluation
     * reads a test window. The global position and rotation are read but not taught (the error
     * leaves them out; {@link MotionSequences#scored}).
     */
    private static int motion(TrainOptions o, Provenance provenance, PrintWriter progress) throws Exception {
        if (o.recipe() != null || o.init() != null || o.sumLoss() || o.evalChars() != 0 || o.features() != null
                || o.targets() != null || o.group() != null || o.leaveOut() != null || !"none".equals(o.augment())
                || o.loss() != null || o.levelShift() != 0 || o.inputNoise() != 0 || !"none".equals(o.balance())) {
            throw new IllegalArgumentException("--task motion reads and predicts the benchmark's used dimensions:"
                    + " --features, --targets, --group, --leave-out, --augment, --loss, --level-shift, --input-noise,"
                    + " --balance, --recipe, --init, --sum-loss and --eval-chars do not apply");
        }
        MotionEval.Source src = MotionEval.Source.of(o.data(), null);
        boolean cmu = src.format().equals("cmu");
        MotionProtocol p = cmu ? MotionProtocol.CMU : MotionProtocol.H36M;
        int horizon = o.horizon();
        if (horizon < 1 || horizon > p.predicted()) {
            throw new IllegalArgumentException("--horizon must be in [1, " + p.predicted() + "] for the protocol's "
                    + p.predicted() + " predicted frames, got " + horizon);
        }
        int scoredFrom = Training.everyStep(o.scoreSteps()) ? 0 : p.observed() - 1;
        Training.Head head = Training.Head.of(o.head());
        o.check();
        List<MotionSequence> all = cmu ? MotionBenchmark.cmuTraining(src.root()) : MotionBenchmark.h36mTraining(src.root());
        MotionStats stats = MotionStats.of(all);
        List<MotionSequence> trainS = new ArrayList<>();
        List<MotionSequence> valS = new ArrayList<>();
        int n = all.size();
        long held = o.valFraction() > 0 ? Math.max(1, Math.round(o.valFraction() * n)) : 0;
        if (held >= n) {
            throw new IllegalArgumentException(src.root() + ": " + n + " training sequence(s) cannot be split with"
                    + " --val-fraction " + o.valFraction() + " (at least one must train)");
        }
        for (int i = 0; i < n; i++) {
            ((i + 1) * held / n > i * held / n ? valS : trainS).add(all.get(i));
        }
        int length = p.observed() + p.predicted();
        int step = p.format().step();
        List<float[]> trainW = MotionSequences.windows(trainS.stream().map(s -> s.subsampled(step)).toList(), stats,
                length, MOTION_STRIDE);
        List<float[]> valW = MotionSequences.windows(valS.stream().map(s -> s.subsampled(step)).toList(), stats, length,
                MOTION_STRIDE);
        if (trainW.isEmpty()) {
            throw new IllegalArgumentException(src.root() + ": no training sequence has " + length + " subsampled frames");
        }
        List<String> features = MotionSequences.features(stats);
        int U = features.size();
        ModelSpec spec = forecasterSpec(o, U, head.kind(), features, features);
        spec.relativeToInput = true;
        Arrays.fill(spec.inputStd, 1f);
        boolean[] scored = MotionSequences.scored(stats);
        spec.outputStd = MotionSequences.targetScale(trainW, scored, horizon, true, scoredFrom);
        Rng rng = new Rng(o.seed());
        RecurrentNet net = Training.net(o, spec, rng);
        SequenceTrainer.Config cfg = Training.config(o, head.objective(), 0, rng);
        cfg.targetStd = spec.outputStd;
        cfg.evalStreams = 512;
        Forecaster model = new Forecaster(spec, net);
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d to predict %d frames of %s motion relative to the present one: %d used"
                        + " dimensions of %d, %d training windows of %d frames (%d sequences), %d validation windows"
                        + " (%d sequences), %s head, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, o.hidden(), horizon, cmu ? "CMU" : "Human3.6M", U, stats.dim,
                trainW.size(), length, trainS.size(), valW.size(), valS.size(), head.kind().id(), net.parameterCount(),
                o.optimizer(), net.gemm().name());
        SequenceTrainer.Result r;
        Map<String, Object> v = new LinkedHashMap<>();
        try (TrainingLog tl = Training.log(o, progress)) {
            tl.message(summary);
            r = new SequenceTrainer(net, Training.optimizer(o, net), U * horizon, cfg, tl).train(
                    MotionSequences.of(trainW, scored, horizon, true, scoredFrom, spec.outputStd),
                    MotionSequences.of(valW, scored, horizon, true, scoredFrom, spec.outputStd));
            tl.message(Training.done(r));
            List<MotionSequence> scorable = valS.stream()
                    .filter(s -> s.subsampled(step).frames() > p.observed() + p.future() + p.lowest()).toList();
            if (!scorable.isEmpty()) {
                MotionBenchmark vb = new MotionBenchmark(p, stats, p.windows(scorable));
                MotionScore m = MotionEval.scores(vb, MotionPredictor.normalised(stats, new ForecasterMotion(model,
                        features))).get(MotionEval.AVERAGE);
                MotionScore z = MotionEval.scores(vb, MotionBaselines.zeroVelocity()).get(MotionEval.AVERAGE);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                        "validation windows of the protocol (%d, averaged over the actions), ms: model / zero velocity",
                        m.windows()));
                v.put("windows", m.windows());
                for (int ms : p.horizonsMs()) {
                    line.append(String.format(Locale.ROOT, "  %d: %.3f / %.3f", ms, m.atMs(p, ms), z.atMs(p, ms)));
                    v.put(ms + "ms", Math.round(m.atMs(p, ms) * 1e4) / 1e4);
                    v.put("zero_velocity_" + ms + "ms", Math.round(z.atMs(p, ms) * 1e4) / 1e4);
                }
                tl.message(line.toString());
            }
        }
        spec.provenance = provenance.withoutData();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("benchmark", cmu ? "CMU mocap, short-term" : "Human3.6M, short-term");
        d.put("folder", src.root().toString());
        d.put("train_files", Provenance.files(trainS.stream().map(MotionSequence::file).toList()));
        d.put("val_files", Provenance.files(valS.stream().map(MotionSequence::file).toList()));
        if (provenance.dataOrigin() != null) {
            d.put("origin", provenance.dataOrigin());
        }
        spec.provenance.put("data", d);
        if (provenance.note() != null) {
            spec.provenance.put("note", provenance.note());
        }
        spec.provenance.put("statistics", "mean and std of every frame of all " + all.size() + " training sequences;"
                + " inputs and targets are the " + U + " used dimensions so normalised");
        spec.provenance.put("train_windows", trainW.size());
        spec.provenance.put("val_windows", valW.size());
        spec.provenance.put("window_stride", MOTION_STRIDE);
        spec.provenance.put("score_steps", o.scoreSteps());
        spec.provenance.put("untaught", "the first " + Rotations.GLOBAL + " values (global position and rotation),"
                + " read but not scored, as the error leaves them out");
        Training.putResult(spec.provenance, r, o.patience());
        if (!v.isEmpty()) {
            spec.provenance.put("validation", v);
        }
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
