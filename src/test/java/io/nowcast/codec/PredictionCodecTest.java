package io.nowcast.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** PredictionCodec: valid JSON with every field; floats read back exactly; any stream id escaped. */
class PredictionCodecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode parse(byte[] b) throws Exception {
        return JSON.readTree(b);
    }

    @Test
    void everyFieldIsWrittenAndEveryFloatReadsBackExactly() throws Exception {
        PredictionCodec c = new PredictionCodec("walk \"v\"", "3");
        Random r = new Random(1);
        float[] v = new float[6];
        for (int rep = 0; rep < 2000; rep++) {
            for (int j = 0; j < v.length; j++) {
                v[j] = rep % 3 == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) r.nextGaussian() * (float) Math.pow(10, r.nextInt(20) - 10);
                if (!Float.isFinite(v[j])) {
                    v[j] = -0f;
                }
            }
            long time = rep == 0 ? 0 : rep == 1 ? Long.MAX_VALUE : 1_700_000_000_000L + rep;
            JsonNode n = parse(c.encode("s" + rep, time, rep + 1, v, 0, v, 3, 1, 3));
            assertEquals("s" + rep, n.get("stream").asText());
            assertEquals(time, n.get("time").asLong());
            assertEquals("walk \"v\"", n.get("model").asText());
            assertEquals("3", n.get("model_version").asText());
            assertEquals(rep + 1, n.get("step").asLong());
            for (int j = 0; j < 3; j++) {
                String p = n.get("predictions").get(0).get(j).asText();
                assertEquals(Float.floatToIntBits(v[j]), Float.floatToIntBits(Float.parseFloat(p)), p);
                String s = n.get("std").get(0).get(j).asText();
                assertEquals(Float.floatToIntBits(v[3 + j]), Float.floatToIntBits(Float.parseFloat(s)), s);
            }
        }
    }

    @Test
    void aNonFiniteValueIsNullAndHorizonsAreRows() throws Exception {
        PredictionCodec c = new PredictionCodec("m", "1");
        float[] v = {1f, Float.NaN, Float.POSITIVE_INFINITY, 2.5f};
        String s = new String(c.encode("a", 5, 1, v, 0, null, 0, 2, 2), StandardCharsets.UTF_8);
        assertEquals("{\"stream\":\"a\",\"time\":5,\"model\":\"m\",\"model_version\":\"1\",\"step\":1,"
                + "\"predictions\":[[1.0,null],[null,2.5]]}", s);
    }

    @Test
    void aForecastersTargetByTargetOutputsGoOutStepByStep() throws Exception {
        PredictionCodec c = new PredictionCodec("m", "1");
        // outputs dx+1, dx+2, dx+3, dy+1, dy+2, dy+3, then their standard deviations, after 2 other values
        float[] v = {9f, 9f, 1f, 2f, 3f, 10f, 20f, 30f, 0.1f, 0.2f, 0.3f, 1.5f, 2.5f, 3.5f};
        String s = new String(c.encode("a", 5, 1, v, 2, v, 8, 3, 2, true), StandardCharsets.UTF_8);
        assertEquals("{\"stream\":\"a\",\"time\":5,\"model\":\"m\",\"model_version\":\"1\",\"step\":1,"
                + "\"predictions\":[[1.0,10.0],[2.0,20.0],[3.0,30.0]],\"std\":[[0.1,1.5],[0.2,2.5],[0.3,3.5]]}", s);
    }

    @Test
    void anyStreamIdIsEscapedAndWrittenAsUtf8() throws Exception {
        PredictionCodec c = new PredictionCodec("m", "1");
        float[] v = {1f};
        String longId = "x".repeat(300);
        for (String id : new String[] {"ped\"17\\", "tab\there", "\u0001", "fußgänger-7", "行人", "\uD83D\uDEB6", "del\u007f",
                "\u2028", longId}) {
            byte[] b = c.encode(id, 1, 1, v, 0, null, 0, 1, 1);
            JsonNode n = parse(b);
            assertEquals(id, n.get("stream").asText());
            assertTrue(b.length > id.length(), "the buffer grows as needed");
        }
    }
}
