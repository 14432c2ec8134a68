package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.CharModel;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nowcast run}: refuses a bad config or model; with an embedded broker, predicts and stops cleanly. */
class RunCommandTest {
    @TempDir
    Path dir;

    private Path forecaster() throws Exception {
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = "run-test";
        spec.cell = CellType.GRU;
        spec.inputSize = 2;
        spec.hiddenSize = 8;
        spec.head = ModelSpec.Head.LINEAR;
        spec.outputSize = 2;
        Path f = dir.resolve("gru.safetensors");
        ModelFiles.save(f, new Forecaster(spec, new RecurrentNet(CellType.GRU, 2, 8, 1, 2, Gemms.create()).initUniform(new Rng(1))));
        return f;
    }

    private Path charModel() throws Exception {
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.CHAR;
        spec.cell = CellType.GRU;
        spec.vocabulary = "ab";
        spec.inputSize = 2;
        spec.hiddenSize = 4;
        spec.head = ModelSpec.Head.LINEAR;
        spec.outputSize = 2;
        Path f = dir.resolve("chars.safetensors");
        ModelFiles.save(f, new CharModel(spec, new RecurrentNet(CellType.GRU, 2, 4, 1, 2, Gemms.create()).initUniform(new Rng(1))));
        return f;
    }

    private Path config(String model, String... extra) throws Exception {
        List<String> lines = new ArrayList<>(List.of(
                "bootstrap.servers=",
                "pipelines=walk",
                "state.evictions.topic=evictions",
                "embedded.topic.partitions=2",
                "http.port=0",
                "pipeline.walk.input.topics=walk.in",
                "pipeline.walk.output.topic=walk.out",
                "pipeline.walk.model=" + model));
        lines.addAll(List.of(extra));
        Path f = dir.resolve("nowcast.properties");
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void aBadConfigIsRefusedWithItsMessage() throws Exception {
        forecaster();
        Path f = config("gru.safetensors", "poll.max.record=10");
        CliRun r = CliRun.main("run", "--config", f.toString());
        assertEquals(1, r.exit());
        String err = r.err();
        assertTrue(err.contains(f + ": unknown key 'poll.max.record'; did you mean 'poll.max.records'?"), err);
    }

    @Test
    void aModelThatIsNotAForecasterIsRefusedNamingThePipeline() throws Exception {
        charModel();
        Path f = config("chars.safetensors");
        CliRun r = CliRun.main("run", "--config", f.toString());
        assertEquals(1, r.exit());
        String err = r.err();
        assertTrue(err.contains("pipeline 'walk'") && err.contains("is a char model"), err);
    }

    @Test
    void anInputSizeThatIsNotTheModelsIsRefused() throws Exception {
        forecaster();
        Path f = config("gru.safetensors", "pipeline.walk.input.size=3");
        CliRun r = CliRun.main("run", "--config", f.toString());
        assertEquals(1, r.exit());
        String err = r.err();
        assertTrue(err.contains("pipeline 'walk': input.size is 3") && err.contains("takes 2 values"), err);
    }

    @Test
    void runsOnAnEmbeddedBrokerUntilStopped() throws Exception {
        forecaster();
        Path f = config("gru.safetensors");
        RunCommand cmd = new RunCommand();
        StringWriter buf = new StringWriter();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> CliRun.writingTo(cmd, buf).execute(
                "--config", f.toString(), "--stats-every", "0"));
        assertTrue(cmd.started.await(60, TimeUnit.SECONDS), "started");
        String out = buf.toString();
        EmbeddedBroker b = cmd.broker();
        assertTrue(out.contains("embedded broker, bootstrap servers: " + b.bootstrapServers()), out);
        assertTrue(out.contains("created topics: walk.in, walk.out, nowcast.dead-letters, evictions"), out);
        assertTrue(out.contains("pipeline walk: walk.in -> walk.out, model run-test v1"), out);
        assertTrue(out.contains("metrics: " + cmd.endpoints().uri() + "/metrics"), out);

        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        try (KafkaProducer<String, String> p = new KafkaProducer<>(pc, new StringSerializer(), new StringSerializer())) {
            for (int t = 0; t < 5; t++) {
                p.send(new ProducerRecord<>("walk.in", "s" + (t % 2), "{\"time\":" + t + ",\"values\":[" + t + ",1]}"));
            }
            p.send(new ProducerRecord<>("walk.in", "s0", "not json"));
        }
        assertEquals(5, read(b, "walk.out", 5).size());
        List<ConsumerRecord<String, String>> dead = read(b, "nowcast.dead-letters", 1);
        assertEquals("not json", dead.get(0).value());

        // the dashboard is served beside the metrics and sees the processor's predictions
        assertTrue(out.contains("dashboard: " + cmd.endpoints().uri().resolve("/")), out);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> streams = http.send(java.net.http.HttpRequest.newBuilder(
                cmd.endpoints().uri().resolve("/api/streams?pipeline=walk")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals("{\"streams\":[\"s0\",\"s1\"]}", streams.body());

        cmd.requestStop();
        assertEquals(0, exit.get(30, TimeUnit.SECONDS));
        assertFalse(b.isRunning(), "the embedded broker is stopped with the processor");
    }

    private static List<ConsumerRecord<String, String>> read(EmbeddedBroker b, String topic, int n) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        }
        assertEquals(n, out.size(), "records on " + topic);
        return out;
    }
}
