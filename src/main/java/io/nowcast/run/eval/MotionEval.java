package io.nowcast.run.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nowcast.eval.motion.ForecasterMotion;
import io.nowcast.eval.motion.MotionBaselines;
import io.nowcast.eval.motion.MotionBenchmark;
import io.nowcast.eval.motion.MotionPredictor;
import io.nowcast.eval.motion.MotionProtocol;
import io.nowcast.eval.motion.MotionScore;
import io.nowcast.eval.motion.MotionSequences;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code nowcast eval --task motion}: the short-term motion protocol (50 observed frames, 10
 * predicted at 25 Hz, the Euler-angle error at 80, 160, 320 and 400 ms) on the CMU subset or
 * Human3.6M, of zero velocity, constant velocity and a forecaster, action by action and averaged
 * over the actions, as tables or one JSON object.
 */
public final class MotionEval {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The name of the row that averages the actions. */
    public static final String AVERAGE = "average";

    private MotionEval() {
    }

    /** A benchmark's folder and format, as found from --data and --format. */
    public record Source(Path root, String format) {
        /**
         * {@code data}: the CMU folder (train/ and test/), its test/ folder (train/ beside it) or
         * the Human3.6M folder of subjects S1..S11; {@code format} cmu, h36m or null to tell by
         * the folders.
         */
        public static Source of(Path data, String format) throws IOException {
            if (!Files.isDirectory(data)) {
                throw new IOException(data + ": no such directory (expected the CMU folder with train/ and test/, its"
                        + " test/ folder, or the Human3.6M folder of subjects S1..S11)");
            }
            boolean cmuRoot = Files.isDirectory(data.resolve("train")) && Files.isDirectory(data.resolve("test"));
            Path parent = data.toAbsolutePath().normalize().getParent();
            boolean cmuTest = !cmuRoot && data.toAbsolutePath().normalize().getFileName() != null
                    && data.toAbsolutePath().normalize().getFileName().toString().equals("test")
                    && parent != null && Files.isDirectory(parent.resolve("train"));
            boolean h36m;
            try (Stream<Path> s = Files.list(data)) {
                h36m = s.anyMatch(p -> Files.isDirectory(p) && p.getFileName().toString().matches("S\\d+"));
            }
            String f = format != null ? format : cmuRoot || cmuTest ? "cmu" : h36m ? "h36m" : null;
            if (f == null) {
                throw new IOException(data + ": neither a CMU folder (train/ and test/, or test/ with train/ beside it)"
                        + " nor a Human3.6M folder (S1..S11); say which with --format cmu|h36m");
            }
            return switch (f) {
                case "cmu" -> {
                    if (!cmuRoot && !cmuTest) {
                        throw new IOException(data + ": a CMU folder holds train/ and test/ (or is test/ with train/"
                                + " beside it, for the training statistics)");
                    }
                    yield new Source(cmuRoot ? data : parent, "cmu");
                }
                case "h36m" -> new Source(data, "h36m");
                default -> throw new IllegalArgumentException("--format " + f + ": expected cmu or h36m");
            };
        }

        public MotionBenchmark benchmark() throws IOException {
            return format.equals("cmu") ? MotionBenchmark.cmu(root) : MotionBenchmark.h36m(root);
        }
    }

    /** The scores of one predictor, each action then the average over the actions. */
    public static Map<String, MotionScore> scores(MotionBenchmark b, MotionPredictor p) {
        Map<String, MotionScore> s = new LinkedHashMap<>(b.score(p));
        s.put(AVERAGE, MotionScore.average(AVERAGE, s));
        return s;
    }

    /** A forecaster (loaded from {@code file}) as a predictor in data units on the benchmark (its statistics, its used dimensions). */
    public static MotionPredictor model(Path file, Model m, MotionBenchmark b) {
        if (!(m instanceof Forecaster f)) {
            throw new IllegalArgumentException(file + ": a motion model is a forecaster; this file holds a "
                    + m.spec().kind.id + " model");
        }
        return MotionPredictor.normalised(b.stats(), new ForecasterMotion(f, MotionSequences.features(b.stats())));
    }

    public static int run(Path model, List<Path> data, String format, boolean json, PrintWriter out) throws Exception {
        if (data.size() != 1) {
            throw new IllegalArgumentException("--task motion reads one folder; --data names " + data.size());
        }
        Source src = Source.of(data.get(0), format);
        MotionBenchmark b = src.benchmark();
        MotionProtocol p = b.protocol();
        Map<String, Map<String, MotionScore>> rows = new LinkedHashMap<>();
        String modelName = null;
        if (model != null) {
            Model m = ModelFiles.load(model);
            modelName = m.spec().name;
            rows.put("model", scores(b, model(model, m, b)));
        }
        rows.put("zero_velocity", scores(b, MotionBaselines.zeroVelocity()));
        rows.put("constant_velocity", scores(b, MotionBaselines.constantVelocity()));
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("task", "motion");
            o.put("data", src.root().toString());
            o.put("format", src.format());
            o.put("observed", p.observed());
            o.put("predicted", p.predicted());
            o.put("rate_hz", p.format().protocolRateHz());
            o.put("horizons_ms", p.horizonsMs());
            o.put("used_dimensions", b.stats().used.length);
            Map<String, Object> w = new LinkedHashMap<>();
            b.windows().forEach((k, v) -> w.put(k, v.size()));
            o.put("windows", w);
            if (model != null) {
                o.put("model", Map.of("file", model.toString(), "name", modelName));
            }
            Map<String, Object> r = new LinkedHashMap<>();
            rows.forEach((method, scores) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                scores.forEach((action, s) -> {
                    Map<String, Object> ms = new LinkedHashMap<>();
                    for (int h : p.horizonsMs()) {
                        ms.put(Integer.toString(h), round(s.atMs(p, h)));
                    }
                    m.put(action, ms);
                });
                r.put(method, m);
            });
            o.put("results", r);
            out.println(JSON.writeValueAsString(o));
            return 0;
        }
        int windows = b.windows().values().stream().mapToInt(List::size).sum();
        out.printf(Locale.ROOT, "%s (%s): %d actions, %d test windows of %d observed + %d predicted frames at %.0f Hz;"
                        + " Euler-angle error (radians), %d used dimensions of %d%n", src.root(), src.format(),
                b.windows().size(), windows, p.observed(), p.predicted(), p.format().protocolRateHz(),
                b.stats().used.length, b.stats().dim);
        for (Map.Entry<String, Map<String, MotionScore>> e : rows.entrySet()) {
            String label = switch (e.getKey()) {
                case "model" -> "model " + modelName;
                case "zero_velocity" -> "zero velocity";
                default -> "constant velocity";
            };
            out.println();
            out.println(label);
            out.println(MotionScore.table(p, e.getValue()).stripTrailing());
        }
        return 0;
    }

    private static double round(double v) {
        return Math.round(v * 1e5) / 1e5;
    }
}
