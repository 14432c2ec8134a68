package io.nowcast.eval.motion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The conversions on rotations whose matrices and angles are known by hand, and against values
 * printed by Martinez et al.'s {@code expmap2rotmat} and {@code rotmat2euler} run in numpy.
 */
class RotationsTest {
    private static double[] euler(double x, double y, double z) {
        return Rotations.rotmatToEuler(Rotations.expmapToRotmat(new double[] {x, y, z}, 0));
    }

    @Test
    void theZeroMapIsTheIdentityAndZeroAngles() {
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, Rotations.expmapToRotmat(new double[3], 0), 0);
        assertArrayEquals(new double[3], euler(0, 0, 0), 0);
    }

    @Test
    void aRotationAboutOneAxisIsRodriguesMatrixAndMinusItsAngle() {
        // about x by a: R = [[1, 0, 0], [0, cos a, -sin a], [0, sin a, cos a]] (up to the eps of r0),
        // so E1 = atan2(R12, R22) = atan2(-sin a, cos a) = -a
        double a = 0.5;
        double[] r = Rotations.expmapToRotmat(new double[] {a, 0, 0}, 0);
        assertArrayEquals(new double[] {1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)}, r, 1e-6);
        assertArrayEquals(new double[] {-a, 0, 0}, euler(a, 0, 0), 1e-6);
        // about z by a: E3 = atan2(R01, R00) = atan2(-sin a, cos a) = -a; about y: E2 = -asin(sin a) = -a
        assertArrayEquals(new double[] {0, 0, 1.2}, euler(0, 0, -1.2), 1e-6);
        assertArrayEquals(new double[] {0, -0.3, 0}, euler(0, 0.3, 0), 1e-6);
        // the exact values of the numpy code, eps included: -0.49999987170328036, 1.199999848371105
        assertEquals(-0.49999987170328036, euler(0.5, 0, 0)[0], 1e-15);
        assertEquals(1.199999848371105, euler(0, 0, -1.2)[2], 1e-15);
    }

    @Test
    void generalRotationsMatchTheNumpyCode() {
        assertArrayEquals(new double[] {0.9357548442149679, -0.30293261373923314, -0.1805400238978114,
            0.28316487349768477, 0.9505806493961292, -0.12733452490180883, 0.2101916342601339, 0.06803130417716383,
            0.9752903246980645}, Rotations.expmapToRotmat(new double[] {0.1, -0.2, 0.3}, 0), 1e-15);
        assertArrayEquals(new double[] {-0.12982628301821764, 0.18153546963067724, -0.3130834742286407},
                euler(0.1, -0.2, 0.3), 1e-14);
        assertArrayEquals(new double[] {-2.304479406093672, -0.521146797402565, 1.9781788302473315},
                euler(1.0, 2.0, -0.5), 1e-14);
        // a joint of the first frames of CMU test/walking_1
        assertArrayEquals(new double[] {-0.01665366093265931, -0.1462315265778119, -0.12718297476270554},
                euler(0.0259007498, 0.144975659, 0.128170934), 1e-14);
        // next to gimbal lock the eps of r0 shows: pi/2 about y comes back as -1.570406734736426
        assertArrayEquals(new double[] {0, -1.570406734736426, 0}, euler(0, Math.PI / 2, 0), 1e-12);
    }

    @Test
    void gimbalLockTakesTheSpecialBranch() {
        // R02 = 1: E2 = -pi/2, E3 = 0, E1 = atan2(R01, R02) = atan2(0.6, 1)
        double[] up = {0, 0.6, 1, 0, 1, 0, -1, 0, 0};
        assertArrayEquals(new double[] {Math.atan2(0.6, 1), -Math.PI / 2, 0}, Rotations.rotmatToEuler(up), 0);
        assertEquals(0.5404195002705842, Rotations.rotmatToEuler(up)[0], 1e-16);
        // R02 = -1: E2 = pi/2, E1 = atan2(R01, -1) = atan2(-0.6, -1)
        double[] down = {0, -0.6, -1, 0, 1, 0, 1, 0, 0};
        assertArrayEquals(new double[] {-2.601173153319209, Math.PI / 2, 0}, Rotations.rotmatToEuler(down), 1e-15);
        // the exact rotation of pi/2 about y, written by hand, is in gimbal lock: E2 = -pi/2
        double[] ry = {0, 0, 1, 0, 1, 0, -1, 0, 0};
        assertArrayEquals(new double[] {0, -Math.PI / 2, 0}, Rotations.rotmatToEuler(ry), 0);
    }

    @Test
    void aPoseLeavesOutTheGlobalSixValues() {
        double[] pose = {4.4, 17.9, -21.1, 0.3, 0.2, 0.1, 0.5, 0, 0, 0, 0, -1.2};
        double[] e = Rotations.poseToEuler(pose);
        assertArrayEquals(new double[6], java.util.Arrays.copyOf(e, 6), 0);
        assertArrayEquals(new double[] {-0.5, 0, 0, 0, 0, 1.2}, java.util.Arrays.copyOfRange(e, 6, 12), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> Rotations.poseToEuler(new double[10]));
    }
}
