package io.nowcast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelFiles;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Rng;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * New model versions through a real broker: a file renamed into the pipeline's model.dir is swapped
 * in between batches while streams flow. Every sample gets exactly one prediction; per stream the
 * predictions name the old version up to one sample and the new one from there on, and their values
 * are those of stepping the old model, then the new one from the kept state (same shape) or from a
 * fresh state (another shape, the streams counted as reset). A damaged or unfit file is refused and
 * the old model goes on.
 */
class ModelSwapTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T0 = 1_700_000_000_000L;
    private static final int STREAMS = 20;
    private static final int PART = 20;        // samples per stream in each of the three parts
    private static final int LENGTH = 3 * PART;

    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static List<List<float[]>> walks;

    @BeforeAll
    static void setUp() throws Exception {
        broker = EmbeddedBroker.startTemporary();
        Rng rng = new Rng(41);
        walks = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            List<float[]> w = new ArrayList<>();
            float x = (float) (3 * rng.nextGaussian());
            float y = (float) (3 * rng.nextGaussian());
            for (int t = 0; t < LENGTH; t++) {
                x += (float) (0.4 * rng.nextGaussian());
                y += (float) (0.4 * rng.nextGaussian());
                w.add(new float[] {x, y});
            }
            walks.add(w);
        }
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    /** Samples [from, to) of every stream, streams interleaved sample by sample. */
    private static List<ProducerRecord<byte[], byte[]>> part(String topic, int from, int to) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int t = from; t < to; t++) {
            for (int s = 0; s < STREAMS; s++) {
                float[] v = walks.get(s).get(t);
                String json = "{\"time\":" + (T0 + 100L * t) + ",\"values\":[" + v[0] + "," + v[1] + "]}";
                out.add(new ProducerRecord<>(topic, ("walker-" + s).getBytes(StandardCharsets.UTF_8),
                        json.getBytes(StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    /**
     * Sends samples [from, to) of every stream one time step at a time, 10 ms apart, so that a model
     * swap meanwhile most likely falls inside the part (the checks hold wherever it falls).
     */
    private static Thread produceInSteps(String topic, int from, int to) {
        Thread t = new Thread(() -> {
            try (var p = KafkaTestKit.producer(broker)) {
                for (int step = from; step < to; step++) {
                    for (ProducerRecord<byte[], byte[]> r : part(topic, step, step + 1)) {
                        p.send(r);
                    }
                    p.flush();
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "samples-in-steps");
        t.start();
        return t;
    }

    /** Writes the model under a temporary name in the folder, then renames it: it appears whole. */
    private static void drop(Forecaster f, Path folder, String name) throws Exception {
        Path tmp = folder.resolve(name + ".tmp");
        TestModels.save(f, tmp);
        Files.move(tmp, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private static void dropBytes(byte[] content, Path folder, String name) throws Exception {
        Path tmp = folder.resolve(name + ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Topics and a config of one pipeline "walk" whose model is models/walk-v7.safetensors, watching models/. */
    private static ProcessorConfig setUpPipeline(String name, Path models) throws Exception {
        broker.createTopic(name + "-in", 4, Map.of());
        broker.createTopic(name + "-out", 4, Map.of());
        broker.createTopic(name + "-dead", 1, Map.of());
        Files.createDirectories(models);
        TestModels.save(TestModels.lstm2x16(13), models.resolve("walk-v7.safetensors"));
        return KafkaTestKit.config(dir,
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "pipelines", "walk",
                "dead.letter.topic", name + "-dead",
                "poll.max.records", "37",
                "pipeline.walk.input.topics", name + "-in",
                "pipeline.walk.output.topic", name + "-out",
                "pipeline.walk.model", dir.relativize(models.resolve("walk-v7.safetensors")).toString(),
                "pipeline.walk.model.dir", dir.relativize(models).toString(),
                "pipeline.walk.model.check.ms", "20");
    }

    private static KafkaTestKit.Running start(ProcessorConfig c, Path models, MeterRegistry registry) throws Exception {
        return start(c, models, registry, null);
    }

    /** With taps from the factory (null: none). */
    private static KafkaTestKit.Running start(ProcessorConfig c, Path models, MeterRegistry registry,
                                              PredictionTap.Factory taps) throws Exception {
        Forecaster m = (Forecaster) ModelFiles.load(models.resolve("walk-v7.safetensors"));
        Processor p = new Processor(c, Map.of("walk", m), registry);
        if (taps != null) {
            p.tap(taps);
        }
        return new KafkaTestKit.Running(p);
    }

    private static double counter(MeterRegistry r, String name, String... tags) {
        return r.get(name).tags("pipeline", "walk").tags(tags).counter().count();
    }

    /** Waits until the counter reaches n; the processor must keep running. */
    private static void awaitCounter(KafkaTestKit.Running r, MeterRegistry reg, double n, String name, String... tags)
            throws Exception {
        r.await(s -> counter(reg, name, tags) >= n, Duration.ofSeconds(30));
    }

    /** The versions the nowcast.model.loaded gauge names now. */
    private static Set<String> loaded(MeterRegistry r) {
        return r.find(Meters.MODEL.name()).tags("pipeline", "walk").gauges().stream()
                .map(g -> g.getId().getTag("model") + ":" + g.getId().getTag("version") + "=" + g.value())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * The output holds exactly one prediction per sample; per stream the model changes once, from
     * (oldName, oldVersion) to (newName, newVersion), at a sample in [minSwitch, maxSwitch]; the
     * values are those of the old model, then of the new one from the kept state (kept) or a fresh
     * one, with the step count going on or restarting at 1.
     */
    private static void checkOutput(String topic, Forecaster oldModel, Forecaster newModel, boolean kept, int minSwitch,
                                    int maxSwitch) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> out = KafkaTestKit.readAll(broker, topic);
        assertEquals(STREAMS * LENGTH, out.size(), "exactly one prediction per sample");
        Map<String, List<JsonNode>> byStream = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : out) {
            JsonNode n = JSON.readTree(r.value());
            byStream.computeIfAbsent(n.get("stream").asText(), k -> new ArrayList<>()).add(n);
        }
        assertEquals(STREAMS, byStream.size());
        String oldV = oldModel.spec().name + ":" + oldModel.spec().version;
        String newV = newModel.spec().name + ":" + newModel.spec().version;
        double worst = 0;
        int firstSwitch = LENGTH;
        int lastSwitch = -1;
        for (int s = 0; s < STREAMS; s++) {
            List<JsonNode> ps = byStream.get("walker-" + s);
            assertEquals(LENGTH, ps.size(), "walker-" + s);
            int k = -1;
            for (int t = 0; t < LENGTH; t++) {
                JsonNode n = ps.get(t);
                assertEquals(T0 + 100L * t, n.get("time").asLong(), "walker-" + s + ": predictions in sample order, none lost or twice");
                String v = n.get("model").asText() + ":" + n.get("model_version").asText();
                if (k < 0 && v.equals(newV)) {
                    k = t;
                }
                assertEquals(k < 0 ? oldV : newV, v, "walker-" + s + " sample " + t + ": one switch, old to new");
            }
            assertTrue(k >= minSwitch && k <= maxSwitch, "walker-" + s + " switched at sample " + k + ", expected within ["
                    + minSwitch + ", " + maxSwitch + "]");
            firstSwitch = Math.min(firstSwitch, k);
            lastSwitch = Math.max(lastSwitch, k);
            // offline: the old model up to sample k, then the new one from the kept or a fresh state
            RecurrentState state = oldModel.net().newState(1);
            float[] o = new float[oldModel.outputWidth()];
            float[] scratch = new float[64];
            long step = 0;
            for (int t = 0; t < LENGTH; t++) {
                Forecaster m = t < k ? oldModel : newModel;
                if (t == k) {
                    step = kept ? step : 0;
                    if (!kept) {
                        state = newModel.net().newState(1);
                    }
                    o = new float[newModel.outputWidth()];
                }
                m.step(walks.get(s).get(t), state, o, scratch);
                step++;
                JsonNode n = ps.get(t);
                assertEquals(step, n.get("step").asLong(), "walker-" + s + " sample " + t);
                JsonNode row = n.get("predictions").get(0);
                assertEquals(o.length, row.size());
                for (int j = 0; j < o.length; j++) {
                    worst = Math.max(worst, Math.abs(Float.parseFloat(row.get(j).asText()) - o[j]));
                }
            }
        }
        System.out.println(topic + ": streams switched at samples " + firstSwitch + " to " + lastSwitch
                + "; largest difference from the offline path " + worst);
        assertTrue(worst <= 1e-5, "largest difference from the offline path " + worst);
    }

    @Test
    void aNewVersionOfTheSameShapeIsSwappedInMidStreamAndTheStatesGoOn() throws Exception {
        Path models = dir.resolve("kept-models");
        ProcessorConfig c = setUpPipeline("kept", models);
        MeterRegistry reg = new SimpleMeterRegistry();
        // a tap per model version, counting the predictions it sees
        java.util.Map<String, java.util.concurrent.atomic.AtomicLong> tapped = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        PredictionTap.Factory taps = (pipeline, spec) -> {
            asked.add(pipeline + ":" + spec.version);
            java.util.concurrent.atomic.AtomicLong n = tapped.computeIfAbsent(spec.version,
                    v -> new java.util.concurrent.atomic.AtomicLong());
            return (stream, time, sample, out, off) -> n.incrementAndGet();
        };
        try (KafkaTestKit.Running r = start(c, models, reg, taps)) {
            KafkaTestKit.produce(broker, part("kept-in", 0, PART));
            r.awaitHandled(STREAMS * PART, Duration.ofSeconds(60));
            assertEquals(Set.of("walk-lstm:7=1.0"), loaded(reg));
            assertEquals(0, counter(reg, "nowcast.model.files", "result", "swapped"), "the configured file is not swapped in");
            // the new version arrives while the second part flows
            Thread producer = produceInSteps("kept-in", PART, 2 * PART);
            r.awaitHandled(STREAMS * PART + 5 * STREAMS, Duration.ofSeconds(60));
            drop(TestModels.version(TestModels.lstm2x16(29), "8"), models, "walk-v8.safetensors");
            awaitCounter(r, reg, 1, "nowcast.model.files", "result", "swapped");
            producer.join();
            KafkaTestKit.produce(broker, part("kept-in", 2 * PART, LENGTH));
            Processor.Stats s = r.awaitHandled(STREAMS * LENGTH, Duration.ofSeconds(60));
            assertEquals(STREAMS * LENGTH, s.predictions());
            assertEquals(0, s.deadLettersTotal());
        }
        assertEquals(Set.of("walk-lstm:8=1.0"), loaded(reg), "the gauge names the version in use only");
        assertEquals(java.util.List.of("walk:7", "walk:8"), asked, "the swapped-in model gets its own tap");
        assertEquals(STREAMS * LENGTH, tapped.get("7").get() + tapped.get("8").get(), "every prediction tapped once");
        assertTrue(tapped.get("8").get() > 0, "the new version's predictions reach its tap");
        assertEquals(0, counter(reg, "nowcast.model.files", "result", "refused"));
        assertEquals(0, counter(reg, "nowcast.model.reset.streams"));
        checkOutput("kept-out", (Forecaster) ModelFiles.load(models.resolve("walk-v7.safetensors")),
                (Forecaster) ModelFiles.load(models.resolve("walk-v8.safetensors")), true, PART, 2 * PART);
    }

    @Test
    void aModelWithAnotherStateShapeResetsTheStreamsAndCountsThem() throws Exception {
        Path models = dir.resolve("reset-models");
        ProcessorConfig c = setUpPipeline("reset", models);
        MeterRegistry reg = new SimpleMeterRegistry();
        try (KafkaTestKit.Running r = start(c, models, reg)) {
            KafkaTestKit.produce(broker, part("reset-in", 0, PART));
            r.awaitHandled(STREAMS * PART, Duration.ofSeconds(60));
            Thread producer = produceInSteps("reset-in", PART, 2 * PART);
            r.awaitHandled(STREAMS * PART + 5 * STREAMS, Duration.ofSeconds(60));
            drop(TestModels.gru2x8(31), models, "walk-v8.safetensors");
            awaitCounter(r, reg, 1, "nowcast.model.files", "result", "swapped");
            producer.join();
            KafkaTestKit.produce(broker, part("reset-in", 2 * PART, LENGTH));
            Processor.Stats s = r.awaitHandled(STREAMS * LENGTH, Duration.ofSeconds(60));
            assertEquals(STREAMS * LENGTH, s.predictions());
            assertEquals(0, s.deadLettersTotal());
            assertEquals(STREAMS, s.streams(), "the reset streams are still held, with fresh states");
        }
        assertEquals(Set.of("walk-gru:1=1.0"), loaded(reg));
        assertEquals(STREAMS, counter(reg, "nowcast.model.reset.streams"), "every stream held at the swap was reset");
        checkOutput("reset-out", (Forecaster) ModelFiles.load(models.resolve("walk-v7.safetensors")),
                (Forecaster) ModelFiles.load(models.resolve("walk-v8.safetensors")), false, PART, 2 * PART);
    }

    @Test
    void damagedAndUnfitFilesAreRefusedAndTheOldModelGoesOn() throws Exception {
        Path models = dir.resolve("refused-models");
        ProcessorConfig c = setUpPipeline("refused", models);
        MeterRegistry reg = new SimpleMeterRegistry();
        try (KafkaTestKit.Running r = start(c, models, reg)) {
            KafkaTestKit.produce(broker, part("refused-in", 0, PART));
            r.awaitHandled(STREAMS * PART, Duration.ofSeconds(60));
            // a file cut short
            Path good = TestModels.save(TestModels.version(TestModels.lstm2x16(29), "8"), dir.resolve("refused-v8.bin"));
            byte[] bytes = Files.readAllBytes(good);
            dropBytes(java.util.Arrays.copyOf(bytes, bytes.length / 2), models, "walk-v8.safetensors");
            awaitCounter(r, reg, 1, "nowcast.model.files", "result", "refused");
            // a model of three inputs for samples of two
            Forecaster three = TestModels.lstm2x16(5);
            Forecaster wide = new Forecaster(three.spec(), new io.nowcast.nn.RecurrentNet(io.nowcast.nn.CellType.LSTM, 3, 16, 1,
                    2, io.nowcast.tensor.Gemms.create()));
            wide.spec().inputSize = 3;
            wide.spec().version = "9";
            wide.spec().inputFeatures = new ArrayList<>(List.of("x", "y", "z"));
            wide.spec().inputMean = new float[] {0, 0, 0};
            wide.spec().inputStd = new float[] {1, 1, 1};
            drop(wide, models, "walk-v9.safetensors");
            awaitCounter(r, reg, 2, "nowcast.model.files", "result", "refused");
            // the version in use again, under a new file name
            drop(TestModels.lstm2x16(13), models, "walk-v10.safetensors");
            awaitCounter(r, reg, 3, "nowcast.model.files", "result", "refused");
            KafkaTestKit.produce(broker, part("refused-in", PART, 2 * PART));
            r.awaitHandled(2 * STREAMS * PART, Duration.ofSeconds(60));
            assertEquals(Set.of("walk-lstm:7=1.0"), loaded(reg));
            assertEquals(0, counter(reg, "nowcast.model.files", "result", "swapped"));
            // then a good one
            drop(TestModels.version(TestModels.lstm2x16(29), "8"), models, "walk-v11.safetensors");
            awaitCounter(r, reg, 1, "nowcast.model.files", "result", "swapped");
            KafkaTestKit.produce(broker, part("refused-in", 2 * PART, LENGTH));
            Processor.Stats s = r.awaitHandled(STREAMS * LENGTH, Duration.ofSeconds(60));
            assertEquals(0, s.deadLettersTotal());
        }
        assertEquals(3, counter(reg, "nowcast.model.files", "result", "refused"));
        assertEquals(Set.of("walk-lstm:8=1.0"), loaded(reg));
        // the switch is exactly at the third part: everything before it was served by version 7
        checkOutput("refused-out", (Forecaster) ModelFiles.load(models.resolve("walk-v7.safetensors")),
                (Forecaster) ModelFiles.load(models.resolve("walk-v11.safetensors")), true, 2 * PART, 2 * PART);
    }

    @Test
    void aStartingProcessorServesTheFoldersNewestVersionFromItsFirstBatch() throws Exception {
        Path models = dir.resolve("start-models");
        ProcessorConfig c = setUpPipeline("start", models);
        // the configured file is version 7; a version 8 already waits in the folder
        drop(TestModels.version(TestModels.lstm2x16(29), "8"), models, "walk-v8.safetensors");
        KafkaTestKit.produce(broker, part("start-in", 0, LENGTH));
        MeterRegistry reg = new SimpleMeterRegistry();
        try (KafkaTestKit.Running r = start(c, models, reg)) {
            r.awaitHandled(STREAMS * LENGTH, Duration.ofSeconds(60));
        }
        assertEquals(1, counter(reg, "nowcast.model.files", "result", "swapped"));
        assertEquals(0, counter(reg, "nowcast.model.reset.streams"), "no stream was held yet");
        Forecaster v8 = (Forecaster) ModelFiles.load(models.resolve("walk-v8.safetensors"));
        checkOutput("start-out", v8, v8, true, 0, 0);
    }
}
