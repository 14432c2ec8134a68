package io.nowcast.bench;

import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameSpec;
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
 * One {@link FrameDenoiser#apply} of a seeded random frame denoiser (DnCNN shape, L layers of C
 * channels) over a batch of frames, as {@code nowcast bench frames} measures it, under JMH. Frames per second = batch / the reported time. The exec goal of the
 * {@code bench} profile sets OPENBLAS_NUM_THREADS=1.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FrameBenchmark {
    @Param({"64", "256"})
    int side;

    @Param({"1", "16"})
    int batch;

    @Param({"8"})
    int layers;

    @Param({"32"})
    int channels;

    FrameDenoiser model;
    float[] x;
    float[] y;

    @Setup
    public void setup() {
        model = FrameDenoiser.random(FrameSpec.denoiser(layers, channels, false), 1);
        x = new float[batch * side * side];
        new Rng(2).uniform(x, 0.5f);
        y = new float[x.length];
    }

    @Benchmark
    public float[] apply() {
        model.apply(x, batch, side, side, null, y);
        return y;
    }
}
