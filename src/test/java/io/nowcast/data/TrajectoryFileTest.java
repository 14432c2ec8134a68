package io.nowcast.data;

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

/** The ETH/UCY text format: frame order, ids, steps across gaps, refusals that name the line. */
class TrajectoryFileTest {
    @Test
    void readsInFrameOrderKeepingTheFilesOrderInsideAFrame(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("scene.txt");
        // frame 800 is written before 790; frame 830 comes after a gap of two frames
        Files.writeString(f, "780\t1.0\t8.46\t3.59\n"
                + "800.0\t2.0\t13.64\t5.8\n"
                + "800\t1.0\t10.67\t3.99\n"
                + "\n"
                + "790   1.0  9.57 3.79\n"
                + "830\t2.0\t12.0\t-1.5\n");
        TrajectoryFile t = TrajectoryFile.read(f);
        assertEquals(5, t.rowCount());
        assertArrayEquals(new double[] {780, 790, 800, 800, 830}, t.frames);
        assertArrayEquals(new String[] {"1", "1", "2", "1", "2"}, t.pedestrians, "ids without '.0', frame 800 in file order");
        assertArrayEquals(new float[] {8.46f, 3.59f, 9.57f, 3.79f, 13.64f, 5.8f, 10.67f, 3.99f, 12.0f, -1.5f}, t.positions);
        assertEquals(10, t.frameStep);
        assertEquals(List.of(0L, 1L, 2L, 2L, 5L), List.of(t.step(0), t.step(1), t.step(2), t.step(3), t.step(4)),
                "the gap stays a gap");
        assertEquals(List.of("1", "2"), List.copyOf(t.pedestrianIds()));
        assertEquals(5, t.lineNumber(1), "frame 790 is on line 5");
    }

    @Test
    void refusalsNameTheFileAndLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.writeString(f, "780\t1\t1\t2\n790\t1\t3\n");
        IOException e = assertThrows(IOException.class, () -> TrajectoryFile.read(f));
        assertTrue(e.getMessage().contains("bad.txt:2") && e.getMessage().contains("4 fields"), e.getMessage());

        Files.writeString(f, "780\t1\t1\tNaN\n");
        e = assertThrows(IOException.class, () -> TrajectoryFile.read(f));
        assertTrue(e.getMessage().contains("bad.txt:1") && e.getMessage().contains("y"), e.getMessage());

        Files.writeString(f, "780.5\t1\t1\t2\n");
        e = assertThrows(IOException.class, () -> TrajectoryFile.read(f));
        assertTrue(e.getMessage().contains("frame_id"), e.getMessage());

        Files.writeString(f, "\n\n");
        e = assertThrows(IOException.class, () -> TrajectoryFile.read(f));
        assertTrue(e.getMessage().contains("no observations"), e.getMessage());
    }
}
