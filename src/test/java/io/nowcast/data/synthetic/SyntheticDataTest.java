package io.nowcast.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.data.CsvTable;
import io.nowcast.data.synthetic.SyntheticTracks.Sample;
import io.nowcast.data.synthetic.SyntheticTracks.Track;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The synthetic tracks and sensor series: seeded, plausible, and written as the CSV they promise. */
class SyntheticDataTest {
    @TempDir
    Path dir;

    @Test
    void tracksAreSeededAndTrackIDependsOnlyOnTheSeedAndI() {
        List<Track> a = new SyntheticTracks(5).generate(10, 50);
        List<Track> b = new SyntheticTracks(5).generate(12, 50);
        List<Track> c = new SyntheticTracks(6).generate(10, 50);
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(a.get(i).x(), b.get(i).x(), "track " + i);
            assertArrayEquals(a.get(i).dy(), b.get(i).dy(), "track " + i);
        }
        assertFalse(java.util.Arrays.equals(a.get(0).x(), c.get(0).x()), "another seed, other tracks");
        List<Track> mixed = new SyntheticTracks(5).generate(new int[] {3, 70});
        assertEquals(3, mixed.get(0).length());
        assertEquals(70, mixed.get(1).length());
    }

    @Test
    void tracksWalkLikePedestrians() {
        List<Track> tracks = new SyntheticTracks(1).generate(100, 150);
        double sum = 0;
        long n = 0;
        long slow = 0;
        long sharp = 0;
        long moving = 0;
        for (Track t : tracks) {
            for (int k = 1; k < t.length(); k++) {
                // the displacement is the difference of the reported positions (to the millimetre)
                assertEquals(t.x()[k] - t.x()[k - 1], t.dx()[k], 1.5e-3);
                assertEquals(t.y()[k] - t.y()[k - 1], t.dy()[k], 1.5e-3);
                double speed = Math.hypot(t.dx()[k], t.dy()[k]) / SyntheticTracks.DT;
                sum += speed;
                n++;
                if (speed < 0.3) {
                    slow++;
                } else if (Math.hypot(t.dx()[k - 1], t.dy()[k - 1]) / SyntheticTracks.DT > 0.8 && speed > 0.8) {
                    moving++;
                    double turn = Math.abs(Math.atan2(t.dx()[k - 1] * t.dy()[k] - t.dy()[k - 1] * t.dx()[k],
                            t.dx()[k - 1] * t.dx()[k] + t.dy()[k - 1] * t.dy()[k]));
                    if (turn > Math.toRadians(45)) {
                        sharp++;
                    }
                }
            }
        }
        double mean = sum / n;
        assertTrue(mean > 1.0 && mean < 1.5, "mean speed " + mean + " m/s");
        double stopped = slow / (double) n;
        assertTrue(stopped > 0.01 && stopped < 0.2, "fraction of near-stops " + stopped);
        assertTrue(sharp < 0.01 * moving, "turns are smooth: " + sharp + " of " + moving + " walking steps turn > 45 deg");
    }

    @Test
    void tracksCsvAndSamples() throws IOException {
        List<Track> tracks = new SyntheticTracks(2).generate(3, 4);
        Path csv = dir.resolve("t.csv");
        SyntheticTracks.writeCsv(csv, tracks);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("track,t,x,y,dx,dy", lines.get(0));
        assertEquals(13, lines.size());
        assertTrue(lines.get(2).startsWith("0,0.4,"), lines.get(2));
        CsvTable t = CsvTable.read(csv);
        float[] xy = t.select(List.of("x", "dy"));
        assertEquals(tracks.get(1).x()[2], xy[2 * (4 + 2)], 5e-4);
        assertEquals(tracks.get(2).dy()[3], xy[2 * 11 + 1], 5e-4);

        Iterator<Sample> it = new SyntheticTracks(2).samples(3, 4);
        int count = 0;
        Sample last = null;
        while (it.hasNext()) {
            last = it.next();
            count++;
        }
        assertEquals(12, count);
        assertEquals(2, last.track());
        assertEquals(3, last.step());
        assertEquals(1.2, last.t(), 1e-9);
        assertEquals(tracks.get(2).x()[3], last.x());
    }

    @Test
    void sensorsAreSeededPeriodicAndWrittenWithAHeader() throws IOException {
        SyntheticSensors.Series a = new SyntheticSensors(9).generate(3, 24 * 7 * 8);
        SyntheticSensors.Series b = new SyntheticSensors(9).generate(3, 24 * 7 * 8);
        for (int j = 0; j < 3; j++) {
            assertArrayEquals(a.values()[j], b.values()[j]);
        }
        assertFalse(java.util.Arrays.equals(a.values()[0], new SyntheticSensors(10).generate(3, 24 * 7 * 8).values()[0]));
        // the daily cycle: a day apart the series is much more alike than half a day apart
        float[] s0 = a.values()[0];
        assertTrue(meanAbsDiff(s0, 24) < 0.6 * meanAbsDiff(s0, 12),
                "lag 24: " + meanAbsDiff(s0, 24) + ", lag 12: " + meanAbsDiff(s0, 12));
        // spikes: a few samples far from both neighbours
        int spikes = 0;
        for (int t = 1; t + 1 < s0.length; t++) {
            if (Math.abs(s0[t] - s0[t - 1]) > 2.5 && Math.abs(s0[t] - s0[t + 1]) > 2.5) {
                spikes++;
            }
        }
        assertTrue(spikes >= 1 && spikes < 30, spikes + " spikes");

        Path csv = dir.resolve("s.csv");
        SyntheticSensors.writeCsv(csv, a);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("t,s0,s1,s2", lines.get(0));
        assertEquals(24 * 7 * 8 + 1, lines.size());
        float[] back = CsvTable.read(csv).select(List.of("s2"));
        for (int t = 0; t < back.length; t++) {
            assertEquals(a.values()[2][t], back[t], 5e-4);
        }
        assertThrows(IllegalArgumentException.class, () -> new SyntheticSensors(1).generate(0, 5));
    }

    private static double meanAbsDiff(float[] v, int lag) {
        double s = 0;
        for (int t = lag; t < v.length; t++) {
            s += Math.abs(v[t] - v[t - lag]);
        }
        return s / (v.length - lag);
    }
}
