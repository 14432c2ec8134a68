package io.nowcast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The 8 flips and rotations: distinct, undone exactly, and averaged back in the original frame. */
class SelfEnsembleTest {
    private static float[] ramp(int w, int h) {
        float[] x = new float[w * h];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        return x;
    }

    @Test
    void theEightTransformsAreDistinctAndUndoneExactly() {
        int w = 3;
        int h = 2;
        float[] x = ramp(w, h);
        Set<List<Float>> seen = new HashSet<>();
        for (int k = 0; k < 8; k++) {
            float[] t = SelfEnsemble.transform(x, w, h, k);
            int tw = k % 2 == 1 ? h : w;
            int th = k % 2 == 1 ? w : h;
            assertArrayEquals(x, SelfEnsemble.inverse(t, tw, th, k), "k=" + k);
            float[] copy = t;
            seen.add(IntStream.range(0, t.length).mapToObj(i -> copy[i]).collect(Collectors.toList()));
        }
        assertEquals(8, seen.size());
        // one quarter turn counter-clockwise of [0 1 2; 3 4 5] is [2 5; 1 4; 0 3]
        assertArrayEquals(new float[] {2, 5, 1, 4, 0, 3}, SelfEnsemble.transform(x, w, h, 1));
        // the mirror of it is [2 1 0; 5 4 3]
        assertArrayEquals(new float[] {2, 1, 0, 5, 4, 3}, SelfEnsemble.transform(x, w, h, 4));
    }

    @Test
    void anEquivariantMethodIsUnchangedAndAnUpscalerIsTurnedBackAtItsScale() {
        int w = 5;
        int h = 4;
        float[] x = ramp(w, h);
        // identity: the mean of 8 exact copies
        assertArrayEquals(x, SelfEnsemble.apply((in, iw, ih) -> in.clone(), x, w, h));
        // nearest-neighbour x2 commutes with flips and turns: the ensemble equals it
        SelfEnsemble.ImageOp nn = (in, iw, ih) -> {
            float[] o = new float[4 * iw * ih];
            for (int y = 0; y < 2 * ih; y++) {
                for (int c = 0; c < 2 * iw; c++) {
                    o[y * 2 * iw + c] = in[(y / 2) * iw + c / 2];
                }
            }
            return o;
        };
        assertArrayEquals(nn.apply(x, w, h), SelfEnsemble.apply(nn, x, w, h));
        // a method that is not equivariant (adds the column index) is changed by it
        SelfEnsemble.ImageOp col = (in, iw, ih) -> {
            float[] o = in.clone();
            for (int i = 0; i < o.length; i++) {
                o[i] += i % iw;
            }
            return o;
        };
        assertFalse(java.util.Arrays.equals(col.apply(x, w, h), SelfEnsemble.apply(col, x, w, h)));
    }
}
