package io.nowcast.cli;

import io.nowcast.nn.CellType;
import io.nowcast.tensor.BlasGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.run.BlasThreads;
import io.nowcast.run.bench.CellBench;
import io.nowcast.run.bench.CellBenchOptions;
import io.nowcast.run.bench.GemmBench;
import io.nowcast.run.bench.GemmBenchOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
        subcommands = {BenchCommand.CellCommand.class, BenchCommand.GemmCommand.class, KafkaBenchCommand.class, FrameBenchCommand.class})
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
    static final class CellCommand implements Callable<Integer> {
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
            CellBench.run(new CellBenchOptions(type, cell.trim().toLowerCase(Locale.ROOT), input, hidden, layers, batches,
                    steps, rowBlock, seed, common.seconds, common.warmup), gemm, usesLibrary, spec.commandLine().getOut());
            return 0;
        }
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true,
            description = "sgemm GFLOP/s per backend, row-major C (m x n) = A (m x k) * B^T with B (n x k): "
                    + "the product of a batched recurrent step.")
    static final class GemmCommand implements Callable<Integer> {
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
            try {
                GemmBench.run(new GemmBenchOptions(shapes, invariant, gemms, transB, common.seconds, common.warmup),
                        spec.commandLine().getOut());
            } catch (GemmBench.BadShape e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            return 0;
        }
    }
}
