package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.data.synthetic.SyntheticTracks;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.RecurrentState;
import io.nowcast.run.Provenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nowcast train --kind forecaster} end to end: synthetic tracks and series from the CLI,
 * a trained model written, read back, run by {@code predict} and {@code evaluate}, and checked
 * against {@link Forecaster#step} and against the data.
 */
class ForecasterCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static String ok(String... args) {
        CliRun r = CliRun.main(args);
        assertEquals(0, r.exit(), String.join(" ", args) + "\nstderr: " + r.err());
        return r.out();
    }

    private static List<double[]> rows(Path csv) throws IOException {
        List<double[]> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        for (String l : lines.subList(1, lines.size())) {
            String[] c = l.split(",");
            double[] v = new double[c.length];
            for (int j = 0; j < c.length; j++) {
                v[j] = Double.parseDouble(c[j]);
            }
            out.add(v);
        }
        return out;
    }

    private Path tracks(int count, int length, long seed) {
        Path csv = dir.resolve("tracks-" + seed + ".csv");
        ok("synth", "tracks", "--out", csv.toString(), "--count", Integer.toString(count), "--length",
                Integer.toString(length), "--seed", Long.toString(seed));
        return csv;
    }

    @Test
    void gaussianTrackModelRoundTripsAndPredictIsForecasterStep() throws IOException {
        Path csv = tracks(40, 40, 7);
        Path model = dir.resolve("tracks.safetensors");
        Path log = dir.resolve("train.jsonl");
        ok("train", "--kind", "forecaster", "--data", csv.toString(), "--features", "dx,dy", "--targets", "dx,dy",
                "--group", "track", "--head", "gaussian", "--hidden", "16", "--streams", "8", "--chunk", "0",
                "--iterations", "150", "--eval-every", "50", "--lr", "0.01", "--val-fraction", "0.2", "--out",
                model.toString(), "--log", log.toString(), "--quiet");

        Forecaster f = (Forecaster) ModelFiles.load(model);
        ModelSpec spec = f.spec();
        assertEquals(ModelKind.FORECASTER, spec.kind);
        assertEquals("tracks", spec.name);
        assertEquals(ModelSpec.Head.GAUSSIAN, spec.head);
        assertEquals(List.of("dx", "dy"), spec.inputFeatures);
        assertEquals(List.of("dx", "dy"), spec.targets);
        assertEquals(1, spec.horizon);
        assertEquals(List.of("dx+1", "dy+1"), spec.outputFeatures);
        assertTrue(spec.provenance.get("command").toString().contains("--kind forecaster"));
        assertEquals(Provenance.sha256(csv), ((Map<?, ?>) spec.provenance.get("data")).get("sha256"));
        assertEquals(32 * 40, ((Number) spec.provenance.get("train_rows")).intValue(), "32 tracks train, 8 held out");

        // the log: one JSON line per evaluation, with iteration and loss
        List<String> lines = Files.readAllLines(log);
        assertEquals(3, lines.size());
        JsonNode first = JSON.readTree(lines.get(0));
        assertEquals(50, first.get("iteration").asInt());
        assertTrue(first.get("loss").isNumber() && first.get("val_loss").isNumber() && first.get("val_rmse").isArray());

        // predict on the training CSV, a new state at each track: exactly Forecaster.step
        Path pred = dir.resolve("pred.csv");
        CliRun.main("predict", "--model", model.toString(), "--input", csv.toString(), "--output", pred.toString(), "--group",
                "track");
        assertEquals("dx+1,dy+1,dx+1_std,dy+1_std", Files.readAllLines(pred).get(0));
        List<double[]> in = rows(csv);
        List<double[]> got = rows(pred);
        assertEquals(in.size(), got.size());
        RecurrentState state = f.net().newState(1);
        float[] x = new float[2];
        float[] y = new float[4];
        float[] scratch = new float[64];
        for (int i = 0; i < in.size(); i++) {
            if (i > 0 && in.get(i)[0] != in.get(i - 1)[0]) {
                state.reset();
            }
            x[0] = (float) in.get(i)[4];
            x[1] = (float) in.get(i)[5];
            f.step(x, state, y, scratch);
            for (int j = 0; j < 4; j++) {
                assertEquals(y[j], got.get(i)[j], 1e-6 * Math.max(1, Math.abs(y[j])), "row " + i + " column " + j);
            }
            assertTrue(y[2] > 0 && y[3] > 0, "a Gaussian head gives a positive standard deviation");
        }
        // without --group the state runs on from one track into the next: other numbers
        Path joined = dir.resolve("joined.csv");
        CliRun.main("predict", "--model", model.toString(), "--input", csv.toString(), "--output", joined.toString());
        assertNotEquals(got.get(40)[0], rows(joined).get(40)[0]);

        // the training forward pass over a whole track agrees with stepping it
        float[] seq = new float[40 * 2];
        for (int t = 0; t < 40; t++) {
            for (int j = 0; j < 2; j++) {
                seq[t * 2 + j] = ((float) in.get(t)[4 + j] - spec.inputMean[j]) / spec.inputStd[j];
            }
        }
        float[] out = f.net().forward(seq, 40, f.net().newState(1));
        for (int t = 0; t < 40; t++) {
            assertEquals(out[t * 4] * spec.outputStd[0] + spec.outputMean[0], got.get(t)[0], 1e-4, "forward = step at " + t);
        }
    }

    @Test
    void trackModelBeatsTheLastValueAndEvaluateScoresTheHeldOutTracks() throws IOException {
        Path csv = tracks(60, 60, 3);
        Path model = dir.resolve("m.safetensors");
        ok("train", "--kind", "forecaster", "--data", csv.toString(), "--features", "dx,dy", "--targets", "dx,dy",
                "--group", "track", "--hidden", "16", "--streams", "16", "--chunk", "20", "--iterations", "300",
                "--eval-every", "100", "--lr", "0.01", "--out", model.toString(), "--quiet");
        Forecaster f = (Forecaster) ModelFiles.load(model);
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Number>> v = (Map<String, Map<String, Number>>) f.spec().provenance.get("validation");
        double rmse = v.get("rmse").get("dx+1").doubleValue();
        double last = v.get("last_value_rmse").get("dx+1").doubleValue();
        assertTrue(rmse < 0.95 * last, "held-out RMSE " + rmse + " vs the last value's " + last);

        // the held-out series are the last 6 tracks: evaluate on them alone gives the same figures
        Path heldOut = dir.resolve("held-out.csv");
        SyntheticTracks.writeCsv(heldOut, new SyntheticTracks(3).generate(60, 60).subList(54, 60));
        String table = ok("evaluate", "--model", model.toString(), "--data", heldOut.toString(), "--group", "track");
        assertTrue(table.contains("6 series, 360 rows, 354 steps scored"), table);
        String dxLine = table.lines().filter(l -> l.startsWith("dx+1")).findFirst().orElseThrow();
        String[] cells = dxLine.trim().split("\\s+");
        assertEquals(rmse, Double.parseDouble(cells[1]), 1e-4, dxLine);
        assertEquals(last, Double.parseDouble(cells[2]), 1e-4, dxLine);
    }

    /** A single series with a trend: a, b, and c = a + b, 300 rows. */
    private Path series() throws IOException {
        StringBuilder sb = new StringBuilder("time,a,b,c\n");
        for (int t = 0; t < 300; t++) {
            double a = Math.sin(t * 0.3) + 0.01 * t;
            double b = Math.cos(t * 0.17);
            sb.append("2024-01-01T").append(t).append(',').append(a).append(',').append(b).append(',').append(a + b)
                    .append('\n');
        }
        return Files.writeString(dir.resolve("series.csv"), sb.toString());
    }

    @Test
    void horizonThreePredictsThreeValuesPerTargetWithTrainingSplitStatistics() throws IOException {
        Path csv = series();
        Path model = dir.resolve("h3.safetensors");
        ok("train", "--kind", "forecaster", "--data", csv.toString(), "--features", "a,b,c", "--targets", "c,a",
                "--horizon", "3", "--cell", "gru", "--hidden", "8", "--streams", "4", "--chunk", "16", "--iterations",
                "20", "--val-fraction", "0.25", "--out", model.toString(), "--name", "three", "--quiet");
        ModelSpec spec = ModelFiles.load(model).spec();
        assertEquals("three", spec.name);
        assertEquals(3, spec.horizon);
        assertEquals(6, spec.outputSize);
        assertEquals(List.of("c", "a"), spec.targets);
        assertEquals(List.of("c+1", "c+2", "c+3", "a+1", "a+2", "a+3"), spec.outputFeatures);
        // statistics of the first 225 rows only (the last quarter is held out)
        double[] mean = new double[3];
        double[] sq = new double[3];
        List<String> lines = Files.readAllLines(csv).subList(1, 226);
        for (String l : lines) {
            String[] c = l.split(",");
            for (int j = 0; j < 3; j++) {
                mean[j] += Float.parseFloat(c[j + 1]) / 225.0;
            }
        }
        for (String l : lines) {
            String[] c = l.split(",");
            for (int j = 0; j < 3; j++) {
                double e = Float.parseFloat(c[j + 1]) - mean[j];
                sq[j] += e * e / 225.0;
            }
        }
        for (int j = 0; j < 3; j++) {
            assertEquals(mean[j], spec.inputMean[j], 1e-5, "input mean " + j);
            assertEquals(Math.sqrt(sq[j]), spec.inputStd[j], 1e-5, "input std " + j);
        }
        assertArrayEquals(new float[] {spec.inputMean[2], spec.inputMean[2], spec.inputMean[2], spec.inputMean[0],
                spec.inputMean[0], spec.inputMean[0]}, spec.outputMean, "c+k uses c's statistics, a+k a's");
        assertArrayEquals(new float[] {spec.inputStd[2], spec.inputStd[2], spec.inputStd[2], spec.inputStd[0],
                spec.inputStd[0], spec.inputStd[0]}, spec.outputStd);
        @SuppressWarnings("unchecked")
        Map<String, Number> steps = (Map<String, Number>) spec.provenance.get("validation");
        assertEquals(75 - 1, ((Number) steps.get("steps_scored")).intValue(), "c+1 is scored at 74 of the 75 held-out rows");
        assertEquals(3, ((Number) spec.provenance.get("horizon")).intValue());

        // predict writes the six outputs
        Path pred = dir.resolve("p.csv");
        ok("predict", "--model", model.toString(), "--input", csv.toString(), "--output", pred.toString());
        assertEquals("c+1,c+2,c+3,a+1,a+2,a+3", Files.readAllLines(pred).get(0));
    }

    @Test
    void aMissingColumnIsRefusedWithTheFileAndTheColumn() throws IOException {
        Path csv = series();
        for (String[] cols : new String[][] {{"a,zz", "c"}, {"a,b", "speed"}}) {
            CliRun r = CliRun.main("train", "--kind", "forecaster", "--data", csv.toString(), "--features", cols[0], "--targets",
                    cols[1], "--out", dir.resolve("x.safetensors").toString(), "--quiet");
            String err = r.err();
            String missing = cols[0].contains("zz") ? "zz" : "speed";
            assertNotEquals(0, r.exit(), err);
            assertTrue(err.contains(csv.toString()) && err.contains("'" + missing + "'"), err);
        }
        CliRun r = CliRun.main("train", "--kind", "forecaster", "--data", csv.toString(), "--features", "a", "--targets", "c",
                "--group", "station", "--out", dir.resolve("x.safetensors").toString(), "--quiet");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains(csv.toString()) && r.err().contains("'station'"), r.err());
        assertTrue(!Files.exists(dir.resolve("x.safetensors")), "no model written");
    }

    @Test
    void forecasterOptionsAreRefusedForCharModelsAndViceVersa() throws IOException {
        Path text = Files.writeString(dir.resolve("t.txt"), "hello");
        CliRun r = CliRun.main("train", "--kind", "char", "--data", text.toString(), "--features", "a", "--quiet");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("--kind forecaster"), r.err());
        r = CliRun.main("train", "--kind", "forecaster", "--data", series().toString(), "--features", "a", "--targets", "c",
                "--recipe", "min-char-rnn", "--quiet");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("--kind char"), r.err());
        r = CliRun.main("train", "--kind", "forecaster", "--data", series().toString(), "--features", "a", "--quiet");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("--targets"), r.err());
    }

    @Test
    void provenanceRecordsTheNoteTheDataOriginAndARunnableCommand() throws IOException {
        Path csv = series();
        Path model = dir.resolve("noted.safetensors");
        ok("train", "--kind", "forecaster", "--data", csv.toString(), "--features", "a", "--targets", "c", "--hidden",
                "4", "--iterations", "3", "--chunk", "8", "--out", model.toString(), "--note", "a demo; don't deploy",
                "--data-origin", "made by hand", "--quiet");
        Map<String, Object> p = ModelFiles.load(model).spec().provenance;
        assertEquals("a demo; don't deploy", p.get("note"));
        assertEquals("made by hand", ((Map<?, ?>) p.get("data")).get("origin"));
        assertTrue(p.get("command").toString().endsWith("--note 'a demo; don'\\''t deploy' --data-origin 'made by hand' --quiet"),
                p.get("command").toString());
    }
}
