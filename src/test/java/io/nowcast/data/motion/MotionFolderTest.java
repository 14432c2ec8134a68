package io.nowcast.data.motion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader on small folders written here in the CMU layout (117 values a frame, a folder per
 * action) and in the Human3.6M layout (99 values, a folder per subject): the same code, given only
 * the layout and the format; the refusals; the normalisation statistics on values known by hand.
 */
class MotionFolderTest {
    @TempDir
    Path dir;

    /** Frame t of a sequence: value j is seed + t / 10 + j / 1000, except value 7, always 0.25. */
    private static String frames(int n, int dim, double seed) {
        StringBuilder sb = new StringBuilder();
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < dim; j++) {
                sb.append(j == 0 ? "" : ",").append(j == 7 ? 0.25 : seed + t / 10.0 + j / 1000.0);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private void write(String rel, String text) throws IOException {
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    @Test
    void readsTheCmuLayout() throws IOException {
        write("train/walking/walking_2.txt", frames(5, 117, 2));
        write("train/walking/walking_1.txt", frames(4, 117, 1));
        write("train/basketball/basketball_1.txt", frames(3, 117, 0));
        write("train/basketball/notes.md", "not a sequence");
        List<MotionSequence> s = MotionFolder.read(dir.resolve("train"), MotionFolder.Layout.CMU, MotionFolder.CMU);
        assertEquals(List.of("basketball", "walking", "walking"), s.stream().map(MotionSequence::action).toList());
        assertEquals(List.of(1, 1, 2), s.stream().map(MotionSequence::take).toList());
        assertEquals(List.of(3, 4, 5), s.stream().map(MotionSequence::frames).toList());
        MotionSequence w2 = s.get(2);
        assertEquals("walking", w2.folder());
        assertEquals(117, w2.dim());
        assertEquals(50.0, w2.rateHz());
        assertEquals((float) (2 + 0.3 + 0.005), w2.values()[3 * 117 + 5]);
        // every 2nd frame from the first: frames 0, 2, 4 at 25 Hz
        MotionSequence sub = w2.subsampled(2);
        assertEquals(3, sub.frames());
        assertEquals(25.0, sub.rateHz());
        assertArrayEquals(w2.frames(2, 3), sub.frames(1, 2));
        assertArrayEquals(w2.frames(4, 5), sub.frames(2, 3));
        assertEquals(2, s.get(1).subsampled(2).frames());
    }

    @Test
    void readsTheHuman36mLayoutWithTheSameCode() throws IOException {
        write("h36m/S1/walking_1.txt", frames(6, 99, 1));
        write("h36m/S1/eating_2.txt", frames(4, 99, 2));
        write("h36m/S1/eating_1.txt", frames(4, 99, 3));
        write("h36m/S5/walking_2.txt", frames(3, 99, 4));
        List<MotionSequence> s = MotionFolder.read(dir.resolve("h36m"), MotionFolder.Layout.H36M, MotionFolder.H36M);
        assertEquals(List.of("S1", "S1", "S1", "S5"), s.stream().map(MotionSequence::folder).toList());
        assertEquals(List.of("eating", "eating", "walking", "walking"), s.stream().map(MotionSequence::action).toList());
        assertEquals(List.of(1, 2, 1, 2), s.stream().map(MotionSequence::take).toList());
        assertEquals(99, s.get(3).dim());
        assertEquals((float) (4 + 0.2 + 0.098), s.get(3).values()[2 * 99 + 98]);
        // the CMU format on these files is refused, naming the file and the line
        IOException e = assertThrows(IOException.class,
                () -> MotionFolder.read(dir.resolve("h36m"), MotionFolder.Layout.H36M, MotionFolder.CMU));
        assertTrue(e.getMessage().contains("eating_1.txt:1: expected 117 comma-separated values, found 99"), e.getMessage());
    }

    @Test
    void refusesAMalformedLineNamingTheFileTheLineAndWhatWasExpected() throws IOException {
        String good = frames(3, 99, 0);
        String[] lines = good.split("\n");
        lines[1] = lines[1].replaceFirst(",[^,]*,", ",abc,");
        write("S1/walking_1.txt", String.join("\n", lines) + "\n");
        IOException e = assertThrows(IOException.class,
                () -> MotionFolder.read(dir, MotionFolder.Layout.H36M, MotionFolder.H36M));
        assertTrue(e.getMessage().endsWith("walking_1.txt:2: value 2: expected a finite number, found 'abc'"), e.getMessage());
        lines[1] = good.split("\n")[1] + ",";
        write("S1/walking_1.txt", String.join("\n", lines) + "\n");
        e = assertThrows(IOException.class, () -> MotionFolder.read(dir, MotionFolder.Layout.H36M, MotionFolder.H36M));
        assertTrue(e.getMessage().endsWith("walking_1.txt:2: expected 99 comma-separated values, found 100"), e.getMessage());
        write("S1/walking_1.txt", "\n\n");
        e = assertThrows(IOException.class, () -> MotionFolder.read(dir, MotionFolder.Layout.H36M, MotionFolder.H36M));
        assertTrue(e.getMessage().contains("walking_1.txt: no frames"), e.getMessage());
        Files.delete(dir.resolve("S1/walking_1.txt"));
        write("S1/walking.txt", good);
        e = assertThrows(IOException.class, () -> MotionFolder.read(dir, MotionFolder.Layout.H36M, MotionFolder.H36M));
        assertTrue(e.getMessage().contains("walking.txt: expected a file named <action>_<n>.txt"), e.getMessage());
        write("cmu/walking/running_1.txt", frames(2, 117, 0));
        e = assertThrows(IOException.class, () -> MotionFolder.read(dir.resolve("cmu"), MotionFolder.Layout.CMU, MotionFolder.CMU));
        assertTrue(e.getMessage().contains("running_1.txt: expected walking_<n>.txt"), e.getMessage());
        assertThrows(IOException.class, () -> MotionFolder.read(dir.resolve("cmu"), MotionFolder.Layout.H36M, MotionFolder.H36M));
    }

    @Test
    void theStatisticsDropWhatNeverVariesAndRestoreItAsTheTrainingMean() throws IOException {
        // dimension 0 takes 1, 2, 3, 4 (mean 2.5, population std sqrt(1.25)); dimension 2 varies by
        // 5e-5 (std 5e-5 < 1e-4: ignored); 1, 3, 4, 5 are constant
        write("S1/a_1.txt", "1,7,0.5,0,0,0\n2,7,0.5,0,0,0\n");
        write("S1/a_2.txt", "3,7,0.50005,0,0,0\n4,7,0.50005,0,0,0\n");
        MotionFolder.Format six = new MotionFolder.Format(6, 50, 2);
        MotionStats st = MotionStats.of(MotionFolder.read(dir, MotionFolder.Layout.H36M, six));
        assertArrayEquals(new int[] {0}, st.used);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, st.ignored);
        assertEquals(2.5, st.mean[0], 1e-12);
        assertEquals(Math.sqrt(1.25), st.std[0], 1e-12);
        assertEquals(1.0, st.std[2]);
        assertEquals(0.500025, st.mean[2], 1e-7);
        float[] test = {5, 9, 9, 9, 9, 9};
        float[] z = st.normalise(test);
        assertArrayEquals(new float[] {(float) (2.5 / Math.sqrt(1.25))}, z);
        assertArrayEquals(new double[] {5, 7, st.mean[2], 0, 0, 0}, st.restore(z), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> st.normalise(new float[7]));
    }
}
