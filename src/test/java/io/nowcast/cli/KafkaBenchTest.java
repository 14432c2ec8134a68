package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code nowcast bench kafka} on a few samples: every line is there, every sample is predicted, nothing is dead-lettered. */
class KafkaBenchTest {
    @Test
    void aSmallRunPrintsEveryLine() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.run("bench", "kafka", "--samples", "3000", "--streams", "50", "--partitions", "2", "--hidden", "8",
                    "--rounds", "2", "--rate", "400", "--latency-seconds", "1", "--blas-threads", "0");
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, code);
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String l : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            if (l.startsWith("{")) {
                lines.add(json.readTree(l));
            }
        }
        assertEquals(4 + 1 + 2, lines.size(), buf.toString(StandardCharsets.UTF_8));
        for (JsonNode n : lines.subList(0, 4)) {
            assertEquals("throughput", n.get("phase").asText());
            assertEquals(3000, n.get("received").asLong());
            assertEquals(0, n.get("dead_letters").asLong());
        }
        assertEquals("lstm", lines.get(0).get("pipeline").asText(), "round 1: the model first");
        assertEquals("pass-through", lines.get(2).get("pipeline").asText(), "round 2: the other way round");
        assertTrue(lines.get(4).get("ratio_lstm_to_pass_through").asDouble() > 0);
        for (JsonNode n : lines.subList(5, 7)) {
            assertEquals("latency", n.get("phase").asText());
            assertEquals(400, n.get("received").asLong());
            assertTrue(n.get("p50_ms").asLong() >= 0 && n.get("p50_ms").asLong() <= n.get("p99_ms").asLong()
                    && n.get("p99_ms").asLong() <= n.get("max_ms").asLong(), n.toString());
        }
    }

    @Test
    void percentilesAndTheEventTimeOfAPrediction() {
        long[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, KafkaBench.percentile(v, 0.5));
        assertEquals(10, KafkaBench.percentile(v, 0.99));
        assertEquals(1, KafkaBench.percentile(v, 0.0));
        assertEquals(1_700_000_000_123L, KafkaBench.eventTime(
                "{\"stream\":\"s1\",\"time\":1700000000123,\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8)));
    }
}
