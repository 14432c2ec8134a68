package io.nowcast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.SampleCodec;
import io.nowcast.web.Endpoints;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real run with the HTTP endpoints: an embedded broker, one pipeline, records flowing (one dead
 * letter and one gap reset among them). The scrape of /metrics shows every meter of the catalogue
 * ({@link Meters#ALL}), the Kafka client and JVM metrics, and every metric the Grafana dashboard and
 * the Prometheus alert rules in deploy/ use; /ready is 503 before partitions are assigned and 200
 * after; /health is 200 while the loop runs; the live prediction error counts one observation per
 * value for every prediction followed by its stream's next sample.
 */
class MetricsEndToEndTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void aScrapeDuringARealRunShowsEveryMeter() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.startTemporary()) {
            broker.createTopic("walk.in", 2, Map.of());
            broker.createTopic("walk.out", 2, Map.of());
            broker.createTopic("dead", 1, Map.of());
            TestModels.save(TestModels.lstm2x16(3), dir.resolve("walk.safetensors"));
            ProcessorConfig config = KafkaTestKit.config(dir, "bootstrap.servers", broker.bootstrapServers(),
                    "pipelines", "walk", "dead.letter.topic", "dead", "poll.timeout.ms", "20",
                    "pipeline.walk.input.topics", "walk.in", "pipeline.walk.output.topic", "walk.out",
                    "pipeline.walk.model", "walk.safetensors", "pipeline.walk.gap.ms", "1000");

            // streams a and b: 5 samples 100 ms apart; c: 3, a gap of 5 s, 3 more
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            int pairs = 0; // predictions followed by the stream's next sample (not across the gap)
            for (String s : List.of("a", "b")) {
                for (int i = 0; i < 5; i++) {
                    records.add(sample(s, 1000 + 100 * i, i));
                }
                pairs += 4;
            }
            for (int i = 0; i < 6; i++) {
                records.add(sample("c", 1000 + 100 * i + (i >= 3 ? 5000 : 0), i));
            }
            pairs += 2 + 2;
            records.add(new ProducerRecord<>("walk.in", "d".getBytes(StandardCharsets.UTF_8),
                    "not json".getBytes(StandardCharsets.UTF_8)));
            int total = records.size();

            PrometheusMeterRegistry registry = Endpoints.prometheusRegistry();
            Processor processor = new Processor(config, Map.of("walk", TestModels.lstm2x16(3)), registry);
            try (Endpoints web = Endpoints.start("127.0.0.1", 0, registry, processor::alive, processor::ready)) {
                URI base = web.uri();
                assertEquals("127.0.0.1", base.getHost());
                assertEquals(503, get(base, "/ready").statusCode(), "not ready before the loop runs");
                assertEquals(503, get(base, "/health").statusCode(), "not alive before the loop runs");
                try (KafkaTestKit.Running running = new KafkaTestKit.Running(processor)) {
                    awaitStatus(base, "/ready", 200);
                    assertTrue(processor.stats().partitions() > 0, "ready once partitions are assigned");
                    assertEquals(200, get(base, "/health").statusCode());
                    KafkaTestKit.produce(broker, records);
                    Processor.Stats s = running.awaitHandled(total, Duration.ofSeconds(60));
                    assertEquals(total - 1, s.predictions());
                    assertEquals(1, s.gapResets());

                    HttpResponse<String> scrape = get(base, "/metrics");
                    assertEquals(200, scrape.statusCode());
                    assertTrue(scrape.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
                    String text = scrape.body();
                    Set<String> series = seriesNames(text);
                    for (Meters.Def d : Meters.ALL) {
                        for (String name : prometheusNames(d)) {
                            assertTrue(series.contains(name), d.name() + " is not exported as " + name);
                        }
                        if (d.tags().contains(Meters.PIPELINE)) {
                            assertTrue(text.contains(prometheusNames(d).get(0) + "{") && hasPipeline(text, d, "walk"),
                                    d.name() + " has no series for pipeline walk");
                        }
                    }
                    assertTrue(text.contains("nowcast_deadletter_records_total{pipeline=\"walk\",reason=\"undecodable\"} 1.0"),
                            "one undecodable dead letter");
                    assertTrue(text.contains("nowcast_gap_resets_total{pipeline=\"walk\"} 1.0"), "one gap reset");
                    assertTrue(text.contains("nowcast_model_loaded{model=\"walk-lstm\",pipeline=\"walk\",version=\"7\"} 1.0"),
                            "the model in use");
                    assertTrue(series.stream().anyMatch(n -> n.startsWith("kafka_consumer_")), "Kafka consumer metrics");
                    assertTrue(series.stream().anyMatch(n -> n.startsWith("kafka_producer_")), "Kafka producer metrics");
                    assertTrue(series.contains("jvm_memory_used_bytes"), "JVM metrics");

                    // the live error: one observation per value (x, y) for every prediction followed by a next sample
                    assertEquals(2L * pairs, registry.get(Meters.ERROR.name()).tag("pipeline", "walk").tag("horizon", "1")
                            .summary().count());
                    assertEquals((double) total - 1, registry.get(Meters.PREDICTIONS.name()).counter().count());
                    assertEquals(1.0, registry.get(Meters.DEAD_LETTERS.name())
                            .tag("reason", RejectReason.UNDECODABLE.id).counter().count());

                    for (String used : deployedMetricNames()) {
                        assertTrue(series.contains(used), "deploy/ uses " + used + ", which Nowcast does not export");
                    }
                }
                assertEquals(503, get(base, "/health").statusCode(), "not alive once the loop has stopped");
                assertEquals(503, get(base, "/ready").statusCode());
            }
        }
    }

    private static ProducerRecord<byte[], byte[]> sample(String stream, long time, int i) {
        float[] v = {0.1f * i, -0.05f * i};
        return new ProducerRecord<>("walk.in", stream.getBytes(StandardCharsets.UTF_8),
                SampleCodec.encode(stream, time, v, 0, 2));
    }

    private static boolean hasPipeline(String text, Meters.Def d, String pipeline) {
        String first = prometheusNames(d).get(0);
        for (String line : text.split("\n")) {
            if (line.startsWith(first + "{") && line.contains("pipeline=\"" + pipeline + "\"")) {
                return true;
            }
        }
        return false;
    }

    /** The series names of a meter in the Prometheus format; the first carries every tag. */
    static List<String> prometheusNames(Meters.Def d) {
        String base = d.name().replace('.', '_');
        if (d.unit() != null && !d.unit().equals("seconds") && !base.endsWith("_" + d.unit())) {
            base += "_" + d.unit();
        }
        switch (d.type()) {
            case COUNTER:
                return List.of(base + "_total");
            case TIMER:
                base += "_seconds";
                return List.of(base + "_count", base + "_sum", base + "_max", base + "_bucket");
            case DISTRIBUTION_SUMMARY:
                return List.of(base + "_count", base + "_sum", base + "_max");
            default:
                assertEquals(Meter.Type.GAUGE, d.type());
                return List.of(base);
        }
    }

    /** Every series name in a scrape (comments and labels removed). */
    static Set<String> seriesNames(String text) {
        Set<String> names = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }

    /** The metric names in the expressions of the Grafana dashboard and the Prometheus alert rules in deploy/. */
    static Set<String> deployedMetricNames() throws Exception {
        List<String> exprs = new ArrayList<>();
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("deploy/grafana/dashboards/nowcast.json").toFile());
        collect(dashboard, "expr", exprs);
        collect(dashboard, "definition", exprs); // template variables
        collect(new YAMLMapper().readTree(Path.of("deploy/prometheus/alerts.yml").toFile()), "expr", exprs);
        assertTrue(exprs.size() >= 5, "the dashboard and the alert rules have expressions: " + exprs);
        Pattern metric = Pattern.compile("\\b((?:nowcast|jvm|kafka|process|system)_[a-z0-9_]+)\\b");
        Set<String> names = new TreeSet<>();
        for (String e : exprs) {
            Matcher m = metric.matcher(e);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static void collect(JsonNode n, String field, List<String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                if (e.getKey().equals(field) && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collect(e.getValue(), field, out);
                }
            });
        } else if (n.isArray()) {
            n.forEach(c -> collect(c, field, out));
        }
    }

    private static HttpResponse<String> get(URI base, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitStatus(URI base, String path, int status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int last;
        while ((last = get(base, path).statusCode()) != status) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(path + " answered " + last + ", not " + status + ", for 60 s");
            }
            Thread.sleep(50);
        }
    }
}
