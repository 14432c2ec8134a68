package io.nowcast.nn;

import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The inference step is the training forward pass with T = 1: same outputs and same new state, for
 * every cell, batched and one stream at a time, on every matrix-product backend; and it keeps
 * agreeing after the weights are changed in place, as training does.
 */
class StepMatchesForwardTest {
    private static final double TOL = 1e-6;
    private static final int D = 6;
    private static final int H = 16;
    private static final int N = 5;
    /** Batch sizes: one stream, N, MANY and LARGE (row tiles of 4 with 1 and 1 left over). */
    private static final int MANY = 37;
    private static final int LARGE = 45;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String gemm : new String[] {"ejml", "blas"}) {
            for (CellType cell : CellType.values()) {
                out.add(Arguments.of(gemm, cell, 1, 0));
                out.add(Arguments.of(gemm, cell, 2, 3));
            }
        }
        return out.stream();
    }

    private static RecurrentNet net(String gemmName, CellType cell, int layers, int head, long seed) {
        Gemm gemm = Gemms.create(gemmName);
        return new RecurrentNet(cell, D, H, layers, head, gemm).initUniform(new Rng(seed));
    }

    private static RecurrentState randomState(RecurrentNet net, int n, Rng rng) {
        RecurrentState s = net.newState(n);
        for (int l = 0; l < s.layers(); l++) {
            rng.uniform(s.h[l], 0.8f);
            rng.uniform(s.c[l], 0.8f);
        }
        return s;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void stepEqualsForwardOfOneStep(String gemmName, CellType cell, int layers, int head) {
        RecurrentNet net = net(gemmName, cell, layers, head, 3);
        Rng rng = new Rng(4);
        // the batch sizes in turn; weights change in between
        int[] sizes = {N, MANY, LARGE};
        for (int round = 0; round < 6; round++) {
            int n = sizes[round % sizes.length];
            float[] x = new float[n * D];
            rng.uniform(x, 1.5f);
            RecurrentState s0 = randomState(net, n, rng);
            checkAgainstForward(net, x, s0, cell + " " + gemmName + " layers " + layers + " round " + round);
            // training changes the weights in place: the step must follow
            for (Param p : net.params()) {
                float[] w = p.w();
                for (int i = 0; i < p.size(); i++) {
                    w[i] += (float) (0.05 * (rng.nextDouble() - 0.5));
                }
            }
        }
        // one single weight changed, nothing else: still followed, on both paths
        for (int n : new int[] {1, N, MANY, LARGE}) {
            String what = cell + " " + gemmName + " " + n + " streams";
            float[] x = new float[n * D];
            rng.uniform(x, 1f);
            Param p = net.param("rnn.weight_hh_l0");
            p.w()[p.size() - 1] += 0.5f;
            checkAgainstForward(net, x, randomState(net, n, rng), what + " after one recurrent weight changed");
            Param q = net.param("rnn.weight_ih_l0");
            q.w()[1] -= 0.25f;
            checkAgainstForward(net, x, randomState(net, n, rng), what + " after one input weight changed");
            Param b = net.param("rnn.bias_hh_l0");
            b.w()[0] -= 0.5f;
            checkAgainstForward(net, x, randomState(net, n, rng), what + " after one bias changed");
        }
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void stepEqualsForwardAtTheBenchmarkedSizes(CellType cell) {
        // H = 128 as in the benchmarks: longer dot products, the batch sizes of every product path
        RecurrentNet net = new RecurrentNet(cell, D, 128, 1, 0, Gemms.create()).initUniform(new Rng(12));
        Rng rng = new Rng(13);
        for (int n : new int[] {1, 16, 256}) {
            float[] x = new float[n * D];
            rng.uniform(x, 1.5f);
            checkAgainstForward(net, x, randomState(net, n, rng), cell + " H=128, " + n + " streams");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void stepAllocatesNothingOnceBuffersHaveGrown(String gemmName, CellType cell, int layers, int head) {
        RecurrentNet net = net(gemmName, cell, layers, head, 6);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        for (int n : new int[] {1, MANY}) {
            RecurrentState s = net.newState(n);
            float[] x = new float[n * D];
            float[] y = new float[n * net.outputSize()];
            net.step(x, 0, s, y, 0);
            net.step(x, 0, s, y, 0);
            // the JVM itself now and then allocates on this thread (JIT deoptimisation, say), and the
            // Vector API's objects are only taken apart once C2 has compiled the kernel: a step that
            // allocated would show in every window, so one clean window of 50 steps is the test
            long least = Long.MAX_VALUE;
            long deadline = System.nanoTime() + 30_000_000_000L;
            for (int window = 0; least > 0 && (window < 5 || System.nanoTime() < deadline); window++) {
                long before = threads.getThreadAllocatedBytes(id);
                for (int i = 0; i < 50; i++) {
                    net.step(x, 0, s, y, 0);
                }
                least = Math.min(least, threads.getThreadAllocatedBytes(id) - before);
            }
            assertEquals(0, least, cell + " " + gemmName + ": bytes allocated by 50 steps of " + n + " streams");
        }
    }

    private static void checkAgainstForward(RecurrentNet net, float[] x, RecurrentState s0, String what) {
        int width = net.outputSize();
        RecurrentState sf = s0.copy();
        float[] yf = net.forward(x, 1, sf);
        int off = net.outputOffset();
        int N = s0.batch;
        float[] expected = new float[N * width];
        System.arraycopy(yf, off, expected, 0, N * width);

        // batched: all N streams in one call
        RecurrentState sb = s0.copy();
        float[] yb = new float[N * width + 7];
        net.step(x, 0, sb, yb, 7);
        for (int i = 0; i < N * width; i++) {
            assertEquals(expected[i], yb[7 + i], TOL, what + ": batched output " + i);
        }
        assertStatesEqual(sf, sb, what + ": batched state");

        // per stream: each stream alone, its input at an offset inside the batch buffer
        for (int n = 0; n < N; n++) {
            RecurrentState one = net.newState(1);
            one.copyRow(s0, n, 0);
            float[] y1 = new float[width];
            net.step(x, n * D, one, y1, 0);
            for (int j = 0; j < width; j++) {
                assertEquals(expected[n * width + j], y1[j], TOL, what + ": stream " + n + " output " + j);
            }
            RecurrentState row = net.newState(1);
            row.copyRow(sf, n, 0);
            assertStatesEqual(row, one, what + ": stream " + n + " state");
        }
    }

    private static void assertStatesEqual(RecurrentState a, RecurrentState b, String what) {
        for (int l = 0; l < a.layers(); l++) {
            for (int i = 0; i < a.h[l].length; i++) {
                assertEquals(a.h[l][i], b.h[l][i], TOL, what + " h layer " + l + " at " + i);
            }
            for (int i = 0; i < a.c[l].length; i++) {
                assertEquals(a.c[l][i], b.c[l][i], TOL, what + " c layer " + l + " at " + i);
            }
        }
    }
}
