package io.nowcast.eval.motion;

/**
 * The angle conversions of the motion-prediction error, ported line by line from
 * {@code expmap2rotmat} and {@code rotmat2euler} of Martinez et al.'s {@code data_utils.py}
 * (una-dinosauria/human-motion-prediction, CVPR 2017; themselves ports of Jain et al.'s SRNN
 * Matlab code), which Li et al. (CVPR 2018) and Mao et al. (ICCV 2019) copy: the error is measured
 * in these Euler angles, so the port keeps their numerical quirks.
 *
 * <p>{@link #expmapToRotmat}: Rodrigues' formula, theta = |r|, r0 = r / (theta + eps) with eps the
 * float32 machine epsilon 2^-23 (so a zero vector gives the identity, and r0 is a hair short of unit
 * length: a rotation of 0.5 rad about x comes back as 0.49999987), [r0]x the cross-product matrix
 * of r0, R = I + sin(theta) [r0]x + (1 - cos(theta)) [r0]x^2. (Li et al.'s CMU copy,
 * {@code data_utils_cmu.py}, divides by max(theta, eps) instead; the two differ by eps / theta
 * in r0, below 1e-6 rad in the angles except next to gimbal lock.)
 *
 * <p>{@link #rotmatToEuler}: E2 = -asin(R02), E1 = atan2(R12 / cos E2, R22 / cos E2),
 * E3 = atan2(R01 / cos E2, R00 / cos E2); when R02 is exactly 1 or -1 (gimbal lock) E3 = 0,
 * delta = atan2(R01, R02), and E2 = pi/2, E1 = delta for R02 = -1, E2 = -pi/2, E1 = delta for
 * R02 = 1. Matrices are 3x3 row-major in a {@code double[9]}.
 */
public final class Rotations {
    /** numpy's {@code np.finfo(np.float32).eps}. */
    static final double FLOAT32_EPS = Math.ulp(1f);
    /** The values a pose starts with that the error leaves out: the global position and the global rotation. */
    public static final int GLOBAL = 6;

    private Rotations() {
    }

    /** The rotation matrix of the exponential map (r0, r1, r2) read from {@code v[at..at+2]}. */
    public static double[] expmapToRotmat(double[] v, int at) {
        double x = v[at];
        double y = v[at + 1];
        double z = v[at + 2];
        double theta = Math.sqrt(x * x + y * y + z * z);
        double d = theta + FLOAT32_EPS;
        double a = x / d;
        double b = y / d;
        double c = z / d;
        // K = [r0]x = [[0, -c, b], [c, 0, -a], [-b, a, 0]]; K^2 = r0 r0^T - |r0|^2 I
        double[] k = {0, -c, b, c, 0, -a, -b, a, 0};
        double s = Math.sin(theta);
        double q = 1 - Math.cos(theta);
        double[] r = new double[9];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double kk = 0;
                for (int m = 0; m < 3; m++) {
                    kk += k[3 * i + m] * k[3 * m + j];
                }
                r[3 * i + j] = (i == j ? 1 : 0) + s * k[3 * i + j] + q * kk;
            }
        }
        return r;
    }

    /** The Euler angles (E1, E2, E3) of a rotation matrix, as {@code rotmat2euler} gives them. */
    public static double[] rotmatToEuler(double[] r) {
        double r02 = r[2];
        if (r02 == 1 || r02 == -1) {
            double e3 = 0; // set arbitrarily, as in the original
            double delta = Math.atan2(r[1], r02);
            if (r02 == -1) {
                return new double[] {e3 + delta, Math.PI / 2, e3};
            }
            return new double[] {-e3 + delta, -Math.PI / 2, e3};
        }
        double e2 = -Math.asin(r02);
        double c = Math.cos(e2);
        double e1 = Math.atan2(r[5] / c, r[8] / c);
        double e3 = Math.atan2(r[1] / c, r[0] / c);
        return new double[] {e1, e2, e3};
    }

    /**
     * A pose in Euler angles as the error compares them: each triple of exponential-map values from
     * index 3 on becomes the Euler angles of its rotation, and the first 6 values (global position
     * and global rotation) are set to 0, since the error leaves them out (Martinez et al.'s
     * {@code translate.py}: "The global translation (first 3 entries) and global rotation (next 3
     * entries) are also not considered in the error").
     */
    public static double[] poseToEuler(double[] pose) {
        if (pose.length % 3 != 0 || pose.length < 6) {
            throw new IllegalArgumentException("a pose is triples of exponential-map values after the global position; found "
                    + pose.length + " values");
        }
        double[] out = new double[pose.length];
        for (int k = GLOBAL; k < pose.length; k += 3) {
            double[] e = rotmatToEuler(expmapToRotmat(pose, k));
            System.arraycopy(e, 0, out, k, 3);
        }
        return out;
    }
}
