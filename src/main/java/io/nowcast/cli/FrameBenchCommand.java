package io.nowcast.cli;

import io.nowcast.run.bench.FrameBench;
import io.nowcast.run.bench.FrameBenchOptions;
import io.nowcast.tensor.BlasGemm;
import io.nowcast.tensor.Gemm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code nowcast bench frames}: the options of {@link FrameBench}, the backend and the BLAS threads pinned. */
@Command(name = "frames", mixinStandardHelpOptions = true,
        description = "Frame model throughput: frames per second at each side and batch, a table or --json.")
final class FrameBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BenchCommand.Common common = new BenchCommand.Common();

    @Option(names = "--model", paramLabel = "FILE",
            description = "A frame model file (default: models/camera-denoiser.safetensors if present, else 8 x 32 random).")
    Path modelFile;

    @Option(names = "--layers", paramLabel = "L",
            description = "Convolutions of a seeded random frame denoiser (DnCNN shape) instead of a file (default: 8).")
    Integer layers;

    @Option(names = "--channels", paramLabel = "C", description = "Channels of its hidden layers (default: 32).")
    Integer channels;

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

    @Override
    public Integer call() throws Exception {
        FrameBench bench = new FrameBench(new FrameBenchOptions(modelFile, layers, channels, sides, batches, rounds,
                common.seconds, common.warmup, seed, json));
        Gemm gemm = BenchCommand.backend(gemmName);
        int rc = BenchCommand.pinBlasThreads(spec, common, gemm instanceof BlasGemm && ((BlasGemm) gemm).isNative());
        if (rc >= 0) {
            return rc;
        }
        bench.run(gemm, spec.commandLine().getOut());
        return 0;
    }
}
