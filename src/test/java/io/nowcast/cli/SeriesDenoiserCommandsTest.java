package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.data.synthetic.SyntheticSensors;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.run.ConfiguredModels;
import io.nowcast.run.train.SeriesDenoiserTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nowcast train --kind series-denoiser} and {@code nowcast eval --task series-denoise}. */
class SeriesDenoiserCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path sensors(int rows) throws Exception {
        Path csv = dir.resolve("sensors.csv");
        SyntheticSensors.writeCsv(csv, new SyntheticSensors(5).generate(3, rows));
        return csv;
    }

    @Test
    void trainingWritesADenoiserThatEvalScoresBesideTheBaselines() throws Exception {
        Path csv = sensors(3000);
        Path model = dir.resolve("d.safetensors");
        Path log = dir.resolve("d.jsonl");
        CliRun r = CliRun.main("train", "--kind", "series-denoiser", "--data", csv.toString(), "--columns", "s0,s1,s2",
                "--noise", "gaussian", "--sigma", "0.5", "--cell", "gru", "--hidden", "16", "--streams", "16",
                "--chunk", "32", "--window", "128", "--lr", "3e-3", "--iterations", "300", "--eval-every", "50",
                "--patience", "4", "--seed", "3", "--quiet", "--out", model.toString(), "--log", log.toString());
        assertEquals(0, r.exit(), r.err());
        SeriesDenoiser d = assertInstanceOf(SeriesDenoiser.class, ModelFiles.load(model));
        assertEquals(List.of("s0", "s1", "s2"), d.spec().inputFeatures);
        assertEquals("gaussian", d.spec().noiseModel);
        assertEquals(0.5f, d.spec().noiseSigma);
        assertTrue(String.valueOf(d.spec().provenance.get("command")).contains("--kind series-denoiser"));
        assertTrue(d.spec().provenance.get("validation").toString().contains("exponential_smoothing"));
        List<String> lines = Files.readAllLines(log);
        assertTrue(lines.size() >= 2, "a JSON line per evaluation");
        assertTrue(JSON.readTree(lines.get(0)).has("val_loss"), lines.get(0));

        CliRun e = CliRun.main("eval", "--task", "series-denoise", "--model", model.toString(), "--data", csv.toString(),
                "--json");
        assertEquals(0, e.exit(), e.err());
        JsonNode o = JSON.readTree(e.out());
        assertEquals("60/20/20", o.get("cut").asText());
        assertEquals(2400, o.get("rows").get(0).asInt());
        assertEquals(0.5, o.get("noise").get("sigma").asDouble(), 1e-9);
        JsonNode res = o.get("results");
        for (String k : List.of("model", "noisy_input", "moving_average", "exponential_smoothing", "moving_median")) {
            assertTrue(res.has(k), k);
        }
        // even a short run cleans: well below the noisy input's error
        assertTrue(res.get("model").get("rmse_in_stds").asDouble() < 0.8 * res.get("noisy_input").get("rmse_in_stds").asDouble(),
                res.toString());
        // the noisy input's error is about sigma (in column stds)
        assertEquals(0.5, res.get("noisy_input").get("rmse_in_stds").asDouble(), 0.03);

        // --noise-draws: the means over draws of seeds SEED.., each draw the single-draw comparison
        JsonNode three = JSON.readTree(CliRun.main("eval", "--task", "series-denoise", "--model", model.toString(),
                "--data", csv.toString(), "--noise-seed", "40", "--noise-draws", "3", "--json").out());
        assertEquals(3, three.get("noise").get("draws").asInt());
        double[] sum = new double[3];
        double[] ahead = new double[3];
        for (int k = 0; k < 3; k++) {
            JsonNode one = JSON.readTree(CliRun.main("eval", "--task", "series-denoise", "--model", model.toString(),
                    "--data", csv.toString(), "--noise-seed", Integer.toString(40 + k), "--json").out()).get("results");
            for (int j = 0; j < 3; j++) {
                double m = one.get("model").get("rmse").get("s" + j).asDouble();
                sum[j] += m / 3;
                ahead[j] += m < one.get("exponential_smoothing").get("rmse").get("s" + j).asDouble() ? 1 : 0;
            }
        }
        for (int j = 0; j < 3; j++) {
            assertEquals(sum[j], three.get("results").get("model").get("mean_rmse").get("s" + j).asDouble(), 1e-5);
            assertEquals(ahead[j], three.get("draws_model_ahead").get("exponential_smoothing").get("s" + j).asInt());
        }
        CliRun drawsText = CliRun.main("eval", "--task", "series-denoise", "--model", model.toString(), "--data",
                csv.toString(), "--noise-draws", "2");
        assertTrue(drawsText.out().contains("2 draws (seeds 20261126 to 20261127)"), drawsText.out());
        assertTrue(drawsText.out().contains("draws the model is ahead of"), drawsText.out());
        CliRun zero = CliRun.main("eval", "--task", "series-denoise", "--model", model.toString(), "--data", csv.toString(),
                "--noise-draws", "0");
        assertEquals(1, zero.exit());
        assertTrue(zero.err().contains("--noise-draws"), zero.err());

        CliRun t = CliRun.main("eval", "--task", "series-denoise", "--model", model.toString(), "--data", csv.toString());
        assertEquals(0, t.exit(), t.err());
        assertTrue(t.out().contains("exp. smoothing (best alpha)"), t.out());
        assertTrue(t.out().contains("moving median (best w)"), t.out());
    }

    @Test
    void runLoadsASeriesDenoiserForAPipeline() throws Exception {
        Path model = Path.of("models", "sensors-denoiser.safetensors").toAbsolutePath();
        io.nowcast.stream.ProcessorConfig c = io.nowcast.stream.ProcessorConfig.parse(java.util.Map.of(
                "pipelines", "clean",
                "pipeline.clean.input.topics", "sensors",
                "pipeline.clean.output.topic", "sensors-clean",
                "pipeline.clean.model", model.toString()), "test.properties", dir);
        java.util.Map<String, Object> m = ConfiguredModels.load(c);
        assertInstanceOf(SeriesDenoiser.class, m.get("clean"));
    }

    @Test
    void badArgumentsAreNamed() throws Exception {
        Path csv = sensors(500);
        CliRun r = CliRun.main("train", "--kind", "series-denoiser", "--data", csv.toString(), "--columns", "s0,nope",
                "--sigma", "0.5", "--out", dir.resolve("x.safetensors").toString());
        assertTrue(r.exit() != 0);
        assertTrue(r.err().contains("nope"), r.err());
        r = CliRun.main("train", "--kind", "series-denoiser", "--data", csv.toString(), "--columns", "s0",
                "--out", dir.resolve("x.safetensors").toString());
        assertTrue(r.err().contains("sigma > 0"), r.err());
        r = CliRun.main("eval", "--task", "series-denoise", "--data", csv.toString(), "--sigma", "0.5");
        assertTrue(r.err().contains("--columns"), r.err());
        r = CliRun.main("train", "--kind", "forecaster", "--data", csv.toString(), "--features", "s0", "--targets", "s0",
                "--sigma", "0.5", "--out", dir.resolve("x.safetensors").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("for --kind series-denoiser, not forecaster"), r.err());
        r = CliRun.main("eval", "--task", "forecast", "--data", csv.toString(), "--sigma", "0.5");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("for --task series-denoise, not forecast"), r.err());
    }

    @Test
    void aDenoiserOverASmoothingBaseTrainsAndCleansBetterThanItsBase() throws Exception {
        Path csv = sensors(3000);
        Path model = dir.resolve("b.safetensors");
        CliRun r = CliRun.main("train", "--kind", "series-denoiser", "--data", csv.toString(), "--columns", "s0,s1,s2",
                "--noise", "gaussian", "--sigma", "0.5", "--smoothing-base", "--smoothing-time-constant", "100",
                "--cell", "gru", "--hidden", "16", "--streams", "16", "--chunk", "32", "--window", "384", "--lr", "3e-3",
                "--iterations", "300", "--eval-every", "50", "--patience", "4", "--seed", "3", "--quiet",
                "--out", model.toString());
        assertEquals(0, r.exit(), r.err());
        SeriesDenoiser d = assertInstanceOf(SeriesDenoiser.class, ModelFiles.load(model));
        assertEquals(100f, d.spec().smoothingBase.timeConstant());
        assertArrayEquals(SeriesDenoiserTraining.SMOOTHING_FACTORS, d.spec().smoothingBase.alphas());
        JsonNode res = JSON.readTree(CliRun.main("eval", "--task", "series-denoise", "--model", model.toString(),
                "--data", csv.toString(), "--json").out()).get("results");
        assertTrue(res.get("model").get("rmse_in_stds").asDouble() < 0.8 * res.get("noisy_input").get("rmse_in_stds").asDouble(),
                res.toString());
        // the network corrects the base: the same file with a head of zeros is the base alone, and worse
        java.util.Arrays.fill(d.net().param("head.weight").w(), 0f);
        java.util.Arrays.fill(d.net().param("head.bias").w(), 0f);
        Path zero = dir.resolve("b0.safetensors");
        ModelFiles.save(zero, d);
        JsonNode base = JSON.readTree(CliRun.main("eval", "--task", "series-denoise", "--model", zero.toString(),
                "--data", csv.toString(), "--json").out()).get("results");
        assertTrue(res.get("model").get("rmse_in_stds").asDouble() < base.get("model").get("rmse_in_stds").asDouble(),
                res + " against the base alone " + base);

        CliRun bad = CliRun.main("train", "--kind", "series-denoiser", "--data", csv.toString(), "--columns", "s0",
                "--sigma", "0.5", "--smoothing-base", "--direct", "--out", dir.resolve("x.safetensors").toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("--direct") && bad.err().contains("--smoothing-base"), bad.err());
        CliRun mask = CliRun.main("train", "--kind", "series-denoiser", "--data", csv.toString(), "--columns", "s0",
                "--noise", "mask", "--amount", "0.1", "--smoothing-base", "--out", dir.resolve("z.safetensors").toString());
        assertEquals(1, mask.exit());
        assertTrue(mask.err().contains("--noise gaussian"), mask.err());
        CliRun lone = CliRun.main("train", "--kind", "series-denoiser", "--data", csv.toString(), "--columns", "s0",
                "--sigma", "0.5", "--smoothing-time-constant", "50", "--out", dir.resolve("y.safetensors").toString());
        assertEquals(1, lone.exit());
        assertTrue(lone.err().contains("--smoothing-time-constant"), lone.err());
    }
}
