package io.nowcast.bench;

import io.nowcast.nn.Activation;
import io.nowcast.nn.Conv2d;
import io.nowcast.nn.Layer;
import io.nowcast.nn.Nchw;
import io.nowcast.nn.Residual;
import io.nowcast.nn.Sequential;
import io.nowcast.tensor.Gemm;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One forward pass of a DnCNN-shaped frame denoiser (3x3 convolutions 1 -> C, ReLU, (L-2) x
 * (C -> C, ReLU), C -> 1, plus the input) over a batch of frames, as {@code nowcast bench frames}
 * measures it, under JMH. Frames per second = batch / the reported time. The exec goal of the
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

    Layer net;
    Nchw shape;
    float[] x;

    @Setup
    public void setup() {
        Gemm gemm = Gemms.create();
        Rng rng = new Rng(1);
        List<Layer> body = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            body.add(new Conv2d("body." + (2 * l), l == 0 ? 1 : channels, l == layers - 1 ? 1 : channels, 3, 1, 1, gemm)
                    .initUniform(rng));
            if (l < layers - 1) {
                body.add(Activation.relu());
            }
        }
        net = new Residual(new Sequential(body));
        shape = new Nchw(batch, 1, side, side);
        x = new float[batch * side * side];
        new Rng(2).uniform(x, 0.5f);
    }

    @Benchmark
    public float[] forward() {
        return net.forward(x, shape);
    }
}
