package io.nowcast.model;

import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentLayer;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.FixedOrderGemm;
import io.nowcast.tensor.Rng;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * A digest of every output and state bit of the recurrent models of {@link BatchInvarianceTest},
 * each stepped for 300 streams, and of an LSTM's training pass (outputs and every gradient, whose
 * element-wise passes run on the Vector API where the JVM has it): run in JVMs with other vector
 * widths (or with no Vector API) to check that they give the same bits ({@code CrossMachineTest}).
 * Prints the kernel and the digest.
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
        for (int H : new int[] {37, 64}) {
            trainingPass(md, H);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** An LSTM layer's forward and backward over 3 steps of 4 sequences (EJML products, the same on any JVM). */
    private static void trainingPass(MessageDigest md, int H) {
        int D = 5;
        int T = 3;
        int N = 4;
        Rng rng = new Rng(H);
        RecurrentLayer layer = RecurrentLayer.create(CellType.LSTM, 0, D, H, Gemms.create("ejml"));
        layer.initUniform(rng);
        float[] x = new float[T * N * D];
        float[] h = new float[N * H];
        float[] c = new float[N * H];
        float[] dy = new float[T * N * H];
        rng.uniform(x, 2f);
        rng.uniform(h, 1f);
        rng.uniform(c, 1f);
        rng.uniform(dy, 1f);
        layer.forward(x, 0, T, N, h, c);
        float[] dx = new float[T * N * D];
        layer.backward(dy, 0, dx, 0);
        update(md, layer.outputs());
        update(md, h);
        update(md, c);
        update(md, dx);
        update(md, layer.dh0());
        update(md, layer.dc0());
        for (Param p : layer.params()) {
            update(md, p.g());
        }
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
