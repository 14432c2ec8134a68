package io.nowcast.bench;

import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.model.SmoothingBase;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.concurrent.TimeUnit;

/**
 * One step of a series denoiser of the bundled ETTh1 shape (a GRU of 64 over 7 columns) for N
 * streams, with the noisy input as the base ({@code none}) or the adaptive smoothing base of 18
 * smoothings per column ({@code bank}): what the base costs per sample beside the network.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SeriesDenoiserBenchmark {
    private static final int D = 7;

    @Param({"none", "bank"})
    String base;

    @Param({"1", "64"})
    int batch;

    SeriesDenoiser model;
    RecurrentState state;
    float[] x;
    float[] y;
    float[] scratch;

    @Setup
    public void setup() {
        ModelSpec s = new ModelSpec();
        s.kind = ModelKind.SERIES_DENOISER;
        s.name = "bench";
        s.cell = CellType.GRU;
        s.inputSize = D;
        s.hiddenSize = 64;
        s.numLayers = 1;
        s.head = ModelSpec.Head.LINEAR;
        s.outputSize = D;
        s.inputFeatures = new ArrayList<>(Collections.nCopies(D, "c"));
        s.outputFeatures = new ArrayList<>(Collections.nCopies(D, "c"));
        s.inputMean = new float[D];
        s.inputStd = new float[D];
        java.util.Arrays.fill(s.inputStd, 1f);
        s.outputMean = new float[D];
        s.outputStd = s.inputStd.clone();
        s.noiseModel = "gaussian";
        s.noiseSigma = 0.5f;
        if (base.equals("bank")) {
            s.smoothingBase = new SmoothingBase(new float[] {0.02f, 0.03f, 0.04f, 0.05f, 0.06f, 0.08f, 0.1f, 0.12f,
                0.15f, 0.2f, 0.25f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.85f, 1f}, 480);
        }
        RecurrentNet net = new RecurrentNet(CellType.GRU, D, 64, 1, D, Gemms.create()).initUniform(new Rng(1));
        model = new SeriesDenoiser(s, net);
        state = model.newState(batch);
        x = new float[batch * D];
        new Rng(2).normal(x, 1f);
        y = new float[batch * D];
        scratch = new float[model.scratchSize(batch)];
    }

    @Benchmark
    public float[] step() {
        model.step(x, state, y, scratch);
        return y;
    }
}
