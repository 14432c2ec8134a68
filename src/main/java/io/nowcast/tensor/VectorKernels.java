package io.nowcast.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise kernels of {@link Kernels} on the Vector API: the same operations in the same
 * order on every element (lane-wise min, max, fma, multiply, add and divide are defined as
 * {@link Math#min}, {@link Math#max}, {@link Math#fma} and the float operators), so the two forms
 * give the same bits. Kernels calls these only where multiply-adds are fused in hardware (its
 * scalar form then uses Math.fma too) and {@code jdk.incubator.vector} is in the boot layer.
 *
 * <p>Why both: C2 auto-vectorises the scalar loops, but only once it has compiled them with a
 * profile that lets it, and a loop first compiled for the short arrays of one stream stays slower
 * for the long ones of sixteen (the 16-stream step ran at 4.4 instead of 3.0 us when it followed
 * the 1-stream one in the same JVM). Each method returns the first index it left to the caller's
 * scalar loop (fewer than one vector's length of elements).
 */
final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorKernels() {
    }

    /** The rational tanh of {@link Kernels} on clamped v (see its constants). */
    static FloatVector tanhClamped(FloatVector v) {
        FloatVector x2 = v.mul(v);
        FloatVector p = x2.fma(Kernels.A13, Kernels.A11);
        p = p.fma(x2, FloatVector.broadcast(S, Kernels.A9));
        p = p.fma(x2, FloatVector.broadcast(S, Kernels.A7));
        p = p.fma(x2, FloatVector.broadcast(S, Kernels.A5));
        p = p.fma(x2, FloatVector.broadcast(S, Kernels.A3));
        p = p.fma(x2, FloatVector.broadcast(S, Kernels.A1));
        p = p.mul(v);
        FloatVector q = x2.fma(Kernels.B6, Kernels.B4);
        q = q.fma(x2, FloatVector.broadcast(S, Kernels.B2));
        q = q.fma(x2, FloatVector.broadcast(S, Kernels.B0));
        return p.div(q);
    }

    static FloatVector clamp(FloatVector x) {
        return x.lanewise(VectorOperators.MIN, Kernels.CLAMP).lanewise(VectorOperators.MAX, -Kernels.CLAMP);
    }

    /** {@code x[off..off+n) = tanh(x)} for the whole vectors; returns the index reached. */
    static int tanh(float[] x, int off, int n) {
        int i = off;
        for (int end = off + n - L; i <= end; i += L) {
            tanhClamped(clamp(FloatVector.fromArray(S, x, i))).intoArray(x, i);
        }
        return i;
    }

    /** {@code x[off..off+n) = 0.5 tanh(x / 2) + 0.5} for the whole vectors; returns the index reached. */
    static int sigmoid(float[] x, int off, int n) {
        int i = off;
        for (int end = off + n - L; i <= end; i += L) {
            FloatVector v = clamp(FloatVector.fromArray(S, x, i).mul(0.5f));
            tanhClamped(v).fma(0.5f, 0.5f).intoArray(x, i);
        }
        return i;
    }

    /** {@code c = f c + i g}, {@code h = o tanh(c)} over the whole vectors of [0, n); returns the index reached. */
    static int lstmUpdate(float[] i, float[] f, float[] g, float[] o, float[] c, float[] h, int n) {
        int k = 0;
        for (; k + L <= n; k += L) {
            FloatVector cv = FloatVector.fromArray(S, f, k).mul(FloatVector.fromArray(S, c, k))
                    .add(FloatVector.fromArray(S, i, k).mul(FloatVector.fromArray(S, g, k)));
            cv.intoArray(c, k);
            FloatVector.fromArray(S, o, k).mul(tanhClamped(clamp(cv))).intoArray(h, k);
        }
        return k;
    }

    /** {@code an = tanh(an + r bn)}, {@code h = an + u (h - an)} over the whole vectors of [0, n); returns the index reached. */
    static int gruUpdate(float[] r, float[] u, float[] bn, float[] an, float[] h, int n) {
        int k = 0;
        for (; k + L <= n; k += L) {
            FloatVector a = FloatVector.fromArray(S, an, k)
                    .add(FloatVector.fromArray(S, r, k).mul(FloatVector.fromArray(S, bn, k)));
            FloatVector nv = tanhClamped(clamp(a));
            nv.intoArray(an, k);
            FloatVector hv = FloatVector.fromArray(S, h, k);
            nv.add(FloatVector.fromArray(S, u, k).mul(hv.sub(nv))).intoArray(h, k);
        }
        return k;
    }
}
