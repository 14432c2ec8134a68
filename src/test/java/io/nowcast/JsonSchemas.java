package io.nowcast;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JSON Schemas of {@code schemas/} (read from the project folder, where Maven runs the tests),
 * and a strict check of a message against one: the text must be exactly one JSON document with no
 * repeated member name (RFC 8259 leaves duplicates to the reader; Nowcast's codecs refuse them),
 * and numbers are compared exactly (big decimals, not doubles).
 */
public final class JsonSchemas {
    public static final Path DIR = Path.of("schemas");
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private JsonSchemas() {}

    /** The schema in {@code schemas/NAME}. */
    public static Schema load(String name) {
        try {
            return REGISTRY.getSchema(Files.readString(DIR.resolve(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What is wrong with the message (empty when it is valid): not JSON, or the schema's errors. */
    public static List<String> errors(Schema schema, String json) {
        JsonNode node;
        try {
            node = STRICT.readTree(json);
        } catch (JsonProcessingException e) {
            return List.of("not strict JSON: " + e.getOriginalMessage());
        }
        if (node == null || node.isMissingNode()) {
            return List.of("no JSON document");
        }
        return schema.validate(node).stream().map(Error::toString).toList();
    }

    /** The message parsed, for reading its fields in a test. */
    public static JsonNode parse(String json) {
        try {
            return STRICT.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not strict JSON: " + json, e);
        }
    }
}
