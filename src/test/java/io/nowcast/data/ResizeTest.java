package io.nowcast.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** MATLAB-compatible bicubic resizing: values computed by hand and properties any correct resize has. */
class ResizeTest {

    @Test
    void enlargingAnImpulseGivesTheKeysWeightsComputedByHand() {
        // one row 0 0 1 0, x2: output pixel 5 (1-based) sits at u = 5/2 + 0.5 (1 - 1/2) = 2.75;
        // its taps j = 0..5 lie at d = u - j = 2.75, 1.75, 0.75, -0.25, -1.25, -2.25, and the impulse
        // (j = 3) gets cubic(0.25) = 1.5 (1/64) - 2.5 (1/16) + 1 = 0.8671875
        GreyImage up = Resize.bicubic(new GreyImage(4, 1, new float[] {0, 0, 1, 0}), 8, 2);
        assertEquals(0.8671875, up.at(4, 0), 1e-6);
        assertEquals(0.8671875, up.at(4, 1), 1e-6);
        // pixel 6: u = 3.25, the impulse at d = 0.25 again (symmetry)
        assertEquals(0.8671875, up.at(5, 0), 1e-6);
        // pixel 4: u = 2.25, the impulse at d = -0.75: cubic(0.75) = 0.2265625
        assertEquals(0.2265625, up.at(3, 0), 1e-6);
        // pixel 7: u = 3.75, d = 0.75 from j = 3, and j = 4 mirrors to itself (index 4), no other copy of the impulse
        assertEquals(0.2265625, up.at(6, 0), 1e-6);
    }

    @Test
    void aConstantImageStaysConstant() {
        float[] p = new float[15 * 11];
        java.util.Arrays.fill(p, 0.37f);
        GreyImage c = new GreyImage(15, 11, p);
        for (int[] size : new int[][] {{30, 22}, {5, 4}, {45, 33}, {7, 11}, {16, 3}}) {
            GreyImage r = Resize.bicubic(c, size[0], size[1]);
            for (float v : r.pixels()) {
                assertEquals(0.37f, v, 1e-6f);
            }
        }
    }

    @Test
    void aLinearRampShrinksAndGrowsToTheRampAtTheMappedPositions() {
        // value = 1-based column index; output pixel x maps to u = x / s + 0.5 (1 - 1 / s), and away from
        // the borders a symmetric normalised kernel (antialiased when shrinking) reproduces a linear ramp: u
        int w = 32;
        float[] p = new float[w * 3];
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < w; x++) {
                p[y * w + x] = x + 1;
            }
        }
        GreyImage ramp = new GreyImage(w, 3, p);
        GreyImage half = Resize.bicubic(ramp, 16, 3);          // s = 1/2: kernel 8 pixels wide
        for (int x = 3; x <= 14; x++) {
            assertEquals(2 * x - 0.5, half.at(x - 1, 1), 1e-4, "shrunk pixel " + x);
        }
        GreyImage quarter = Resize.bicubic(ramp, 8, 3);        // s = 1/4: u = 4x - 1.5
        for (int x = 3; x <= 6; x++) {
            assertEquals(4 * x - 1.5, quarter.at(x - 1, 1), 1e-4, "quartered pixel " + x);
        }
        GreyImage twice = Resize.bicubic(ramp, 64, 3);         // s = 2: u = x / 2 + 0.25
        for (int x = 5; x <= 60; x++) {
            assertEquals(x / 2.0 + 0.25, twice.at(x - 1, 0), 1e-4, "enlarged pixel " + x);
        }
        // at the border the mirrored samples bend the ramp. By hand: u = 1.5, taps j = -2..5 with weights
        // cubic(d / 2) / 2 for d = u - j: -0.01171875, -0.03515625, 0.11328125, 0.43359375 (twice), 0.11328125,
        // -0.03515625, -0.01171875, on the values 3 2 1 | 1 2 3 4 5 (j <= 0 mirrored): 1.44921875
        assertEquals(1.44921875, half.at(0, 0), 1e-6);
    }

    @Test
    void mirroringIsSymmetric() {
        int[] want = {1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0};
        for (int j = -2; j <= 8; j++) {
            assertEquals(want[j + 2], Resize.mirror(j, 4), "index " + j);
        }
    }
}
