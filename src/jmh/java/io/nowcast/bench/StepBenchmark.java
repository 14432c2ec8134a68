package io.nowcast.bench;

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

import java.util.concurrent.TimeUnit;

/**
 * One streaming step of N streams (state carried), as {@code nowcast bench cell} measures it, under
 * JMH. The exec goal of the {@code bench} profile sets OPENBLAS_NUM_THREADS=1.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StepBenchmark {
    @Param({"lstm", "gru"})
    String cell;

    @Param({"1", "64", "256"})
    int batch;

    @Param({"128"})
    int hidden;

    RecurrentNet net;
    RecurrentState state;
    float[] x;
    float[] y;

    @Setup
    public void setup() {
        net = new RecurrentNet(CellType.parse(cell), 6, hidden, 1, 0, Gemms.create()).initUniform(new Rng(1));
        state = net.newState(batch);
        x = new float[batch * 6];
        new Rng(2).normal(x, 1f);
        y = new float[batch * net.outputSize()];
    }

    @Benchmark
    public float[] step() {
        net.step(x, 0, state, y, 0);
        return y;
    }
}
