package io.nowcast.run.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nowcast.data.SeriesNoise;
import io.nowcast.eval.SeriesDenoising;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.SeriesDenoiser;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nowcast eval --task series-denoise}: a series denoiser and the causal baselines on the
 * same noisy series (one seeded draw of the noise over every row), scored on the validation or
 * test rows against the clean values. Every method reads the noisy series from its first row on,
 * one sample at a time; the baselines' settings are chosen per column on the validation rows.
 */
public final class SeriesDenoiseEval {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SeriesDenoiseEval() {
    }

    /** Scores --task series-denoise, printing the table (or the JSON) to {@code out}. */
    public static int run(Path modelFile, List<Path> data, String part, boolean json, SeriesDenoiseEvalOptions o,
                          PrintWriter out) throws Exception {
        if (data.size() != 1) {
            throw new IllegalArgumentException("--task series-denoise reads one CSV file; --data names " + data.size());
        }
        Path csv = data.get(0);
        SeriesDenoising.Part p = switch (part) {
            case "test" -> SeriesDenoising.Part.TEST;
            case "val" -> SeriesDenoising.Part.VAL;
            default -> throw new IllegalArgumentException("--part " + part + ": expected val or test");
        };
        SeriesDenoiser model = null;
        List<String> columns = o.columns();
        String noiseModel = o.noise();
        float sigma = o.sigma() != null ? o.sigma() : 0f;
        float amount = o.amount() != null ? o.amount() : 0f;
        if (modelFile != null) {
            Model m = ModelFiles.load(modelFile);
            if (!(m instanceof SeriesDenoiser d)) {
                throw new IllegalArgumentException(modelFile + ": --task series-denoise needs a series-denoiser; this file"
                        + " holds a " + m.spec().kind.id + " model");
            }
            model = d;
            if (columns != null && !columns.equals(d.spec().inputFeatures)) {
                throw new IllegalArgumentException("--columns " + columns + ": the model reads "
                        + d.spec().inputFeatures + " (leave --columns out to score those)");
            }
            columns = d.spec().inputFeatures;
            if (noiseModel == null) {
                noiseModel = o.sigma() != null ? "gaussian" : d.spec().noiseModel;
            }
            if (o.sigma() == null) {
                sigma = d.spec().noiseSigma;
            }
            if (o.amount() == null) {
                amount = d.spec().noiseAmount;
            }
        }
        if (columns == null || columns.isEmpty()) {
            throw new IllegalArgumentException("--task series-denoise without --model needs --columns COL[,COL...]");
        }
        if (noiseModel == null) {
            noiseModel = "gaussian";
        }
        if (o.noiseDraws() < 1 || o.noiseDraws() > 1000) {
            throw new IllegalArgumentException("--noise-draws must be in [1, 1000], got " + o.noiseDraws());
        }
        SeriesNoise noise = new SeriesNoise(noiseModel, sigma, amount);
        SeriesDenoising series = SeriesDenoising.read(csv, columns);
        int D = series.width;
        if (o.noiseDraws() > 1) {
            return draws(csv, series, model, modelFile, p, part, noise, o, json, out);
        }
        float[] noisy = series.noisy(noise, o.noiseSeed());
        SeriesDenoising.Comparison cmp = series.compare(noisy, model, p);
        if (json) {
            Map<String, Object> n = noiseJson(noise);
            n.put("seed", o.noiseSeed());
            Map<String, Object> result = header(csv, series, columns, part, p, n, model, modelFile);
            Map<String, Object> r = new LinkedHashMap<>();
            List<String> cols = columns;
            cmp.scores().forEach((k, v) -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("rmse", perColumn(cols, v.rmse()));
                e.put("mae", perColumn(cols, v.mae()));
                e.put("rmse_in_stds", round(v.rmseStd()));
                r.put(k, e);
            });
            result.put("results", r);
            Map<String, Object> w = new LinkedHashMap<>();
            Map<String, Object> a = new LinkedHashMap<>();
            for (int j = 0; j < D; j++) {
                w.put(columns.get(j), cmp.windows()[j]);
                a.put(columns.get(j), cmp.alphas()[j]);
            }
            result.put("moving_average_windows", w);
            result.put("smoothing_alphas", a);
            Map<String, Object> mw = new LinkedHashMap<>();
            for (int j = 0; j < D; j++) {
                mw.put(columns.get(j), cmp.medianWindows()[j]);
            }
            result.put("moving_median_windows", mw);
            out.println(JSON.writeValueAsString(result));
            return 0;
        }
        out.printf(Locale.ROOT, "%s: %s rows [%d, %d) (%s cut), noise %s, seed %d; every method reads the noisy"
                        + " series causally from row 0%n", csv, part.equals("test") ? "test" : "validation", series.from(p),
                series.to(p), series.ltsf ? "LTSF 12/4/4 months" : "60/20/20%", noise.describe(), o.noiseSeed());
        table(out, columns, cmp.scores(), model);
        StringBuilder s = new StringBuilder("chosen on the validation rows: window");
        for (int j = 0; j < D; j++) {
            s.append(' ').append(columns.get(j)).append('=').append(cmp.windows()[j]);
        }
        s.append("; alpha");
        for (int j = 0; j < D; j++) {
            s.append(' ').append(columns.get(j)).append('=').append(cmp.alphas()[j]);
        }
        s.append("; median window");
        for (int j = 0; j < D; j++) {
            s.append(' ').append(columns.get(j)).append('=').append(cmp.medianWindows()[j]);
        }
        out.println(s);
        return 0;
    }

    /** The RMSE and MAE table, a line per method (errors per column in data units, RMSE over all in stds). */
    private static void table(PrintWriter out, List<String> columns, Map<String, SeriesDenoising.Score> scores, SeriesDenoiser model) {
        for (String what : List.of("RMSE", "MAE")) {
            StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-28s", what));
            for (String c : columns) {
                h.append(String.format(Locale.ROOT, " %9s", c.length() > 9 ? c.substring(0, 9) : c));
            }
            if (what.equals("RMSE")) {
                h.append(String.format(Locale.ROOT, " %9s", "all (std)"));
            }
            out.println(h);
            for (Map.Entry<String, SeriesDenoising.Score> e : scores.entrySet()) {
                String label = label(e.getKey(), model);
                StringBuilder l = new StringBuilder(String.format(Locale.ROOT, "%-28s",
                        label.length() > 28 ? label.substring(0, 28) : label));
                double[] v = what.equals("RMSE") ? e.getValue().rmse() : e.getValue().mae();
                for (double x : v) {
                    l.append(String.format(Locale.ROOT, " %9.4f", x));
                }
                if (what.equals("RMSE")) {
                    l.append(String.format(Locale.ROOT, " %9.4f", e.getValue().rmseStd()));
                }
                out.println(l);
            }
        }
    }

    /**
     * {@code --noise-draws N}: the comparison on N draws of the noise, seeds SEED to SEED + N - 1,
     * each with the baselines' settings chosen on that draw's validation rows; the mean errors over
     * the draws, and per column the draws in which the model's RMSE is below each baseline's.
     */
    private static int draws(Path csv, SeriesDenoising series, SeriesDenoiser model, Path modelFile,
                             SeriesDenoising.Part p, String part, SeriesNoise noise, SeriesDenoiseEvalOptions o,
                             boolean json, PrintWriter out) throws Exception {
        int D = series.width;
        List<String> columns = series.columnNames();
        int n = o.noiseDraws();
        Map<String, double[][]> sums = new LinkedHashMap<>();   // method -> {rmse, mae, {rmseStd}}
        Map<String, int[]> beaten = new LinkedHashMap<>();       // baseline -> per column, draws the model beat it
        int rows = 0;
        for (int k = 0; k < n; k++) {
            SeriesDenoising.Comparison cmp = series.compare(series.noisy(noise, o.noiseSeed() + k), model, p);
            for (Map.Entry<String, SeriesDenoising.Score> e : cmp.scores().entrySet()) {
                double[][] acc = sums.computeIfAbsent(e.getKey(), key -> new double[][] {new double[D], new double[D],
                    new double[1]});
                SeriesDenoising.Score sc = e.getValue();
                for (int j = 0; j < D; j++) {
                    acc[0][j] += sc.rmse()[j] / n;
                    acc[1][j] += sc.mae()[j] / n;
                }
                acc[2][0] += sc.rmseStd() / n;
                rows = sc.rowsScored();
                if (model != null && !e.getKey().equals("model") && !e.getKey().equals("noisy_input")) {
                    int[] b = beaten.computeIfAbsent(e.getKey(), key -> new int[D]);
                    for (int j = 0; j < D; j++) {
                        if (cmp.scores().get("model").rmse()[j] < sc.rmse()[j]) {
                            b[j]++;
                        }
                    }
                }
            }
        }
        Map<String, SeriesDenoising.Score> means = new LinkedHashMap<>();
        for (Map.Entry<String, double[][]> e : sums.entrySet()) {
            means.put(e.getKey(), new SeriesDenoising.Score(e.getValue()[0], e.getValue()[1], e.getValue()[2][0], rows));
        }
        if (json) {
            Map<String, Object> z = noiseJson(noise);
            z.put("seeds", List.of(o.noiseSeed(), o.noiseSeed() + n - 1));
            z.put("draws", n);
            Map<String, Object> result = header(csv, series, columns, part, p, z, model, modelFile);
            Map<String, Object> r = new LinkedHashMap<>();
            means.forEach((k, v) -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("mean_rmse", perColumn(columns, v.rmse()));
                e.put("mean_mae", perColumn(columns, v.mae()));
                e.put("mean_rmse_in_stds", round(v.rmseStd()));
                r.put(k, e);
            });
            result.put("results", r);
            if (model != null) {
                Map<String, Object> w = new LinkedHashMap<>();
                beaten.forEach((k, v) -> {
                    Map<String, Object> c = new LinkedHashMap<>();
                    for (int j = 0; j < D; j++) {
                        c.put(columns.get(j), v[j]);
                    }
                    w.put(k, c);
                });
                result.put("draws_model_ahead", w);
            }
            out.println(JSON.writeValueAsString(result));
            return 0;
        }
        out.printf(Locale.ROOT, "%s: %s rows [%d, %d) (%s cut), noise %s, %d draws (seeds %d to %d), the"
                        + " baselines' settings chosen on each draw's validation rows; means over the draws%n", csv,
                part.equals("test") ? "test" : "validation", series.from(p), series.to(p),
                series.ltsf ? "LTSF 12/4/4 months" : "60/20/20%", noise.describe(), n, o.noiseSeed(), o.noiseSeed() + n - 1);
        table(out, columns, means, model);
        if (model != null) {
            StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-28s", "draws the model is ahead of"));
            for (String c : columns) {
                h.append(String.format(Locale.ROOT, " %9s", c.length() > 9 ? c.substring(0, 9) : c));
            }
            out.println(h);
            beaten.forEach((k, v) -> {
                StringBuilder l = new StringBuilder(String.format(Locale.ROOT, "%-28s", label(k, model)));
                for (int j = 0; j < D; j++) {
                    l.append(String.format(Locale.ROOT, " %9s", v[j] + "/" + n));
                }
                out.println(l);
            });
        }
        return 0;
    }

    /** What every JSON result starts with: the data, the rows scored, the noise, the model. */
    private static Map<String, Object> header(Path csv, SeriesDenoising series, List<String> columns, String part,
                                              SeriesDenoising.Part p, Map<String, Object> noise, SeriesDenoiser model,
                                              Path modelFile) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("task", "series-denoise");
        out.put("data", csv.toString());
        out.put("columns", columns);
        out.put("part", part);
        out.put("cut", series.ltsf ? "ltsf" : "60/20/20");
        out.put("rows", List.of(series.from(p), series.to(p)));
        out.put("noise", noise);
        out.put("column_std", perColumn(columns, toDouble(series.std)));
        if (model != null) {
            out.put("model", Map.of("file", modelFile.toString(), "name", model.spec().name));
        }
        return out;
    }

    private static Map<String, Object> noiseJson(SeriesNoise noise) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("model", noise.model);
        n.put("sigma", noise.sigma);
        n.put("amount", noise.amount);
        return n;
    }

    private static String label(String method, SeriesDenoiser model) {
        return switch (method) {
            case "model" -> "model " + model.spec().name;
            case "noisy_input" -> "noisy input";
            case "moving_average" -> "moving average (best w)";
            case "moving_median" -> "moving median (best w)";
            default -> "exp. smoothing (best alpha)";
        };
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static Map<String, Object> perColumn(List<String> columns, double[] v) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int j = 0; j < columns.size(); j++) {
            m.put(columns.get(j), round(v[j]));
        }
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }
}
