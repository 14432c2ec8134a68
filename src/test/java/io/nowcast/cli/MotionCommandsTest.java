package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.eval.motion.MotionBaselines;
import io.nowcast.eval.motion.MotionBenchmark;
import io.nowcast.eval.motion.MotionProtocol;
import io.nowcast.eval.motion.MotionScore;
import io.nowcast.eval.motion.MotionSequences;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelFiles;
import io.nowcast.run.eval.MotionEval;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nowcast eval --task motion} and {@code nowcast train --kind forecaster --task motion} on a
 * small CMU-shaped folder: the baselines' tables and JSON agree with {@link MotionBenchmark}, and a
 * model trained for a few iterations loads, is relative to its input and is scored beside them.
 */
class MotionCommandsTest {
    private static final int[] MS = {80, 160, 320, 400};

    @TempDir
    Path dir;

    /** n frames of 117 values: the globals wander, each joint's x swings at its own pace (+ phase), y and z stay 0. */
    private void write(String rel, int n, double phase) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < 117; j++) {
                double v = j < 6 ? Math.sin(0.1 * t + j) : j % 3 == 0 ? 0.5 * Math.sin(phase + 0.02 * t * (1 + j % 7)) : 0;
                sb.append(j == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6f", v));
            }
            sb.append('\n');
        }
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, sb.toString());
    }

    private Path cmu() throws IOException {
        write("cmu/train/walking/walking_1.txt", 400, 0.1);
        write("cmu/train/walking/walking_2.txt", 300, 0.7);
        write("cmu/train/running/running_1.txt", 360, 0.2);
        write("cmu/train/running/running_2.txt", 330, 1.3);
        write("cmu/test/walking/walking_1.txt", 359, 0.3);
        write("cmu/test/running/running_1.txt", 320, 0.9);
        return dir.resolve("cmu");
    }

    @Test
    void baselinesAsTablesAndJsonAgreeWithTheBenchmark() throws Exception {
        Path root = cmu();
        MotionBenchmark b = MotionBenchmark.cmu(root);
        Map<String, MotionScore> zero = b.score(MotionBaselines.zeroVelocity());
        Map<String, MotionScore> cv = b.score(MotionBaselines.constantVelocity());

        CliRun r = CliRun.main("eval", "--task", "motion", "--data", root.resolve("test").toString());
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("2 actions, 16 test windows of 50 observed + 10 predicted frames at 25 Hz"), out);
        String zeroTable = out.substring(out.indexOf("zero velocity"), out.indexOf("constant velocity"));
        String cvTable = out.substring(out.indexOf("constant velocity"));
        for (String action : zero.keySet()) {
            assertTrue(zeroTable.contains(row(action, zero.get(action))), zeroTable);
            assertTrue(cvTable.contains(row(action, cv.get(action))), cvTable);
        }
        assertTrue(zeroTable.contains(row("average", MotionScore.average("average", zero))), zeroTable);
        assertTrue(!out.contains("model"), out);

        r = CliRun.main("eval", "--task", "motion", "--data", root.toString(), "--format", "cmu", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("cmu", j.get("format").asText());
        assertEquals(8, j.at("/windows/walking").asInt());
        MotionProtocol p = b.protocol();
        for (int ms : MS) {
            double mean = 0;
            for (MotionScore s : zero.values()) {
                assertEquals(s.atMs(p, ms), j.at("/results/zero_velocity/" + s.action() + "/" + ms).asDouble(), 1e-5);
                assertEquals(cv.get(s.action()).atMs(p, ms),
                        j.at("/results/constant_velocity/" + s.action() + "/" + ms).asDouble(), 1e-5);
                mean += s.atMs(p, ms) / zero.size();
            }
            assertEquals(mean, j.at("/results/zero_velocity/average/" + ms).asDouble(), 1e-5);
        }
        assertTrue(j.at("/results/zero_velocity/walking/400").asDouble() > j.at("/results/zero_velocity/walking/80").asDouble());

        r = CliRun.main("eval", "--task", "motion", "--data", root.resolve("train/walking").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("--format"), r.err());
    }

    private static String row(String action, MotionScore s) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-20s", action));
        for (int ms : MS) {
            sb.append(String.format(Locale.ROOT, " | %5.3f", s.atMs(MotionProtocol.CMU, ms)));
        }
        return sb.toString();
    }

    @Test
    void aModelTrainedForAFewIterationsLoadsAndIsScored() throws Exception {
        Path root = cmu();
        for (String horizon : new String[] {"10", "3"}) {
            Path model = dir.resolve("motion-" + horizon + ".safetensors");
            CliRun r = CliRun.main("train", "--kind", "forecaster", "--task", "motion", "--data", root.toString(),
                    "--horizon", horizon, "--cell", "gru", "--hidden", "8", "--streams", "4", "--iterations", "6",
                    "--eval-every", "3", "--val-fraction", "0.25", "--patience", "2", "--seed", "3", "--out",
                    model.toString());
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.err().contains("3 sequences"), r.err());
            assertTrue(r.err().contains("validation windows of the protocol (8,"), r.err());
            Forecaster f = (Forecaster) ModelFiles.load(model);
            MotionBenchmark b = MotionBenchmark.cmu(root);
            assertTrue(f.spec().relativeToInput);
            assertEquals(Integer.parseInt(horizon), f.spec().horizon);
            assertEquals(MotionSequences.features(b.stats()), f.spec().inputFeatures);

            Map<String, MotionScore> expected = MotionEval.scores(b, MotionEval.model(model, f, b));
            r = CliRun.main("eval", "--task", "motion", "--data", root.toString(), "--model", model.toString(), "--json");
            assertEquals(0, r.exit(), r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            for (String action : new String[] {"walking", "running", "average"}) {
                for (int ms : MS) {
                    double e = j.at("/results/model/" + action + "/" + ms).asDouble(Double.NaN);
                    assertEquals(expected.get(action).atMs(b.protocol(), ms), e, 1e-5);
                    assertNotEquals(j.at("/results/zero_velocity/" + action + "/" + ms).asDouble(), e, 1e-9);
                }
            }
            r = CliRun.main("eval", "--task", "motion", "--data", root.toString(), "--model", model.toString());
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("model motion-" + horizon + "\nmilliseconds"), r.out());
        }
    }

    @Test
    void aResidualModelWhoseHeadSaysNothingIsZeroVelocity() throws Exception {
        Path root = cmu();
        Path model = dir.resolve("m.safetensors");
        CliRun r = CliRun.main("train", "--kind", "forecaster", "--task", "motion", "--data", root.toString(),
                "--horizon", "2", "--cell", "gru", "--hidden", "8", "--streams", "4", "--iterations", "2", "--out",
                model.toString());
        assertEquals(0, r.exit(), r.err());
        Forecaster f = (Forecaster) ModelFiles.load(model);
        Arrays.fill(f.net().param("head.weight").w(), 0f);
        Arrays.fill(f.net().param("head.bias").w(), 0f);
        MotionBenchmark b = MotionBenchmark.cmu(root);
        Map<String, MotionScore> m = b.score(MotionEval.model(model, f, b));
        Map<String, MotionScore> zero = b.score(MotionBaselines.zeroVelocity());
        for (String action : zero.keySet()) {
            double[] want = zero.get(action).error();
            double[] got = m.get(action).error();
            for (int k = 0; k < want.length; k++) {
                assertEquals(want[k], got[k], 1e-4, action + " frame " + (k + 1));
            }
        }
    }
}
