package io.nowcast.stream;

import io.nowcast.stream.internal.PipelineMeters;
import io.nowcast.stream.internal.ProcessMeters;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * docs/metrics.md is what Meters.documentation() generates, and the meters a pipeline registers are
 * exactly the catalogue's, with its types, units and descriptions. To regenerate the page:
 * {@code mvn -o test -Dtest=MetricsDocsTest -Dnowcast.writeDocs=true}. (MetricsEndToEndTest checks a
 * real run's scrape against the same catalogue.)
 */
class MetricsDocsTest {
    private static final Path DOC = Path.of("docs", "metrics.md");

    @Test
    void theMetricsPageIsUpToDate() throws Exception {
        String generated = Meters.documentation();
        if (Boolean.getBoolean("nowcast.writeDocs")) {
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        String committed = Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8) : "";
        assertEquals(generated, committed, DOC + " is stale: regenerate it with"
                + " mvn -o test -Dtest=MetricsDocsTest -Dnowcast.writeDocs=true");
    }

    @Test
    void theRegisteredMetersAreTheCatalogue() {
        MeterRegistry r = new SimpleMeterRegistry();
        new PipelineMeters(r, "p", "m", "1");
        new ProcessMeters(r);
        Set<String> registered = new TreeSet<>();
        for (Meter m : r.getMeters()) {
            Meter.Id id = m.getId();
            registered.add(id.getName());
            Meters.Def d = Meters.ALL.stream().filter(x -> x.name().equals(id.getName())).findFirst()
                    .orElseThrow(() -> new AssertionError(id.getName() + " is registered but not in the catalogue"));
            assertEquals(d.type(), id.getType(), d.name());
            assertEquals(d.description(), id.getDescription(), d.name());
            if (d.type() != Meter.Type.TIMER) {
                assertEquals(d.unit(), id.getBaseUnit(), d.name());
            }
            Set<String> tags = new HashSet<>();
            id.getTags().forEach(t -> tags.add(t.getKey()));
            assertEquals(new HashSet<>(d.tags()), tags, d.name());
        }
        Set<String> catalogue = new TreeSet<>();
        Meters.ALL.forEach(d -> catalogue.add(d.name()));
        assertEquals(catalogue, registered);
    }

    @Test
    void namesFollowMicrometersConventions() {
        for (Meters.Def d : Meters.ALL) {
            assertTrue(d.name().matches("nowcast(\\.[a-z]+)+"), d.name() + ": lowercase, dot-separated");
            assertTrue(!d.name().matches(".*\\b(ms|millis|seconds|nanos)\\b.*"), d.name() + ": no time unit in the name");
            assertTrue(!d.tags().contains("stream"), d.name() + ": never tagged with a stream id");
            assertTrue(!d.description().isBlank(), d.name());
        }
    }
}
