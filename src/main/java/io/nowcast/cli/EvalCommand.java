package io.nowcast.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nowcast.eval.Baselines;
import io.nowcast.eval.ForecasterTrajectories;
import io.nowcast.eval.TrajectoryScore;
import io.nowcast.eval.TrajectoryWindows;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import picocli.CommandLine.Command;
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
                "velocity and a least-squares line through the 8 observed positions."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--task", required = true, description = "trajectory")
    String task;

    @Option(names = "--model", description = "model file (.safetensors); without it only the baselines are scored")
    Path model;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "PATH",
            description = "trajectory: files or directories of .txt files (e.g. test/eth/), scored together")
    List<Path> data;

    @Option(names = "--json", description = "print the results as one JSON object")
    boolean json;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() throws Exception {
        if (!"trajectory".equals(task)) {
            throw new IllegalArgumentException("--task " + task + ": expected trajectory");
        }
        return trajectory();
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
        return Math.round(v * 1e4) / 1e4;
    }
}
