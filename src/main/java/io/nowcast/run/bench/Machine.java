package io.nowcast.run.bench;

import io.nowcast.run.BlasThreads;
import io.nowcast.tensor.CpuFeatures;
import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;

import java.util.Locale;

/** What the step and product benchmarks ran on: the machine, its kernels and their sgemm speed. */
public final class Machine {
    private Machine() {
    }

    /**
     * The first line of {@code bench cell} and {@code bench gemm}: the CPU, its vector features,
     * the kernels in use, and each kernel's own sgemm GFLOP/s on a 1024 x 1024 x 1024 product
     * measured now (for up to {@code measureSeconds}, between 0.5 and 2 s), so that a step's
     * GFLOP/s can be read against what the kernel reaches here.
     */
    public static String line(Gemm library, boolean withLibrary, double measureSeconds) {
        int s = 1024;
        Rng rng = new Rng(3);
        float[] a = new float[s * s];
        float[] b = new float[s * s];
        float[] c = new float[s * s];
        rng.uniform(a, 1f);
        rng.uniform(b, 1f);
        double flops = 2.0 * s * s * s;
        double seconds = Math.max(0.5, Math.min(2, measureSeconds));
        Timing inv = Timing.of(() -> FixedOrderGemm.accumulate(s, s, s, a, 0, s, b, 0, s, c, 0, s), 0.3, seconds);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "{\"bench\":\"machine\",\"cpu\":\"%s\",\"features\":\"%s\",\"java\":\"%s\",\"invariant_kernel\":\"%s\","
                        + "\"invariant_sgemm_1024_gflops\":%.1f",
                CpuFeatures.model().replace("\"", "'"), CpuFeatures.vectorFeatures(), System.getProperty("java.vm.version"),
                FixedOrderGemm.kernel(), inv.calls() * flops / inv.seconds() / 1e9));
        if (withLibrary) {
            Timing lib = Timing.of(() -> library.gemm(false, false, s, s, s, 1f, a, 0, s, b, 0, s, 0f, c, 0, s), 0.3, seconds);
            sb.append(String.format(Locale.ROOT, ",\"library\":\"%s\",\"blas_library\":\"%s\",\"library_threads\":%d,"
                            + "\"library_sgemm_1024_gflops\":%.1f,\"openblas_coretype\":\"%s\"",
                    library.name(), Gemms.blasLibrary(), BlasThreads.threadsOf(library), lib.calls() * flops / lib.seconds() / 1e9,
                    String.valueOf(System.getenv("OPENBLAS_CORETYPE"))));
        }
        return sb.append('}').toString();
    }
}
