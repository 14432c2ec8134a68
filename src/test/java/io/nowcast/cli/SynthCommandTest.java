package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nowcast synth}: the files it writes and what it refuses. */
class SynthCommandTest {
    @TempDir
    Path dir;

    private static int run(String... args) {
        PrintStream err = System.err;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            return Main.run(args);
        } finally {
            System.setErr(err);
        }
    }

    @Test
    void writesSeededTracksAndSensors() throws Exception {
        Path a = dir.resolve("a.csv");
        Path b = dir.resolve("b.csv");
        assertEquals(0, run("synth", "tracks", "--out", a.toString(), "--count", "3", "--length", "5", "--seed", "4"));
        assertEquals(0, run("synth", "tracks", "--out", b.toString(), "--count", "3", "--length", "5", "--seed", "4"));
        List<String> lines = Files.readAllLines(a);
        assertEquals(16, lines.size());
        assertEquals("track,t,x,y,dx,dy", lines.get(0));
        assertEquals(lines, Files.readAllLines(b), "same seed, same file");
        assertEquals(0, run("synth", "tracks", "--out", b.toString(), "--count", "3", "--length", "5", "--seed", "5"));
        assertNotEquals(lines, Files.readAllLines(b));

        Path s = dir.resolve("s.csv");
        assertEquals(0, run("synth", "sensors", "--out", s.toString(), "--count", "4", "--length", "48"));
        lines = Files.readAllLines(s);
        assertEquals("t,s0,s1,s2,s3", lines.get(0));
        assertEquals(49, lines.size());
        assertEquals(0, run("synth", "sensors", "--out", s.toString()));
        assertEquals(2017, Files.readAllLines(s).size(), "twelve weeks of hours by default");
    }

    @Test
    void refusesUnknownKindsAndEmptySizes() {
        assertNotEquals(0, run("synth", "weather", "--out", dir.resolve("w.csv").toString()));
        assertNotEquals(0, run("synth", "tracks", "--out", dir.resolve("w.csv").toString(), "--count", "0"));
        assertNotEquals(0, run("synth", "sensors", "--out", dir.resolve("w.csv").toString(), "--length", "-1"));
    }
}
