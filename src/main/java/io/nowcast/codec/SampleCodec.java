package io.nowcast.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Decodes and checks JSON samples ({@code schemas/sample.schema.json}):
 * <pre>{"stream": "ped-17", "time": 1700000000123, "values": [1.25, -0.5]}</pre>
 * {@code stream} may be left out when the Kafka key carries the id; when both are present they
 * must agree. {@code time} is an integer of milliseconds since the epoch (optional: the record's
 * timestamp is used; a number with a zero fraction, {@code 1.7e12}, counts as an integer, as in JSON
 * Schema). {@code values} has exactly the model's input size of finite float32 numbers; an empty
 * array breaks the schema (at least one number) and is a schema violation, not a wrong dimension. The
 * stream id has 1 to 256 characters (Unicode code points).
 * Unknown fields are refused, so a typo is not silently ignored. The bare tokens {@code NaN} and
 * {@code Infinity} that some JSON writers emit (Python's {@code json.dumps}, for one) are read, so
 * that such a value is refused as non-finite rather than as undecodable. Thread-safe.
 */
public final class SampleCodec {
    /** Longest stream id accepted, in characters. */
    public static final int MAX_STREAM_ID = 256;

    private final JsonFactory json;
    private final int dimension;
    private final int maxBytes;

    /**
     * @param dimension the number of values every sample must have
     * @param maxBytes  the largest record value accepted
     */
    public SampleCodec(int dimension, int maxBytes) {
        this.dimension = dimension;
        this.maxBytes = maxBytes;
        this.json = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                // the same correctly rounded float as Float.parseFloat, several times faster
                .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(8).maxNumberLength(64).maxStringLength(4096).build())
                .build();
    }

    public int dimension() {
        return dimension;
    }

    /**
     * @param key       the Kafka key (UTF-8 stream id), may be null when the message names the stream
     * @param value     the record value
     * @param timestamp the Kafka record timestamp, used when the message has no {@code time}
     */
    public Sample decode(byte[] key, byte[] value, long timestamp) throws RejectedException {
        if (value == null) {
            throw new RejectedException(RejectReason.UNDECODABLE, "empty record value (a tombstone is not a sample)");
        }
        if (value.length > maxBytes) {
            throw new RejectedException(RejectReason.OVERSIZED, "record value of " + value.length
                    + " bytes exceeds the limit of " + maxBytes);
        }
        String keyId = null;
        if (key != null) {
            keyId = decodeUtf8(key, "key");
            checkStreamId(keyId, "key");
        }
        String stream = null;
        long time = Long.MIN_VALUE;
        float[] values = null;
        try (JsonParser p = json.createParser(value)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new RejectedException(RejectReason.UNDECODABLE, "empty record value");
            }
            if (first != JsonToken.START_OBJECT) {
                throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "expected a JSON object, found " + first);
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "stream":
                        if (v != JsonToken.VALUE_STRING) {
                            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "'stream' must be a string, found " + v);
                        }
                        stream = p.getText();
                        checkStreamId(stream, "'stream'");
                        break;
                    case "time":
                        time = readTime(p, v);
                        if (time < 0) {
                            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "'time' must be >= 0, found " + time);
                        }
                        break;
                    case "values":
                        values = readValues(p, v);
                        break;
                    default:
                        throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "unknown field '" + field
                                + "' (a sample has stream, time and values)");
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new RejectedException(RejectReason.UNDECODABLE, "malformed JSON object");
            }
            if (p.nextToken() != null) {
                throw new RejectedException(RejectReason.UNDECODABLE, "trailing data after the JSON object");
            }
        } catch (IOException e) {
            throw new RejectedException(RejectReason.UNDECODABLE, "not valid JSON: " + firstLine(e.getMessage()));
        }
        if (values == null) {
            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "missing 'values'");
        }
        if (stream == null) {
            stream = keyId;
        } else if (keyId != null && !keyId.equals(stream)) {
            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "'stream' \"" + stream
                    + "\" differs from the record key \"" + keyId + "\"");
        }
        if (stream == null) {
            throw new RejectedException(RejectReason.UNDECODABLE, "no stream id: the record has no key and no 'stream' field");
        }
        return new Sample(stream, time == Long.MIN_VALUE ? Math.max(0, timestamp) : time, values);
    }

    /**
     * An integer of milliseconds. As in JSON Schema, a number with a zero fraction ({@code 1.7e12},
     * {@code 5.0}) is an integer; {@code 1.5} is not.
     */
    private static long readTime(JsonParser p, JsonToken v) throws IOException, RejectedException {
        if (v == JsonToken.VALUE_NUMBER_INT) {
            try {
                return p.getLongValue();
            } catch (IOException e) {
                throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "'time' out of range: " + p.getText());
            }
        }
        if (v == JsonToken.VALUE_NUMBER_FLOAT) {
            java.math.BigDecimal d = p.getDecimalValue();
            try {
                return d.longValueExact();
            } catch (ArithmeticException e) {
                throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "'time' must be an integer of milliseconds"
                        + " in the range of a long, found " + p.getText());
            }
        }
        throw new RejectedException(RejectReason.SCHEMA_VIOLATION,
                "'time' must be an integer (milliseconds since the epoch), found " + v);
    }

    private float[] readValues(JsonParser p, JsonToken v) throws IOException, RejectedException {
        if (v != JsonToken.START_ARRAY) {
            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "'values' must be an array of numbers, found " + v);
        }
        float[] out = new float[dimension];
        int n = 0;
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
            if (e != JsonToken.VALUE_NUMBER_INT && e != JsonToken.VALUE_NUMBER_FLOAT) {
                if (e == JsonToken.VALUE_STRING && isNonFiniteWord(p.getText())) {
                    throw new RejectedException(RejectReason.NON_FINITE, "value " + n + " is " + p.getText());
                }
                throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "'values' must hold numbers only, found " + e
                        + " at index " + n);
            }
            if (n >= dimension) {
                // count the rest without storing, to report the true dimension
                int total = n + 1;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    total++;
                    if (total > 1_000_000) {
                        break;
                    }
                }
                throw new RejectedException(RejectReason.WRONG_DIMENSION, "expected " + dimension + " values, found " + total);
            }
            float f = p.getFloatValue();
            if (!Float.isFinite(f)) {
                throw new RejectedException(RejectReason.NON_FINITE, "value " + n + " (" + p.getText()
                        + ") is not a finite float32");
            }
            out[n++] = f;
        }
        if (n == 0) {
            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "'values' must hold at least one number, found []");
        }
        if (n != dimension) {
            throw new RejectedException(RejectReason.WRONG_DIMENSION, "expected " + dimension + " values, found " + n);
        }
        return out;
    }

    private static boolean isNonFiniteWord(String s) {
        return s.equalsIgnoreCase("NaN") || s.equalsIgnoreCase("Infinity") || s.equalsIgnoreCase("-Infinity")
                || s.equalsIgnoreCase("inf") || s.equalsIgnoreCase("-inf");
    }

    /** Characters are Unicode code points, as JSON Schema's maxLength counts them (an emoji is one). */
    private static void checkStreamId(String id, String where) throws RejectedException {
        int n = id.length() > MAX_STREAM_ID ? id.codePointCount(0, id.length()) : id.length();
        if (n == 0 || n > MAX_STREAM_ID) {
            throw new RejectedException(RejectReason.UNDECODABLE, "stream id in the " + where + " must have 1 to "
                    + MAX_STREAM_ID + " characters, found " + n);
        }
    }

    /**
     * Encodes a sample as the schema's JSON: {@code {"stream":..,"time":..,"values":[..]}}, every
     * value as the shortest decimal that reads back as the same float32.
     *
     * @throws IllegalArgumentException for a value that is NaN or infinite (JSON has no such number)
     */
    public static byte[] encode(String stream, long time, float[] values, int off, int n) {
        StringBuilder sb = new StringBuilder(32 + 12 * n + stream.length());
        sb.append("{\"stream\":");
        JsonText.string(sb, stream);
        sb.append(",\"time\":").append(time).append(",\"values\":[");
        for (int j = 0; j < n; j++) {
            float f = values[off + j];
            if (!Float.isFinite(f)) {
                throw new IllegalArgumentException("value " + j + " of stream " + stream + " is " + f);
            }
            if (j > 0) {
                sb.append(',');
            }
            sb.append(Float.toString(f));
        }
        sb.append("]}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String decodeUtf8(byte[] b, String what) throws RejectedException {
        if (isAscii(b)) {
            // the usual stream id; ASCII is valid UTF-8 with the same characters
            return new String(b, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new RejectedException(RejectReason.UNDECODABLE, "the " + what + " is not UTF-8");
        }
    }

    private static boolean isAscii(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return false;
            }
        }
        return true;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
