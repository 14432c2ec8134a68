package io.nowcast.eval.motion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.data.motion.MotionFolder;
import io.nowcast.data.motion.MotionSequence;
import io.nowcast.data.motion.MotionStats;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Euler-angle error on poses whose errors are known by hand: frames of 15 values, the global
 * position and rotation then three joints. A rotation by a about x has the Euler angles (-a, 0, 0)
 * and one by b about z (0, 0, -b) (see {@link RotationsTest}), so joints that differ by 0.3 rad
 * about x and 0.4 rad about z are sqrt(0.3^2 + 0.4^2) = 0.5 apart.
 */
class MotionScoreTest {
    private static final int DIM = 15;
    private static final MotionProtocol P = new MotionProtocol(new MotionFolder.Format(DIM, 50, 2), 50, 10, 25, 0, 8,
            MotionProtocol.Grouping.PER_SEQUENCE, MotionProtocol.SEED, MotionProtocol.shortTermMs());

    /** One pose: joint 1 rotated by a about x, joint 2 by b about z, joint 3 by c about x; global junk. */
    private static float[] pose(double a, double b, double c, float junk) {
        return new float[] {junk, -junk, 2 * junk, junk, junk, -junk, (float) a, 0, 0, 0, 0, (float) b, (float) c, 0, 0};
    }

    private static float[] frames(int n, java.util.function.IntFunction<float[]> f) {
        float[] out = new float[n * DIM];
        for (int t = 0; t < n; t++) {
            System.arraycopy(f.apply(t), 0, out, t * DIM, DIM);
        }
        return out;
    }

    /** Statistics from training poses in which every value varies: nothing is left out. */
    private static MotionStats everythingVaries() {
        float[] v = frames(40, t -> {
            float[] p = pose(0.01 * t, -0.02 * t, 0.03 * t, t);
            for (int j = 0; j < DIM; j++) {
                p[j] += (t % 2) * 0.5f;
            }
            return p;
        });
        return MotionStats.of(List.of(new MotionSequence(Path.of("train.txt"), "a", "a", 1, DIM, 50, v)));
    }

    private static MotionProtocol.Window window(float[] frames) {
        return new MotionProtocol.Window(new MotionSequence(Path.of("test.txt"), "a", "a", 1, DIM, 25, frames), 0, frames);
    }

    /** The truth moves joint 1 and 2 by 0.01 rad a frame; the prediction is off by 0.3 and -0.4 rad, with other globals. */
    private static final MotionPredictor OFF = (obs, dim, n) -> frames(n, k -> pose(0.01 * (50 + k) + 0.3,
            0.01 * (50 + k) - 0.4, 0.01 * (50 + k), 99));

    private static float[] moving() {
        return frames(75, t -> pose(0.01 * t, 0.01 * t, 0.01 * t, t));
    }

    @Test
    void jointsOffByKnownAnglesScoreTheirEuclideanDistanceAndTheGlobalsNothing() {
        MotionStats st = everythingVaries();
        assertEquals(DIM, st.used.length);
        MotionScore s = MotionScore.of(P, Map.of("a", List.of(window(moving()))), st, OFF).get("a");
        assertEquals(1, s.windows());
        for (int k = 1; k <= 10; k++) {
            assertEquals(0.5, s.atFrame(k), 2e-6, "frame " + k);
        }
        assertEquals(0.5, s.atMs(P, 400), 2e-6);
        // the truth itself scores 0
        MotionPredictor exact = (obs, dim, n) -> java.util.Arrays.copyOfRange(moving(), 50 * DIM, (50 + n) * DIM);
        assertArrayEquals(new double[10], MotionScore.of(P, Map.of("a", List.of(window(moving()))), st, exact).get("a").error(),
                1e-6);
    }

    @Test
    void zeroVelocityIsOffByTheMotionSinceTheLastObservedFrame() {
        // joints 1, 2, 3 each move 0.01 rad a frame: k frames after the last observed one, zero
        // velocity is 0.01 k off in each, sqrt(3) 0.01 k in all; constant velocity is exact
        MotionStats st = everythingVaries();
        MotionScore zv = MotionScore.of(P, Map.of("a", List.of(window(moving()))), st, MotionBaselines.zeroVelocity()).get("a");
        for (int k = 1; k <= 10; k++) {
            assertEquals(Math.sqrt(3) * 0.01 * k, zv.atFrame(k), 2e-6, "frame " + k);
        }
        MotionScore cv = MotionScore.of(P, Map.of("a", List.of(window(moving()))), st, MotionBaselines.constantVelocity())
                .get("a");
        assertArrayEquals(new double[10], cv.error(), 2e-6);
    }

    @Test
    void windowsAreAveragedFrameByFrame() {
        // a second window whose truth is what OFF predicts but for joint 3, 0.1 rad further about x:
        // that window scores 0.1, the mean of the two (0.5 + 0.1) / 2
        float[] nearly = frames(75, t -> pose(0.01 * t + 0.3, 0.01 * t - 0.4, 0.01 * t + 0.1, t));
        MotionScore s = MotionScore.of(P, Map.of("a", List.of(window(moving()), window(nearly))), everythingVaries(), OFF)
                .get("a");
        assertEquals(2, s.windows());
        assertEquals(0.3, s.atFrame(1), 2e-6);
        assertEquals(0.3, s.atFrame(10), 2e-6);
    }

    @Test
    void dimensionsLeftOutOfTheModelOrStillInTheTruthAreNotScored() {
        // joint 3 never moves in training (0.2 about x throughout), nor do the zeros of the poses:
        // they are left out of the model and restored as their training mean in the truth and in
        // the prediction alike, so a prediction of 0.9 for joint 3 costs nothing
        float[] train = frames(40, t -> pose(0.01 * t, 0.02 * t, 0.2, t));
        MotionStats st = MotionStats.of(List.of(new MotionSequence(Path.of("train.txt"), "a", "a", 1, DIM, 50, train)));
        assertArrayEquals(new int[] {7, 8, 9, 10, 12, 13, 14}, st.ignored);
        float[] truth = frames(75, t -> pose(0.01 * t, 0.01 * t, 0.5 + 0.01 * t, t));
        MotionPredictor wrongJoint3 = (obs, dim, n) -> frames(n, k -> pose(0.01 * (50 + k), 0.01 * (50 + k), 0.9, 0));
        assertArrayEquals(new double[10], MotionScore.of(P, Map.of("a", List.of(window(truth))), st, wrongJoint3).get("a")
                .error(), 2e-6);
        // joint 1's y never moves in training either: a prediction that turns joint 1 about y as
        // well is restored to y = 0 before its Euler angles are taken, and is exact
        MotionPredictor tiltedJoint1 = (obs, dim, n) -> frames(n, k -> {
            float[] p = pose(0.01 * (50 + k), 0.01 * (50 + k), 0.5 + 0.01 * (50 + k), 0);
            p[7] = 0.3f;
            return p;
        });
        assertArrayEquals(new double[10], MotionScore.of(P, Map.of("a", List.of(window(truth))), st, tiltedJoint1).get("a")
                .error(), 2e-6);
        // where joint 3 varies in training it is scored: 0.5 + 0.01 (50 + k) against 0.9
        MotionScore scored = MotionScore.of(P, Map.of("a", List.of(window(truth))), everythingVaries(), wrongJoint3).get("a");
        for (int k = 1; k <= 10; k++) {
            assertEquals(Math.abs(0.5 + 0.01 * (49 + k) - 0.9), scored.atFrame(k), 2e-6, "frame " + k);
        }
        // a joint that stands still through the whole true window is not scored (Li et al.'s rule):
        // joint 1 held at 0.7 in the truth, predicted at 0.1
        float[] held = frames(75, t -> pose(0.7, 0.01 * t, 0.5, t));
        MotionPredictor wrongJoint1 = (obs, dim, n) -> frames(n, k -> pose(0.1, 0.01 * (50 + k), 0.5, 0));
        assertArrayEquals(new double[10], MotionScore.of(P, Map.of("a", List.of(window(held))), everythingVaries(),
                wrongJoint1).get("a").error(), 2e-6);
    }

    @Test
    void aModelOfTheNormalisedUsedDimensionsIsScoredInDataUnits() {
        // training poses in which joint 3 stands still: 8 of the 15 values vary; a model sees only those,
        // normalised, and zero velocity there scores as zero velocity in data units
        float[] train = frames(40, t -> pose(0.01 * t, 0.02 * t, 0.2, t));
        MotionStats st = MotionStats.of(List.of(new MotionSequence(Path.of("train.txt"), "a", "a", 1, DIM, 50, train)));
        int[] seen = new int[1];
        MotionPredictor model = (obs, dim, n) -> {
            seen[0] = dim;
            return MotionBaselines.zeroVelocity().predict(obs, dim, n);
        };
        Map<String, List<MotionProtocol.Window>> w = Map.of("a", List.of(window(moving())));
        MotionScore viaModel = MotionScore.of(P, w, st, MotionPredictor.normalised(st, model)).get("a");
        assertEquals(8, seen[0]);
        assertArrayEquals(MotionScore.of(P, w, st, MotionBaselines.zeroVelocity()).get("a").error(), viaModel.error(), 1e-6);
        // what the model returns is scaled back: a model predicting 0 (the training mean) everywhere
        // predicts joint 1 at its training mean, 0.195 rad, against the truth's 0.01 (49 + k)
        MotionPredictor mean = (obs, dim, n) -> new float[n * dim];
        float[] p = MotionPredictor.normalised(st, mean).predict(moving(), DIM, 2);
        assertEquals(0.195f, p[6], 1e-6f);
        assertEquals(0.2f, p[12], 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> MotionPredictor.normalised(st, mean).predict(new float[12], 12, 1));
    }

    @Test
    void baselinesAndRefusals() {
        float[] obs = {1, 2, 3, 4, 5, 7};
        assertArrayEquals(new float[] {4, 5, 7, 4, 5, 7}, MotionBaselines.zeroVelocity().predict(obs, 3, 2));
        assertArrayEquals(new float[] {7, 8, 11, 10, 11, 15}, MotionBaselines.constantVelocity().predict(obs, 3, 2));
        assertThrows(IllegalArgumentException.class, () -> MotionBaselines.constantVelocity().predict(new float[3], 3, 2));
        MotionPredictor shortOne = (o, dim, n) -> new float[DIM];
        assertThrows(IllegalStateException.class,
                () -> MotionScore.of(P, Map.of("a", List.of(window(moving()))), everythingVaries(), shortOne));
        String table = MotionScore.table(P, MotionScore.of(P, Map.of("a", List.of(window(moving()))), everythingVaries(), OFF));
        assertTrue(table.startsWith("milliseconds         |    80 |   160 |   320 |   400\na "), table);
        assertTrue(table.contains("| 0.500 | 0.500"), table);
    }
}
