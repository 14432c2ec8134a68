package io.nowcast.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nowcast.eval.Baselines;
import io.nowcast.eval.ForecasterTrajectories;
import io.nowcast.eval.ForecasterWindows;
import io.nowcast.eval.LtsfSplit;
import io.nowcast.eval.SeriesBaselines;
import io.nowcast.eval.WindowScore;
import io.nowcast.eval.TrajectoryScore;
import io.nowcast.eval.TrajectoryWindows;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score a model on a published benchmark protocol, next to the honest",
                "baselines on exactly the same windows.",
                "--task trajectory: ETH/UCY files (frame ped x y); windows of 8 observed",
                "and 12 predicted steps of one person, kept when at least 2 people are",
                "tracked through all 20; ADE and FDE in metres of the model, constant",
                "velocity and a least-squares line through the 8 observed positions.",
                "--task forecast: one column of an hourly CSV (ETTh1.csv, OT) split",
                "12/4/4 months as in the LTSF benchmarks; every test window of --input-length",
                "values then --horizon; MSE and MAE on values standardised with the training",
                "rows' statistics, of the model, the last value and a least-squares linear",
                "map from the inputs to the horizon fitted on the training windows.",
                "--task series-denoise: a series denoiser on the columns of a CSV with seeded",
                "noise added, next to the noisy input, the best moving average, exponential",
                "smoothing and moving median (chosen on the validation rows); RMSE and MAE per column.",
                "--task denoise: the images of a folder plus seeded Gaussian noise of sd",
                "--sigma (0-255 scale, default 25), fed unclipped; PSNR and SSIM of the",
                "noisy input, the Gaussian blur and the median filter at their best",
                "setting on the set, and the frame denoiser.",
                "--task superres: HR = each image cropped to a multiple of --scale, LR",
                "its bicubic downscale; PSNR and SSIM (--scale border pixels cropped)",
                "of bicubic upscaling and the super-resolver.",
                "--task video-denoise: the frames of one stream (a folder, or",
                "synthetic:moving-shapes) with the same noise; the filters, a recurrent",
                "model and --baseline-model (the same network without state)."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--task", required = true,
            description = "trajectory, forecast, series-denoise, denoise, superres or video-denoise")
    String task;

    @Option(names = "--model", description = "model file (.safetensors); without it only the baselines are scored")
    Path model;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "PATH",
            description = "trajectory: files or directories of .txt files (e.g. test/eth/), scored together;"
                    + " forecast: one CSV with a header; denoise, superres: folders of images (or image files);"
                    + " video-denoise: a folder of frames or synthetic:moving-shapes")
    List<Path> data;

    @Option(names = "--column", defaultValue = "OT", description = "forecast: the column predicted (default: ${DEFAULT-VALUE})")
    String column;

    @Option(names = "--input-length", defaultValue = "96",
            description = "forecast: values read before predicting (default: ${DEFAULT-VALUE})")
    int inputLength;

    @Option(names = "--horizon", defaultValue = "96", description = "forecast: values predicted (default: ${DEFAULT-VALUE})")
    int horizon;

    @Option(names = "--part", defaultValue = "test", paramLabel = "val|test",
            description = "forecast: the months scored, the 4 validation or the 4 test ones (default: ${DEFAULT-VALUE})")
    String part;

    @Option(names = "--json", description = "print the results as one JSON object")
    boolean json;

    @Mixin
    SeriesDenoiseEval.Options seriesDenoise = new SeriesDenoiseEval.Options();

    @Mixin
    FrameEval.Options frames = new FrameEval.Options();

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() throws Exception {
        switch (task) {
            case "trajectory":
                SeriesDenoiseEval.refuseOptions(seriesDenoise, task);
                FrameEval.refuseOptions(frames, task);
                return trajectory();
            case "forecast":
                SeriesDenoiseEval.refuseOptions(seriesDenoise, task);
                FrameEval.refuseOptions(frames, task);
                return forecast();
            case "series-denoise":
                FrameEval.refuseOptions(frames, task);
                return SeriesDenoiseEval.run(model, data, part, json, seriesDenoise);
            case "denoise":
            case "superres":
            case "video-denoise":
                if (!column.equals("OT") || inputLength != 96 || horizon != 96 || !part.equals("test")) {
                    throw new IllegalArgumentException("--column, --input-length, --horizon and --part are for --task"
                            + " forecast (and --part for series-denoise), not " + task);
                }
                return FrameEval.run(task, model, data, json, seriesDenoise, frames);
            default:
                throw new IllegalArgumentException("--task " + task + ": expected trajectory, forecast, series-denoise,"
                        + " denoise, superres or video-denoise");
        }
    }

    private int forecast() throws Exception {
        if (data.size() != 1) {
            throw new IllegalArgumentException("--task forecast reads one CSV file; --data names " + data.size());
        }
        Path csv = data.get(0);
        LtsfSplit split = LtsfSplit.read(csv, column, inputLength, horizon);
        LtsfSplit.Part part = switch (this.part) {
            case "test" -> LtsfSplit.Part.TEST;
            case "val" -> LtsfSplit.Part.VAL;
            default -> throw new IllegalArgumentException("--part " + this.part + ": expected val or test");
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
            o.put("task", task);
            o.put("data", csv.toString());
            o.put("column", column);
            o.put("input_length", inputLength);
            o.put("horizon", horizon);
            o.put("part", this.part);
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
            System.out.println(JSON.writeValueAsString(o));
            return 0;
        }
        System.out.printf(Locale.ROOT, "%s, column %s: %s rows [%d, %d), %d windows of %d input + %d predicted values;"
                        + " standardised with the training rows' mean %.4f and std %.4f%n", csv, column,
                part == LtsfSplit.Part.TEST ? "test" : "validation", split.from(part),
                split.to(part), windows, inputLength, horizon, split.mean, split.std);
        System.out.printf(Locale.ROOT, "%-34s %8s %8s%n", "method", "MSE", "MAE");
        for (Map.Entry<String, WindowScore> e : rows.entrySet()) {
            String label = switch (e.getKey()) {
                case "model" -> "model " + modelName;
                case "last_value" -> "last value";
                default -> "least-squares linear " + inputLength + "->" + horizon;
            };
            System.out.printf(Locale.ROOT, "%-34s %8.4f %8.4f%n", label, e.getValue().mse(), e.getValue().mae());
        }
        return 0;
    }

    private int trajectory() throws Exception {
        List<TrajectoryWindows.Window> windows = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (Path p : data) {
            for (Path f : TrajectoryWindows.files(p)) {
                files.add(f.toString());
                windows.addAll(TrajectoryWindows.of(io.nowcast.data.TrajectoryFile.read(f)));
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
            o.put("task", task);
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
            System.out.println(JSON.writeValueAsString(o));
            return 0;
        }
        System.out.printf(Locale.ROOT, "%s: %d file(s), %d windows (%d observed + %d predicted steps, >= %d people"
                        + " tracked through each)%n", String.join(" ", data.stream().map(Path::toString).toList()),
                files.size(), windows.size(), obs, TrajectoryWindows.PREDICTED, TrajectoryWindows.MIN_PEOPLE);
        System.out.printf(Locale.ROOT, "%-34s %8s %8s%n", "method", "ADE (m)", "FDE (m)");
        for (Map.Entry<String, TrajectoryScore> e : rows.entrySet()) {
            String label = switch (e.getKey()) {
                case "model" -> "model " + modelName;
                case "constant_velocity" -> "constant velocity";
                default -> "linear (least squares, 8 obs.)";
            };
            System.out.printf(Locale.ROOT, "%-34s %8.3f %8.3f%n", label, e.getValue().ade(), e.getValue().fde());
        }
        return 0;
    }

    private static double round(double v) {
        return Math.round(v * 1e5) / 1e5;
    }
}
