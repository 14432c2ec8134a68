package io.nowcast.run.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The figures of {@code nowcast bench kafka}: percentiles of the latencies, the event time a prediction carries. */
class KafkaBenchTest {
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
