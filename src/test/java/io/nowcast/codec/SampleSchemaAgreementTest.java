package io.nowcast.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.Schema;
import io.nowcast.JsonSchemas;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link SampleCodec} and {@code schemas/sample.schema.json} agree: on hand-made edge cases the codec
 * accepts exactly the messages the schema accepts. The record key is set as the schema's
 * description says: equal to {@code stream} when the message has one, else carrying the id. The
 * codec's dimension is the number of values of the valid messages (2): how many values a model
 * takes is not the schema's business, and is checked on its own below.
 */
class SampleSchemaAgreementTest {
    private static final int DIM = 2;
    private static Schema schema;
    private static final String EMOJI = "\uD83D\uDEB6"; // one code point, two UTF-16 chars

    @BeforeAll
    static void loadSchema() {
        schema = JsonSchemas.load("sample.schema.json");
    }

    private record Case(String name, String json, boolean valid) {
    }

    private static Case ok(String name, String json) {
        return new Case(name, json, true);
    }

    private static Case bad(String name, String json) {
        return new Case(name, json, false);
    }

    private static List<Case> cases() {
        String a256 = "a".repeat(256);
        return List.of(
                ok("all fields", "{\"stream\":\"ped-1\",\"time\":1700000000123,\"values\":[1.25,-0.5]}"),
                ok("no stream: the key carries it", "{\"values\":[0,1]}"),
                ok("no time, exponents, an underflow to 0", "{\"stream\":\"k\",\"values\":[1e-50,2E+3]}"),
                ok("white space around and inside", "\n {\"values\" : [ 1 , 2 ] } \n"),
                ok("stream of 256 characters", "{\"stream\":\"" + a256 + "\",\"time\":0,\"values\":[1,2]}"),
                ok("stream of 256 code points (512 UTF-16 chars)", "{\"stream\":\"" + EMOJI.repeat(256) + "\",\"values\":[1,2]}"),
                ok("escapes in the stream", "{\"stream\":\"\\u00e9 \\\"q\\\" \\\\ /\",\"values\":[-0.0,0]}"),
                ok("largest time", "{\"stream\":\"s\",\"time\":9223372036854775807,\"values\":[1,2]}"),
                ok("an integral time written with a fraction", "{\"stream\":\"s\",\"time\":5.0,\"values\":[1,2]}"),
                ok("an integral time written with an exponent", "{\"stream\":\"s\",\"time\":1.7e12,\"values\":[1,2]}"),
                ok("float32 extremes", "{\"stream\":\"s\",\"values\":[3.4028235e38,-3.4028235e38]}"),
                ok("a value that rounds to the largest float32", "{\"stream\":\"s\",\"values\":[3.40282356e38,1.4e-45]}"),

                bad("missing values", "{\"stream\":\"s\",\"time\":1}"),
                bad("an extra field", "{\"stream\":\"s\",\"values\":[1,2],\"extra\":1}"),
                bad("a misspelt field", "{\"stream\":\"s\",\"value\":[1,2]}"),
                bad("empty stream", "{\"stream\":\"\",\"values\":[1,2]}"),
                bad("stream of 257 characters", "{\"stream\":\"" + a256 + "b\",\"values\":[1,2]}"),
                bad("stream of 257 code points", "{\"stream\":\"" + EMOJI.repeat(257) + "\",\"values\":[1,2]}"),
                bad("stream not a string", "{\"stream\":5,\"values\":[1,2]}"),
                bad("negative time", "{\"stream\":\"s\",\"time\":-1,\"values\":[1,2]}"),
                bad("fractional time", "{\"stream\":\"s\",\"time\":1.5,\"values\":[1,2]}"),
                bad("time as a string", "{\"stream\":\"s\",\"time\":\"1700000000000\",\"values\":[1,2]}"),
                bad("time null", "{\"stream\":\"s\",\"time\":null,\"values\":[1,2]}"),
                bad("time past a long", "{\"stream\":\"s\",\"time\":9223372036854775808,\"values\":[1,2]}"),
                bad("time past a long, with an exponent", "{\"stream\":\"s\",\"time\":1e19,\"values\":[1,2]}"),
                bad("no values", "{\"stream\":\"s\",\"values\":[]}"),
                bad("a null value", "{\"stream\":\"s\",\"values\":[1,null]}"),
                bad("a string value", "{\"stream\":\"s\",\"values\":[1,\"2\"]}"),
                bad("\"NaN\" as a string", "{\"stream\":\"s\",\"values\":[1,\"NaN\"]}"),
                bad("NaN as a bare word (not JSON)", "{\"stream\":\"s\",\"values\":[1,NaN]}"),
                bad("a boolean value", "{\"stream\":\"s\",\"values\":[1,true]}"),
                bad("beyond float32", "{\"stream\":\"s\",\"values\":[1,1e39]}"),
                bad("beyond float32, negative", "{\"stream\":\"s\",\"values\":[-3.5e38,1]}"),
                bad("the first value that rounds to infinity",
                        "{\"stream\":\"s\",\"values\":[340282356779733661637539395458142568448,1]}"),
                bad("a nested array", "{\"stream\":\"s\",\"values\":[1,[2]]}"),
                bad("values as an object", "{\"stream\":\"s\",\"values\":{\"0\":1,\"1\":2}}"),
                bad("not an object", "[1,2]"),
                bad("a name given twice", "{\"stream\":\"s\",\"values\":[1,2],\"stream\":\"t\"}"),
                bad("trailing data", "{\"values\":[1,2]} {}"),
                bad("not JSON", "stream=s values=1,2"));
    }

    /** The key a producer following the schema would give: the stream, or an id when there is none. */
    private static byte[] keyFor(String json) {
        int i = json.indexOf("\"stream\":\"");
        if (i < 0) {
            return "k".getBytes(StandardCharsets.UTF_8);
        }
        int from = i + 10;
        int to = json.indexOf('"', from);
        while (json.charAt(to - 1) == '\\' && json.charAt(to - 2) != '\\') {
            to = json.indexOf('"', to + 1);
        }
        String raw = json.substring(from, to);
        // decode the few escapes used above
        String id = raw.replace("\\u00e9", "\u00e9").replace("\\\"", "\"").replace("\\\\", "\\");
        return id.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theCodecAcceptsExactlyWhatTheSchemaAccepts() {
        SampleCodec codec = new SampleCodec(DIM, 1 << 20);
        List<String> disagreements = new ArrayList<>();
        for (Case c : cases()) {
            List<String> schemaErrors = JsonSchemas.errors(schema, c.json);
            boolean schemaValid = schemaErrors.isEmpty();
            String codecVerdict;
            boolean codecValid;
            try {
                Sample s = codec.decode(keyFor(c.json), c.json.getBytes(StandardCharsets.UTF_8), 42L);
                codecValid = true;
                codecVerdict = "accepted " + s.stream().length() + "-char stream";
            } catch (RejectedException e) {
                codecValid = false;
                codecVerdict = e.reason.id + ": " + e.getMessage();
            }
            if (schemaValid != c.valid || codecValid != c.valid) {
                disagreements.add(c.name + " (expected " + (c.valid ? "valid" : "invalid") + "): schema "
                        + (schemaValid ? "accepts" : "refuses " + schemaErrors) + "; codec " + codecVerdict);
            }
        }
        assertTrue(disagreements.isEmpty(), String.join("\n", disagreements));
    }

    @Test
    void theDimensionIsTheModelsNotTheSchemas() throws RejectedException {
        String three = "{\"stream\":\"s\",\"values\":[1,2,3]}";
        assertTrue(JsonSchemas.errors(schema, three).isEmpty(), "any number of values is a valid sample");
        RejectedException e = assertThrows(RejectedException.class,
                () -> new SampleCodec(2, 1 << 20).decode(null, three.getBytes(StandardCharsets.UTF_8), 0));
        assertEquals(RejectReason.WRONG_DIMENSION, e.reason);
        assertEquals(3, new SampleCodec(3, 1 << 20).decode(null, three.getBytes(StandardCharsets.UTF_8), 0).values().length);
    }

    @Test
    void theCodecReadsIntegralTimesWrittenWithAFractionOrExponent() throws RejectedException {
        SampleCodec codec = new SampleCodec(1, 1 << 10);
        assertEquals(1_700_000_000_000L, codec.decode(null, "{\"stream\":\"s\",\"time\":1.7e12,\"values\":[1]}"
                .getBytes(StandardCharsets.UTF_8), 0).eventTime());
        assertEquals(5L, codec.decode(null, "{\"stream\":\"s\",\"time\":5.000,\"values\":[1]}"
                .getBytes(StandardCharsets.UTF_8), 0).eventTime());
        assertEquals(0L, codec.decode(null, "{\"stream\":\"s\",\"time\":-0.0,\"values\":[1]}"
                .getBytes(StandardCharsets.UTF_8), 0).eventTime());
    }

    @Test
    void encodedSamplesAreValidAndDecodeToTheSameFloats() throws RejectedException {
        SplittableRandom rng = new SplittableRandom(11);
        int n = 8;
        SampleCodec codec = new SampleCodec(n, 1 << 16);
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                1f / 3, 1e-30f, 123456.79f};
        for (int trial = 0; trial < 200; trial++) {
            float[] v = new float[n];
            for (int j = 0; j < n; j++) {
                v[j] = trial < 50 ? special[rng.nextInt(special.length)]
                        : Float.intBitsToFloat(rng.nextInt()) * (rng.nextBoolean() ? 1 : 0) + (float) rng.nextGaussian();
                if (!Float.isFinite(v[j])) {
                    v[j] = 0.5f;
                }
            }
            String stream = trial % 2 == 0 ? "ped-" + trial : "\u00e9t\u00e9 \"" + EMOJI + "\" \\ " + trial;
            long time = trial * 400L;
            byte[] json = SampleCodec.encode(stream, time, v, 0, n);
            String text = new String(json, StandardCharsets.UTF_8);
            List<String> errors = JsonSchemas.errors(schema, text);
            assertTrue(errors.isEmpty(), text + " " + errors);
            Sample s = codec.decode(stream.getBytes(StandardCharsets.UTF_8), json, 0);
            assertEquals(stream, s.stream());
            assertEquals(time, s.eventTime());
            for (int j = 0; j < n; j++) {
                assertEquals(Float.floatToIntBits(v[j]), Float.floatToIntBits(s.values()[j]), text);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SampleCodec.encode("s", 0, new float[] {Float.NaN}, 0, 1));
        assertArrayEquals("{\"stream\":\"a\",\"time\":7,\"values\":[1.0,-2.5]}".getBytes(StandardCharsets.UTF_8),
                SampleCodec.encode("a", 7, new float[] {9, 1, -2.5f}, 1, 2));
        assertFalse(JsonSchemas.errors(schema, "{\"time\":7}").isEmpty(), "the schema can fail");
    }
}
