package io.nowcast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/configuration.md is what ProcessorConfig.documentation() generates, and the example in
 * deploy/ is a valid configuration. To regenerate the page after changing a key:
 * {@code mvn -o test -Dtest=ConfigDocsTest -Dnowcast.writeDocs=true}.
 */
class ConfigDocsTest {
    private static final Path DOC = Path.of("docs", "configuration.md");

    @Test
    void theConfigurationPageIsUpToDate() throws Exception {
        String generated = ProcessorConfig.documentation();
        if (Boolean.getBoolean("nowcast.writeDocs")) {
            Files.createDirectories(DOC.getParent());
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        String committed = Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8) : "";
        assertEquals(generated, committed, DOC + " is stale: regenerate it with"
                + " mvn -o test -Dtest=ConfigDocsTest -Dnowcast.writeDocs=true");
    }

    @Test
    void theExampleConfigurationIsValid(@TempDir Path dir) throws Exception {
        Path example = dir.resolve("nowcast.properties");
        Files.copy(Path.of("deploy", "nowcast.properties"), example);
        // the example names a model it does not ship: put one where it points
        Files.createDirectories(dir.resolve("models"));
        TestModels.save(TestModels.lstm2x16(1), dir.resolve("models/tracks-lstm.safetensors"));
        ProcessorConfig c = ProcessorConfig.load(example);
        assertEquals("", c.bootstrapServers, "the example starts an embedded broker");
        assertEquals("tracks", c.pipelines.get(0).name());
        assertEquals(Map.of("linger.ms", "5", "compression.type", "lz4"), c.kafkaProducer);
    }
}
