package io.nowcast.bench;

import io.nowcast.tensor.Kernels;
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
 * The element-wise kernels of the step, on one step's worth of data (256 streams x 128 units).
 * The {@code *Scalar} variants run the same code with C2's vectoriser off: the ratio shows that the
 * loops are vectorised (expect 5-10x on AVX2/AVX-512), and a refactoring that breaks a loop's
 * vectorisable shape shows up as a drop to the scalar figure.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelsBenchmark {
    @Param({"32768"})
    int n;

    float[] src;
    float[] a;
    float[] i;
    float[] f;
    float[] g;
    float[] o;
    float[] c;
    float[] h;

    @Setup
    public void setup() {
        Rng rng = new Rng(1);
        src = new float[n];
        rng.normal(src, 2f);
        a = src.clone();
        i = new float[n];
        f = new float[n];
        g = new float[n];
        o = new float[n];
        c = new float[n];
        h = new float[n];
        rng.uniform(i, 1f);
        rng.uniform(f, 1f);
        rng.uniform(g, 1f);
        rng.uniform(o, 1f);
    }

    @Benchmark
    public float[] tanh() {
        System.arraycopy(src, 0, a, 0, n);
        Kernels.tanh(a, 0, n);
        return a;
    }

    @Benchmark
    public float[] sigmoid() {
        System.arraycopy(src, 0, a, 0, n);
        Kernels.sigmoid(a, 0, n);
        return a;
    }

    @Benchmark
    public float[] lstmUpdate() {
        Kernels.lstmUpdate(i, f, g, o, c, h, n);
        return h;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = "-XX:-UseSuperWord")
    public float[] tanhScalar() {
        return tanh();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = "-XX:-UseSuperWord")
    public float[] lstmUpdateScalar() {
        return lstmUpdate();
    }
}
