package io.nowcast.tensor;

/**
 * The serving product: {@code C += A B} where every element of C is one fused multiply-add chain
 * over k in increasing order, starting from the value C holds:
 * <pre>
 *   for kk in 0..k-1:  c[i][j] = fma(a[i][kk], b[kk][j], c[i][j])
 * </pre>
 * That is the whole contract, and it is what makes a stream's step a pure function of its own row:
 * an element depends on row i of A, column j of B and its own start value, never on how many rows
 * there are, where row i sits among them, how the columns are tiled, or how wide the machine's
 * vectors are. Java defines {@link Math#fma} and the Vector API's {@code fma} as the exactly
 * rounded {@code a * b + c}, so the interpreter, C1, C2, a scalar loop and a 4-, 8- or 16-lane
 * vector loop all produce the same bits. Two implementations, chosen once:
 * <ul>
 *   <li>{@code vector}: register tiles on the JDK's Vector API ({@code jdk.incubator.vector}, see
 *       {@link VectorFixedOrder}), used when the module is in the boot layer
 *       ({@code --add-modules jdk.incubator.vector}; {@code java -jar nowcast.jar} adds it itself,
 *       see {@code io.nowcast.cli.Launcher}) and the CPU fuses multiply-adds in hardware;</li>
 *   <li>{@code scalar}: the same chains one element at a time with {@link Math#fma}.</li>
 * </ul>
 * Both are checked against each other bit for bit ({@code FixedOrderGemmTest}).
 *
 * <p>Row-major arrays with offsets and row strides: A (m x k) at aOff with stride lda, B (k x n)
 * at bOff with stride ldb, C (m x n) at cOff with stride ldc. C must not alias A or B. A planted
 * batch dependence ({@link #plantBatchDependence}) exists only so that the invariance tests can
 * show they catch one.
 */
public final class FixedOrderGemm {

    /** One implementation of the contract above. */
    interface Impl {
        void accumulate(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                        float[] c, int cOff, int ldc);

        String name();
    }

    private static final Impl IMPL = choose();
    private static volatile boolean planted;

    private FixedOrderGemm() {
    }

    /** The kernel asked for: {@code vector} (the default) or {@code scalar}. */
    private static String requested() {
        String forced = System.getProperty("nowcast.kernel", System.getenv("NOWCAST_KERNEL"));
        return forced == null || forced.isBlank() ? "vector" : forced.trim();
    }

    /**
     * Refuses a setting of {@code NOWCAST_KERNEL} (or {@code -Dnowcast.kernel}) other than
     * {@code vector} or {@code scalar}, naming it; the command line calls it before it runs
     * anything. (The kernel itself, chosen once when the class loads, falls back to the default.)
     */
    public static void checkSetting() {
        String r = requested();
        if (!r.equals("vector") && !r.equals("scalar")) {
            throw new IllegalArgumentException("NOWCAST_KERNEL (or -Dnowcast.kernel) is '" + r
                    + "': expected vector or scalar");
        }
    }

    private static Impl choose() {
        if (!requested().equals("scalar") && vectorApiPresent() && CpuFeatures.hardwareFma()) {
            try {
                return VectorFixedOrder.create();
            } catch (LinkageError | RuntimeException e) {
                // a JDK without a working Vector API: the scalar chains give the same bits
            }
        }
        return new Scalar();
    }

    /** True when {@code jdk.incubator.vector} was resolved at start-up. */
    public static boolean vectorApiPresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** {@code C += A B}, each element one fma chain over k in order (see the class doc). */
    public static void accumulate(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0 || k <= 0) {
            return;
        }
        if (planted && m > 1) {
            plantedAccumulate(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
            return;
        }
        IMPL.accumulate(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    /** Which implementation runs here: {@code vector(16 lanes)} or {@code scalar}. */
    public static String kernel() {
        return IMPL.name();
    }

    /**
     * For tests only: when on, a product of more than one row sums in a different order (as a
     * BLAS that picks another micro-kernel for another shape would), so that results depend on
     * the batch. The invariance tests turn it on to show that they fail.
     */
    public static void plantBatchDependence(boolean on) {
        planted = on;
    }

    private static void plantedAccumulate(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                                          int ldb, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int kk = 0; kk < k; kk++) {
                    s = Math.fma(a[aOff + i * lda + kk], b[bOff + kk * ldb + j], s);
                }
                c[cOff + i * ldc + j] += s;
            }
        }
    }

    /** The contract written out, one element at a time. */
    static final class Scalar implements Impl {
        @Override
        public void accumulate(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                               float[] c, int cOff, int ldc) {
            for (int i = 0; i < m; i++) {
                int ai = aOff + i * lda;
                int ci = cOff + i * ldc;
                for (int kk = 0; kk < k; kk++) {
                    float av = a[ai + kk];
                    int bk = bOff + kk * ldb;
                    // c[i][j] = fma(a[i][kk], b[kk][j], c[i][j]) for all j: kk outermost keeps the order
                    for (int j = 0; j < n; j++) {
                        c[ci + j] = Math.fma(av, b[bk + j], c[ci + j]);
                    }
                }
            }
        }

        @Override
        public String name() {
            return "scalar";
        }
    }
}
