package io.nowcast.nn;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Our cells against ONNX Runtime's CPU LSTM/GRU/RNN operators on the same weights: every output
 * of the sequence and the final h (and c) agree within 1e-5, both for {@link RecurrentNet#forward}
 * over the whole sequence and for T calls of {@link RecurrentNet#step} (the streaming path), from a
 * random non-zero initial state.
 *
 * <p>The first test builds the ONNX model itself ({@link OnnxRnnModel}) and always runs. The second
 * runs the anchor's {@code make_model.py} (Python + numpy) and loads its {@code .npz} weights; it is
 * skipped when the anchor or Python/numpy is absent.
 */
class OnnxRuntimeEquivalenceTest {
    private static final int D = 6;
    private static final int T = 20;
    private static final double TOL = 1e-5;
    /** Added to one weight to show that the comparison can fail. */
    private static final float NUDGE = 1e-3f;
    private static final Path ANCHOR = Path.of("..", "shared", "anchors", "onnxruntime-lstm", "make_model.py");

    private static OrtEnvironment env;
    private static String backend;
    /** Largest difference seen per cell type and source, and smallest difference after the nudge. */
    private static final Map<String, Double> maxDiff = new TreeMap<>();
    private static final Map<String, Double> minNudged = new TreeMap<>();
    private static String pythonProblem;
    private static boolean pythonChecked;

    @BeforeAll
    static void environment() {
        // the singleton environment: closing it is a no-op, ORT releases it at JVM exit
        env = OrtEnvironment.getEnvironment();
        backend = Gemms.create().name();
    }

    @AfterAll
    static void summary() {
        StringBuilder sb = new StringBuilder("ORT equivalence, gemm backend " + backend + "\n");
        maxDiff.forEach((k, v) -> sb.append(String.format("  max |ours - ORT|  %-22s %.3e%n", k, v)));
        minNudged.forEach((k, v) -> sb.append(String.format("  after a %.0e weight change %-10s min %.3e%n", NUDGE, k, v)));
        System.out.print(sb);
    }

    static Stream<Arguments> generatedCases() {
        List<Arguments> cases = new ArrayList<>();
        for (CellType cell : new CellType[] {CellType.LSTM, CellType.GRU, CellType.RNN_TANH, CellType.RNN_RELU}) {
            for (int h : new int[] {32, 128}) {
                for (int n : new int[] {1, 5}) {
                    cases.add(Arguments.of(cell, h, n));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} D=6 H={1} N={2} T=20")
    @MethodSource("generatedCases")
    void generatedModelMatchesOnnxRuntime(CellType cell, int H, int N) throws OrtException {
        Rng rng = new Rng(1_000_003L * (cell.ordinal() + 1) + 1009L * H + N);
        RecurrentNet net = new RecurrentNet(cell, D, H, 1, 0, Gemms.create()).initUniform(rng);
        Problem p = Problem.random(net, N, rng);
        byte[] model = OnnxRnnModel.build(cell, D, H, w(net, "weight_ih"), w(net, "weight_hh"), w(net, "bias_ih"), w(net, "bias_hh"));
        Outputs ort;
        try (OrtSession.SessionOptions opts = options(); OrtSession session = env.createSession(model, opts)) {
            ort = runOrt(session, p);
        }
        String label = cell + " H=" + H + " N=" + N;
        Diffs d = compare(net, p, ort);
        record(cell.id + " (java model)", d, label);
        d.assertWithin(TOL, label);

        // The check must be able to fail: the same comparison with one weight of the candidate
        // block (LSTM g, GRU n, RNN the only one) changed by 1e-3 must exceed the tolerance.
        int block = cell == CellType.LSTM || cell == CellType.GRU ? 2 : 0;
        Param wih = net.param("rnn.weight_ih_l0");
        wih.w()[block * H * D] += NUDGE;
        Diffs nudged = compare(net, p, ort);
        minNudged.merge(cell.id, nudged.max(), Math::min);
        assertTrue(nudged.forwardY > TOL && nudged.stepY > TOL,
                label + ": a " + NUDGE + " change of weight_ih_l0[" + block * H + "][0] went unnoticed: " + nudged);
    }

    @ParameterizedTest(name = "make_model.py {0} D=6 H={1} N=5 T=20")
    @CsvSource({"lstm,32", "gru,32", "rnn,32", "lstm,128", "gru,128", "rnn,128"})
    void anchorModelMatchesOnnxRuntime(String kind, int H, @TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(ANCHOR), () -> "anchor script not found at "
                + ANCHOR.toAbsolutePath().normalize() + " (working dir " + Path.of("").toAbsolutePath() + ")");
        String problem = pythonProblem();
        assumeTrue(problem == null, () -> "python3 with numpy is not usable: " + problem);

        Path onnx = dir.resolve(kind + ".onnx");
        int seed = 17 + H;
        String out = runPython(120, ANCHOR.toString(), kind, Integer.toString(D), Integer.toString(H), onnx.toString(),
                Integer.toString(seed));
        Path npz = dir.resolve(kind + ".npz");
        assertTrue(Files.isRegularFile(onnx) && Files.isRegularFile(npz), "make_model.py wrote no model/weights: " + out);

        CellType cell = CellType.parse(kind);
        RecurrentNet net = new RecurrentNet(cell, D, H, 1, 0, Gemms.create());
        Map<String, Npz.Array> arrays = Npz.read(npz);
        assertEquals(4, arrays.size(), "arrays in " + npz.getFileName() + ": " + arrays.keySet());
        for (Map.Entry<String, Npz.Array> e : arrays.entrySet()) {
            Param param = net.param("rnn." + e.getKey());
            assertArrayEquals(param.shape(), e.getValue().shape(), param.name + " shape");
            param.set(e.getValue().data());
        }

        // the Java port of the encoder writes exactly the bytes the script wrote
        byte[] pyModel = Files.readAllBytes(onnx);
        byte[] javaModel = OnnxRnnModel.build(cell, D, H, w(net, "weight_ih"), w(net, "weight_hh"), w(net, "bias_ih"), w(net, "bias_hh"));
        assertArrayEquals(pyModel, javaModel, "OnnxRnnModel differs from make_model.py for the same weights");

        Problem p = Problem.random(net, 5, new Rng(seed));
        Outputs ort;
        try (OrtSession.SessionOptions opts = options(); OrtSession session = env.createSession(onnx.toString(), opts)) {
            ort = runOrt(session, p);
        }
        String label = "make_model.py " + kind + " H=" + H + " N=5";
        Diffs d = compare(net, p, ort);
        record(cell.id + " (make_model.py)", d, label);
        d.assertWithin(TOL, label);
    }

    // ---------------------------------------------------------------------------------------------

    /** Inputs (T*N, D) step-major, which is also ORT's X [T, N, D], and the initial state. */
    private record Problem(RecurrentNet net, int N, float[] x, RecurrentState init) {
        static Problem random(RecurrentNet net, int N, Rng rng) {
            float[] x = new float[T * N * net.inputSize];
            rng.uniform(x, 2f);
            RecurrentState init = net.newState(N);
            rng.uniform(init.h[0], 0.9f);
            if (net.cell.hasCell()) {
                rng.uniform(init.c[0], 2f);
            }
            return new Problem(net, N, x, init);
        }
    }

    /** Y (T*N*H, ORT's [T, 1, N, H]), final h and c (N*H; c null without a cell state). */
    private record Outputs(float[] y, float[] h, float[] c) {
    }

    private static final class Diffs {
        double forwardY;
        double forwardH;
        double forwardC;
        double stepY;
        double stepH;
        double stepC;

        double max() {
            return Math.max(Math.max(Math.max(forwardY, forwardH), Math.max(forwardC, stepY)), Math.max(stepH, stepC));
        }

        void assertWithin(double tol, String label) {
            assertTrue(max() <= tol, label + ": max |ours - ORT| above " + tol + ": " + this);
        }

        @Override
        public String toString() {
            return String.format("forward Y %.3e h %.3e c %.3e | step Y %.3e h %.3e c %.3e",
                    forwardY, forwardH, forwardC, stepY, stepH, stepC);
        }
    }

    private static void record(String key, Diffs d, String label) {
        maxDiff.merge(key, d.max(), Math::max);
        System.out.println("[" + backend + "] " + label + ": " + d);
    }

    private static float[] w(RecurrentNet net, String name) {
        return net.param("rnn." + name + "_l0").w();
    }

    private static OrtSession.SessionOptions options() throws OrtException {
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        try {
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
        } catch (OrtException | RuntimeException e) {
            opts.close();
            throw e;
        }
        return opts;
    }

    /** Runs the whole sequence through ORT's op once. */
    private static Outputs runOrt(OrtSession session, Problem p) throws OrtException {
        int N = p.N();
        int H = p.net().hiddenSize;
        boolean lstm = p.net().cell.hasCell();
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(p.x()), new long[] {T, N, D});
             OnnxTensor h0 = OnnxTensor.createTensor(env, FloatBuffer.wrap(p.init().h[0]), new long[] {1, N, H});
             OnnxTensor c0 = lstm ? OnnxTensor.createTensor(env, FloatBuffer.wrap(p.init().c[0]), new long[] {1, N, H}) : null) {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put("X", x);
            inputs.put("h0", h0);
            if (lstm) {
                inputs.put("c0", c0);
            }
            try (OrtSession.Result r = session.run(inputs)) {
                float[] y = output(r, "Y", new long[] {T, 1, N, H});
                float[] h = output(r, "Yh", new long[] {1, N, H});
                float[] c = lstm ? output(r, "Yc", new long[] {1, N, H}) : null;
                return new Outputs(y, h, c);
            }
        }
    }

    private static float[] output(OrtSession.Result r, String name, long[] shape) throws OrtException {
        Optional<OnnxValue> v = r.get(name);
        assertTrue(v.isPresent(), "ORT gave no output " + name);
        OnnxTensor t = (OnnxTensor) v.get();
        assertArrayEquals(shape, t.getInfo().getShape(), "shape of ORT output " + name);
        FloatBuffer fb = t.getFloatBuffer();
        float[] a = new float[fb.remaining()];
        fb.get(a);
        return a;
    }

    /** Ours, as forward over the sequence and as T streaming steps, against ORT's outputs. */
    private static Diffs compare(RecurrentNet net, Problem p, Outputs ort) {
        int N = p.N();
        int H = net.hiddenSize;
        int rows = T * N;
        Diffs d = new Diffs();

        RecurrentState s = p.init().copy();
        float[] y = net.forward(p.x(), T, s);
        d.forwardY = maxAbsDiff(y, net.outputOffset(), ort.y(), 0, rows * H);
        d.forwardH = maxAbsDiff(s.h[0], 0, ort.h(), 0, N * H);
        d.forwardC = ort.c() == null ? 0 : maxAbsDiff(s.c[0], 0, ort.c(), 0, N * H);

        RecurrentState st = p.init().copy();
        float[] ys = new float[rows * H];
        for (int t = 0; t < T; t++) {
            net.step(p.x(), t * N * D, st, ys, t * N * H);
        }
        d.stepY = maxAbsDiff(ys, 0, ort.y(), 0, rows * H);
        d.stepH = maxAbsDiff(st.h[0], 0, ort.h(), 0, N * H);
        d.stepC = ort.c() == null ? 0 : maxAbsDiff(st.c[0], 0, ort.c(), 0, N * H);
        return d;
    }

    /** max |a - b| over n values; infinite if any value is NaN. */
    static double maxAbsDiff(float[] a, int aOff, float[] b, int bOff, int n) {
        assertTrue(a.length >= aOff + n && b.length >= bOff + n, "arrays too short to compare " + n + " values");
        double max = 0;
        for (int i = 0; i < n; i++) {
            double diff = Math.abs((double) a[aOff + i] - b[bOff + i]);
            if (Double.isNaN(diff)) {
                return Double.POSITIVE_INFINITY;
            }
            max = Math.max(max, diff);
        }
        return max;
    }

    // ---- Python ----

    /** Null when {@code python3 -c "import numpy"} works, else why not. Checked once. */
    private static synchronized String pythonProblem() {
        if (!pythonChecked) {
            pythonChecked = true;
            try {
                runPython(60, "-c", "import numpy");
                pythonProblem = null;
            } catch (IOException e) {
                pythonProblem = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pythonProblem = "interrupted";
            }
        }
        return pythonProblem;
    }

    /** Runs python3 with the arguments; returns its output, throws IOException if it fails. */
    private static String runPython(int timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("python3");
        cmd.addAll(List.of(args));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        proc.getOutputStream().close();
        if (!proc.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " timed out after " + timeoutSeconds + " s");
        }
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (proc.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited with " + proc.exitValue() + ": " + out);
        }
        return out;
    }
}
