package io.nowcast.cli;

import io.nowcast.nn.CellType;
import io.nowcast.nn.GemmStep;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.BlasGemm;
import io.nowcast.tensor.CpuFeatures;
import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import io.nowcast.run.BlasThreads;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code nowcast bench}: throughput of the streaming step and of the matrix-product backends, one
 * JSON line per measurement, in the same form as the ONNX Runtime anchor so the two can be run
 * side by side and compared as ratios.
 *
 * <p>Single-threaded by default: with a native BLAS the command re-runs itself in a child JVM with
 * {@code OPENBLAS_NUM_THREADS} set to {@code --blas-threads} (OpenBLAS reads it once, at load time,
 * and cannot be told later through netlib). The thread count the measuring JVM saw is printed as
 * {@code "threads"}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: the recurrent step (cell), the matrix product (gemm) and the stream processor "
                + "through Kafka (kafka), and a frame denoiser (frames, a table or JSON lines).",
        subcommands = {BenchCommand.CellBench.class, BenchCommand.GemmBench.class, KafkaBenchCommand.class, FrameBenchCommand.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options shared by the benchmarks. */
    static final class Common {
        @Option(names = "--seconds", defaultValue = "3", description = "Measured time per line (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--warmup", defaultValue = "1", description = "Warm-up time per line, seconds (default: ${DEFAULT-VALUE}).")
        double warmup;

        @Option(names = "--blas-threads", defaultValue = "1",
                description = "OpenBLAS threads; the command re-runs itself with OPENBLAS_NUM_THREADS set to this "
                        + "unless the environment already has it, 0 to leave the environment alone (default: ${DEFAULT-VALUE}).")
        int blasThreads;
    }

    /**
     * Re-runs the whole command with OPENBLAS_NUM_THREADS pinned when a native BLAS is involved and
     * the environment does not pin it yet. Returns the child's exit code, or -1 to go on here.
     */
    static int pinBlasThreads(CommandSpec spec, Common common, boolean usesNativeBlas) throws Exception {
        if (common.blasThreads <= 0 || !usesNativeBlas || BlasThreads.isPinned(common.blasThreads)) {
            return -1;
        }
        List<String> args = spec.root().commandLine().getParseResult().originalArgs();
        int rc = BlasThreads.relaunch(common.blasThreads, Main.class, args);
        if (rc < 0) {
            spec.commandLine().getErr().printf("nowcast bench: could not re-run with %s=%d; measuring with %d BLAS threads%n",
                    BlasThreads.VAR, common.blasThreads, BlasThreads.fromEnvironment());
        }
        return rc;
    }

    static Gemm backend(String name) {
        return name == null || name.isBlank() ? Gemms.create() : Gemms.create(name.trim());
    }

    @Command(name = "cell", mixinStandardHelpOptions = true,
            description = "Streaming step throughput: N streams advanced one step per call, hidden state carried.")
    static final class CellBench implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Common common = new Common();

        @Option(names = "--cell", defaultValue = "lstm", description = "lstm, gru, rnn (= rnn_tanh) or rnn_relu (default: ${DEFAULT-VALUE}).")
        String cell;

        @Option(names = "--input", defaultValue = "6", description = "Input size D (default: ${DEFAULT-VALUE}).")
        int input;

        @Option(names = "--hidden", defaultValue = "128", description = "Hidden size H (default: ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--layers", defaultValue = "1", description = "Stacked layers (default: ${DEFAULT-VALUE}).")
        int layers;

        @Option(names = "--batch", split = ",", defaultValue = "1,16,64,256",
                description = "Streams per call, comma-separated (default: ${DEFAULT-VALUE}).")
        int[] batches;

        @Option(names = "--gemm", description = "The library the comparison steps use: ejml or blas (default: the "
                + "fastest available).")
        String gemmName;

        @Option(names = "--steps", split = ",", defaultValue = "invariant,library,library-rows",
                description = "Which steps to measure, comma-separated: invariant (the serving step, batch-invariant by "
                        + "construction), library (one product per gate block through --gemm: not batch-invariant) and "
                        + "library-rows (products of exactly --row-block rows through --gemm, padded: the library's "
                        + "batch-invariant way) (default: ${DEFAULT-VALUE}).")
        List<String> steps;

        @Option(names = "--row-block", defaultValue = "8", description = "Rows per product of the library-rows step "
                + "(default: ${DEFAULT-VALUE}).")
        int rowBlock;

        @Option(names = "--seed", defaultValue = "1", description = "Weight and input seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() throws Exception {
            CellType type = CellType.parse(cell);
            Gemm gemm = backend(gemmName);
            for (String s : steps) {
                if (!List.of("invariant", "library", "library-rows").contains(s.trim())) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--steps: '" + s
                            + "' is not one of invariant, library, library-rows");
                }
            }
            boolean usesLibrary = steps.stream().anyMatch(s -> !s.trim().equals("invariant"));
            int rc = pinBlasThreads(spec, common, usesLibrary && gemm instanceof BlasGemm && ((BlasGemm) gemm).isNative());
            if (rc >= 0) {
                return rc;
            }
            PrintWriter out = spec.commandLine().getOut();
            RecurrentNet net = new RecurrentNet(type, input, hidden, layers, 0, gemm).initUniform(new Rng(seed));
            // the anchor's FLOP count: 2 * gates * H * (D + H) per stream-step, summed over the layers
            double flopsPerStreamStep = 0;
            for (int l = 0; l < layers; l++) {
                flopsPerStreamStep += 2.0 * type.gates * hidden * ((l == 0 ? input : hidden) + hidden);
            }
            out.println(machineLine(gemm, usesLibrary, common));
            out.flush();
            for (int n : batches) {
                for (String which : steps) {
                    String stepName = which.trim();
                    RecurrentState state = net.newState(n);
                    float[] x = new float[n * input];
                    new Rng(seed + 1).normal(x, 1f);
                    float[] y = new float[n * net.outputSize()];
                    Runnable call;
                    String kernel;
                    int threads;
                    if (stepName.equals("invariant")) {
                        call = () -> net.step(x, 0, state, y, 0);
                        kernel = FixedOrderGemm.kernel();
                        threads = 1;
                    } else {
                        int block = stepName.equals("library") ? 0 : rowBlock;
                        GemmStep g = new GemmStep(net, gemm, block);
                        call = () -> g.step(x, 0, state);
                        kernel = gemm.name() + (block > 0 ? ", rows of " + block : "");
                        threads = BlasThreads.threadsOf(gemm);
                    }
                    Timing t = measure(call, common.warmup, common.seconds);
                    double perS = t.calls / t.seconds;
                    out.printf(Locale.ROOT,
                            "{\"bench\":\"cell\",\"cell\":\"%s\",\"input\":%d,\"hidden\":%d,\"layers\":%d,\"batch\":%d,"
                                    + "\"step\":\"%s\",\"kernel\":\"%s\",\"threads\":%d,\"stream_steps_per_s\":%.0f,"
                                    + "\"us_per_call\":%.2f,\"gflops\":%.2f,\"calls\":%d,\"best_stream_steps_per_s\":%.0f}%n",
                            cell.trim().toLowerCase(Locale.ROOT), input, hidden, layers, n, stepName, kernel, threads,
                            perS * n, 1e6 / perS, perS * n * flopsPerStreamStep / 1e9, t.calls, n / t.bestSecondsPerCall);
                    out.flush();
                }
            }
            return 0;
        }
    }

    /**
     * The first line of {@code bench cell} and {@code bench gemm}: the CPU, its vector features,
     * the kernels in use, and each kernel's own sgemm GFLOP/s on a 1024 x 1024 x 1024 product
     * measured now, so that a step's GFLOP/s can be read against what the kernel reaches here.
     */
    static String machineLine(Gemm library, boolean withLibrary, Common common) {
        int s = 1024;
        Rng rng = new Rng(3);
        float[] a = new float[s * s];
        float[] b = new float[s * s];
        float[] c = new float[s * s];
        rng.uniform(a, 1f);
        rng.uniform(b, 1f);
        double flops = 2.0 * s * s * s;
        double seconds = Math.max(0.5, Math.min(2, common.seconds));
        Timing inv = measure(() -> FixedOrderGemm.accumulate(s, s, s, a, 0, s, b, 0, s, c, 0, s), 0.3, seconds);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "{\"bench\":\"machine\",\"cpu\":\"%s\",\"features\":\"%s\",\"java\":\"%s\",\"invariant_kernel\":\"%s\","
                        + "\"invariant_sgemm_1024_gflops\":%.1f",
                CpuFeatures.model().replace("\"", "'"), CpuFeatures.vectorFeatures(), System.getProperty("java.vm.version"),
                FixedOrderGemm.kernel(), inv.calls * flops / inv.seconds / 1e9));
        if (withLibrary) {
            Timing lib = measure(() -> library.gemm(false, false, s, s, s, 1f, a, 0, s, b, 0, s, 0f, c, 0, s), 0.3, seconds);
            sb.append(String.format(Locale.ROOT, ",\"library\":\"%s\",\"blas_library\":\"%s\",\"library_threads\":%d,"
                            + "\"library_sgemm_1024_gflops\":%.1f,\"openblas_coretype\":\"%s\"",
                    library.name(), Gemms.blasLibrary(), BlasThreads.threadsOf(library), lib.calls * flops / lib.seconds / 1e9,
                    String.valueOf(System.getenv("OPENBLAS_CORETYPE"))));
        }
        return sb.append('}').toString();
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true,
            description = "sgemm GFLOP/s per backend, row-major C (m x n) = A (m x k) * B^T with B (n x k): "
                    + "the product of a batched recurrent step.")
    static final class GemmBench implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Common common = new Common();

        @Option(names = "--shapes", split = ",",
                defaultValue = "1x512x128,1x512x6,16x128x128,64x128x128,256x128x128,256x128x6,256x512x134",
                description = "m x n x k triples, comma-separated. The defaults are the LSTM step's at D=6, H=128: "
                        + "for one stream the recurrent and input products of all four gates (1x512x128, 1x512x6), "
                        + "for N streams those of one gate (Nx128x128, Nx128x6), and for reference one product of "
                        + "[x | h] with all gates' weights (256x512x134).")
        List<String> shapes;

        @Option(names = "--backends", split = ",", defaultValue = "invariant,ejml,blas",
                description = "invariant (the serving kernel, on B packed (k x n) as the step keeps its weights), ejml, "
                        + "blas (default: ${DEFAULT-VALUE}).")
        List<String> backends;

        @Option(names = "--trans-b", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "B stored (n x k) and transposed, as the step's weights are (default: ${DEFAULT-VALUE}).")
        boolean transB;

        @Override
        public Integer call() throws Exception {
            List<Gemm> gemms = new ArrayList<>();
            boolean nativeBlas = false;
            boolean invariant = false;
            for (String b : backends) {
                if (b.trim().equals("invariant")) {
                    invariant = true;
                    continue;
                }
                Gemm g = backend(b);
                gemms.add(g);
                nativeBlas |= g instanceof BlasGemm && ((BlasGemm) g).isNative();
            }
            int rc = pinBlasThreads(spec, common, nativeBlas);
            if (rc >= 0) {
                return rc;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(machineLine(backend(null), !gemms.isEmpty(), common));
            out.flush();
            for (String s : shapes) {
                String[] p = s.trim().toLowerCase(Locale.ROOT).split("x");
                if (p.length != 3) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "shape '" + s + "': expected MxNxK");
                }
                int m = Integer.parseInt(p[0]);
                int n = Integer.parseInt(p[1]);
                int k = Integer.parseInt(p[2]);
                Rng rng = new Rng(1);
                float[] a = new float[m * k];
                float[] b = new float[n * k];
                float[] c = new float[m * n];
                rng.uniform(a, 1f);
                rng.uniform(b, 1f);
                if (invariant) {
                    Timing t = measure(() -> FixedOrderGemm.accumulate(m, n, k, a, 0, k, b, 0, n, c, 0, n),
                            common.warmup, common.seconds);
                    line(out, "invariant " + FixedOrderGemm.kernel(), 1, m, n, k, false, t);
                }
                for (Gemm g : gemms) {
                    boolean tb = transB;
                    int ldb = tb ? k : n;
                    Timing t = measure(() -> g.gemm(false, tb, m, n, k, 1f, a, 0, k, b, 0, ldb, 0f, c, 0, n),
                            common.warmup, common.seconds);
                    line(out, g.name(), BlasThreads.threadsOf(g), m, n, k, tb, t);
                }
            }
            return 0;
        }

        /** One JSON line of a product's timing. */
        private static void line(PrintWriter out, String gemm, int threads, int m, int n, int k, boolean transB, Timing t) {
            double perS = t.calls / t.seconds;
            double flops = 2.0 * m * n * k;
            out.printf(Locale.ROOT,
                    "{\"bench\":\"gemm\",\"gemm\":\"%s\",\"threads\":%d,\"m\":%d,\"n\":%d,\"k\":%d,\"trans_b\":%b,"
                            + "\"gflops\":%.2f,\"us_per_call\":%.2f,\"calls\":%d,\"best_gflops\":%.2f}%n",
                    gemm, threads, m, n, k, transB, perS * flops / 1e9, 1e6 / perS, t.calls,
                    flops / t.bestSecondsPerCall / 1e9);
            out.flush();
        }
    }

    /**
     * Calls made and seconds they took, and the fastest window's seconds per call: the mean is
     * what the anchor reports, the best window shows what the code does when nothing else
     * competes for the machine (useful to compare two builds on a busy machine).
     */
    record Timing(long calls, double seconds, double bestSecondsPerCall) {
    }

    /**
     * Runs {@code call} for {@code warmup} seconds (JIT compilation, caches), then for about
     * {@code seconds} more in chunks of roughly a millisecond, and returns the measured part.
     */
    static Timing measure(Runnable call, double warmup, double seconds) {
        long w0 = System.nanoTime();
        long wEnd = w0 + (long) (warmup * 1e9);
        long warmCalls = 0;
        do {
            call.run();
            warmCalls++;
        } while (System.nanoTime() < wEnd || warmCalls < 10);
        double perCall = (System.nanoTime() - w0) / (double) warmCalls;
        // windows of about 20 ms (at least one call)
        int chunk = (int) Math.max(1, Math.min(1_000_000, 2e7 / perCall));
        long calls = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long now = t0;
        double best = Double.MAX_VALUE;
        do {
            long w = now;
            for (int i = 0; i < chunk; i++) {
                call.run();
            }
            calls += chunk;
            now = System.nanoTime();
            best = Math.min(best, (now - w) / 1e9 / chunk);
        } while (now < end);
        return new Timing(calls, (now - t0) / 1e9, best);
    }
}
