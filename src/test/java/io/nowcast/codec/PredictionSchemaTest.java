package io.nowcast.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import io.nowcast.JsonSchemas;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@link PredictionCodec} writes validates against {@code schemas/prediction.schema.json}, with
 * and without {@code std}, one step and several; the schema refuses broken predictions; and the
 * dead-letter schema's reasons are exactly {@link RejectReason}'s ids.
 */
class PredictionSchemaTest {
    private static Schema schema;

    @BeforeAll
    static void loadSchema() {
        schema = JsonSchemas.load("prediction.schema.json");
    }

    private static String encode(PredictionCodec c, String stream, long time, long step, float[] values, float[] std,
                                 int horizon, int width) {
        return new String(c.encode(stream, time, step, values, 0, std, 0, horizon, width), StandardCharsets.UTF_8);
    }

    @Test
    void predictionsWithAndWithoutStdAreValid() {
        PredictionCodec c = new PredictionCodec("eth-lstm", "3");
        String plain = encode(c, "ped-17", 1700000000123L, 1, new float[] {1.25f, -0.5f}, null, 1, 2);
        String gaussian = encode(c, "ped-17", 1700000000523L, 2, new float[] {1.25f, -0.5f}, new float[] {0.1f, 0.2f}, 1, 2);
        float[] twelve = new float[24];
        float[] twelveStd = new float[24];
        for (int i = 0; i < 24; i++) {
            twelve[i] = i * 0.25f - 3;
            twelveStd[i] = 0.01f * (i + 1);
        }
        String horizon = encode(c, "\u00e9t\u00e9 \"q\" \\ \n", 0, 42, twelve, twelveStd, 12, 2);
        String nonFinite = encode(new PredictionCodec("m\u00fc", ""), "s", 5, 1,
                new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.MAX_VALUE}, null, 1, 3);
        for (String p : List.of(plain, gaussian, horizon, nonFinite)) {
            List<String> errors = JsonSchemas.errors(schema, p);
            assertTrue(errors.isEmpty(), p + " " + errors);
        }
        JsonNode g = JsonSchemas.parse(gaussian);
        assertFalse(JsonSchemas.parse(plain).has("std"));
        assertEquals(0.2, g.get("std").get(0).get(1).asDouble(), 1e-7);
        assertEquals(12, JsonSchemas.parse(horizon).get("predictions").size());
        assertTrue(JsonSchemas.parse(nonFinite).get("predictions").get(0).get(0).isNull(), "NaN is written as null");
        assertEquals("\u00e9t\u00e9 \"q\" \\ \n", JsonSchemas.parse(horizon).get("stream").asText());
    }

    @Test
    void brokenPredictionsAreRefused() {
        String valid = "{\"stream\":\"s\",\"time\":5,\"model\":\"m\",\"model_version\":\"1\",\"step\":1,\"predictions\":[[1.0]]}";
        assertTrue(JsonSchemas.errors(schema, valid).isEmpty(), "the base case is valid");
        List<String> broken = new ArrayList<>();
        broken.add(valid.replace(",\"predictions\":[[1.0]]", ""));
        broken.add(valid.replace("}", ",\"extra\":true}"));
        broken.add(valid.replace("\"step\":1", "\"step\":0"));
        broken.add(valid.replace("\"time\":5", "\"time\":-5"));
        broken.add(valid.replace("[[1.0]]", "[]"));
        broken.add(valid.replace("[[1.0]]", "[[]]"));
        broken.add(valid.replace("[[1.0]]", "[1.0]"));
        broken.add(valid.replace("[[1.0]]", "[[\"1.0\"]]"));
        broken.add(valid.replace("\"model_version\":\"1\"", "\"model_version\":1"));
        broken.add(valid.replace("\"stream\":\"s\"", "\"stream\":\"\""));
        for (String b : broken) {
            assertFalse(JsonSchemas.errors(schema, b).isEmpty(), "should be refused: " + b);
        }
    }

    @Test
    void theDeadLetterReasonsAreTheRejectReasons() {
        Schema deadLetter = JsonSchemas.load("dead-letter.schema.json");
        List<String> inSchema = new ArrayList<>();
        deadLetter.getSchemaNode().at("/properties/headers/properties/nowcast.reason/enum").forEach(n -> inSchema.add(n.asText()));
        List<String> inCode = new ArrayList<>();
        for (RejectReason r : RejectReason.values()) {
            inCode.add(r.id);
        }
        assertEquals(inCode, inSchema);
    }
}
