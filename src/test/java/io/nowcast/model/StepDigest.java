package io.nowcast.model;

import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Rng;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * A digest of every output and state bit of the recurrent models of {@link BatchInvarianceTest},
 * each stepped for 300 streams: run in JVMs with other vector widths (or with no Vector API) to
 * check that they give the same bits ({@code CrossMachineTest}). Prints the kernel and the digest.
 */
public final class StepDigest {
    private StepDigest() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println(FixedOrderGemm.kernel() + " " + digest());
    }

    static String digest() throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        List<Object[]> models = BatchInvarianceTest.recurrentModels();
        for (Object[] m : models) {
            BatchInvarianceTest.Stepper s = (BatchInvarianceTest.Stepper) m[1];
            int rows = 300;
            Rng rng = new Rng(31);
            RecurrentState state = s.newState(rows);
            float[] in = new float[rows * s.inWidth()];
            float[] out = new float[rows * s.outWidth()];
            for (int t = 0; t < 4; t++) {
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < s.inWidth(); j++) {
                        in[r * s.inWidth() + j] = s.input(rng, j);
                    }
                }
                s.step(in, state, out);
                update(md, out);
            }
            for (int l = 0; l < state.layers(); l++) {
                update(md, state.h[l]);
                if (state.hasCell()) {
                    update(md, state.c[l]);
                }
            }
            update(md, state.extra);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, float[] v) {
        byte[] b = new byte[4 * v.length];
        for (int i = 0; i < v.length; i++) {
            int x = Float.floatToRawIntBits(v[i]);
            b[4 * i] = (byte) x;
            b[4 * i + 1] = (byte) (x >>> 8);
            b[4 * i + 2] = (byte) (x >>> 16);
            b[4 * i + 3] = (byte) (x >>> 24);
        }
        md.update(b);
    }
}
