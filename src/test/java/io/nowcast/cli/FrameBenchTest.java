package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.nn.Layer;
import io.nowcast.nn.Nchw;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code nowcast bench frames}: the lines it prints and the network it measures (never its speed). */
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
    void theNetworkKeepsTheFrameShapeAndAddsItsInput() {
        Layer net = FrameBench.dncnn(3, 4, Gemms.create(), new Rng(1));
        Nchw s = new Nchw(2, 1, 9, 7);
        assertEquals(s, net.outShape(s));
        // 1->4, 4->4, 4->1 convolutions with biases
        assertEquals(2 * 3, net.params().size());
        assertEquals(4 * 1 * 9, net.params().get(0).w().length);
        assertEquals(4, net.params().get(1).w().length);
        // with the last convolution zeroed the network is the identity
        java.util.Arrays.fill(net.params().get(4).w(), 0f);
        java.util.Arrays.fill(net.params().get(5).w(), 0f);
        float[] x = new float[s.size()];
        new Rng(2).uniform(x, 1f);
        float[] y = net.forward(x, s);
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], y[i]);
        }
    }
}
