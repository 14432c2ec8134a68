package io.nowcast.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One stream's row of the LSTM backward's element-wise pass on the Vector API: the same
 * operations in the same order as the scalar loop in {@code nn.LstmLayer.backward} (no fused
 * multiply-add in either), so the two give the same bits. C2 does not vectorise the scalar loop
 * (its arrays are read at eight different offsets), and this pass was the largest share of a
 * character model's training time outside the BLAS. Loaded only when {@code jdk.incubator.vector}
 * is in the boot layer: check {@link FixedOrderGemm#vectorApiPresent()} before the first call.
 */
public final class VectorLstmBackward {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorLstmBackward() {
    }

    /**
     * For j in [0, H): from the activated gates i, f, g, o at {@code gates[r + kH + j]}, tanh(c) at
     * {@code tc[sq + j]}, c_prev at {@code cPrev[sq + j]}, dy at {@code dy[dyq + j]}, and the carried
     * dh, dc at {@code dhNext[q + j]}, {@code dcNext[q + j]}: writes dz at {@code dz[r + kH + j]} and
     * the new dc into dcNext. Returns the first j it left to the caller's scalar loop.
     */
    public static int row(int H, float[] gates, int r, float[] tc, float[] cPrev, int sq, float[] dy, int dyq,
                          float[] dhNext, float[] dcNext, int q, float[] dz) {
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
            dc.mul(g).mul(i).mul(one.sub(i)).intoArray(dz, r + j);
            dc.mul(FloatVector.fromArray(S, cPrev, sq + j)).mul(f).mul(one.sub(f)).intoArray(dz, r + H + j);
            dc.mul(i).mul(one.sub(g.mul(g))).intoArray(dz, r + 2 * H + j);
            dh.mul(tcv).mul(o).mul(one.sub(o)).intoArray(dz, r + 3 * H + j);
            dc.mul(f).intoArray(dcNext, q + j);
        }
        return j;
    }
}
