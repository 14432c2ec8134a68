package io.nowcast.run.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameModels;
import io.nowcast.model.FrameSpec;
import io.nowcast.run.BlasThreads;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Rng;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nowcast bench frames}: frames per second of a frame model's {@link FrameModel#apply}
 * (what the processor calls), for each frame side and batch asked (default 64x64 and 256x256,
 * batch 1 and 16): the model of {@code --model}, else a seeded random frame denoiser of
 * {@code --layers} x {@code --channels}, else the bundled camera denoiser when present, else a
 * random 8 x 32 (speed does not depend on the weights). Each line: a warm-up, then several timed
 * rounds of whole calls; the mean over all rounds, the best and the worst round are printed, so
 * that a busy machine shows as spread rather than as a single number.
 */
public final class FrameBench {
    /** Measured when neither --model nor --layers/--channels is given and the file exists. */
    static final Path DEFAULT_MODEL = Path.of("models", "camera-denoiser.safetensors");

    private final FrameBenchOptions options;

    /** How the measured model was chosen (its file, or the seed of its random weights). */
    private String source;

    /** One measured line: calls made, frames per second over all rounds, in the best and the worst. */
    record Line(long calls, double fps, double bestFps, double worstFps) {
    }

    /** The model measured. */
    private FrameModel model(Gemm gemm) throws Exception {
        if (options.model() != null && (options.layers() != null || options.channels() != null)) {
            throw new IllegalArgumentException("--layers and --channels build a random model: not with --model "
                    + options.model());
        }
        Path file = options.model();
        if (file == null && options.layers() == null && options.channels() == null && Files.isRegularFile(DEFAULT_MODEL)) {
            file = DEFAULT_MODEL;
        }
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--model " + file + ": no such file");
            }
            source = file.toString();
            return FrameModels.load(file, gemm);
        }
        int l = options.layers() != null ? options.layers() : 8;
        int c = options.channels() != null ? options.channels() : 32;
        FrameSpec spec = FrameSpec.denoiser(l, c, false);
        String problem = spec.problem();
        if (problem != null) {
            throw new IllegalArgumentException("--layers " + l + " --channels " + c + ": " + problem);
        }
        source = "random weights, seed " + options.seed();
        return FrameDenoiser.random(spec, options.seed(), gemm);
    }

    /** The benchmark of these options, refused when they do not make one. */
    public FrameBench(FrameBenchOptions o) {
        if (o.rounds() < 1) {
            throw new IllegalArgumentException("--rounds " + o.rounds() + ": expected at least 1");
        }
        options = o;
    }

    /** Measures every side and batch with {@code gemm}, a table or JSON lines to {@code out}. */
    public void run(Gemm gemm, PrintWriter out) throws Exception {
        FrameModel m = model(gemm);
        FrameSpec fs = m.spec();
        String model = String.format(Locale.ROOT, "%s %s %dx%d%s, x%d (%s)", fs.kind.id, fs.name, fs.layers, fs.channels,
                m.recurrent() ? " recurrent" : "", m.scale(), source);
        // multiply-adds per input pixel of the DnCNN-shaped body (k x k kernels, in -> C -> ... -> C -> 1)
        double kk = (double) fs.kernel * fs.kernel;
        double flopsPerPixel = m.scale() == 1
                ? 2.0 * kk * (fs.inChannels * fs.channels + (fs.layers - 2) * (double) fs.channels * fs.channels
                        + fs.channels)
                : Double.NaN;
        if (!options.json()) {
            out.printf(Locale.ROOT, "%s, gemm %s, %d thread(s); %.1f s warm-up, %d rounds over about %.1f s per line%n",
                    model, gemm.name(), BlasThreads.threadsOf(gemm), options.warmup(), options.rounds(),
                    options.seconds());
            out.printf(Locale.ROOT, "%-9s %6s %11s %11s %11s %9s %8s%n", "frame", "batch", "frames/s", "best round",
                    "worst round", "ms/call", "GFLOP/s");
            out.flush();
        }
        for (int side : options.sides()) {
            for (int n : options.batches()) {
                float[] x = new float[n * side * side];
                new Rng(options.seed() + 1).uniform(x, 0.5f);
                for (int i = 0; i < x.length; i++) {
                    x[i] += 0.5f;
                }
                float[] y = new float[n * side * side * m.scale() * m.scale()];
                float[] prev = m.recurrent() ? x : null;
                Line line = measure(() -> m.apply(x, n, side, side, prev, y), n);
                double gflops = line.fps * side * side * flopsPerPixel / 1e9;
                if (options.json()) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("bench", "frames");
                    o.put("model", model);
                    o.put("layers", fs.layers);
                    o.put("channels", fs.channels);
                    o.put("recurrent", m.recurrent());
                    o.put("scale", m.scale());
                    o.put("side", side);
                    o.put("batch", n);
                    o.put("gemm", gemm.name());
                    o.put("threads", BlasThreads.threadsOf(gemm));
                    o.put("frames_per_s", round(line.fps));
                    o.put("best_round_frames_per_s", round(line.bestFps));
                    o.put("worst_round_frames_per_s", round(line.worstFps));
                    o.put("ms_per_call", round(1e3 * n / line.fps));
                    if (!Double.isNaN(gflops)) {
                        o.put("gflops", round(gflops));
                    }
                    o.put("calls", line.calls);
                    o.put("rounds", options.rounds());
                    out.println(new ObjectMapper().writeValueAsString(o));
                } else {
                    out.printf(Locale.ROOT, "%-9s %6d %11.2f %11.2f %11.2f %9.2f %8.2f%n", side + "x" + side, n, line.fps,
                            line.bestFps, line.worstFps, 1e3 * n / line.fps, gflops);
                }
                out.flush();
            }
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /**
     * Warm-up: calls for {@code warmup} seconds (at least 2 calls); then {@code rounds}
     * rounds of whole calls, each at least one call and about seconds / rounds long.
     */
    private Line measure(Runnable call, int n) {
        long w0 = System.nanoTime();
        long wEnd = w0 + (long) (options.warmup() * 1e9);
        int warm = 0;
        do {
            call.run();
            warm++;
        } while (System.nanoTime() < wEnd || warm < 2);
        double roundNs = options.seconds() * 1e9 / options.rounds();
        long calls = 0;
        double total = 0;
        double best = 0;
        double worst = Double.MAX_VALUE;
        for (int r = 0; r < options.rounds(); r++) {
            long t0 = System.nanoTime();
            long c = 0;
            long now;
            do {
                call.run();
                c++;
                now = System.nanoTime();
            } while (now - t0 < roundNs);
            double s = (now - t0) / 1e9;
            double fps = c * n / s;
            best = Math.max(best, fps);
            worst = Math.min(worst, fps);
            calls += c;
            total += s;
        }
        return new Line(calls, calls * n / total, best, worst);
    }
}
