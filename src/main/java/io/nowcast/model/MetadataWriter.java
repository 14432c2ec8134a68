package io.nowcast.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * Writes the {@code nowcast} metadata document of a model file for {@link ModelSpec} and
 * {@link FrameSpec}, the counterpart of {@link MetadataReader}: the fields every kind begins with
 * (format, format version, kind, name, version), then the kind's own fields, then the provenance,
 * as compact JSON in that order.
 */
final class MetadataWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MetadataWriter() {
    }

    /** A document holding the fields every kind begins with; the caller adds its own after them. */
    static ObjectNode begin(ModelKind kind, String name, String version) {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", ModelSpec.FORMAT);
        o.put("format_version", ModelSpec.FORMAT_VERSION);
        o.put("kind", kind.id);
        o.put("name", name);
        o.put("version", version);
        return o;
    }

    /** The document with the provenance added last, as compact JSON. */
    static String finish(ObjectNode o, Map<String, Object> provenance) {
        o.set("provenance", JSON.valueToTree(provenance));
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
