package io.nowcast.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code nowcast} metadata document of a model file, the JSON under the safetensors
 * {@code __metadata__} key {@link ModelFiles#METADATA_KEY}, for {@link ModelSpec} and
 * {@link FrameSpec}: parses it, checks its format and version, and reads typed fields. Every
 * complaint is a {@link ModelFileException} naming the file, the field by its dotted path
 * ({@code architecture.hidden_size}) and what was expected and found.
 *
 * <p>A field is read from the object given, under the last part of its path; an absent or null
 * optional field gives its default.
 */
final class MetadataReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String file;
    private final JsonNode root;

    private MetadataReader(String file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /**
     * Parses the metadata document of {@code file} and checks its {@code format} and
     * {@code format_version}.
     *
     * @throws ModelFileException if it is not JSON, not an object, not a Nowcast model document, or
     *     of a version this build does not read
     */
    static MetadataReader read(String json, String file) throws ModelFileException {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (Exception e) {
            throw new ModelFileException(file + ": metadata 'nowcast' is not valid JSON: " + e.getMessage());
        }
        if (o == null || !o.isObject()) {
            throw new ModelFileException(file + ": metadata 'nowcast': expected a JSON object");
        }
        MetadataReader f = new MetadataReader(file, o);
        String format = f.text(o, "format");
        if (!ModelSpec.FORMAT.equals(format)) {
            throw f.error("format", "expected \"" + ModelSpec.FORMAT + "\", found \"" + format + "\"");
        }
        int fv = f.integer(o, "format_version", 1, Integer.MAX_VALUE);
        if (fv > ModelSpec.FORMAT_VERSION) {
            throw f.error("format_version", "this Nowcast reads version " + ModelSpec.FORMAT_VERSION
                    + " and older, found " + fv);
        }
        return f;
    }

    /** The kind named by a metadata document, or null when it has none (no exception: for sniffing). */
    static ModelKind sniffKind(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            JsonNode k = o == null ? null : o.get("kind");
            return k == null || !k.isTextual() ? null : ModelKind.parse(k.asText());
        } catch (Exception e) {
            return null;
        }
    }

    /** The document's top-level object. */
    JsonNode root() {
        return root;
    }

    /** A complaint about {@code field}, naming the file. */
    ModelFileException error(String field, String what) {
        return new ModelFileException(file + ": metadata field '" + field + "': " + what);
    }

    String text(JsonNode o, String path) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        if (v == null || !v.isTextual()) {
            throw error(path, v == null ? "missing (expected a string)" : "expected a string, found " + v);
        }
        return v.asText();
    }

    String optText(JsonNode o, String path, String dflt) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw error(path, "expected a string, found " + v);
        }
        return v.asText();
    }

    JsonNode object(JsonNode o, String path) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        if (v == null || !v.isObject()) {
            throw error(path, v == null ? "missing (expected an object)" : "expected an object, found " + v);
        }
        return v;
    }

    /** The object under {@code path}, or null when it is absent or null. */
    JsonNode optObject(JsonNode o, String path) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        return v == null || v.isNull() ? null : object(o, path);
    }

    boolean optBoolean(JsonNode o, String path, boolean dflt) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw error(path, "expected true or false, found " + v);
        }
        return v.asBoolean();
    }

    int integer(JsonNode o, String path, int min, int max) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw error(path, "expected an integer in [" + min + ", " + max + "], found " + (v == null ? "nothing" : v));
        }
        return v.asInt();
    }

    float number(JsonNode o, String path, double min, double max) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        if (v == null || !v.isNumber() || !(v.doubleValue() >= min && v.doubleValue() <= max)) {
            throw error(path, "expected a number in [" + min + ", " + max + "], found " + (v == null ? "nothing" : v));
        }
        return v.floatValue();
    }

    /** The strings under {@code path}; empty when it is absent or null. */
    List<String> stringList(JsonNode o, String path) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw error(path, "expected an array of strings, found " + v);
        }
        for (Iterator<JsonNode> it = v.elements(); it.hasNext(); ) {
            JsonNode e = it.next();
            if (!e.isTextual()) {
                throw error(path, "expected an array of strings, found element " + e);
            }
            out.add(e.asText());
        }
        return out;
    }

    /** The {@code size} finite numbers under {@code path}, or null when it is absent or null. */
    float[] floats(JsonNode o, String path, int size) throws ModelFileException {
        JsonNode v = o.get(leaf(path));
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray() || v.size() != size) {
            throw error(path, "expected an array of " + size + " numbers, found " + v);
        }
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber()) {
                throw error(path, "expected numbers, found " + e + " at index " + i);
            }
            out[i] = e.floatValue();
            if (!Float.isFinite(out[i])) {
                throw error(path, "expected finite numbers, found " + e + " at index " + i);
            }
        }
        return out;
    }

    /** An object's contents as plain Java values (maps, lists, strings, numbers), in document order. */
    static Map<String, Object> toMap(JsonNode object) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = JSON.convertValue(object, LinkedHashMap.class);
        return m;
    }

    private static String leaf(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }
}
