package io.nowcast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What can be checked of deploy/ without a container engine: every YAML and JSON file parses; the
 * configurations (the example, the docker-compose one, the Kubernetes ConfigMap's) are valid
 * processor configurations; the files agree on ports, paths and labels; every Nowcast metric the
 * dashboard and the alert rules use is in the catalogue (MetricsEndToEndTest checks them against a
 * real scrape, Kafka and JVM metrics included).
 */
class DeployFilesTest {
    private static final Path DEPLOY = Path.of("deploy");
    private static final YAMLMapper YAML = new YAMLMapper();

    @TempDir
    Path dir;

    @Test
    void everyYamlAndJsonFileParses() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            files = s.filter(Files::isRegularFile).filter(f -> f.toString().matches(".*\\.(ya?ml|json)")).sorted().toList();
        }
        assertTrue(files.size() >= 9, "the deploy files: " + files);
        for (Path f : files) {
            List<JsonNode> docs = read(f);
            assertFalse(docs.isEmpty(), f + " is empty");
            for (JsonNode d : docs) {
                assertTrue(d.isObject(), f + ": a mapping at the top");
            }
        }
    }

    @Test
    void theConfigurationsAreValid() throws Exception {
        ProcessorConfig example = load(Files.readString(DEPLOY.resolve("nowcast.properties")), "deploy/nowcast.properties");
        assertEquals("127.0.0.1", example.httpHost, "outside a container the endpoints stay on this machine");
        ProcessorConfig compose = load(Files.readString(DEPLOY.resolve("docker/nowcast.properties")),
                "deploy/docker/nowcast.properties");
        assertEquals("kafka:9092", compose.bootstrapServers);
        assertEquals("0.0.0.0", compose.httpHost);
        ProcessorConfig k8s = load(configMapProperties(), "deploy/k8s/configmap.yaml");
        assertEquals("0.0.0.0", k8s.httpHost);
        assertEquals(compose.httpPort, k8s.httpPort);
    }

    @Test
    void composeRunsKafkaInKraftModeNowcastPrometheusAndGrafana() throws Exception {
        JsonNode services = read(DEPLOY.resolve("docker-compose.yml")).get(0).get("services");
        for (String s : List.of("kafka", "nowcast", "prometheus", "grafana")) {
            assertTrue(services.has(s), "service " + s);
        }
        JsonNode kafka = services.get("kafka").get("environment");
        assertEquals("broker,controller", kafka.get("KAFKA_PROCESS_ROLES").asText(), "KRaft, no ZooKeeper");
        assertFalse(services.has("zookeeper"));
        JsonNode nowcast = services.get("nowcast");
        assertEquals("deploy/Dockerfile", nowcast.get("build").get("dockerfile").asText());
        assertTrue(nowcast.get("volumes").get(0).asText().startsWith("./docker/nowcast.properties:/etc/nowcast/nowcast.properties"));
        // the files compose mounts exist
        for (String s : List.of("prometheus", "grafana")) {
            for (JsonNode v : services.get(s).get("volumes")) {
                String host = v.asText().split(":")[0];
                assertTrue(Files.exists(DEPLOY.resolve(host)), s + " mounts " + host);
            }
        }
        // the topics the compose configuration uses are created
        String topics = services.get("topics").get("command").get(0).asText();
        ProcessorConfig c = load(Files.readString(DEPLOY.resolve("docker/nowcast.properties")), "compose");
        List<String> needed = new ArrayList<>(List.of(c.deadLetterTopic, c.evictionsTopic));
        for (ProcessorConfig.Pipeline p : c.pipelines) {
            needed.addAll(p.inputTopics());
            needed.add(p.outputTopic());
        }
        for (String t : needed) {
            assertTrue(topics.contains(" " + t + ":"), "topic " + t + " is created");
        }
    }

    @Test
    void prometheusScrapesNowcastWhereItListens() throws Exception {
        JsonNode prom = read(DEPLOY.resolve("prometheus/prometheus.yml")).get(0);
        JsonNode job = prom.get("scrape_configs").get(0);
        assertEquals("/metrics", job.get("metrics_path").asText());
        ProcessorConfig c = load(Files.readString(DEPLOY.resolve("docker/nowcast.properties")), "compose");
        assertEquals("nowcast:" + c.httpPort, job.get("static_configs").get(0).get("targets").get(0).asText());
        assertEquals("/etc/prometheus/alerts.yml", prom.get("rule_files").get(0).asText());
        JsonNode ds = read(DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yml")).get(0).get("datasources").get(0);
        assertEquals("prometheus", ds.get("uid").asText(), "the uid the dashboard's panels name");
        JsonNode dash = read(DEPLOY.resolve("grafana/dashboards/nowcast.json")).get(0);
        for (JsonNode p : dash.get("panels")) {
            assertEquals("prometheus", p.get("datasource").get("uid").asText(), p.get("title").asText());
        }
    }

    @Test
    void kubernetesRunsAConsumerGroupWithProbesAndScrapeAnnotations() throws Exception {
        JsonNode dep = read(DEPLOY.resolve("k8s/deployment.yaml")).get(0);
        assertEquals("Deployment", dep.get("kind").asText());
        JsonNode pod = dep.get("spec").get("template");
        ProcessorConfig c = load(configMapProperties(), "configmap");
        JsonNode ann = pod.get("metadata").get("annotations");
        assertEquals("true", ann.get("prometheus.io/scrape").asText());
        assertEquals(Integer.toString(c.httpPort), ann.get("prometheus.io/port").asText());
        assertEquals("/metrics", ann.get("prometheus.io/path").asText());
        JsonNode container = pod.get("spec").get("containers").get(0);
        assertEquals(c.httpPort, container.get("ports").get(0).get("containerPort").asInt());
        assertEquals("/health", container.get("livenessProbe").get("httpGet").get("path").asText());
        assertEquals("/ready", container.get("readinessProbe").get("httpGet").get("path").asText());
        assertEquals("[\"run\",\"--config\",\"/etc/nowcast/nowcast.properties\"]", container.get("args").toString());
        assertEquals("nowcast", pod.get("spec").get("volumes").get(0).get("configMap").get("name").asText());
        JsonNode svc = read(DEPLOY.resolve("k8s/service.yaml")).get(0);
        assertEquals(dep.get("spec").get("selector").get("matchLabels"), svc.get("spec").get("selector"));
        assertEquals(pod.get("metadata").get("labels"), dep.get("spec").get("selector").get("matchLabels"));
    }

    @Test
    void theDockerfileBuildsWithMavenAndRunsTheProcessor() throws Exception {
        String df = Files.readString(DEPLOY.resolve("Dockerfile"));
        assertTrue(df.matches("(?s).*FROM maven:[^\\n]* AS build.*FROM eclipse-temurin:17-jre.*"), "multi-stage");
        assertTrue(df.contains("CMD [\"run\", \"--config\", \"/etc/nowcast/nowcast.properties\"]"));
        for (String line : df.split("\n")) {
            if (line.startsWith("COPY ") && !line.contains("--from")) {
                String src = line.split("\\s+")[1];
                assertTrue(src.contains("*") || Files.exists(Path.of(src)), "COPY " + src + " exists in the build context");
            }
        }
    }

    @Test
    void theDashboardAndAlertsUseCatalogueMetrics() throws Exception {
        Set<String> known = new HashSet<>();
        for (Meters.Def d : Meters.ALL) {
            known.addAll(MetricsEndToEndTest.prometheusNames(d));
        }
        Set<String> used = MetricsEndToEndTest.deployedMetricNames();
        int nowcast = 0;
        for (String m : used) {
            if (m.startsWith("nowcast_")) {
                nowcast++;
                assertTrue(known.contains(m), m + " is no meter of the catalogue (docs/metrics.md)");
            }
        }
        assertTrue(nowcast >= 10, "the dashboard shows Nowcast's metrics: " + used);
    }

    private static List<JsonNode> read(Path f) throws Exception {
        if (f.toString().endsWith(".json")) {
            return List.of(new ObjectMapper().readTree(f.toFile()));
        }
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(f.toFile())) {
            while (it.hasNext()) {
                docs.add(it.next());
            }
        }
        return docs;
    }

    private static String configMapProperties() throws Exception {
        JsonNode cm = read(DEPLOY.resolve("k8s/configmap.yaml")).get(0);
        assertEquals("ConfigMap", cm.get("kind").asText());
        return cm.get("data").get("nowcast.properties").asText();
    }

    /** Parses a properties text as a processor configuration, its models replaced by a test model. */
    private ProcessorConfig load(String text, String source) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(text));
        Map<String, String> raw = new TreeMap<>();
        Path model = TestModels.save(TestModels.lstm2x16(1), dir.resolve("m.safetensors"));
        for (String k : p.stringPropertyNames()) {
            raw.put(k, k.matches("pipeline\\.[^.]+\\.model") ? model.toString() : p.getProperty(k));
        }
        return ProcessorConfig.parse(raw, source, dir);
    }
}
