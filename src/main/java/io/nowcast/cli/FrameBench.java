package io.nowcast.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.nn.Activation;
import io.nowcast.nn.Conv2d;
import io.nowcast.nn.Layer;
import io.nowcast.nn.Nchw;
import io.nowcast.nn.Residual;
import io.nowcast.nn.Sequential;
import io.nowcast.tensor.BlasGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nowcast bench frames}: frames per second of a convolutional frame denoiser, for each
 * frame side and batch asked (default 64x64 and 256x256, batch 1 and 16). Each line: a warm-up,
 * then several timed rounds of whole calls; the mean over all rounds, the best and the worst
 * round are printed, so that a busy machine shows as spread rather than as a single number.
 */
@Command(name = "frames", mixinStandardHelpOptions = true,
        description = "Frame denoiser throughput: frames per second at each side and batch, a table or --json.")
final class FrameBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BenchCommand.Common common = new BenchCommand.Common();

    @Option(names = "--layers", defaultValue = "8",
            description = "Convolutions of the DnCNN-shaped network (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--channels", defaultValue = "32", description = "Channels of its hidden layers (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--side", split = ",", defaultValue = "64,256",
            description = "Frame sides, comma-separated (default: ${DEFAULT-VALUE}).")
    int[] sides;

    @Option(names = "--batch", split = ",", defaultValue = "1,16",
            description = "Frames per call, comma-separated (default: ${DEFAULT-VALUE}).")
    int[] batches;

    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds per line (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--gemm", description = "ejml or blas (default: the fastest available).")
    String gemmName;

    @Option(names = "--seed", defaultValue = "1", description = "Weight and frame seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "One JSON line per measurement instead of the table.")
    boolean json;

    /** One measured line. */
    record Line(int side, int batch, long calls, double seconds, double fps, double bestFps, double worstFps) {
    }

    /**
     * The DnCNN shape with zero-padded 3x3 convolutions: 1 -> C, ReLU, (L-2) x (C -> C, ReLU), C -> 1,
     * added to the input (the network predicts the noise's negative). Weights seeded, PyTorch's
     * default initialisation: the speed does not depend on their values.
     */
    static Layer dncnn(int layers, int channels, Gemm gemm, Rng rng) {
        if (layers < 2 || channels < 1) {
            throw new IllegalArgumentException("--layers " + layers + " --channels " + channels
                    + ": expected at least 2 layers and 1 channel");
        }
        List<Layer> body = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? 1 : channels;
            int out = l == layers - 1 ? 1 : channels;
            body.add(new Conv2d("body." + (2 * l), in, out, 3, 1, 1, gemm).initUniform(rng));
            if (l < layers - 1) {
                body.add(Activation.relu());
            }
        }
        return new Residual(new Sequential(body));
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds " + rounds + ": expected at least 1");
        }
        Gemm gemm = BenchCommand.backend(gemmName);
        int rc = BenchCommand.pinBlasThreads(spec, common, gemm instanceof BlasGemm && ((BlasGemm) gemm).isNative());
        if (rc >= 0) {
            return rc;
        }
        PrintWriter out = spec.commandLine().getOut();
        Layer net = dncnn(layers, channels, gemm, new Rng(seed));
        String model = "DnCNN-shaped " + layers + "x" + channels + " (seeded random weights)";
        double flopsPerPixel = 2.0 * 9 * (2 * channels + (layers - 2) * (double) channels * channels);
        if (!json) {
            out.printf(Locale.ROOT, "%s, gemm %s, %d thread(s); %.1f s warm-up, %d rounds over about %.1f s per line%n",
                    model, gemm.name(), BenchCommand.threadsOf(gemm), common.warmup, rounds, common.seconds);
            out.printf(Locale.ROOT, "%-9s %6s %11s %11s %11s %9s %8s%n", "frame", "batch", "frames/s", "best round",
                    "worst round", "ms/call", "GFLOP/s");
            out.flush();
        }
        for (int side : sides) {
            for (int n : batches) {
                Nchw shape = new Nchw(n, 1, side, side);
                float[] x = new float[n * side * side];
                new Rng(seed + 1).uniform(x, 0.5f);
                for (int i = 0; i < x.length; i++) {
                    x[i] += 0.5f;
                }
                Line line = measure(() -> net.forward(x, shape), side, n);
                double gflops = line.fps * side * side * flopsPerPixel / 1e9;
                if (json) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("bench", "frames");
                    o.put("model", model);
                    o.put("layers", layers);
                    o.put("channels", channels);
                    o.put("side", side);
                    o.put("batch", n);
                    o.put("gemm", gemm.name());
                    o.put("threads", BenchCommand.threadsOf(gemm));
                    o.put("frames_per_s", round(line.fps));
                    o.put("best_round_frames_per_s", round(line.bestFps));
                    o.put("worst_round_frames_per_s", round(line.worstFps));
                    o.put("ms_per_call", round(1e3 * n / line.fps));
                    o.put("gflops", round(gflops));
                    o.put("calls", line.calls);
                    o.put("rounds", rounds);
                    out.println(new ObjectMapper().writeValueAsString(o));
                } else {
                    out.printf(Locale.ROOT, "%-9s %6d %11.2f %11.2f %11.2f %9.2f %8.2f%n", side + "x" + side, n, line.fps,
                            line.bestFps, line.worstFps, 1e3 * n / line.fps, gflops);
                }
                out.flush();
            }
        }
        return 0;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /**
     * Warm-up: calls for {@code common.warmup} seconds (at least 2 calls); then {@code rounds}
     * rounds of whole calls, each at least one call and about seconds / rounds long.
     */
    private Line measure(Runnable call, int side, int n) {
        long w0 = System.nanoTime();
        long wEnd = w0 + (long) (common.warmup * 1e9);
        int warm = 0;
        do {
            call.run();
            warm++;
        } while (System.nanoTime() < wEnd || warm < 2);
        double roundNs = common.seconds * 1e9 / rounds;
        long calls = 0;
        double total = 0;
        double best = 0;
        double worst = Double.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
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
        return new Line(side, n, calls, total, calls * n / total, best, worst);
    }
}
