package io.nowcast.eval.motion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nowcast.data.motion.MotionFolder;
import io.nowcast.data.motion.MotionSequence;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The protocol's fixed test windows against the starts the published code draws, printed at
 * development time by numpy with the published formulas: for CMU (Li et al., Mao et al.)
 * {@code rng = np.random.RandomState(1234567890); [rng.randint(0, T - 75) for _ in range(8)]} for
 * each sequence of T subsampled frames; for Human3.6M (Martinez et al.'s {@code find_indices_srnn})
 * one rng, {@code rng.randint(16, T - 150)} alternating between subactions 1 and 2.
 */
class MotionProtocolTest {
    private static List<List<Integer>> pairs(List<int[]> starts) {
        return starts.stream().map(p -> List.of(p[0], p[1])).toList();
    }

    private static List<Integer> startsOf(List<int[]> starts, int sequence) {
        return starts.stream().filter(p -> p[0] == sequence).map(p -> p[1]).toList();
    }

    @Test
    void cmuStartsAreThePublishedCodes() {
        MotionProtocol p = MotionProtocol.CMU;
        // the subsampled lengths of the shared CMU test files (basketball 577 -> 289, jumping
        // 2086 -> 1043, running 163 -> 82, walking 359 -> 180, washwindow 2754 -> 1377)
        assertEquals(List.of(130, 102, 47, 140, 51, 33, 171, 105), startsOf(p.starts(List.of(289)), 0));
        assertEquals(List.of(386, 358, 47, 140, 819, 289, 939, 105), startsOf(p.starts(List.of(1043)), 0));
        assertEquals(List.of(2, 6, 4, 3, 1, 3, 1, 4), startsOf(p.starts(List.of(82)), 0));
        assertEquals(List.of(2, 102, 47, 12, 51, 33, 43, 60), startsOf(p.starts(List.of(180)), 0));
        assertEquals(List.of(1071, 1164, 939, 1129, 316, 644, 288, 185), startsOf(p.starts(List.of(1377)), 0));
        // each sequence draws from a fresh generator
        List<int[]> two = p.starts(List.of(289, 82));
        assertEquals(16, two.size());
        assertEquals(List.of(130, 102, 47, 140, 51, 33, 171, 105), startsOf(two, 0));
        assertEquals(List.of(2, 6, 4, 3, 1, 3, 1, 4), startsOf(two, 1));
    }

    @Test
    void human36mStartsAlternateBetweenTheSubactionsFromOneGenerator() {
        // T1 = 1612, T2 = 1306 subsampled frames
        assertEquals(List.of(List.of(0, 1426), List.of(1, 1087), List.of(0, 1180), List.of(1, 955), List.of(0, 1145),
                List.of(1, 332), List.of(0, 1438), List.of(1, 660)), pairs(MotionProtocol.H36M.starts(List.of(1612, 1306))));
    }

    @Test
    void horizonsAreFramesAtTheSubsampledRate() {
        MotionProtocol p = MotionProtocol.CMU;
        assertArrayEquals(new int[] {80, 160, 320, 400}, p.horizonsMs());
        assertEquals(List.of(2, 4, 8, 10), java.util.Arrays.stream(p.horizonsMs()).map(p::horizonFrame).boxed().toList());
        assertThrows(IllegalArgumentException.class, () -> p.horizonFrame(60));
        assertThrows(IllegalArgumentException.class, () -> p.horizonFrame(440));
    }

    /** A sequence whose value j of full-rate frame t is t + j / 100. */
    private static MotionSequence ramp(String action, int take, int frames, int dim) {
        float[] v = new float[frames * dim];
        for (int t = 0; t < frames; t++) {
            for (int j = 0; j < dim; j++) {
                v[t * dim + j] = t + j / 100f;
            }
        }
        return new MotionSequence(Path.of(action + "_" + take + ".txt"), action, action, take, dim, 50, v);
    }

    @Test
    void windowsAreSubsampledFramesFromTheDrawnStart() {
        MotionProtocol p = MotionProtocol.CMU;
        // 577 frames at 50 Hz -> 289 at 25 Hz: the starts of basketball above
        Map<String, List<MotionProtocol.Window>> w = p.windows(List.of(ramp("walking", 1, 359, 117),
                ramp("basketball", 1, 577, 117)));
        assertEquals(List.of("walking", "basketball"), List.copyOf(w.keySet()));
        List<MotionProtocol.Window> b = w.get("basketball");
        assertEquals(List.of(130, 102, 47, 140, 51, 33, 171, 105), b.stream().map(MotionProtocol.Window::start).toList());
        MotionProtocol.Window first = b.get(0);
        assertEquals(75, first.length());
        // subsampled frame i is full-rate frame 2 i: the window's frame k is full-rate frame 2 (130 + k)
        assertEquals(2 * 130 + 0.05f, first.frames()[5]);
        assertEquals(2 * (130 + 74) + 0.05f, first.frames()[74 * 117 + 5]);
        assertEquals(50 * 117, first.head(50).length);
        assertThrows(IllegalArgumentException.class, () -> p.windows(List.of(ramp("walking", 1, 150, 117))));
        assertThrows(IllegalArgumentException.class, () -> p.windows(List.of(ramp("walking", 1, 359, 99))));
    }

    @Test
    void theSameSettingsDrawHuman36mWindowsFromTheTestSubjectsTakes() {
        MotionProtocol p = MotionProtocol.H36M;
        // takes given out of order are put in take order: take 1 has 1612 subsampled frames, take 2 1306
        Map<String, List<MotionProtocol.Window>> w = p.windows(List.of(ramp("walking", 2, 2611, 99),
                ramp("walking", 1, 3224, 99)));
        List<MotionProtocol.Window> ws = w.get("walking");
        assertEquals(List.of(1, 2, 1, 2, 1, 2, 1, 2), ws.stream().map(x -> x.source().take()).toList());
        assertEquals(List.of(1426, 1087, 1180, 955, 1145, 332, 1438, 660), ws.stream().map(MotionProtocol.Window::start).toList());
        assertEquals(150, ws.get(0).length());
        assertEquals(MotionFolder.H36M, p.format());
    }
}
