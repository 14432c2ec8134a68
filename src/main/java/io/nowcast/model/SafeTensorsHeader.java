package io.nowcast.model;

import static io.nowcast.model.SafeTensors.MAX_ELEMENTS;
import static io.nowcast.model.SafeTensors.MAX_HEADER_BYTES;
import static io.nowcast.model.SafeTensors.METADATA_KEY;
import static io.nowcast.model.SafeTensors.fail;
import static io.nowcast.model.SafeTensors.quote;
import static io.nowcast.model.SafeTensors.shapeString;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.nowcast.model.SafeTensors.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The JSON header of a safetensors file, the part of the format {@link SafeTensors} describes that
 * says what the data section holds: the string metadata and one entry per tensor (name, dtype,
 * shape, byte range), in header order.
 *
 * <p>{@link #parse} reads header bytes strictly and {@link #checkLayout} checks the entries against
 * the size of the data section, both before {@link SafeTensors} allocates anything for the data;
 * they refuse a header with a {@link ModelFileException} naming the file, the tensor or field, and
 * what was expected and found. {@link #encode} writes the header of float32 tensors in the
 * deterministic form {@link SafeTensors#write} promises.
 */
record SafeTensorsHeader(Map<String, String> metadata, List<Entry> entries) {

    private static final String SHAPE = "shape";
    private static final String DTYPE = "dtype";
    private static final String OFFSETS = "data_offsets";

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16)
                    .maxStringLength((int) MAX_HEADER_BYTES)
                    .maxNameLength((int) MAX_HEADER_BYTES)
                    .build())
            .build();

    /** The element types a file may hold, under their header names, and their sizes in bytes. */
    enum DType {
        F32(4), F64(8), F16(2), BF16(2);

        final int size;

        DType(int size) {
            this.size = size;
        }

        static DType of(String s) {
            for (DType d : values()) {
                if (d.name().equals(s)) {
                    return d;
                }
            }
            return null;
        }
    }

    /** One header entry, as declared. */
    record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        String what() {
            return "tensor " + quote(name);
        }

        String offsets() {
            return "data_offsets [" + begin + ", " + end + "]";
        }
    }

    /**
     * Parses and checks the header bytes of the file or bytes {@code name}: UTF-8, one JSON object, no
     * duplicate keys, string metadata, and every tensor entry with exactly its three fields of the
     * right types (dimensions and offsets non-negative, dimensions at most 2<sup>31</sup>-1).
     */
    static SafeTensorsHeader parse(byte[] bytes, String name) throws ModelFileException {
        if (bytes.length == 0) {
            throw fail(name, "header is empty, expected a JSON object");
        }
        checkUtf8(bytes, name);
        if (bytes[0] != '{') {
            throw fail(name, "header is not a JSON object: it must begin with '{', found "
                    + describeByte(bytes[0]));
        }
        HeaderParser hp = new HeaderParser(name);
        Reader reader = new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
        try (JsonParser p = JSON.createParser(reader)) {
            return hp.parse(p);
        } catch (ModelFileException e) {
            throw e;
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            String detail;
            if (msg != null && msg.startsWith("Duplicate field '")) {
                String key = msg.substring("Duplicate field '".length(), msg.length() - 1);
                detail = "duplicate key " + quote(key);
            } else {
                detail = "invalid JSON: " + abbreviate(String.valueOf(msg).replace('\n', ' '), 200);
            }
            JsonLocation loc = e.getLocation();
            String at = loc == null || loc.getCharOffset() < 0 ? "" : " (at character " + loc.getCharOffset() + ")";
            throw new ModelFileException(name + ": header: " + hp.context() + detail + at, e);
        } catch (IOException e) {
            throw new ModelFileException(name + ": header: cannot decode: " + e, e);
        }
    }

    /** Checks that the bytes are well-formed UTF-8, using constant memory. */
    private static void checkUtf8(byte[] bytes, String name) throws ModelFileException {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(4096);
        while (true) {
            CoderResult r = dec.decode(in, out, true);
            if (r.isError()) {
                throw fail(name, "header is not valid UTF-8: malformed byte sequence at header byte "
                        + in.position() + " (" + describeByte(bytes[in.position()]) + ")");
            }
            out.clear();
            if (r.isUnderflow()) {
                break;
            }
        }
        CoderResult r = dec.flush(out);
        if (r.isError()) {
            throw fail(name, "header is not valid UTF-8: it ends inside a multi-byte sequence");
        }
    }

    /** Streams through the header JSON, checking everything as it goes. */
    private static final class HeaderParser {
        private final String name;
        private String context = "";

        HeaderParser(String name) {
            this.name = name;
        }

        /** Where the parser is, for messages: "tensor 'x': " or "__metadata__: " or "". */
        String context() {
            return context;
        }

        SafeTensorsHeader parse(JsonParser p) throws IOException {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw failHere("expected a JSON object, found " + describe(t, p));
            }
            Map<String, String> metadata = null;
            List<Entry> entries = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
                String key = fieldName(t, p);
                if (!seen.add(key)) {
                    throw failHere("duplicate key " + quote(key));
                }
                JsonToken v = p.nextToken();
                if (METADATA_KEY.equals(key)) {
                    context = METADATA_KEY + ": ";
                    metadata = parseMetadata(p, v);
                } else {
                    context = "tensor " + quote(key) + ": ";
                    entries.add(parseEntry(p, key, v));
                }
                context = "";
            }
            t = p.nextToken();
            if (t != null) {
                throw failHere("unexpected content after the header object: found " + describe(t, p));
            }
            return new SafeTensorsHeader(metadata == null ? Map.of() : metadata, entries);
        }

        private Map<String, String> parseMetadata(JsonParser p, JsonToken v) throws IOException {
            if (v != JsonToken.START_OBJECT) {
                throw failHere("expected an object of string values, found " + describe(v, p));
            }
            Map<String, String> m = new LinkedHashMap<>();
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
                String key = fieldName(t, p);
                JsonToken vt = p.nextToken();
                if (vt != JsonToken.VALUE_STRING) {
                    throw failHere("key " + quote(key) + ": expected a string value, found " + describe(vt, p));
                }
                if (m.put(key, p.getText()) != null) {
                    throw failHere("duplicate key " + quote(key));
                }
            }
            return m;
        }

        private Entry parseEntry(JsonParser p, String tensor, JsonToken v) throws IOException {
            if (v != JsonToken.START_OBJECT) {
                throw failHere("expected an object with fields dtype, shape and data_offsets, found "
                        + describe(v, p));
            }
            DType dtype = null;
            int[] shape = null;
            long[] offsets = null;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
                String field = fieldName(t, p);
                JsonToken fv = p.nextToken();
                switch (field) {
                    case DTYPE -> {
                        if (dtype != null) {
                            throw failHere("duplicate key " + quote(field));
                        }
                        if (fv != JsonToken.VALUE_STRING) {
                            throw failHere("field 'dtype': expected a string, found " + describe(fv, p));
                        }
                        dtype = DType.of(p.getText());
                        if (dtype == null) {
                            throw failHere("field 'dtype': unsupported dtype " + quote(p.getText())
                                    + ", expected one of F32, F64, F16, BF16");
                        }
                    }
                    case SHAPE -> {
                        if (shape != null) {
                            throw failHere("duplicate key " + quote(field));
                        }
                        shape = parseShape(p, fv);
                    }
                    case OFFSETS -> {
                        if (offsets != null) {
                            throw failHere("duplicate key " + quote(field));
                        }
                        offsets = parseOffsets(p, fv);
                    }
                    default -> throw failHere("unexpected field " + quote(field)
                            + ", expected only dtype, shape and data_offsets");
                }
            }
            if (dtype == null) {
                throw failHere("missing field 'dtype'");
            }
            if (shape == null) {
                throw failHere("missing field 'shape'");
            }
            if (offsets == null) {
                throw failHere("missing field 'data_offsets'");
            }
            return new Entry(tensor, dtype, shape, offsets[0], offsets[1]);
        }

        private int[] parseShape(JsonParser p, JsonToken v) throws IOException {
            if (v != JsonToken.START_ARRAY) {
                throw failHere("field 'shape': expected an array of non-negative integers, found "
                        + describe(v, p));
            }
            int[] dims = new int[4];
            int rank = 0;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                String what = "field 'shape': dimension " + rank;
                long d = nonNegativeLong(p, t, what);
                if (d > Integer.MAX_VALUE) {
                    throw failHere(what + " is " + d + ", expected at most " + Integer.MAX_VALUE);
                }
                if (rank == dims.length) {
                    dims = Arrays.copyOf(dims, rank * 2);
                }
                dims[rank++] = (int) d;
            }
            return Arrays.copyOf(dims, rank);
        }

        private long[] parseOffsets(JsonParser p, JsonToken v) throws IOException {
            String what = "field 'data_offsets'";
            if (v != JsonToken.START_ARRAY) {
                throw failHere(what + ": expected [begin, end], found " + describe(v, p));
            }
            long[] r = new long[2];
            int count = 0;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (count == 2) {
                    throw failHere(what + ": expected [begin, end], found more than 2 entries");
                }
                r[count] = nonNegativeLong(p, t, what + (count == 0 ? ": begin" : ": end"));
                count++;
            }
            if (count != 2) {
                throw failHere(what + ": expected [begin, end], found " + count + " entr"
                        + (count == 1 ? "y" : "ies"));
            }
            return r;
        }

        private long nonNegativeLong(JsonParser p, JsonToken t, String what) throws IOException {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw failHere(what + ": expected a non-negative integer, found " + describe(t, p));
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw failHere(what + " is " + abbreviate(p.getText(), 40) + ", which is too large");
            }
            long d = p.getLongValue();
            if (d < 0) {
                throw failHere(what + " is " + d + ", expected a non-negative integer");
            }
            return d;
        }

        private String fieldName(JsonToken t, JsonParser p) throws IOException {
            if (t != JsonToken.FIELD_NAME) { // cannot happen with a conforming parser
                throw failHere("expected a key, found " + describe(t, p));
            }
            return p.currentName();
        }

        private ModelFileException failHere(String what) {
            return new ModelFileException(name + ": header: " + context + what);
        }
    }

    /**
     * Checks the entries against a data section of {@code dataLength} bytes: each byte range matches its
     * tensor's shape and dtype (at most {@link SafeTensors#MAX_ELEMENTS} elements), and the ranges tile
     * the data section exactly, without gaps, overlaps or trailing bytes.
     *
     * @return the entries in the order of their ranges, which is the data section's
     */
    List<Entry> checkLayout(long dataLength, String name) throws ModelFileException {
        for (Entry e : entries) {
            if (e.end() < e.begin()) {
                throw fail(name, e.what() + ": " + e.offsets() + " end before they begin");
            }
            if (e.end() > dataLength) {
                throw fail(name, e.what() + ": " + e.offsets() + " reach past the end of the data section, which is "
                        + dataLength + " bytes long (file truncated?)");
            }
            long count = elementCount(e, name);
            long bytes = count * e.dtype().size; // count <= MAX_ELEMENTS, so no overflow
            if (e.end() - e.begin() != bytes) {
                throw fail(name, e.what() + ": shape " + shapeString(e.shape()) + " of " + e.dtype() + " needs "
                        + count + " x " + e.dtype().size + " = " + bytes + " bytes, but " + e.offsets()
                        + " span " + (e.end() - e.begin()) + " bytes");
            }
        }
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long pos = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            String after = previous == null ? "the start of the data section"
                    : previous.what() + " (which ends at " + pos + ")";
            if (e.begin() > pos) {
                throw fail(name, e.what() + ": " + e.offsets() + " leave a gap of " + (e.begin() - pos)
                        + " bytes after " + after + ", expected to begin at " + pos);
            }
            if (e.begin() < pos) {
                throw fail(name, e.what() + ": " + e.offsets() + " overlap " + after
                        + ", expected to begin at " + pos);
            }
            pos = e.end();
            previous = e;
        }
        if (pos != dataLength) {
            throw fail(name, "data section is " + dataLength + " bytes long, but the tensors cover "
                    + (previous == null ? "none of it (there are no tensors)" : "only " + pos + " bytes, ending with "
                    + previous.what()) + "; " + (dataLength - pos) + " bytes at the end belong to no tensor");
        }
        return sorted;
    }

    private static long elementCount(Entry e, String name) throws ModelFileException {
        int[] shape = e.shape();
        for (int d : shape) {
            if (d == 0) {
                return 0;
            }
        }
        long n = 1;
        for (int d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException overflow) {
                throw fail(name, e.what() + ": shape " + shapeString(shape)
                        + " has more elements than a 64-bit count can hold");
            }
        }
        if (n > MAX_ELEMENTS) {
            throw fail(name, e.what() + ": shape " + shapeString(shape) + " has " + n
                    + " elements, expected at most " + MAX_ELEMENTS + " per tensor");
        }
        return n;
    }

    /**
     * The padded header of the given tensors as F32 with contiguous offsets from 0, after checking the
     * arguments ({@link SafeTensors#toBytes} says what is refused).
     */
    static byte[] encode(Map<String, String> metadata, Collection<Tensor> tensors) {
        Objects.requireNonNull(tensors, "tensors");
        Set<String> names = new HashSet<>();
        for (Tensor t : tensors) {
            Objects.requireNonNull(t, "tensor");
            if (METADATA_KEY.equals(t.name())) {
                throw new IllegalArgumentException("a tensor cannot be named " + METADATA_KEY);
            }
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("two tensors are named " + quote(t.name()));
            }
            requireWellFormed(t.name(), "tensor name");
        }
        if (metadata != null) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata keys and values must not be null");
                }
                requireWellFormed(e.getKey(), "metadata key");
                requireWellFormed(e.getValue(), "metadata value");
            }
        }
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(bos)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                g.writeObjectFieldStart(METADATA_KEY);
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Tensor t : tensors) {
                long end = offset + 4L * t.data().length;
                g.writeObjectFieldStart(t.name());
                g.writeStringField(DTYPE, DType.F32.name());
                g.writeFieldName(SHAPE);
                g.writeStartArray();
                for (int d : t.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeFieldName(OFFSETS);
                g.writeStartArray();
                g.writeNumber(offset);
                g.writeNumber(end);
                g.writeEndArray();
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the header", e); // in-memory: does not happen
        }
        int pad = (8 - bos.size() % 8) % 8;
        for (int i = 0; i < pad; i++) {
            bos.write(' ');
        }
        return bos.toByteArray();
    }

    private static void requireWellFormed(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " " + quote(s) + " has an unpaired surrogate at index " + i);
            }
        }
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    private static String describeByte(byte b) {
        int v = b & 0xFF;
        return v >= 0x20 && v < 0x7F ? String.format("'%c' (0x%02x)", (char) v, v) : String.format("byte 0x%02x", v);
    }

    private static String describe(JsonToken t, JsonParser p) throws IOException {
        if (t == null) {
            return "the end of the header";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "the string " + quote(p.getText());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + abbreviate(p.getText(), 40);
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "null";
            case FIELD_NAME -> "the key " + quote(p.currentName());
            default -> t.toString();
        };
    }
}
