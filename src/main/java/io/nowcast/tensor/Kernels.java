package io.nowcast.tensor;

/**
 * Element-wise kernels on float arrays, written as straight loops without branches so that the
 * JIT compiles them to SIMD code. {@code tanh} is a rational approximation (odd degree-13
 * numerator over even degree-6 denominator on the input clamped to [-7.905, 7.905], the form used
 * by Eigen and XLA, evaluated with fused multiply-adds where the hardware has them) whose absolute error against
 * {@link Math#tanh} is below 1e-6 in float32; sigmoid is {@code 0.5 + 0.5 tanh(x / 2)}, so both
 * share the one fast path. The clamp stays {@code Math.min/max}: it compiles to a few more
 * instructions than a bare vminps (Java's NaN and -0.0 rules) but vectorises, and the cheaper
 * branch-free alternatives either do not vectorise on JDK 17 (bit tricks, copySign, signum) or
 * break for very large inputs ({@code (|x + C| - |x - C|) / 2} gives 0 for |x| > 2^24 C).
 */
public final class Kernels {
    static final float CLAMP = 7.90531110763549805f;
    static final float A1 = 4.89352455891786e-03f;
    static final float A3 = 6.37261928875436e-04f;
    static final float A5 = 1.48572235717979e-05f;
    static final float A7 = 5.12229709037114e-08f;
    static final float A9 = -8.60467152213735e-11f;
    static final float A11 = 2.00018790482477e-13f;
    static final float A13 = -2.76076847742355e-16f;
    static final float B0 = 4.89352518554385e-03f;
    static final float B2 = 2.26843463243900e-03f;
    static final float B4 = 1.18534705686654e-04f;
    static final float B6 = 1.19825839466702e-06f;

    /**
     * Whether multiply-adds are fused in hardware. Math.fma is one instruction then (and
     * vectorised), but without the intrinsic it falls back to exact BigDecimal arithmetic, orders
     * of magnitude slower: the kernels then use a separate multiply and add (results differ in
     * the last bit). A static final, so the JIT folds the choice away.
     */
    private static final boolean FMA = CpuFeatures.hardwareFma();

    /** Whether the array kernels run on {@link VectorKernels} (same bits; needs fused multiply-adds). */
    private static final boolean VECTOR = FMA && FixedOrderGemm.vectorApiPresent();

    private Kernels() {
    }

    /**
     * Whether the array kernels run on the Vector API ({@link VectorKernels}, {@link VectorLstm}):
     * the module is in the boot layer and multiply-adds are fused in hardware.
     */
    public static boolean vectorised() {
        return VECTOR;
    }

    /** {@code a * b + c}, fused when the hardware does it (see {@link #FMA}). */
    private static float madd(float a, float b, float c) {
        return FMA ? Math.fma(a, b, c) : a * b + c;
    }

    /** tanh of one value, same approximation as the array form. */
    public static float tanh(float v) {
        float x = Math.max(-CLAMP, Math.min(CLAMP, v));
        float x2 = x * x;
        float p = madd(x2, A13, A11);
        p = madd(p, x2, A9);
        p = madd(p, x2, A7);
        p = madd(p, x2, A5);
        p = madd(p, x2, A3);
        p = madd(p, x2, A1);
        p = p * x;
        float q = madd(x2, B6, B4);
        q = madd(q, x2, B2);
        q = madd(q, x2, B0);
        return p / q;
    }

    /** sigmoid of one value: {@code 1 / (1 + e^-x) = 0.5 + 0.5 tanh(x / 2)}. */
    public static float sigmoid(float v) {
        return madd(tanh(0.5f * v), 0.5f, 0.5f);
    }

    /** {@code x[off..off+n) = tanh(x[off..off+n))}, in place. */
    public static void tanh(float[] x, int off, int n) {
        int from = VECTOR ? VectorKernels.tanh(x, off, n) : off;
        tanhScalar(x, from, off + n - from);
    }

    static void tanhScalar(float[] x, int off, int n) {
        for (int i = off, end = off + n; i < end; i++) {
            float v = Math.max(-CLAMP, Math.min(CLAMP, x[i]));
            float x2 = v * v;
            float p = madd(x2, A13, A11);
            p = madd(p, x2, A9);
            p = madd(p, x2, A7);
            p = madd(p, x2, A5);
            p = madd(p, x2, A3);
            p = madd(p, x2, A1);
            p = p * v;
            float q = madd(x2, B6, B4);
            q = madd(q, x2, B2);
            q = madd(q, x2, B0);
            x[i] = p / q;
        }
    }

    /** {@code x[off..off+n) = sigmoid(x[off..off+n))}, in place. */
    public static void sigmoid(float[] x, int off, int n) {
        int from = VECTOR ? VectorKernels.sigmoid(x, off, n) : off;
        sigmoidScalar(x, from, off + n - from);
    }

    static void sigmoidScalar(float[] x, int off, int n) {
        for (int i = off, end = off + n; i < end; i++) {
            float v = Math.max(-CLAMP, Math.min(CLAMP, 0.5f * x[i]));
            float x2 = v * v;
            float p = madd(x2, A13, A11);
            p = madd(p, x2, A9);
            p = madd(p, x2, A7);
            p = madd(p, x2, A5);
            p = madd(p, x2, A3);
            p = madd(p, x2, A1);
            p = p * v;
            float q = madd(x2, B6, B4);
            q = madd(q, x2, B2);
            q = madd(q, x2, B0);
            x[i] = madd(p / q, 0.5f, 0.5f);
        }
    }

    /*
     * The loops below are shaped for C2's auto-vectoriser as it is in JDK 17, which is picky; each
     * shape was checked in the generated code (packed vmulps/vdivps on zmm registers):
     *  - every array in a loop that stores must be indexed with the same expression (all from 0,
     *    or all with the same offset variable): an access at base + j next to one at other + j
     *    makes the two "not comparable", the vectoriser assumes a dependence and gives up;
     *  - at most one tanh (or sigmoid) per loop body, and no second pair of like operations
     *    combined with it (tanh(a * b + c * d) stays scalar, tanh(a + b * c) is vectorised).
     * Hence the split into separate gate arrays and the short passes.
     */

    /**
     * Copies {@code blocks.length} column blocks of width w out of a rows x ld matrix at srcOff:
     * block b of row r goes to {@code blocks[b][r * w ...]}. Used to split a step's gate
     * pre-activations into one array per gate (System.arraycopy, no vectoriser involved).
     */
    public static void splitColumns(float[] src, int srcOff, int ld, int rows, int w, float[][] blocks, int count) {
        for (int r = 0; r < rows; r++) {
            int o = srcOff + r * ld;
            for (int b = 0; b < count; b++) {
                System.arraycopy(src, o + b * w, blocks[b], r * w, w);
            }
        }
    }

    /**
     * LSTM state update from activated gates, element-wise over {@code [0, n)} of every array:
     * {@code c = f c + i g}, {@code h = o tanh(c)}, c and h in place.
     */
    public static void lstmUpdate(float[] i, float[] f, float[] g, float[] o, float[] c, float[] h, int n) {
        lstmUpdateScalar(i, f, g, o, c, h, VECTOR ? VectorKernels.lstmUpdate(i, f, g, o, c, h, n) : 0, n);
    }

    /** {@link #lstmUpdate} over [from, n). */
    static void lstmUpdateScalar(float[] i, float[] f, float[] g, float[] o, float[] c, float[] h, int from, int n) {
        for (int k = from; k < n; k++) {
            float cv = f[k] * c[k] + i[k] * g[k];
            c[k] = cv;
            h[k] = cv;
        }
        for (int k = from; k < n; k++) {
            h[k] = o[k] * tanh(h[k]);
        }
    }

    /**
     * GRU state update element-wise over {@code [0, n)}: from activated r and u and the
     * pre-activations {@code bn = W_hn h + b_hn}, {@code an = W_in x + b_in},
     * {@code n = tanh(an + r bn)} (into an) and {@code h = (1 - u) n + u h} in place.
     */
    public static void gruUpdate(float[] r, float[] u, float[] bn, float[] an, float[] h, int n) {
        gruUpdateScalar(r, u, bn, an, h, VECTOR ? VectorKernels.gruUpdate(r, u, bn, an, h, n) : 0, n);
    }

    /** {@link #gruUpdate} over [from, n). */
    static void gruUpdateScalar(float[] r, float[] u, float[] bn, float[] an, float[] h, int from, int n) {
        for (int k = from; k < n; k++) {
            an[k] = tanh(an[k] + r[k] * bn[k]);
        }
        for (int k = from; k < n; k++) {
            float nv = an[k];
            h[k] = nv + u[k] * (h[k] - nv);
        }
    }

    /** {@code x = max(x, 0)}, in place. */
    public static void relu(float[] x, int off, int n) {
        for (int i = off, end = off + n; i < end; i++) {
            x[i] = Math.max(x[i], 0f);
        }
    }

    /** Copies {@code row} (length n) into each of {@code rows} consecutive rows of {@code dst} at off. */
    public static void broadcastRows(float[] row, float[] dst, int off, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(row, 0, dst, off + r * n, n);
        }
    }

    /** {@code dst[j] += sum over rows of src[r][j]} for a rows x n block at off. */
    public static void addColumnSums(float[] src, int off, int rows, int n, float[] dst) {
        // dst (1, n) += ones (1, rows) src (rows, n): FixedOrderGemm adds the rows in order (fma with
        // 1 is an exact add), as the plain loop would, but in vector registers: the plain loop's
        // two offsets (dst at j, src at o + j) keep C2 from vectorising it
        float[] ones = onesOf(rows);
        FixedOrderGemm.accumulate(1, n, rows, ones, 0, rows, src, off, n, dst, 0, n);
    }

    private static final ThreadLocal<float[]> ONES = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] onesOf(int n) {
        float[] o = ONES.get();
        if (o.length < n) {
            o = new float[n];
            java.util.Arrays.fill(o, 1f);
            ONES.set(o);
        }
        return o;
    }
}
