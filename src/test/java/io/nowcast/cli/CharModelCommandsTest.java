package io.nowcast.cli;

import io.nowcast.model.CharModel;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The classic example end to end through the command line: train on "hello", sample "hello". */
class CharModelCommandsTest {
    @TempDir
    Path dir;

    private String run(String... args) {
        CliRun r = CliRun.main(args);
        assertEquals(0, r.exit(), "exit code of " + String.join(" ", args));
        return r.out().trim();
    }

    @Test
    void trainedOnHelloItSamplesHello() throws Exception {
        Path text = Files.writeString(dir.resolve("hello.txt"), "hello");
        Path model = dir.resolve("hello.safetensors");
        Path log = dir.resolve("log.jsonl");
        for (String cell : new String[] {"lstm", "gru", "rnn"}) {
            run("train", "--kind", "char", "--data", text.toString(), "--out", model.toString(), "--cell", cell,
                    "--hidden", "16", "--streams", "1", "--chunk", "0", "--val-fraction", "0", "--iterations", "300",
                    "--lr", "0.01", "--eval-every", "50", "--log", log.toString(), "--quiet");
            CharModel m = (CharModel) ModelFiles.load(model);
            assertEquals("ehlo", m.vocabulary().toString(), "the vocabulary is the sorted distinct characters");
            assertEquals("hello", run("sample", "--model", model.toString(), "--prime", "h", "--length", "4",
                    "--temperature", "0"), cell);
            assertEquals(ModelKind.CHAR, m.spec().kind);
            assertTrue(m.spec().provenance.get("command").toString().contains("--kind char"));
            String[] lines = Files.readString(log).trim().split("\n");
            assertEquals(6, lines.length, "one JSON line per 50 iterations");
            assertTrue(lines[0].startsWith("{\"iteration\":50,\"loss\":"), lines[0]);
        }
    }

    @Test
    void untrainedModelDoesNotSayHello() throws Exception {
        // the sampling test above can fail: a random model of the same shape does not spell hello
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.CHAR;
        spec.cell = CellType.LSTM;
        spec.inputSize = 4;
        spec.outputSize = 4;
        spec.hiddenSize = 16;
        spec.vocabulary = "ehlo";
        RecurrentNet net = new RecurrentNet(CellType.LSTM, 4, 16, 1, 4, Gemms.create()).initUniform(new Rng(1));
        Path model = dir.resolve("random.safetensors");
        ModelFiles.save(model, spec, net);
        assertNotEquals("hello", run("sample", "--model", model.toString(), "--prime", "h", "--length", "4",
                "--temperature", "0"));
    }

    @Test
    void samplingIsSeededAndTemperatureZeroIsGreedy() throws Exception {
        Path text = Files.writeString(dir.resolve("t.txt"), "abcabcabdabcabcabd");
        Path model = dir.resolve("m.safetensors");
        run("train", "--kind", "char", "--data", text.toString(), "--out", model.toString(), "--hidden", "8",
                "--streams", "2", "--chunk", "4", "--iterations", "20", "--val-fraction", "0", "--quiet");
        String a = run("sample", "--model", model.toString(), "--prime", "a", "--length", "50", "--seed", "3");
        String b = run("sample", "--model", model.toString(), "--prime", "a", "--length", "50", "--seed", "3");
        assertEquals(a, b);
        assertEquals(51, a.length());
        for (Param p : ModelFiles.load(model).net().params()) {
            for (int i = 0; i < p.size(); i++) {
                assertTrue(Float.isFinite(p.w()[i]));
            }
        }
    }
}
