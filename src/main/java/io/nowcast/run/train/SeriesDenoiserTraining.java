package io.nowcast.run.train;

import io.nowcast.data.SeriesNoise;
import io.nowcast.eval.SeriesDenoising;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.model.SmoothingBase;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Rng;
import io.nowcast.train.SequenceTrainer;
import io.nowcast.train.TrainingLog;
import io.nowcast.run.Provenance;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nowcast train --kind series-denoiser}: a causal recurrent denoiser of CSV columns. The
 * series is cut into training, validation and test rows ({@link SeriesDenoising}); windows of the
 * training rows are read side by side with truncated BPTT, each given fresh noise every time it
 * enters a batch (seeded), and the network learns the correction that turns the noisy sample into
 * the clean one. The validation rows, noised once with a fixed seed, stop the run early; the test
 * rows are left to {@code nowcast eval --task series-denoise}.
 */
public final class SeriesDenoiserTraining {
    /** The smoothing factors of the bank of a {@code --smoothing-base}: heavy to none. */
    public static final float[] SMOOTHING_FACTORS = {0.02f, 0.03f, 0.04f, 0.05f, 0.06f, 0.08f, 0.1f, 0.12f, 0.15f, 0.2f, 0.25f,
        0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.85f, 1f};

    /** Rows of noisy input read before the validation rows are scored. */
    static final int WARM_UP = 96;

    private SeriesDenoiserTraining() {
    }

    public static int train(TrainOptions c, SeriesDenoiserOptions o, Provenance provenance, PrintWriter progress)
            throws Exception {
        if (c.features() != null || c.targets() != null || c.group() != null || c.task() != null || c.recipe() != null
                || c.init() != null || c.relative() || c.horizon() != 1 || !"linear".equals(c.head())) {
            throw new IllegalArgumentException("--kind series-denoiser reads --columns and outputs them cleaned:"
                    + " --features, --targets, --group, --task, --recipe, --init, --relative, --horizon and --head"
                    + " do not apply");
        }
        if (o.columns() == null || o.columns().isEmpty()) {
            throw new IllegalArgumentException("--kind series-denoiser needs --columns COL[,COL...]");
        }
        if (o.direct() && o.smoothingBase()) {
            throw new IllegalArgumentException("--direct (the head predicts the clean value) and --smoothing-base (the head"
                    + " predicts a correction to the smoothed input) exclude each other");
        }
        if (o.window() < 2) {
            throw new IllegalArgumentException("--window must be >= 2, got " + o.window());
        }
        SeriesNoise noise = new SeriesNoise(o.noise(), o.sigma(), o.amount());
        c.check();
        SeriesDenoising series = SeriesDenoising.read(c.data(), o.columns());
        int D = series.width;
        SeriesDenoising.Part trainPart = SeriesDenoising.Part.TRAIN;
        SeriesDenoising.Part valPart = SeriesDenoising.Part.VAL;

        ModelSpec spec = Training.spec(c, ModelKind.SERIES_DENOISER, D, ModelSpec.Head.LINEAR, D);
        spec.inputFeatures = new ArrayList<>(o.columns());
        spec.outputFeatures = new ArrayList<>(o.columns());
        spec.inputMean = series.mean.clone();
        spec.inputStd = series.std.clone();
        spec.residual = !o.direct();
        spec.outputMean = spec.residual ? new float[D] : series.mean.clone();
        spec.outputStd = series.std.clone();
        spec.noiseModel = noise.model;
        spec.noiseSigma = noise.sigma;
        spec.noiseAmount = noise.amount;
        if (o.smoothingBase()) {
            if (!"gaussian".equals(noise.model)) {
                throw new IllegalArgumentException("--smoothing-base estimates its error from the variance of Gaussian"
                        + " noise: it needs --noise gaussian, not " + noise.model);
            }
            spec.smoothingBase = new SmoothingBase(SMOOTHING_FACTORS, o.smoothingTimeConstant());
        } else if (o.smoothingTimeConstant() != 240) {
            throw new IllegalArgumentException("--smoothing-time-constant sets the time constant of --smoothing-base");
        }

        // the validation noise depends on the seed only, not on the architecture
        long valSeed = new Rng(c.seed() ^ 0x7A11DA7EL).nextLong();
        Rng rng = new Rng(c.seed());
        RecurrentNet net = Training.net(c, spec, rng);
        SequenceTrainer.Config cfg = Training.config(c, SequenceTrainer.Objective.MSE, c.chunk(), rng);
        cfg.targetStd = spec.outputStd;
        if (!(o.levelShift() >= 0 && o.levelShift() < 100)) {
            throw new IllegalArgumentException("--series-level-shift must be in [0, 100), got " + o.levelShift());
        }
        if (!(o.scale() >= 1 && o.scale() < 100)) {
            throw new IllegalArgumentException("--series-scale must be in [1, 100), got " + o.scale());
        }
        cfg.augmentation = noisy(noise, D, o.levelShift(), o.scale(), spec.residual);
        if (spec.smoothingBase != null) {
            cfg.augmentation = smoothed(cfg.augmentation, spec.smoothingBase, noise.sigma);
        }

        List<SequenceTrainer.Sequence> train = windows(series, o.window());
        float[] valNoisy = series.noisy(noise, valSeed);
        SequenceTrainer.Sequence valSeq = validation(series, valNoisy, spec.residual);
        List<SequenceTrainer.Sequence> val = List.of(spec.smoothingBase == null ? valSeq
                : smoothed(valSeq, spec.smoothingBase, noise.sigma));
        SeriesDenoiser model = new SeriesDenoiser(spec, net);
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d to denoise %s of %s (%s): %d training windows of %d rows (rows [%d, %d)),"
                        + " validation rows [%d, %d), %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, c.hidden(), o.columns(), c.data().getFileName(), noise.describe(), train.size(),
                o.window(), series.from(trainPart), series.to(trainPart), series.from(valPart), series.to(valPart),
                net.parameterCount(), c.optimizer(), net.gemm().name());
        SequenceTrainer.Result r;
        SeriesDenoising.Comparison cmp;
        try (TrainingLog tl = Training.log(c, progress)) {
            tl.message(summary);
            r = new SequenceTrainer(net, Training.optimizer(c, net), D, cfg, tl).train(train, val);
            tl.message(Training.done(r));
            cmp = series.compare(valNoisy, model, valPart);
            tl.message("validation rows, RMSE in units of each column's std: " + summaryLine(cmp));
        }
        spec.provenance = provenance.of(c.data());
        Map<String, Object> split = new LinkedHashMap<>();
        split.put("cut", series.ltsf ? "LTSF 12/4/4 months of hourly rows" : "60/20/20% of the rows");
        split.put("train_rows", List.of(series.from(trainPart), series.to(trainPart)));
        split.put("val_rows", List.of(series.from(valPart), series.to(valPart)));
        split.put("test_rows", List.of(series.from(SeriesDenoising.Part.TEST), series.to(SeriesDenoising.Part.TEST)));
        spec.provenance.put("split", split);
        spec.provenance.put("window", o.window());
        spec.provenance.put("chunk", c.chunk());
        Training.putResult(spec.provenance, r, c.patience());
        spec.provenance.put("validation", comparison(cmp, o.columns()));
        spec.provenance.put("seconds", Training.seconds(r.seconds));
        Training.save(model, c.out(), progress);
        return 0;
    }

    /**
     * Windows of the training rows, standardised, one starting every quarter window (and one
     * ending at the last row): x the clean values (the noise is added when a window is used),
     * y the clean values too (turned into corrections by {@link #noisy}).
     */
    static List<SequenceTrainer.Sequence> windows(SeriesDenoising s, int window) {
        int a = s.from(SeriesDenoising.Part.TRAIN);
        int b = s.to(SeriesDenoising.Part.TRAIN);
        int w = Math.min(window, b - a);
        int stride = Math.max(1, w / 4);
        List<SequenceTrainer.Sequence> out = new ArrayList<>();
        for (int start = a; ; start += stride) {
            int from = Math.min(start, b - w);
            float[] z = s.standardised(s.clean, from, from + w);
            out.add(new SequenceTrainer.Sequence(z, z.clone(), w));
            if (from == b - w) {
                break;
            }
        }
        return out;
    }

    /**
     * The noise as training augmentation on standardised windows: x becomes the clean values
     * (each column moved by a random level up to {@code levelShift}) plus fresh noise, y the
     * correction (clean - noisy) in units of each column's std, or with {@code residual} false
     * the clean values (moved by the same level).
     */
    static SequenceTrainer.Augmentation noisy(SeriesNoise noise, int D, float levelShift, boolean residual) {
        return noisy(noise, D, levelShift, 1f, residual);
    }

    static SequenceTrainer.Augmentation noisy(SeriesNoise noise, int D, float levelShift, float scale,
                                              boolean residual) {
        float[] ones = new float[D];
        Arrays.fill(ones, 1f);
        return (seq, rng) -> {
            float[] x = seq.x().clone();
            float[] yClean = seq.y();
            if (scale > 1) {
                // x and y hold the same clean window: stretch both about each column's window mean
                int T = seq.length();
                yClean = yClean.clone();
                double logS = Math.log(scale);
                for (int j = 0; j < D; j++) {
                    double m = 0;
                    for (int t = 0; t < T; t++) {
                        m += x[t * D + j];
                    }
                    m /= T;
                    float f = (float) Math.exp((2 * rng.nextDouble() - 1) * logS);
                    for (int t = 0; t < T; t++) {
                        x[t * D + j] = (float) (m + f * (x[t * D + j] - m));
                        yClean[t * D + j] = x[t * D + j];
                    }
                }
            }
            float[] level = new float[D];
            if (levelShift > 0) {
                for (int j = 0; j < D; j++) {
                    level[j] = (float) ((2 * rng.nextDouble() - 1) * levelShift);
                }
                for (int i = 0; i < x.length; i++) {
                    x[i] += level[i % D];
                }
            }
            // the shifted column's mean is the level: salt and pepper lie 3 stds around it, masks fill it in
            noise.apply(x, seq.length(), D, level, ones, rng);
            float[] y = yClean.clone();
            for (int i = 0; i < y.length; i++) {
                y[i] += level[i % D] - (residual ? x[i] : 0f);
            }
            return new SequenceTrainer.Sequence(x, y, seq.length());
        };
    }

    /**
     * Turns a residual sequence (x the noisy values, y the correction clean - x, both standardised)
     * into what a network over a {@link SmoothingBase smoothing base} learns from: x the
     * innovations (0 at the first row), y the correction clean_t - base_t, the base run over the
     * sequence from a fresh state as a stream would, on the standardised values, where the noise has
     * variance {@code sigma}^2 in every column. NaN targets (unscored rows) stay NaN.
     */
    static SequenceTrainer.Sequence smoothed(SequenceTrainer.Sequence seq, SmoothingBase base, float sigma) {
        int T = seq.length();
        int D = seq.x().length / T;
        float[] noiseVariance = new float[D];
        Arrays.fill(noiseVariance, sigma * sigma);
        float[] x = seq.x();
        float[] y = seq.y();
        float[] u = new float[T * D];
        float[] level = new float[T * D];
        float[] state = new float[base.extraWidth(D)];
        for (int t = 0; t < T; t++) {
            base.step(x, t * D, D, noiseVariance, state, 0, u, t * D, level, t * D);
        }
        float[] r = new float[T * D];
        for (int i = 0; i < r.length; i++) {
            r[i] = y[i] + x[i] - level[i];
        }
        return new SequenceTrainer.Sequence(u, r, T);
    }

    /** An augmentation followed by {@link #smoothed}. */
    static SequenceTrainer.Augmentation smoothed(SequenceTrainer.Augmentation residual, SmoothingBase base,
                                                 float sigma) {
        return (seq, rng) -> smoothed(residual.apply(seq, rng), base, sigma);
    }

    /** The validation rows as one sequence from a zero state, after {@link #WARM_UP} unscored noisy training rows. */
    static SequenceTrainer.Sequence validation(SeriesDenoising s, float[] noisy, boolean residual) {
        int a = s.from(SeriesDenoising.Part.VAL);
        int b = s.to(SeriesDenoising.Part.VAL);
        int from = Math.max(0, a - WARM_UP);
        int D = s.width;
        float[] x = s.standardised(noisy, from, b);
        float[] y = s.standardised(s.clean, from, b);
        for (int i = 0; i < y.length; i++) {
            y[i] = i < (a - from) * D ? Float.NaN : y[i] - (residual ? x[i] : 0f);
        }
        return new SequenceTrainer.Sequence(x, y, b - from);
    }

    static String summaryLine(SeriesDenoising.Comparison cmp) {
        StringBuilder sb = new StringBuilder();
        cmp.scores().forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k.replace('_', ' '))
                .append(String.format(Locale.ROOT, " %.4f", v.rmseStd())));
        return sb.toString();
    }

    /** A comparison as provenance: per method, the RMSE per column (data units) and over all (in stds). */
    static Map<String, Object> comparison(SeriesDenoising.Comparison cmp, List<String> columns) {
        Map<String, Object> m = new LinkedHashMap<>();
        cmp.scores().forEach((k, v) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            Map<String, Object> per = new LinkedHashMap<>();
            for (int j = 0; j < columns.size(); j++) {
                per.put(columns.get(j), Math.round(v.rmse()[j] * 1e5) / 1e5);
            }
            e.put("rmse", per);
            e.put("rmse_in_stds", Math.round(v.rmseStd() * 1e5) / 1e5);
            m.put(k, e);
        });
        Map<String, Object> w = new LinkedHashMap<>();
        Map<String, Object> al = new LinkedHashMap<>();
        for (int j = 0; j < columns.size(); j++) {
            w.put(columns.get(j), cmp.windows()[j]);
            al.put(columns.get(j), cmp.alphas()[j]);
        }
        Map<String, Object> mw = new LinkedHashMap<>();
        for (int j = 0; j < columns.size(); j++) {
            mw.put(columns.get(j), cmp.medianWindows()[j]);
        }
        m.put("moving_average_windows", w);
        m.put("smoothing_alphas", al);
        m.put("moving_median_windows", mw);
        return m;
    }
}
