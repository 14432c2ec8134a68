package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameModels;
import io.nowcast.model.FrameSpec;
import io.nowcast.model.SuperResolver;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nowcast bench frames}: the lines it prints and the model it measures (never its speed). */
class FrameBenchTest {
    @Test
    void oneJsonLinePerSideAndBatch() throws Exception {
        CliRun r = CliRun.main("bench", "frames", "--layers", "3", "--channels", "4", "--side", "16,24", "--batch", "1,2",
                "--seconds", "0.05", "--warmup", "0", "--rounds", "2", "--blas-threads", "0", "--json");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.lines();
        assertEquals(4, lines.size(), r.out());
        JsonNode last = new ObjectMapper().readTree(lines.get(3));
        assertEquals("frames", last.get("bench").asText());
        assertEquals(24, last.get("side").asInt());
        assertEquals(2, last.get("batch").asInt());
        assertTrue(last.get("frames_per_s").asDouble() > 0);
        assertTrue(last.get("best_round_frames_per_s").asDouble() >= last.get("worst_round_frames_per_s").asDouble());
        CliRun t = CliRun.main("bench", "frames", "--layers", "2", "--channels", "2", "--side", "16", "--batch", "1",
                "--seconds", "0.02", "--warmup", "0", "--rounds", "1", "--blas-threads", "0");
        assertEquals(0, t.exit(), t.err());
        assertTrue(t.out().contains("16x16") && t.out().contains("frames/s"), t.out());
        CliRun bad = CliRun.main("bench", "frames", "--rounds", "0", "--blas-threads", "0");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("--rounds 0"), bad.err());
    }

    @Test
    void aModelFileIsMeasuredAndTheRandomModelsOptionsAreNotMixedWithIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rec.safetensors");
        FrameModels.save(FrameDenoiser.random(FrameSpec.denoiser(2, 3, true), 1), f);
        CliRun r = CliRun.main("bench", "frames", "--model", f.toString(), "--side", "16", "--batch", "2", "--seconds", "0.02",
                "--warmup", "0", "--rounds", "1", "--blas-threads", "0", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.lines().get(0));
        assertTrue(j.get("recurrent").asBoolean());
        assertEquals(3, j.get("channels").asInt());
        assertTrue(j.get("model").asText().contains(f.toString()), j.toString());
        CliRun sr = CliRun.main("bench", "frames", "--model", save(dir), "--side", "16", "--batch", "1", "--seconds",
                "0.02", "--warmup", "0", "--rounds", "1", "--blas-threads", "0", "--json");
        assertEquals(0, sr.exit(), sr.err());
        assertEquals(2, new ObjectMapper().readTree(sr.lines().get(0)).get("scale").asInt());
        CliRun both = CliRun.main("bench", "frames", "--model", f.toString(), "--layers", "4", "--blas-threads", "0");
        assertEquals(1, both.exit());
        assertTrue(both.err().contains("not with --model"), both.err());
        CliRun bad = CliRun.main("bench", "frames", "--layers", "1", "--blas-threads", "0");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("architecture.layers"), bad.err());
    }

    private static String save(Path dir) throws Exception {
        Path f = dir.resolve("sr.safetensors");
        FrameModels.save(SuperResolver.random(FrameSpec.superResolver(2, 3, 2, "pixel-shuffle"), 1), f);
        return f.toString();
    }
}
