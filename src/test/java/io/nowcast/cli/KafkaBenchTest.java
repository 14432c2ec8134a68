package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code nowcast bench kafka} on a few samples: every line is there, every sample is predicted, nothing is dead-lettered. */
class KafkaBenchTest {
    @Test
    void aSmallRunPrintsEveryLine() throws Exception {
        CliRun r = CliRun.main("bench", "kafka", "--samples", "3000", "--streams", "50", "--partitions", "2", "--hidden",
                "8", "--rounds", "2", "--rate", "400", "--latency-seconds", "1", "--blas-threads", "0",
                "--restore-streams", "300");
        assertEquals(0, r.exit());
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String l : r.out().split("\n")) {
            if (l.startsWith("{")) {
                lines.add(json.readTree(l));
            }
        }
        // 2 rounds x 2 pipelines x 2 guarantees, the summary, the restore, 2 x 2 latency phases
        assertEquals(8 + 1 + 1 + 4, lines.size(), r.out());
        for (JsonNode n : lines.subList(0, 8)) {
            assertEquals("throughput", n.get("phase").asText());
            assertEquals(3000, n.get("received").asLong());
            assertEquals(0, n.get("dead_letters").asLong());
        }
        assertEquals("lstm", lines.get(0).get("pipeline").asText(), "round 1: the model first");
        assertEquals("exactly_once", lines.get(0).get("guarantee").asText());
        assertEquals("at_least_once", lines.get(1).get("guarantee").asText());
        assertEquals("pass-through", lines.get(4).get("pipeline").asText(), "round 2: the other way round");
        assertEquals("at_least_once", lines.get(4).get("guarantee").asText());
        JsonNode summary = lines.get(8);
        assertTrue(summary.get("ratio_lstm_to_pass_through_exactly_once").asDouble() > 0, summary.toString());
        assertTrue(summary.get("ratio_lstm_exactly_once_to_at_least_once").asDouble() > 0, summary.toString());
        assertTrue(summary.get("ratio_pass_through_exactly_once_to_at_least_once").asDouble() > 0, summary.toString());
        JsonNode restore = lines.get(9);
        assertEquals("restore", restore.get("phase").asText());
        assertEquals(300, restore.get("changelog_records").asLong(), "one state record per stream");
        assertEquals(300, restore.get("restored").asLong(), "every stream restored");
        assertTrue(restore.get("streams_per_s").asDouble() > 0);
        for (JsonNode n : lines.subList(10, 14)) {
            assertEquals("latency", n.get("phase").asText());
            assertEquals(400, n.get("received").asLong());
            assertTrue(n.get("p50_ms").asLong() >= 0 && n.get("p50_ms").asLong() <= n.get("p99_ms").asLong()
                    && n.get("p99_ms").asLong() <= n.get("max_ms").asLong(), n.toString());
        }
    }
}
