package io.nowcast.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.tensor.Rng;
import io.nowcast.train.SequenceTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training sequences from windows, their rotation, and the leave-one-scene-out file selection. */
class TrajectorySequencesTest {
    /** A walker whose displacement at step t is (t, 2t): positions are the running sums. */
    private static TrajectoryWindows.Window accelerating() {
        float[] xy = new float[40];
        for (int t = 1; t < 20; t++) {
            xy[2 * t] = xy[2 * t - 2] + t;
            xy[2 * t + 1] = xy[2 * t - 1] + 2 * t;
        }
        return new TrajectoryWindows.Window("hand", "1", 0, xy);
    }

    /** A walker turning a third of a radian per step. */
    private static TrajectoryWindows.Window turning() {
        float[] xy = new float[40];
        for (int t = 1; t < 20; t++) {
            xy[2 * t] = xy[2 * t - 2] + (float) Math.cos(t / 3.0);
            xy[2 * t + 1] = xy[2 * t - 1] + (float) Math.sin(t / 3.0);
        }
        return new TrajectoryWindows.Window("hand", "2", 0, xy);
    }

    @Test
    void inputsAreTheObservedDisplacementsAndTargetsTheNextOnes() {
        List<SequenceTrainer.Sequence> s = TrajectorySequences.of(List.of(accelerating()), 8, 12, false, true, 1f, 1f);
        SequenceTrainer.Sequence q = s.get(0);
        assertEquals(7, q.length());
        for (int t = 1; t <= 7; t++) {
            assertEquals(t, q.x()[2 * (t - 1)]);
            assertEquals(2 * t, q.x()[2 * (t - 1) + 1]);
            for (int k = 1; k <= 12; k++) {
                assertEquals(t + k, q.y()[(t - 1) * 24 + k - 1], "dx+" + k + " at step " + t);
                assertEquals(2 * (t + k), q.y()[(t - 1) * 24 + 12 + k - 1]);
            }
        }
        // relative: minus the current displacement, scaled; only the last step scored
        q = TrajectorySequences.of(List.of(accelerating()), 8, 12, true, false, 2f, 0.5f).get(0);
        assertEquals(3.5f, q.x()[12]);
        assertTrue(Float.isNaN(q.y()[0]), "earlier steps unscored");
        for (int k = 1; k <= 12; k++) {
            assertEquals(2 * k, q.y()[6 * 24 + k - 1]);
            assertEquals(4 * k, q.y()[6 * 24 + 12 + k - 1]);
        }
    }

    @Test
    void rotationsTurnInputsAndTargetsAlikeAndKeepLengths() {
        SequenceTrainer.Sequence q = TrajectorySequences.of(List.of(turning()), 8, 12, false, false, 1f, 1f).get(0);
        float[] x0 = q.x().clone();
        float[] y0 = q.y().clone();
        SequenceTrainer.Augmentation a = TrajectorySequences.rotations(12, true);
        Rng rng = new Rng(3);
        for (int i = 0; i < 10; i++) {
            SequenceTrainer.Sequence r = a.apply(q, rng);
            for (int t = 0; t < 7; t++) {
                assertEquals(Math.hypot(q.x()[2 * t], q.x()[2 * t + 1]), Math.hypot(r.x()[2 * t], r.x()[2 * t + 1]), 1e-4);
            }
            // an orthogonal map, the same for inputs and targets: the dot product of the last input
            // with each target is kept, the cross product kept or (mirror) negated for all alike
            float ux = q.x()[12];
            float uy = q.x()[13];
            float rux = r.x()[12];
            float ruy = r.x()[13];
            double sign = 0;
            for (int k = 0; k < 12; k++) {
                float tx = q.y()[6 * 24 + k];
                float ty = q.y()[6 * 24 + 12 + k];
                float rx = r.y()[6 * 24 + k];
                float ry = r.y()[6 * 24 + 12 + k];
                assertEquals(ux * tx + uy * ty, rux * rx + ruy * ry, 1e-2);
                double cross = ux * ty - uy * tx;
                double crossR = rux * ry - ruy * rx;
                if (sign == 0) {
                    sign = Math.signum(cross * crossR);
                    assertTrue(sign != 0);
                }
                assertEquals(sign * cross, crossR, 1e-2);
            }
            assertTrue(Float.isNaN(r.y()[0]), "unscored stays unscored");
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(x0, q.x(), "the original is untouched");
        org.junit.jupiter.api.Assertions.assertArrayEquals(y0, q.y());
    }

    @Test
    void noiseMovesTheObservedPositionsAndKeepsTheTrueFuture() {
        TrajectoryWindows.Window w = turning();
        float in = 0.5f;
        float out = 0.25f;
        SequenceTrainer.Sequence q = TrajectorySequences.of(List.of(w), 8, 12, true, true, in, out).get(0);
        SequenceTrainer.Augmentation a = TrajectorySequences.noise(12, true, in, out, 0.3f, 1.0);
        Rng rng = new Rng(11);
        float[] p = w.xy();
        for (int i = 0; i < 5; i++) {
            SequenceTrainer.Sequence r = a.apply(q, rng);
            // from the noisy start p0 + n0, the noisy inputs lead to the noisy present p(t+1) + n(t+1); from
            // there the targets (plus the noisy base) must reach the true future: every implied future
            // position is off the truth by the same -n0, whatever the step t and the step ahead k
            double[] off = null;
            boolean moved = false;
            for (int t = 0; t < 7; t++) {
                for (int d = 0; d < 2; d++) {
                    double pos = 0;
                    for (int u = 0; u <= t; u++) {
                        pos += r.x()[2 * u + d] * in;
                        moved |= r.x()[2 * u + d] != q.x()[2 * u + d];
                    }
                    double base = r.x()[2 * t + d] * in;
                    double fut = pos;
                    for (int k = 0; k < 12; k++) {
                        fut += r.y()[t * 24 + d * 12 + k] * out + base;
                        double truth = p[2 * (t + 1 + k + 1) + d] - p[d];
                        if (off == null) {
                            off = new double[2];
                            off[0] = Double.NaN;
                            off[1] = Double.NaN;
                        }
                        if (Double.isNaN(off[d])) {
                            off[d] = fut - truth;
                        }
                        assertEquals(off[d], fut - truth, 1e-4, "step " + t + ", " + (k + 1) + " ahead");
                    }
                }
            }
            assertTrue(moved, "the inputs are noisy");
        }
        SequenceTrainer.Sequence same = TrajectorySequences.noise(12, true, in, out, 0f, 1.0).apply(q, rng);
        org.junit.jupiter.api.Assertions.assertArrayEquals(q.x(), same.x());
        org.junit.jupiter.api.Assertions.assertArrayEquals(q.y(), same.y());
    }

    @Test
    void leaveOneSceneOutSelectsTheOtherRecordings(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("train"));
        for (String f : List.of("biwi_eth_train.txt", "students001_train.txt", "students003_train.txt",
                "uni_examples_train.txt", "crowds_zara01_train.txt", "notes.md")) {
            Files.writeString(root.resolve("train").resolve(f), "0\t1\t0\t0\n");
        }
        assertEquals(List.of("biwi_eth_train.txt", "crowds_zara01_train.txt", "uni_examples_train.txt"),
                EthUcy.files(root, "train", "univ").stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(4, EthUcy.files(root, "train", "eth").size());
        assertThrows(IllegalArgumentException.class, () -> EthUcy.files(root, "train", "paris"));
        assertThrows(IOException.class, () -> EthUcy.files(root, "val", "eth"));
        assertEquals(root.resolve("test").resolve("zara2"), EthUcy.testDirectory(root, "zara2"));
    }
}
