package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.data.SeriesNoise;
import io.nowcast.data.synthetic.SyntheticSensors;
import io.nowcast.eval.SeriesDenoising;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled series denoisers still score what {@code models/README.md} reports, on the test
 * rows and the noise {@code nowcast eval --task series-denoise} uses (seed 20261126), beside the
 * causal baselines: the synthetic one always (its data regenerated from the seed), the ETTh1 one
 * when {@code ../shared/data} is there.
 */
class SeriesDenoiserModelsTest {
    private static final Path MODELS = Path.of("models");
    private static final Path ETTH1 = Path.of("../shared/data/sensors/ETTh1.csv");
    /** The default of {@code nowcast eval --noise-seed}. */
    private static final long NOISE_SEED = 20261126L;

    @TempDir
    Path dir;

    private static SeriesDenoiser load(String file) throws IOException {
        Model m = ModelFiles.load(MODELS.resolve(file));
        assertTrue(m instanceof SeriesDenoiser, file);
        assertTrue(Files.size(MODELS.resolve(file)) < 200_000, file + " stays small");
        assertTrue(String.valueOf(m.spec().provenance.get("command")).startsWith("nowcast train --kind series-denoiser"));
        return (SeriesDenoiser) m;
    }

    private static SeriesDenoising.Comparison compare(SeriesDenoiser d, SeriesDenoising s) {
        SeriesNoise noise = new SeriesNoise(d.spec().noiseModel, d.spec().noiseSigma, d.spec().noiseAmount);
        return s.compare(s.noisy(noise, NOISE_SEED), d, SeriesDenoising.Part.TEST);
    }

    @Test
    void syntheticDenoiserBeatsTheBestMovingAverageAndSmoothingOnEveryChannel() throws IOException {
        SeriesDenoiser d = load("sensors-denoiser.safetensors");
        assertTrue(d.spec().name.contains("synthetic-demo"), d.spec().name);
        assertEquals(List.of("s0", "s1", "s2"), d.spec().inputFeatures);
        assertEquals("gaussian", d.spec().noiseModel);
        assertEquals(0.5f, d.spec().noiseSigma);
        Path csv = dir.resolve("sensors-denoise.csv");
        SyntheticSensors.writeCsv(csv, new SyntheticSensors(7).generate(3, 14400));
        SeriesDenoising.Comparison c = compare(d, SeriesDenoising.read(csv, d.spec().inputFeatures));
        Map<String, SeriesDenoising.Score> s = c.scores();
        for (int j = 0; j < 3; j++) {
            double model = s.get("model").rmse()[j];
            assertTrue(model < s.get("moving_average").rmse()[j], "s" + j + ": model " + model + " vs moving average");
            assertTrue(model < s.get("exponential_smoothing").rmse()[j], "s" + j + ": model " + model + " vs smoothing");
            assertTrue(model < s.get("moving_median").rmse()[j], "s" + j + ": model " + model + " vs median");
        }
        // models/README.md: RMSE s0 0.5754 s1 0.6700 s2 0.6568; smoothing 0.7572 0.9856 1.1388
        assertEquals(0.5754, s.get("model").rmse()[0], 2e-3);
        assertEquals(0.6700, s.get("model").rmse()[1], 2e-3);
        assertEquals(0.6568, s.get("model").rmse()[2], 2e-3);
        assertEquals(0.7572, s.get("exponential_smoothing").rmse()[0], 1e-4);
        assertEquals(0.9856, s.get("exponential_smoothing").rmse()[1], 1e-4);
        assertEquals(1.1388, s.get("exponential_smoothing").rmse()[2], 1e-4);
    }

    @Test
    void etth1DenoiserBeatsEveryBaselineOnEveryColumn() throws IOException {
        SeriesDenoiser d = load("etth1-denoiser.safetensors");
        List<String> columns = List.of("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT");
        assertEquals(columns, d.spec().inputFeatures);
        assertEquals("gaussian", d.spec().noiseModel);
        assertEquals(0.5f, d.spec().noiseSigma);
        assertEquals(480f, d.spec().smoothingBase.timeConstant(), "an adaptive smoothing base");
        Assumptions.assumeTrue(Files.isRegularFile(ETTH1), "ETTh1 is not at " + ETTH1.toAbsolutePath());
        SeriesDenoising series = SeriesDenoising.read(ETTH1, columns);
        assertTrue(series.ltsf, "the LTSF cut");
        Map<String, SeriesDenoising.Score> s = compare(d, series).scores();
        double[] model = s.get("model").rmse();
        double[] ma = s.get("moving_average").rmse();
        double[] es = s.get("exponential_smoothing").rmse();
        double[] med = s.get("moving_median").rmse();
        for (int j = 0; j < 7; j++) {
            assertTrue(model[j] < med[j] && model[j] < ma[j] && model[j] < es[j], columns.get(j) + ": model " + model[j]
                    + ", moving median " + med[j] + ", moving average " + ma[j] + ", smoothing " + es[j]);
        }
        assertTrue(s.get("model").rmseStd() < s.get("exponential_smoothing").rmseStd());
        assertTrue(s.get("model").rmseStd() < s.get("moving_average").rmseStd());
        // models/README.md: the test-row RMSE of each column, and the baselines' on OT
        double[] readme = {1.6126, 0.5449, 1.5151, 0.4934, 0.3203, 0.1477, 1.3468};
        for (int j = 0; j < 7; j++) {
            assertEquals(readme[j], model[j], 2e-3, columns.get(j));
        }
        assertEquals(0.2564, s.get("model").rmseStd(), 1e-3);
        assertEquals(1.4241, es[6], 1e-4, "OT, exponential smoothing");
        assertEquals(1.6677, ma[6], 1e-4, "OT, moving average");
    }

    @Test
    void etth1DenoiserStartedFreshAtTheTestRowsStillBeatsSmoothingThatRanFromRowZero() throws IOException {
        // a new stream: its state (network and smoothing base) starts at the first test row, every row scored
        SeriesDenoiser d = load("etth1-denoiser.safetensors");
        List<String> columns = d.spec().inputFeatures;
        Assumptions.assumeTrue(Files.isRegularFile(ETTH1), "ETTh1 is not at " + ETTH1.toAbsolutePath());
        SeriesDenoising series = SeriesDenoising.read(ETTH1, columns);
        float[] noisy = series.noisy(new SeriesNoise("gaussian", d.spec().noiseSigma, 0f), NOISE_SEED);
        int a = series.from(SeriesDenoising.Part.TEST);
        int D = columns.size();
        float[] fresh = d.denoise(java.util.Arrays.copyOfRange(noisy, a * D, series.rows * D), series.rows - a);
        float[] whole = new float[series.rows * D];
        System.arraycopy(fresh, 0, whole, a * D, fresh.length);
        double[] model = series.score(whole, SeriesDenoising.Part.TEST).rmse();
        double[] es = series.score(series.exponential(noisy, series.bestAlphas(noisy)), SeriesDenoising.Part.TEST).rmse();
        for (int j = 0; j < D; j++) {
            assertTrue(model[j] < es[j], columns.get(j) + ": fresh model " + model[j] + ", smoothing " + es[j]);
        }
        // models/README.md
        assertEquals(1.3859, model[6], 2e-3, "OT from a fresh state");
    }
}
