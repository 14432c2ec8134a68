package io.nowcast.eval.motion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The two baselines on the CMU test windows of the published protocol, read from
 * {@code ../shared/data/motion/cmu} (skipped when it is absent): the table is printed; only its
 * sanity is asserted (finite, positive, growing with the horizon on average).
 */
class CmuMotionBaselinesTest {
    private static final Path CMU = Path.of("..", "shared", "data", "motion", "cmu");

    @Test
    void zeroAndConstantVelocityOnTheCmuTestWindows() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(CMU.resolve("train")) && Files.isDirectory(CMU.resolve("test")),
                "the CMU motion data is not at " + CMU.toAbsolutePath());
        MotionBenchmark b = MotionBenchmark.cmu(CMU);
        MotionProtocol p = b.protocol();
        System.out.println("CMU: " + b.stats().used.length + " of " + b.stats().dim
                + " dimensions vary in training; test windows " + b.windows().keySet());
        for (Map.Entry<String, List<MotionProtocol.Window>> e : b.windows().entrySet()) {
            System.out.println("  " + e.getKey() + " starts " + e.getValue().stream().map(MotionProtocol.Window::start).toList());
        }
        Map<String, MotionPredictor> baselines = new LinkedHashMap<>();
        baselines.put("zero velocity", MotionBaselines.zeroVelocity());
        baselines.put("constant velocity", MotionBaselines.constantVelocity());
        for (Map.Entry<String, MotionPredictor> base : baselines.entrySet()) {
            Map<String, MotionScore> s = b.score(base.getValue());
            System.out.println("CMU, " + base.getKey() + ", Euler-angle error:\n" + MotionScore.table(p, s));
            double first = 0;
            double last = 0;
            for (MotionScore a : s.values()) {
                assertEquals(8, a.windows());
                for (int ms : p.horizonsMs()) {
                    double v = a.atMs(p, ms);
                    assertTrue(Double.isFinite(v) && v > 0, a.action() + " at " + ms + " ms: " + v);
                }
                first += a.atMs(p, 80);
                last += a.atMs(p, 400);
            }
            assertTrue(last > first, base.getKey() + ": the error grows with the horizon on average");
        }
    }
}
