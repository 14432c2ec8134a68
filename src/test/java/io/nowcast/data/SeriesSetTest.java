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

/** Series from a CSV: grouping, horizon targets, the chronological split and the statistics. */
class SeriesSetTest {
    @TempDir
    Path dir;

    private CsvTable table(String text) throws IOException {
        return CsvTable.read(Files.writeString(dir.resolve("s.csv"), text));
    }

    @Test
    void groupsTargetsAndSplit() throws IOException {
        CsvTable t = table("id,a,c\nx,1,10\nx,2,20\nx,3,30\ny,4,40\ny,5,50\nz,6,60\nz,7,70\nz,8,80\n");
        SeriesSet s = SeriesSet.of(t, List.of("a"), List.of("c", "a"), 2, "id");
        assertEquals(3, s.series.size());
        assertEquals("y", s.series.get(1).group);
        assertEquals(5, s.series.get(1).firstLine);
        // row t: c+1, c+2, a+1, a+2; NaN past the end of the series
        float n = Float.NaN;
        assertArrayEquals(new float[] {20, 30, 2, 3, 30, n, 3, n, n, n, n, n}, s.series.get(0).targets(2));
        assertEquals(List.of("c+1", "c+2", "a+1", "a+2"), SeriesSet.outputNames(s.targets, 2));
        assertEquals(1 + 0 + 1, s.scoredSteps());

        SeriesSet[] parts = s.split(0.34);
        assertEquals(2, parts[0].series.size(), "the last third of the series is held out");
        assertEquals("z", parts[1].series.get(0).group);
        float[][] fs = parts[0].featureStats();
        assertEquals(3f, fs[0][0], 1e-6);
        assertEquals((float) Math.sqrt(2), fs[1][0], 1e-6);

        SeriesSet one = SeriesSet.of(t, List.of("a"), List.of("c"), 1, null);
        SeriesSet[] rows = one.split(0.25);
        assertEquals(6, rows[0].rows(), "one series: the last quarter of the rows");
        assertEquals(7f, rows[1].series.get(0).features[0]);
        assertEquals(8, rows[1].series.get(0).firstLine, "data row 6 is line 8");
        assertEquals(0, one.split(0)[1].series.size());
    }

    @Test
    void constantColumnsGetUnitStd() throws IOException {
        SeriesSet s = SeriesSet.of(table("a,c\n5,1\n5,2\n5,3\n"), List.of("a"), List.of("c"), 1, null);
        assertEquals(1f, s.featureStats()[1][0]);
        assertEquals(5f, s.featureStats()[0][0]);
    }

    @Test
    void refusals() throws IOException {
        CsvTable t = table("id,a\nx,1\ny,2\nx,3\n");
        IOException e = assertThrows(IOException.class, () -> SeriesSet.of(t, List.of("a"), List.of("a"), 1, "id"));
        assertTrue(e.getMessage().contains("s.csv:4") && e.getMessage().contains("'id'") && e.getMessage().contains("'x'"),
                e.getMessage());
        e = assertThrows(IOException.class, () -> SeriesSet.of(t, List.of("a", "b"), List.of("a"), 1, null));
        assertTrue(e.getMessage().contains("s.csv") && e.getMessage().contains("'b'"), e.getMessage());
        SeriesSet one = SeriesSet.of(table("a\n1\n2\n"), List.of("a"), List.of("a"), 1, null);
        assertThrows(IllegalArgumentException.class, () -> one.split(0.1));
    }
}
