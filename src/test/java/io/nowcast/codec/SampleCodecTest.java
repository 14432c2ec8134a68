package io.nowcast.codec;

import static io.nowcast.TestBytes.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** SampleCodec: what is accepted, and the reason given for each kind of bad record. */
class SampleCodecTest {
    private final SampleCodec codec = new SampleCodec(2, 128);

    private Sample decode(String key, String value) throws RejectedException {
        return codec.decode(key == null ? null : utf8(key), value == null ? null : utf8(value), 77);
    }

    private void refused(RejectReason reason, String key, String value, String words) {
        RejectedException e = assertThrows(RejectedException.class, () -> decode(key, value));
        assertEquals(reason, e.reason, e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
    }

    @Test
    void aSampleIsReadWithItsKeyOrItsStreamField() throws Exception {
        Sample s = decode("a", "{\"time\":5,\"values\":[1.5,-2]}");
        assertEquals("a", s.stream());
        assertEquals(5, s.eventTime());
        assertArrayEquals(new float[] {1.5f, -2f}, s.values());
        Sample t = decode(null, "{\"stream\":\"b\",\"values\":[0,1]}");
        assertEquals("b", t.stream());
        assertEquals(77, t.eventTime(), "the record timestamp without a time field");
    }

    @Test
    void eachKindOfBadRecordHasItsReason() {
        refused(RejectReason.UNDECODABLE, "a", "{\"values\":[1,", "not valid JSON");
        refused(RejectReason.UNDECODABLE, "a", "", "empty");
        refused(RejectReason.UNDECODABLE, "a", null, "tombstone");
        refused(RejectReason.UNDECODABLE, null, "{\"values\":[1,2]}", "no stream id");
        refused(RejectReason.SCHEMA_VIOLATION, "a", "[1,2]", "expected a JSON object");
        refused(RejectReason.SCHEMA_VIOLATION, "a", "{\"values\":[1,2],\"x\":1}", "unknown field 'x'");
        refused(RejectReason.SCHEMA_VIOLATION, "a", "{\"time\":1.5,\"values\":[1,2]}", "'time' must be an integer");
        refused(RejectReason.SCHEMA_VIOLATION, "a", "{\"stream\":\"b\",\"values\":[1,2]}", "differs from the record key");
        refused(RejectReason.SCHEMA_VIOLATION, "a", "{\"values\":[]}", "'values' must hold at least one number");
        refused(RejectReason.WRONG_DIMENSION, "a", "{\"values\":[1]}", "expected 2 values, found 1");
        refused(RejectReason.WRONG_DIMENSION, "a", "{\"values\":[1,2,3,4]}", "expected 2 values, found 4");
        refused(RejectReason.OVERSIZED, "a", "{\"values\":[1," + " ".repeat(200) + "2]}", "exceeds the limit of 128");
    }

    @Test
    void nanAndInfinityAreNonFiniteHoweverWritten() {
        refused(RejectReason.NON_FINITE, "a", "{\"values\":[NaN,1]}", "value 0");
        refused(RejectReason.NON_FINITE, "a", "{\"values\":[1,-Infinity]}", "value 1");
        refused(RejectReason.NON_FINITE, "a", "{\"values\":[1,\"NaN\"]}", "value 1 is NaN");
        refused(RejectReason.NON_FINITE, "a", "{\"values\":[1e39,1]}", "not a finite float32");
    }
}
