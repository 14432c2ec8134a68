package io.nowcast.eval.motion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both benchmarks, end to end, on small folders written here: the CMU layout (117 values) and the
 * Human3.6M layout (99 values, subjects S1 and S5); the same reader, protocol and score, given only
 * the settings. Every joint turns 0.01 rad about x a full-rate frame, 0.02 a subsampled frame, so
 * zero velocity is 0.02 k off in each of the n moving joints k frames on: 0.02 k sqrt(n).
 */
class MotionBenchmarkTest {
    @TempDir
    Path dir;

    /** n frames: the globals wander, then every joint turns 0.01 t rad about x (+ phase), its y and z stay 0. */
    private void write(String rel, int n, int dim, double phase) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < dim; j++) {
                double v = j < 6 ? Math.sin(t + j) : j % 3 == 0 ? phase + 0.01 * t : 0;
                sb.append(j == 0 ? "" : ",").append(v);
            }
            sb.append('\n');
        }
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, sb.toString());
    }

    private static void zeroVelocityIsOffByTheTurnSinceTheLastObservedFrame(MotionBenchmark b, int joints) {
        for (MotionScore s : b.score(MotionBaselines.zeroVelocity()).values()) {
            for (int k = 1; k <= 10; k++) {
                assertEquals(0.02 * k * Math.sqrt(joints), s.atFrame(k), 1e-5, s.action() + " frame " + k);
            }
        }
        // constant velocity is exact, up to float32 rounding of angles that reach 30 rad
        for (MotionScore s : b.score(MotionBaselines.constantVelocity()).values()) {
            assertArrayEquals(new double[10], s.error(), 1e-4);
        }
    }

    @Test
    void cmu() throws IOException {
        write("cmu/train/walking/walking_1.txt", 300, 117, 0.1);
        write("cmu/train/running/running_1.txt", 300, 117, 0.2);
        write("cmu/test/walking/walking_1.txt", 359, 117, 0.3);
        MotionBenchmark b = MotionBenchmark.cmu(dir.resolve("cmu"));
        // the 6 globals and the 37 joints' x vary: 43 of 117 values
        assertEquals(43, b.stats().used.length);
        assertEquals(List.of("walking"), List.copyOf(b.windows().keySet()));
        assertEquals(List.of(2, 102, 47, 12, 51, 33, 43, 60), b.windows().get("walking").stream()
                .map(MotionProtocol.Window::start).toList());
        zeroVelocityIsOffByTheTurnSinceTheLastObservedFrame(b, 37);
    }

    @Test
    void human36m() throws IOException {
        write("h36m/S1/walking_1.txt", 600, 99, 0.1);
        write("h36m/S1/walking_2.txt", 600, 99, 0.2);
        write("h36m/S5/walking_1.txt", 3224, 99, 0.3);
        write("h36m/S5/walking_2.txt", 2611, 99, 0.4);
        write("h36m/S6/eating_1.txt", 600, 99, 0.5);
        MotionBenchmark b = MotionBenchmark.h36m(dir.resolve("h36m"));
        assertEquals(6 + 31, b.stats().used.length);
        Map<String, List<MotionProtocol.Window>> w = b.windows();
        assertEquals(List.of("walking"), List.copyOf(w.keySet()));
        assertEquals(List.of(1426, 1087, 1180, 955, 1145, 332, 1438, 660), w.get("walking").stream()
                .map(MotionProtocol.Window::start).toList());
        zeroVelocityIsOffByTheTurnSinceTheLastObservedFrame(b, 31);
        Files.delete(dir.resolve("h36m/S5/walking_1.txt"));
        Files.delete(dir.resolve("h36m/S5/walking_2.txt"));
        assertThrows(IOException.class, () -> MotionBenchmark.h36m(dir.resolve("h36m")));
    }
}
