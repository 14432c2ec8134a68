package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nowcast predict} on a small GRU forecaster, checked against stepping the network by hand. */
class PredictCommandTest {
    private static final String[] FEATURES = {"px", "py", "speed"};
    private static final float[] IN_MEAN = {1.5f, -2f, 0.25f};
    private static final float[] IN_STD = {2f, 0.5f, 1.25f};
    private static final float[] OUT_MEAN = {10f, -3f};
    private static final float[] OUT_STD = {4f, 0.2f};
    private static final int ROWS = 12;

    @TempDir
    Path dir;

    private ModelSpec spec;
    private RecurrentNet net;
    private Path model;

    @BeforeEach
    void saveModel() throws IOException {
        spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = "predict-test";
        spec.cell = CellType.GRU;
        spec.inputSize = 3;
        spec.hiddenSize = 8;
        spec.numLayers = 1;
        spec.head = ModelSpec.Head.LINEAR;
        spec.outputSize = 2;
        spec.inputFeatures = new ArrayList<>(List.of(FEATURES));
        spec.outputFeatures = new ArrayList<>(List.of("next_px", "next_py"));
        spec.inputMean = IN_MEAN.clone();
        spec.inputStd = IN_STD.clone();
        spec.outputMean = OUT_MEAN.clone();
        spec.outputStd = OUT_STD.clone();
        net = new RecurrentNet(CellType.GRU, 3, 8, 1, 2, Gemms.create()).initUniform(new Rng(77));
        model = dir.resolve("gru.safetensors");
        ModelFiles.save(model, new Forecaster(spec, net));
    }

    /** Runs the command line with System.err captured; returns {exit code, stderr}. */
    private static Object[] run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setErr(saved);
        }
        return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
    }

    /** Rows of (px, py, speed) and the CSV text with columns speed, label, py, px. */
    private static float[][] inputs(Rng rng) {
        float[][] x = new float[ROWS][3];
        for (float[] r : x) {
            for (int j = 0; j < 3; j++) {
                r[j] = (float) (IN_MEAN[j] + IN_STD[j] * 2 * (rng.nextDouble() - 0.5));
            }
        }
        return x;
    }

    private static String csv(float[][] x, int badRow, String badCell) {
        StringBuilder sb = new StringBuilder("speed,label,py,px\n");
        for (int i = 0; i < x.length; i++) {
            String py = i == badRow ? badCell : Float.toString(x[i][1]);
            sb.append(x[i][2]).append(",walk ").append(i % 3).append(',').append(py).append(',').append(x[i][0])
                    .append('\n');
        }
        return sb.toString();
    }

    /** The expected outputs: standardise, step the network with the state carried, de-standardise. */
    private float[][] byHand(float[][] x) {
        RecurrentState state = net.newState(1);
        float[][] y = new float[x.length][2];
        float[] in = new float[3];
        float[] raw = new float[2];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < 3; j++) {
                in[j] = (x[i][j] - IN_MEAN[j]) / IN_STD[j];
            }
            net.step(in, 0, state, raw, 0);
            for (int j = 0; j < 2; j++) {
                y[i][j] = raw[j] * OUT_STD[j] + OUT_MEAN[j];
            }
        }
        return y;
    }

    @Test
    void predictsEachRowWithTheStateCarriedAndColumnsReadByName() throws IOException {
        float[][] x = inputs(new Rng(5));
        Path input = dir.resolve("walk.csv");
        Files.writeString(input, csv(x, -1, null));
        Path output = dir.resolve("pred.csv");

        Object[] r = run("predict", "--model", model.toString(), "--input", input.toString(), "--output", output.toString());
        assertEquals(0, r[0], "exit code; stderr: " + r[1]);

        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        assertEquals("next_px,next_py", lines.get(0));
        assertEquals(ROWS + 1, lines.size(), "one output row per input row");
        float[][] expected = byHand(x);
        for (int i = 0; i < ROWS; i++) {
            String[] cells = lines.get(i + 1).split(",");
            assertEquals(2, cells.length, "row " + i + ": " + lines.get(i + 1));
            for (int j = 0; j < 2; j++) {
                double got = Double.parseDouble(cells[j]);
                assertEquals(expected[i][j], got, 1e-6 * Math.max(1, Math.abs(expected[i][j])),
                        "row " + i + " column " + j);
            }
        }
        // the state is carried: with a reset at every row, some output would differ
        RecurrentState fresh = net.newState(1);
        float[] in = new float[3];
        float[] raw = new float[2];
        for (int j = 0; j < 3; j++) {
            in[j] = (x[ROWS - 1][j] - IN_MEAN[j]) / IN_STD[j];
        }
        net.step(in, 0, fresh, raw, 0);
        assertNotEquals(expected[ROWS - 1][0], raw[0] * OUT_STD[0] + OUT_MEAN[0], 1e-4);
    }

    @Test
    void nonNumericCellIsRefusedWithFileLineAndColumn() throws IOException {
        float[][] x = inputs(new Rng(6));
        Path input = dir.resolve("bad.csv");
        Files.writeString(input, csv(x, 4, "n/a")); // data row 4 is line 6 (the header is line 1)
        Path output = dir.resolve("pred.csv");

        Object[] r = run("predict", "--model", model.toString(), "--input", input.toString(), "--output", output.toString());
        String err = (String) r[1];
        assertNotEquals(0, r[0], "exit code; stderr: " + err);
        assertTrue(err.contains(input + ":6:"), "stderr names the file and line: " + err);
        assertTrue(err.contains("'py'"), "stderr names the column: " + err);
        assertTrue(err.contains("n/a"), "stderr shows the cell: " + err);
    }

    @Test
    void nonFiniteCellIsRefusedToo() throws IOException {
        float[][] x = inputs(new Rng(7));
        Path input = dir.resolve("inf.csv");
        Files.writeString(input, csv(x, 0, "Infinity"));
        Object[] r = run("predict", "--model", model.toString(), "--input", input.toString(),
                "--output", dir.resolve("o.csv").toString());
        String err = (String) r[1];
        assertNotEquals(0, r[0], err);
        assertTrue(err.contains(input + ":2:") && err.contains("'py'"), err);
    }

    @Test
    void headerWithoutTheModelsColumnsIsRefused() throws IOException {
        Path input = dir.resolve("other.csv");
        Files.writeString(input, "a,b,c\n1,2,3\n4,5,6\n");
        Object[] r = run("predict", "--model", model.toString(), "--input", input.toString(),
                "--output", dir.resolve("o.csv").toString());
        String err = (String) r[1];
        assertNotEquals(0, r[0], "exit code; stderr: " + err);
        assertTrue(err.contains("[px, py, speed]") && err.contains("[a, b, c]"), err);
    }

    @Test
    void fileWithoutHeaderIsReadInColumnOrder() throws IOException {
        float[][] x = inputs(new Rng(8));
        StringBuilder sb = new StringBuilder();
        for (float[] row : x) {
            sb.append(row[0]).append(',').append(row[1]).append(',').append(row[2]).append('\n');
        }
        Path input = Files.writeString(dir.resolve("noheader.csv"), sb.toString());
        Path output = dir.resolve("o2.csv");
        Object[] r = run("predict", "--model", model.toString(), "--input", input.toString(), "--output", output.toString());
        assertEquals(0, r[0], "stderr: " + r[1]);
        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        assertEquals(ROWS + 1, lines.size());
        float[][] expected = byHand(x);
        assertEquals(expected[ROWS - 1][1], Double.parseDouble(lines.get(ROWS).split(",")[1]), 1e-5);
    }
}
