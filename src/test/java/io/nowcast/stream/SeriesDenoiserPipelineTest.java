package io.nowcast.stream;

import io.nowcast.stream.internal.PipelineRunner;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A series-denoiser pipeline through the real broker: 200 noisy 3-channel streams (4 to 40
 * samples each) interleaved at random into a 3-partition topic give, for every stream and every
 * sample, the cleaned sample that denoising the stream alone from a fresh state gives
 * ({@link SeriesDenoiser#denoise}, the path {@code nowcast eval} scores): the per-stream state is
 * carried across polls and batches, and streams do not leak into each other.
 */
class SeriesDenoiserPipelineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STREAMS = 200;
    private static final int D = 3;
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static Path modelFile;
    private static Path baseFile;
    private static List<float[]> series;
    private static List<float[]> expected;
    private static List<float[]> expectedOverBase;

    static SeriesDenoiser denoiser(long seed) {
        ModelSpec s = new ModelSpec();
        s.kind = ModelKind.SERIES_DENOISER;
        s.name = "clean-gru";
        s.version = "2";
        s.cell = CellType.GRU;
        s.inputSize = D;
        s.hiddenSize = 12;
        s.numLayers = 2;
        s.head = ModelSpec.Head.LINEAR;
        s.outputSize = D;
        s.inputFeatures = new ArrayList<>(List.of("a", "b", "c"));
        s.outputFeatures = new ArrayList<>(List.of("a", "b", "c"));
        s.inputMean = new float[] {20f, 0f, -5f};
        s.inputStd = new float[] {3f, 1f, 2f};
        s.outputMean = new float[D];
        s.outputStd = s.inputStd.clone();
        s.noiseModel = "gaussian";
        s.noiseSigma = 0.5f;
        RecurrentNet net = new RecurrentNet(CellType.GRU, D, 12, 2, D, Gemms.create()).initUniform(new Rng(seed));
        return new SeriesDenoiser(s, net);
    }

    @BeforeAll
    static void setUp() throws Exception {
        broker = EmbeddedBroker.startTemporary();
        modelFile = dir.resolve("clean.safetensors");
        ModelFiles.save(modelFile, denoiser(77));
        Rng rng = new Rng(5);
        series = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            int n = 4 + rng.nextInt(37);
            float[] v = new float[n * D];
            double level = 20 + 3 * rng.nextGaussian();
            for (int t = 0; t < n; t++) {
                level += 0.3 * rng.nextGaussian();
                v[t * D] = (float) (level + 1.5 * rng.nextGaussian());
                v[t * D + 1] = (float) (Math.sin(t / 4.0) + 0.5 * rng.nextGaussian());
                v[t * D + 2] = (float) (-5 + rng.nextGaussian());
            }
            series.add(v);
        }
        // the offline path: the model loaded from the file, each stream alone
        SeriesDenoiser d = (SeriesDenoiser) ModelFiles.load(modelFile);
        expected = new ArrayList<>();
        for (float[] v : series) {
            expected.add(d.denoise(v, v.length / D));
        }
        // the same over a smoothing base: its per-stream values travel with the stream's state
        SeriesDenoiser b = denoiser(78);
        b.spec().name = "clean-base";
        b.spec().smoothingBase = new io.nowcast.model.SmoothingBase(new float[] {0.05f, 0.2f, 0.5f, 1f}, 8);
        baseFile = dir.resolve("base.safetensors");
        ModelFiles.save(baseFile, new SeriesDenoiser(b.spec(), b.net()));
        SeriesDenoiser db = (SeriesDenoiser) ModelFiles.load(baseFile);
        expectedOverBase = new ArrayList<>();
        for (float[] v : series) {
            expectedOverBase.add(db.denoise(v, v.length / D));
        }
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    private static List<ProducerRecord<byte[], byte[]>> interleave(String topic, long seed, int total) {
        return interleave(topic, seed, total, 0, Integer.MAX_VALUE);
    }

    /** Samples [from, to) of every stream, interleaved at random (each stream's in order). */
    private static List<ProducerRecord<byte[], byte[]>> interleave(String topic, long seed, int total, int from, int to) {
        Rng rng = new Rng(seed);
        int[] order = new int[total];
        int k = 0;
        for (int s = 0; s < STREAMS; s++) {
            for (int t = from; t < Math.min(to, series.get(s).length / D); t++) {
                order[k++] = s;
            }
        }
        total = k;
        order = java.util.Arrays.copyOf(order, k);
        for (int i = total - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        int[] pos = new int[STREAMS];
        java.util.Arrays.fill(pos, from);
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(total);
        for (int s : order) {
            float[] v = series.get(s);
            int t = pos[s]++;
            String json = "{\"time\":" + (T0 + 3_600_000L * t) + ",\"values\":[" + v[t * D] + "," + v[t * D + 1] + ","
                    + v[t * D + 2] + "]}";
            out.add(new ProducerRecord<>(topic, ("sensor-" + s).getBytes(StandardCharsets.UTF_8),
                    json.getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private void runAndCompare(String name, long seed, int pollRecords) throws Exception {
        int total = series.stream().mapToInt(v -> v.length / D).sum();
        runAndCompare(name, seed, pollRecords, modelFile, "clean-gru", expected, total);
    }

    private void runAndCompare(String name, long seed, int pollRecords, Path file, String modelName,
                               List<float[]> expected, int total) throws Exception {
        String in = name + "-in";
        String out = name + "-out";
        String dead = name + "-dead";
        broker.createTopic(in, 3, Map.of());
        broker.createTopic(out, 3, Map.of());
        broker.createTopic(dead, 1, Map.of());
        KafkaTestKit.produce(broker, interleave(in, seed, total));
        ProcessorConfig config = KafkaTestKit.config(dir,
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "pipelines", "clean",
                "dead.letter.topic", dead,
                "poll.max.records", Integer.toString(pollRecords),
                "pipeline.clean.input.topics", in,
                "pipeline.clean.output.topic", out,
                "pipeline.clean.model", file.getFileName().toString());
        Model m = ModelFiles.load(file);
        assertTrue(m instanceof SeriesDenoiser);
        Processor.Stats stats;
        try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("clean", m))) {
            stats = r.awaitHandled(total, Duration.ofSeconds(60));
        }
        assertEquals(total, stats.predictions());
        assertEquals(0, stats.deadLettersTotal(), stats.toString());

        List<ConsumerRecord<byte[], byte[]>> records = KafkaTestKit.readAll(broker, out);
        assertEquals(total, records.size(), "one cleaned sample per noisy sample");
        Map<Integer, Long> lastStep = new HashMap<>();
        double worst = 0;
        for (ConsumerRecord<byte[], byte[]> p : records) {
            String key = new String(p.key(), StandardCharsets.UTF_8);
            JsonNode n = JSON.readTree(p.value());
            int s = Integer.parseInt(key.substring("sensor-".length()));
            long step = n.get("step").asLong();
            assertEquals(lastStep.getOrDefault(s, 0L) + 1, step, key);
            lastStep.put(s, step);
            assertEquals(T0 + 3_600_000L * (step - 1), n.get("time").asLong());
            assertEquals(modelName, n.get("model").asText());
            JsonNode steps = n.get("predictions");
            assertEquals(1, steps.size(), "the present, cleaned: one array");
            JsonNode row = steps.get(0);
            assertEquals(D, row.size());
            int t = (int) step - 1;
            for (int j = 0; j < D; j++) {
                float got = Float.parseFloat(row.get(j).asText());
                worst = Math.max(worst, Math.abs(got - expected.get(s)[t * D + j]));
            }
        }
        assertEquals(STREAMS, lastStep.size());
        for (int s = 0; s < STREAMS; s++) {
            assertEquals(series.get(s).length / D, lastStep.get(s), "every sample of sensor-" + s);
        }
        assertTrue(worst <= 1e-5, "largest difference from each stream alone " + worst);
    }

    @Test
    void modelSwapsFromAFolderAreRefusedForADenoiserPipeline() throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("versions"));
        ProcessorConfig config = KafkaTestKit.config(dir,
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", "den-swap",
                "pipelines", "clean",
                "pipeline.clean.input.topics", "den-swap-in",
                "pipeline.clean.output.topic", "den-swap-out",
                "pipeline.clean.model", "clean.safetensors",
                "pipeline.clean.model.dir", "versions");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Processor(config, Map.of("clean", ModelFiles.load(modelFile))));
        assertTrue(e.getMessage().contains("model.dir") && e.getMessage().contains("series-denoiser"), e.getMessage());
    }

    @Test
    void noLiveErrorIsRecordedForTheCleanedPresent() {
        SeriesDenoiser d = denoiser(1);
        // the same network seen as a forecaster of its inputs would compare each output with the next sample
        assertEquals(D, PipelineRunner.errorPairs(d.asForecaster().spec(), D, D)[0].length);
        assertEquals(0, PipelineRunner.errorPairs(d.spec(), D, D)[0].length);
    }

    @Test
    void overASmoothingBaseEachStreamIsCleanedAsAloneAcrossARestartFromTheChangelog() throws Exception {
        // the first 10 samples of every stream, a stop, then the rest read by a new processor that
        // restores every stream's state (network vectors and smoothing values) from the changelog
        String name = "den-base";
        int total = series.stream().mapToInt(v -> v.length / D).sum();
        List<ProducerRecord<byte[], byte[]>> first = interleave(name + "-in", 3, total, 0, 10);
        List<ProducerRecord<byte[], byte[]>> rest = interleave(name + "-in", 4, total, 10, Integer.MAX_VALUE);
        broker.createTopic(name + "-in", 3, Map.of());
        broker.createTopic(name + "-out", 3, Map.of());
        broker.createTopic(name + "-dead", 1, Map.of());
        ProcessorConfig config = KafkaTestKit.config(dir,
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "pipelines", "clean",
                "dead.letter.topic", name + "-dead",
                "poll.max.records", "50",
                "pipeline.clean.input.topics", name + "-in",
                "pipeline.clean.output.topic", name + "-out",
                "pipeline.clean.model", "base.safetensors");
        KafkaTestKit.produce(broker, first);
        try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("clean", ModelFiles.load(baseFile)))) {
            assertEquals(0, r.awaitHandled(first.size(), Duration.ofSeconds(60)).deadLettersTotal());
        }
        KafkaTestKit.produce(broker, rest);
        try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("clean", ModelFiles.load(baseFile)))) {
            assertEquals(0, r.awaitHandled(rest.size(), Duration.ofSeconds(60)).deadLettersTotal());
        }
        List<ConsumerRecord<byte[], byte[]>> records = KafkaTestKit.readAll(broker, name + "-out");
        assertEquals(total, records.size());
        double worst = 0;
        for (ConsumerRecord<byte[], byte[]> p : records) {
            int s = Integer.parseInt(new String(p.key(), StandardCharsets.UTF_8).substring("sensor-".length()));
            JsonNode n = JSON.readTree(p.value());
            assertEquals("clean-base", n.get("model").asText());
            int t = (int) n.get("step").asLong() - 1;
            JsonNode row = n.get("predictions").get(0);
            for (int j = 0; j < D; j++) {
                worst = Math.max(worst, Math.abs(Float.parseFloat(row.get(j).asText())
                        - expectedOverBase.get(s)[t * D + j]));
            }
        }
        assertTrue(worst <= 1e-4, "largest difference from each stream alone " + worst);
    }

    @Test
    void bigPollsGiveEachStreamItsOwnCleaning() throws Exception {
        runAndCompare("den-500", 1, 500);
    }

    @Test
    void pollsOfSevenRecordsCarryEveryStreamsStateAcrossBatches() throws Exception {
        runAndCompare("den-7", 2, 7);
    }
}
