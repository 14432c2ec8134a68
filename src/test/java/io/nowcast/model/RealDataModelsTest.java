package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.eval.Baselines;
import io.nowcast.eval.EthUcy;
import io.nowcast.eval.ForecasterTrajectories;
import io.nowcast.eval.ForecasterWindows;
import io.nowcast.eval.LtsfSplit;
import io.nowcast.eval.TrajectoryScore;
import io.nowcast.eval.TrajectoryWindows;
import io.nowcast.eval.WindowScore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The models in {@code models/} trained on real data: each is small, says how it was made, never saw
 * its test data, and (when the data sets are beside the project) still scores what the README says.
 */
class RealDataModelsTest {
    private static final Path MODELS = Path.of("models");
    private static final Path ETH_UCY = Path.of("..", "shared", "data", "eth-ucy");
    private static final Path ETTH1 = Path.of("..", "shared", "data", "sensors", "ETTh1.csv");

    private static Forecaster load(String file) throws IOException {
        Path p = MODELS.resolve(file);
        assertTrue(Files.size(p) < 200_000, file + " stays under 200 KB");
        Model m = ModelFiles.load(p);
        assertTrue(m instanceof Forecaster, file);
        assertTrue(String.valueOf(m.spec().provenance.get("command")).startsWith("nowcast train "), file);
        return (Forecaster) m;
    }

    /** scene, ADE, FDE of the model on the scene's test windows (README, results). */
    @ParameterizedTest
    @CsvSource({"eth, 0.884, 1.938", "hotel, 0.263, 0.512", "univ, 0.524, 1.152", "zara1, 0.437, 0.976",
        "zara2, 0.320, 0.714"})
    void trajectoryModelsLeaveTheirSceneOut(String scene, double ade, double fde) throws IOException {
        Forecaster f = load("trajectory-" + scene + ".safetensors");
        ModelSpec s = f.spec();
        assertEquals(List.of("dx", "dy"), s.inputFeatures);
        assertEquals(12, s.horizon);
        assertTrue(s.relativeToInput);
        String command = String.valueOf(s.provenance.get("command"));
        assertTrue(command.contains("--leave-out " + scene + " "), command);
        Map<?, ?> data = (Map<?, ?>) s.provenance.get("data");
        assertEquals(scene, data.get("leave_out"));
        for (String part : List.of("train_files", "val_files")) {
            for (Object o : (List<?>) data.get(part)) {
                String file = String.valueOf(((Map<?, ?>) o).get("file"));
                for (String rec : EthUcy.SCENES.get(scene)) {
                    assertFalse(file.startsWith(rec), scene + " model trained on " + file);
                }
            }
        }
        Path test = EthUcy.testDirectory(ETH_UCY, scene);
        Assumptions.assumeTrue(Files.isDirectory(test), "the ETH/UCY data is not at " + test.toAbsolutePath());
        List<TrajectoryWindows.Window> w = TrajectoryWindows.read(test);
        TrajectoryScore m = TrajectoryScore.of(w, 8, new ForecasterTrajectories(f));
        assertEquals(ade, m.ade(), 1e-3, scene + " ADE");
        assertEquals(fde, m.fde(), 1e-3, scene + " FDE");
    }

    @Test
    void trajectoryModelsBeatConstantVelocityOnAverage() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(ETH_UCY), "the ETH/UCY data is not at " + ETH_UCY.toAbsolutePath());
        double[] model = new double[2];
        double[] cv = new double[2];
        for (String scene : EthUcy.SCENES.keySet()) {
            List<TrajectoryWindows.Window> w = TrajectoryWindows.read(EthUcy.testDirectory(ETH_UCY, scene));
            TrajectoryScore m = TrajectoryScore.of(w, 8, new ForecasterTrajectories(load("trajectory-" + scene
                    + ".safetensors")));
            TrajectoryScore c = TrajectoryScore.of(w, 8, Baselines.constantVelocity());
            model[0] += m.ade() / 5;
            model[1] += m.fde() / 5;
            cv[0] += c.ade() / 5;
            cv[1] += c.fde() / 5;
        }
        assertTrue(model[0] < cv[0] && model[1] < cv[1], "model " + model[0] + "/" + model[1] + ", constant velocity "
                + cv[0] + "/" + cv[1]);
    }

    @Test
    void etth1ModelBeatsBothBaselinesOnTheTestMonths() throws IOException {
        Forecaster f = load("etth1-ot-gru.safetensors");
        ModelSpec s = f.spec();
        assertEquals(List.of("OT"), s.inputFeatures);
        assertEquals(96, s.horizon);
        assertTrue(s.relativeToInput);
        Map<?, ?> split = (Map<?, ?>) s.provenance.get("split");
        assertEquals(List.of(8544, 11520), split.get("val_rows"), "validated on the 4 months before the test");
        Assumptions.assumeTrue(Files.isRegularFile(ETTH1), "ETTh1 is not at " + ETTH1.toAbsolutePath());
        LtsfSplit sp = LtsfSplit.read(ETTH1, "OT", 96, 96);
        WindowScore m = WindowScore.of(sp, LtsfSplit.Part.TEST, new ForecasterWindows(f, "OT", 96));
        // README: 0.0533 / 0.1771 against last value 0.0693 / 0.2033 and least squares 0.0606 / 0.1820
        assertEquals(0.0533, m.mse(), 2e-4);
        assertEquals(0.1771, m.mae(), 2e-4);
        assertTrue(m.mse() < WindowScore.of(sp, LtsfSplit.Part.TEST, io.nowcast.eval.SeriesBaselines.lastValue()).mse());
        assertTrue(m.mse() < WindowScore.of(sp, LtsfSplit.Part.TEST, io.nowcast.eval.SeriesBaselines.leastSquares(sp)).mse());
    }
}
