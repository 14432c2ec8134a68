package io.nowcast.run.bench;

import io.nowcast.run.BlasThreads;
import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * {@code nowcast bench gemm}: sgemm GFLOP/s of each backend on each shape, row-major C (m x n) =
 * A (m x k) * B^T with B (n x k), the product of a batched recurrent step; the serving kernel
 * on B packed (k x n) as the step keeps its weights. One JSON line per shape and backend, after
 * the machine's line.
 */
public final class GemmBench {
    private GemmBench() {
    }

    /** A shape that is not MxNxK. */
    public static final class BadShape extends IllegalArgumentException {
        BadShape(String message) {
            super(message);
        }
    }

    /** Measures every shape with every backend; a shape not of the form MxNxK is refused when it is reached. */
    public static void run(GemmBenchOptions o, PrintWriter out) {
        out.println(Machine.line(Gemms.create(), !o.gemms().isEmpty(), o.seconds()));
        out.flush();
        for (String s : o.shapes()) {
            String[] p = s.trim().toLowerCase(Locale.ROOT).split("x");
            if (p.length != 3) {
                throw new BadShape("shape '" + s + "': expected MxNxK");
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
            if (o.invariant()) {
                Timing t = Timing.of(() -> FixedOrderGemm.accumulate(m, n, k, a, 0, k, b, 0, n, c, 0, n),
                        o.warmup(), o.seconds());
                line(out, "invariant " + FixedOrderGemm.kernel(), 1, m, n, k, false, t);
            }
            for (Gemm g : o.gemms()) {
                boolean tb = o.transB();
                int ldb = tb ? k : n;
                Timing t = Timing.of(() -> g.gemm(false, tb, m, n, k, 1f, a, 0, k, b, 0, ldb, 0f, c, 0, n),
                        o.warmup(), o.seconds());
                line(out, g.name(), BlasThreads.threadsOf(g), m, n, k, tb, t);
            }
        }
    }

    /** One JSON line of a product's timing. */
    private static void line(PrintWriter out, String gemm, int threads, int m, int n, int k, boolean transB, Timing t) {
        double perS = t.calls() / t.seconds();
        double flops = 2.0 * m * n * k;
        out.printf(Locale.ROOT,
                "{\"bench\":\"gemm\",\"gemm\":\"%s\",\"threads\":%d,\"m\":%d,\"n\":%d,\"k\":%d,\"trans_b\":%b,"
                        + "\"gflops\":%.2f,\"us_per_call\":%.2f,\"calls\":%d,\"best_gflops\":%.2f}%n",
                gemm, threads, m, n, k, transB, perS * flops / 1e9, 1e6 / perS, t.calls(),
                flops / t.bestSecondsPerCall() / 1e9);
        out.flush();
    }
}
