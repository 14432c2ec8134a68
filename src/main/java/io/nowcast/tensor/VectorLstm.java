package io.nowcast.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One stream's row of the LSTM's element-wise passes in training, on the Vector API: the same
 * operations in the same order as the scalar loops in {@code nn.LstmLayer} (the activations those
 * of {@link Kernels}), so the two give the same bits. C2 does not vectorise the scalar loops
 * (their arrays are read at many different offsets), and these passes were the largest share of a
 * character model's training time outside the BLAS. Each pass is one sweep over the row with its
 * values in registers, where the scalar form takes six. Loaded only when
 * {@code jdk.incubator.vector} is in the boot layer and multiply-adds are fused in hardware: check
 * {@link Kernels#vectorised()} before the first call (reading a field of this class loads it).
 */
public final class VectorLstm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorLstm() {
    }

    private static FloatVector sigmoid(FloatVector x) {
        return VectorKernels.tanhClamped(VectorKernels.clamp(x.mul(0.5f))).fma(0.5f, 0.5f);
    }

    private static FloatVector tanh(FloatVector x) {
        return VectorKernels.tanhClamped(VectorKernels.clamp(x));
    }

    /**
     * For j in [0, H): activates the pre-activations zi, zf, zg, zo at {@code g[r + kH + j]} in
     * place (sigmoid, sigmoid, tanh, sigmoid), then {@code c = f cPrev + i g} into
     * {@code cOut[cq + j]}, {@code tc = tanh(c)} into {@code tc[tq + j]} and {@code h = o tc} into
     * {@code hOut[hq + j]}, with c_prev at {@code cPrev[pq + j]}. Returns the first j it left to
     * the caller's scalar loop.
     */
    public static int forwardRow(int H, float[] g, int r, float[] cPrev, int pq, float[] cOut, int cq,
                                 float[] tc, int tq, float[] hOut, int hq) {
        int L = S.length();
        int j = 0;
        for (; j + L <= H; j += L) {
            FloatVector i = sigmoid(FloatVector.fromArray(S, g, r + j));
            FloatVector f = sigmoid(FloatVector.fromArray(S, g, r + H + j));
            FloatVector gg = tanh(FloatVector.fromArray(S, g, r + 2 * H + j));
            FloatVector o = sigmoid(FloatVector.fromArray(S, g, r + 3 * H + j));
            i.intoArray(g, r + j);
            f.intoArray(g, r + H + j);
            gg.intoArray(g, r + 2 * H + j);
            o.intoArray(g, r + 3 * H + j);
            FloatVector cv = f.mul(FloatVector.fromArray(S, cPrev, pq + j)).add(i.mul(gg));
            cv.intoArray(cOut, cq + j);
            FloatVector t = tanh(cv);
            t.intoArray(tc, tq + j);
            o.mul(t).intoArray(hOut, hq + j);
        }
        return j;
    }

    /**
     * For j in [0, H): from the activated gates i, f, g, o at {@code gates[r + kH + j]}, tanh(c) at
     * {@code tc[sq + j]}, c_prev at {@code cPrev[sq + j]}, dy at {@code dy[dyq + j]}, and the carried
     * dh, dc at {@code dhNext[q + j]}, {@code dcNext[q + j]}: writes dz at {@code dz[r + kH + j]},
     * adds it to the bias gradient {@code db[kH + j]}, and writes the new dc into dcNext. Returns
     * the first j it left to the caller's scalar loop.
     */
    public static int backwardRow(int H, float[] gates, int r, float[] tc, float[] cPrev, int sq, float[] dy, int dyq,
                                  float[] dhNext, float[] dcNext, int q, float[] dz, float[] db) {
        int L = S.length();
        FloatVector one = FloatVector.broadcast(S, 1f);
        int j = 0;
        for (; j + L <= H; j += L) {
            FloatVector i = FloatVector.fromArray(S, gates, r + j);
            FloatVector f = FloatVector.fromArray(S, gates, r + H + j);
            FloatVector g = FloatVector.fromArray(S, gates, r + 2 * H + j);
            FloatVector o = FloatVector.fromArray(S, gates, r + 3 * H + j);
            FloatVector tcv = FloatVector.fromArray(S, tc, sq + j);
            FloatVector dh = FloatVector.fromArray(S, dy, dyq + j).add(FloatVector.fromArray(S, dhNext, q + j));
            // dc = dcNext + dh o (1 - tc^2)
            FloatVector dc = FloatVector.fromArray(S, dcNext, q + j).add(dh.mul(o).mul(one.sub(tcv.mul(tcv))));
            FloatVector dzi = dc.mul(g).mul(i).mul(one.sub(i));
            FloatVector dzf = dc.mul(FloatVector.fromArray(S, cPrev, sq + j)).mul(f).mul(one.sub(f));
            FloatVector dzg = dc.mul(i).mul(one.sub(g.mul(g)));
            FloatVector dzo = dh.mul(tcv).mul(o).mul(one.sub(o));
            dzi.intoArray(dz, r + j);
            dzf.intoArray(dz, r + H + j);
            dzg.intoArray(dz, r + 2 * H + j);
            dzo.intoArray(dz, r + 3 * H + j);
            FloatVector.fromArray(S, db, j).add(dzi).intoArray(db, j);
            FloatVector.fromArray(S, db, H + j).add(dzf).intoArray(db, H + j);
            FloatVector.fromArray(S, db, 2 * H + j).add(dzg).intoArray(db, 2 * H + j);
            FloatVector.fromArray(S, db, 3 * H + j).add(dzo).intoArray(db, 3 * H + j);
            dc.mul(f).intoArray(dcNext, q + j);
        }
        return j;
    }
}
