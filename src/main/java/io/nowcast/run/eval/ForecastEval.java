package io.nowcast.run.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nowcast.data.TrajectoryFile;
import io.nowcast.eval.Baselines;
import io.nowcast.eval.ForecasterTrajectories;
import io.nowcast.eval.ForecasterWindows;
import io.nowcast.eval.LtsfSplit;
import io.nowcast.eval.SeriesBaselines;
import io.nowcast.eval.TrajectoryScore;
import io.nowcast.eval.TrajectoryWindows;
import io.nowcast.eval.WindowScore;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nowcast eval --task trajectory|forecast}: a forecaster on a published benchmark
 * protocol next to the honest baselines on exactly the same windows, as a table or one JSON
 * object.
 */
public final class ForecastEval {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ForecastEval() {
    }

    /**
     * --task forecast: one column of an hourly CSV cut 12/4/4 months as the LTSF benchmarks cut
     * ETTh1; every window of the part, MSE and MAE of the model, the last value and the
     * least-squares linear map.
     */
    public static int forecast(Path model, List<Path> data, String column, int inputLength, int horizon, String partName,
                               boolean json, PrintWriter out) throws Exception {
        if (data.size() != 1) {
            throw new IllegalArgumentException("--task forecast reads one CSV file; --data names " + data.size());
        }
        Path csv = data.get(0);
        LtsfSplit split = LtsfSplit.read(csv, column, inputLength, horizon);
        LtsfSplit.Part part = switch (partName) {
            case "test" -> LtsfSplit.Part.TEST;
            case "val" -> LtsfSplit.Part.VAL;
            default -> throw new IllegalArgumentException("--part " + partName + ": expected val or test");
        };
        Map<String, WindowScore> rows = new LinkedHashMap<>();
        String modelName = null;
        if (model != null) {
            Model m = ModelFiles.load(model);
            if (!(m instanceof Forecaster f)) {
                throw new IllegalArgumentException(model + ": a forecast model is a forecaster; this file holds a "
                        + m.spec().kind.id + " model");
            }
            modelName = m.spec().name;
            rows.put("model", WindowScore.of(split, part, new ForecasterWindows(f, column, horizon)));
        }
        rows.put("last_value", WindowScore.of(split, part, SeriesBaselines.lastValue()));
        rows.put("least_squares", WindowScore.of(split, part, SeriesBaselines.leastSquares(split)));
        int windows = split.windows(part);
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("task", "forecast");
            o.put("data", csv.toString());
            o.put("column", column);
            o.put("input_length", inputLength);
            o.put("horizon", horizon);
            o.put("part", partName);
            o.put("rows", List.of(split.from(part), split.to(part)));
            o.put("windows", windows);
            o.put("train_mean", split.mean);
            o.put("train_std", split.std);
            if (model != null) {
                o.put("model", Map.of("file", model.toString(), "name", modelName));
            }
            Map<String, Object> r = new LinkedHashMap<>();
            rows.forEach((k, v) -> r.put(k, Map.of("mse", round(v.mse()), "mae", round(v.mae()))));
            o.put("results", r);
            out.println(JSON.writeValueAsString(o));
            return 0;
        }
        out.printf(Locale.ROOT, "%s, column %s: %s rows [%d, %d), %d windows of %d input + %d predicted values;"
                        + " standardised with the training rows' mean %.4f and std %.4f%n", csv, column,
                part == LtsfSplit.Part.TEST ? "test" : "validation", split.from(part),
                split.to(part), windows, inputLength, horizon, split.mean, split.std);
        out.printf(Locale.ROOT, "%-34s %8s %8s%n", "method", "MSE", "MAE");
        for (Map.Entry<String, WindowScore> e : rows.entrySet()) {
            String label = switch (e.getKey()) {
                case "model" -> "model " + modelName;
                case "last_value" -> "last value";
                default -> "least-squares linear " + inputLength + "->" + horizon;
            };
            out.printf(Locale.ROOT, "%-34s %8.4f %8.4f%n", label, e.getValue().mse(), e.getValue().mae());
        }
        return 0;
    }

    /**
     * --task trajectory: the ETH/UCY windows of the files, ADE and FDE of the model, constant
     * velocity and the least-squares line.
     */
    public static int trajectory(Path model, List<Path> data, boolean json, PrintWriter out) throws Exception {
        List<TrajectoryWindows.Window> windows = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (Path p : data) {
            for (Path f : TrajectoryWindows.files(p)) {
                files.add(f.toString());
                windows.addAll(TrajectoryWindows.of(TrajectoryFile.read(f)));
            }
        }
        if (windows.isEmpty()) {
            throw new IllegalArgumentException(data + ": no window of " + (TrajectoryWindows.OBSERVED
                    + TrajectoryWindows.PREDICTED) + " steps with at least " + TrajectoryWindows.MIN_PEOPLE
                    + " people tracked throughout");
        }
        int obs = TrajectoryWindows.OBSERVED;
        Map<String, TrajectoryScore> rows = new LinkedHashMap<>();
        String modelName = null;
        if (model != null) {
            Model m = ModelFiles.load(model);
            if (!(m instanceof Forecaster f)) {
                throw new IllegalArgumentException(model + ": a trajectory model is a forecaster; this file holds a "
                        + m.spec().kind.id + " model");
            }
            modelName = m.spec().name;
            rows.put("model", TrajectoryScore.of(windows, obs, new ForecasterTrajectories(f)));
        }
        rows.put("constant_velocity", TrajectoryScore.of(windows, obs, Baselines.constantVelocity()));
        rows.put("linear", TrajectoryScore.of(windows, obs, Baselines.linear()));
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("task", "trajectory");
            o.put("data", files);
            o.put("windows", windows.size());
            o.put("observed", obs);
            o.put("predicted", TrajectoryWindows.PREDICTED);
            o.put("min_people", TrajectoryWindows.MIN_PEOPLE);
            if (model != null) {
                o.put("model", Map.of("file", model.toString(), "name", modelName));
            }
            Map<String, Object> r = new LinkedHashMap<>();
            rows.forEach((k, s) -> r.put(k, Map.of("ade", round(s.ade()), "fde", round(s.fde()))));
            o.put("results", r);
            out.println(JSON.writeValueAsString(o));
            return 0;
        }
        out.printf(Locale.ROOT, "%s: %d file(s), %d windows (%d observed + %d predicted steps, >= %d people"
                        + " tracked through each)%n", String.join(" ", data.stream().map(Path::toString).toList()),
                files.size(), windows.size(), obs, TrajectoryWindows.PREDICTED, TrajectoryWindows.MIN_PEOPLE);
        out.printf(Locale.ROOT, "%-34s %8s %8s%n", "method", "ADE (m)", "FDE (m)");
        for (Map.Entry<String, TrajectoryScore> e : rows.entrySet()) {
            String label = switch (e.getKey()) {
                case "model" -> "model " + modelName;
                case "constant_velocity" -> "constant velocity";
                default -> "linear (least squares, 8 obs.)";
            };
            out.printf(Locale.ROOT, "%-34s %8.3f %8.3f%n", label, e.getValue().ade(), e.getValue().fde());
        }
        return 0;
    }

    private static double round(double v) {
        return Math.round(v * 1e5) / 1e5;
    }
}
