package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nowcast eval}: the protocol's figures from the command line, as a table and as JSON. */
class EvalCommandTest {
    @TempDir
    Path dir;

    /** Two walkers for 20 steps: one straight at 0.5 m per step, one that stops after 8 steps. */
    private Path scene() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < 20; s++) {
            sb.append(10 * s).append("\t1\t").append(0.5 * s).append("\t0\n");
            sb.append(10 * s).append("\t2\t0\t").append(0.25 * Math.min(s, 7)).append('\n');
        }
        Path f = dir.resolve("scene.txt");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test
    void trajectoryBaselinesAsATableAndAsJson() throws Exception {
        Path f = scene();
        CliRun r = CliRun.main("eval", "--task", "trajectory", "--data", dir.toString());
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("1 file(s), 2 windows"), out);
        // walker 2 stops: CV runs on by 0.25 m a step, k * 0.25 off at step k (ADE 1.625, FDE 3),
        // walker 1 is exact; averaged: 0.8125 and 1.5
        assertTrue(out.matches("(?s).*constant velocity\\s+0\\.813\\s+1\\.500.*"), out);

        r = CliRun.main("eval", "--task", "trajectory", "--data", f.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(2, j.get("windows").asInt());
        assertEquals(0.8125, j.at("/results/constant_velocity/ade").asDouble(), 1e-4);
        assertEquals(1.5, j.at("/results/constant_velocity/fde").asDouble(), 1e-4);
        assertTrue(j.at("/results/linear/ade").asDouble() > 0);
    }

    @Test
    void forecastBaselinesOnARamp() throws Exception {
        StringBuilder sb = new StringBuilder("date,OT\n");
        for (int i = 0; i < 14400; i++) {
            sb.append("h").append(i).append(',').append(i).append('\n');
        }
        Path csv = dir.resolve("ramp.csv");
        Files.writeString(csv, sb.toString());
        CliRun r = CliRun.main("eval", "--task", "forecast", "--data", csv.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(2785, j.get("windows").asInt());
        double var = (8640.0 * 8640.0 - 1) / 12;
        assertEquals(97 * 193 / 6.0 / var, j.at("/results/last_value/mse").asDouble(), 1e-5);
        assertEquals(0.0, j.at("/results/least_squares/mse").asDouble(), 1e-5);
        r = CliRun.main("eval", "--task", "forecast", "--data", csv.toString(), "--column", "load");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("load"), r.err());
    }

    @Test
    void aForecastModelTrainedOnTheSplitIsScoredBesideTheBaselines() throws Exception {
        StringBuilder sb = new StringBuilder("date,OT\n");
        for (int i = 0; i < 14400; i++) {
            sb.append("h").append(i).append(',').append(20 + 5 * Math.sin(2 * Math.PI * i / 24) + i / 1000.0).append('\n');
        }
        Path csv = dir.resolve("daily.csv");
        Files.writeString(csv, sb.toString());
        Path model = dir.resolve("m.safetensors");
        CliRun r = CliRun.main("train", "--kind", "forecaster", "--task", "forecast", "--data", csv.toString(), "--targets", "OT",
                "--input-length", "24", "--horizon", "12", "--relative", "--level-shift", "1", "--cell", "gru", "--hidden", "8",
                "--iterations", "30", "--eval-every", "10", "--quiet", "--out", model.toString());
        assertEquals(0, r.exit(), r.err());
        r = CliRun.main("eval", "--task", "forecast", "--model", model.toString(), "--data", csv.toString(), "--input-length", "24",
                "--horizon", "12", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.at("/results/model/mse").asDouble() > 0, r.out());
        assertEquals(2880 + 24 - 24 - 12 + 1, j.get("windows").asInt());
        // the model's horizon must cover the one asked for
        r = CliRun.main("eval", "--task", "forecast", "--model", model.toString(), "--data", csv.toString(), "--input-length", "24",
                "--horizon", "96");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("predicts it 96 steps ahead"), r.err());
    }

    @Test
    void aTrajectoryModelTrainedLeavingASceneOutIsScored() throws Exception {
        Path root = dir.resolve("eth-ucy");
        for (String part : new String[] {"train", "val"}) {
            Files.createDirectories(root.resolve(part));
            for (String rec : new String[] {"biwi_eth", "crowds_zara01"}) {
                StringBuilder sb = new StringBuilder();
                for (int s = 0; s < 30; s++) {
                    sb.append(10 * s).append("\t1\t").append(0.4 * s).append("\t0\n");
                    sb.append(10 * s).append("\t2\t0\t").append(0.3 * s + 0.01 * (s % 3)).append('\n');
                }
                Files.writeString(root.resolve(part).resolve(rec + "_" + part + ".txt"), sb.toString());
            }
        }
        Path model = dir.resolve("t.safetensors");
        CliRun r = CliRun.main("train", "--kind", "forecaster", "--task", "trajectory", "--data", root.toString(), "--leave-out",
                "zara1", "--horizon", "12", "--relative", "--loss", "ade", "--augment", "rotate-mirror", "--input-noise",
                "0.05", "--input-noise-share", "0.5", "--hidden", "8", "--streams", "8", "--iterations", "20",
                "--eval-every", "10", "--out", model.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("22 training windows (1 files)"), r.err());
        r = CliRun.main("eval", "--task", "trajectory", "--model", model.toString(), "--data",
                root.resolve("val").resolve("crowds_zara01_val.txt").toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(22, j.get("windows").asInt());
        assertTrue(j.at("/results/model/ade").asDouble() >= 0);
        r = CliRun.main("train", "--kind", "forecaster", "--task", "trajectory", "--data", root.toString(), "--leave-out", "paris",
                "--horizon", "12", "--out", model.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("unknown scene 'paris'"), r.err());
    }

    @Test
    void refusals() throws Exception {
        CliRun r = CliRun.main("eval", "--task", "pictures", "--data", dir.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("--task pictures"), r.err());
        r = CliRun.main("eval", "--task", "trajectory", "--data", dir.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("no .txt trajectory files"), r.err());
    }
}
