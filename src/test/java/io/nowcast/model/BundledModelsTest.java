package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.eval.ForecastScore;
import io.nowcast.data.CsvTable;
import io.nowcast.data.SeriesSet;
import io.nowcast.data.synthetic.SyntheticSensors;
import io.nowcast.data.synthetic.SyntheticTracks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo models in {@code models/} load, say they are synthetic demos, and still score what
 * {@code models/README.md} reports on the test data it describes (regenerated here from the seeds).
 */
class BundledModelsTest {
    private static final Path MODELS = Path.of("models");

    @TempDir
    Path dir;

    private static Forecaster load(String file) throws IOException {
        Model m = ModelFiles.load(MODELS.resolve(file));
        assertTrue(m instanceof Forecaster, file);
        ModelSpec spec = m.spec();
        assertTrue(spec.name.contains("synthetic-demo"), spec.name);
        assertTrue(String.valueOf(spec.provenance.get("note")).contains("synthetic"), file + " is labelled synthetic");
        assertTrue(String.valueOf(((java.util.Map<?, ?>) spec.provenance.get("data")).get("origin")).startsWith("nowcast synth"));
        assertTrue(Files.size(MODELS.resolve(file)) < 300_000, file + " stays small");
        return (Forecaster) m;
    }

    @Test
    void tracksModelOnTheTestTracks() throws IOException {
        Forecaster f = load("tracks-lstm.safetensors");
        assertEquals(List.of("dx", "dy"), f.spec().inputFeatures);
        assertEquals(ModelSpec.Head.GAUSSIAN, f.spec().head);
        Path csv = dir.resolve("tracks-test.csv");
        SyntheticTracks.writeCsv(csv, new SyntheticTracks(2).generate(100, 150));
        ForecastScore s = ForecastScore.of(f, SeriesSet.of(CsvTable.read(csv), f.spec().inputFeatures, f.spec().targets, 1,
                "track"));
        assertEquals(14900, s.scored());
        // models/README.md: dx+1 0.0814 vs 0.1067, dy+1 0.0817 vs 0.1062, within one std 0.687 / 0.695
        assertEquals(0.0814, s.rmse[0], 6e-4);
        assertEquals(0.0817, s.rmse[1], 6e-4);
        assertEquals(0.1067, s.baselineRmse[0], 1e-4);
        assertEquals(0.1062, s.baselineRmse[1], 1e-4);
        assertEquals(0.687, s.withinOneStd[0], 0.01);
        assertEquals(0.695, s.withinOneStd[1], 0.01);
    }

    @Test
    void sensorsModelOnTheLastTwelveWeeks() throws IOException {
        Forecaster f = load("sensors-gru.safetensors");
        assertEquals(List.of("s0", "s1", "s2"), f.spec().inputFeatures);
        Path all = dir.resolve("sensors-all.csv");
        SyntheticSensors.writeCsv(all, new SyntheticSensors(3).generate(3, 10752));
        List<String> lines = Files.readAllLines(all);
        Path test = dir.resolve("sensors-test.csv");
        Files.write(test, java.util.stream.Stream.concat(lines.subList(0, 1).stream(),
                lines.subList(lines.size() - 2016, lines.size()).stream()).toList());
        ForecastScore s = ForecastScore.of(f, SeriesSet.of(CsvTable.read(test), f.spec().inputFeatures, f.spec().targets, 1,
                null));
        assertEquals(2015, s.scored());
        // models/README.md: s0+1 0.5645 vs 0.9851
        assertEquals(0.5645, s.rmse[0], 6e-4);
        assertEquals(0.9851, s.baselineRmse[0], 1e-4);
    }
}
