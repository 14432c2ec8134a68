package io.nowcast.run.bench;

import io.nowcast.nn.CellType;
import io.nowcast.nn.GemmStep;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.run.BlasThreads;
import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Rng;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * {@code nowcast bench cell}: N streams of a seeded random recurrent network advanced one step
 * per call, hidden state carried, through each step asked: the serving step (batch-invariant by
 * construction), one library product per gate block, or library products of a fixed row block.
 * One JSON line per batch and step, after the machine's line.
 */
public final class CellBench {
    private CellBench() {
    }

    /** Measures every batch and step with {@code gemm} as the library (used when {@code usesLibrary}). */
    public static void run(CellBenchOptions o, Gemm gemm, boolean usesLibrary, PrintWriter out) {
        CellType type = o.type();
        int input = o.input();
        int hidden = o.hidden();
        int layers = o.layers();
        RecurrentNet net = new RecurrentNet(type, input, hidden, layers, 0, gemm).initUniform(new Rng(o.seed()));
        // the anchor's FLOP count: 2 * gates * H * (D + H) per stream-step, summed over the layers
        double flopsPerStreamStep = 0;
        for (int l = 0; l < layers; l++) {
            flopsPerStreamStep += 2.0 * type.gates * hidden * ((l == 0 ? input : hidden) + hidden);
        }
        out.println(Machine.line(gemm, usesLibrary, o.seconds()));
        out.flush();
        for (int n : o.batches()) {
            for (String which : o.steps()) {
                String stepName = which.trim();
                RecurrentState state = net.newState(n);
                float[] x = new float[n * input];
                new Rng(o.seed() + 1).normal(x, 1f);
                float[] y = new float[n * net.outputSize()];
                Runnable call;
                String kernel;
                int threads;
                if (stepName.equals("invariant")) {
                    call = () -> net.step(x, 0, state, y, 0);
                    kernel = FixedOrderGemm.kernel();
                    threads = 1;
                } else {
                    int block = stepName.equals("library") ? 0 : o.rowBlock();
                    GemmStep g = new GemmStep(net, gemm, block);
                    call = () -> g.step(x, 0, state);
                    kernel = gemm.name() + (block > 0 ? ", rows of " + block : "");
                    threads = BlasThreads.threadsOf(gemm);
                }
                Timing t = Timing.of(call, o.warmup(), o.seconds());
                double perS = t.calls() / t.seconds();
                out.printf(Locale.ROOT,
                        "{\"bench\":\"cell\",\"cell\":\"%s\",\"input\":%d,\"hidden\":%d,\"layers\":%d,\"batch\":%d,"
                                + "\"step\":\"%s\",\"kernel\":\"%s\",\"threads\":%d,\"stream_steps_per_s\":%.0f,"
                                + "\"us_per_call\":%.2f,\"gflops\":%.2f,\"calls\":%d,\"best_stream_steps_per_s\":%.0f}%n",
                        o.label(), input, hidden, layers, n, stepName, kernel, threads,
                        perS * n, 1e6 / perS, perS * n * flopsPerStreamStep / 1e9, t.calls(), n / t.bestSecondsPerCall());
                out.flush();
            }
        }
    }
}
