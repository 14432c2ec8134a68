package io.nowcast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelFiles;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Rng;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream path equals the offline path: 1,000 random walks of 2-D positions (5 to 30 samples
 * each) interleaved at random into a 4-partition topic, run through the processor with a small
 * LSTM, give for every stream exactly the predictions that stepping the stream alone from a fresh
 * state gives ({@code nowcast predict}'s loop), one per sample; for several interleavings and poll
 * sizes, down to polls of one record (one batched step of one row per sample, about 15 s here).
 */
class ProcessorEquivalenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STREAMS = 1000;
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;
    private static Path modelFile;
    private static List<List<float[]>> walks;
    /** Per stream, the predictions of stepping it alone. */
    private static List<float[][]> expected;

    @BeforeAll
    static void setUp() throws Exception {
        broker = EmbeddedBroker.startTemporary();
        modelFile = TestModels.save(TestModels.lstm2x16(20240611L), dir.resolve("walk.safetensors"));
        Rng rng = new Rng(99);
        walks = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            List<float[]> w = new ArrayList<>();
            float x = (float) (4 * rng.nextGaussian());
            float y = (float) (4 * rng.nextGaussian());
            for (int t = 0, n = 5 + rng.nextInt(26); t < n; t++) {
                x += (float) (0.5 * rng.nextGaussian());
                y += (float) (0.5 * rng.nextGaussian());
                w.add(new float[] {x, y});
            }
            walks.add(w);
        }
        // the offline path: a model loaded from the file, one stream at a time, N = 1
        Forecaster f = (Forecaster) ModelFiles.load(modelFile);
        expected = new ArrayList<>();
        float[] out = new float[f.outputWidth()];
        float[] scratch = new float[f.spec().inputSize + f.outputWidth() + f.net().hiddenSize];
        for (List<float[]> w : walks) {
            RecurrentState state = f.net().newState(1);
            float[][] y = new float[w.size()][];
            for (int t = 0; t < w.size(); t++) {
                f.step(w.get(t), state, out, scratch);
                y[t] = out.clone();
            }
            expected.add(y);
        }
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    /** The samples of every stream in order, streams interleaved at random (seeded). */
    private static List<ProducerRecord<byte[], byte[]>> interleave(String topic, long seed, int streams, int total) {
        Rng rng = new Rng(seed);
        int[] pos = new int[streams];
        // a random sequence in which stream s appears walks[s].size() times: uniform interleaving
        int[] order = new int[total];
        int k = 0;
        for (int s = 0; s < streams; s++) {
            for (int t = 0; t < walks.get(s).size(); t++) {
                order[k++] = s;
            }
        }
        for (int i = total - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(total);
        for (int s : order) {
            float[] v = walks.get(s).get(pos[s]);
            String json = "{\"time\":" + (T0 + 100L * pos[s]) + ",\"values\":[" + v[0] + "," + v[1] + "]}";
            out.add(new ProducerRecord<>(topic, ("walker-" + s).getBytes(StandardCharsets.UTF_8),
                    json.getBytes(StandardCharsets.UTF_8)));
            pos[s]++;
        }
        return out;
    }

    private void runAndCompare(String name, long seed, int pollRecords, int streams) throws Exception {
        int total = walks.subList(0, streams).stream().mapToInt(List::size).sum();
        String in = name + "-in";
        String out = name + "-out";
        String dead = name + "-dead";
        broker.createTopic(in, 4, Map.of());
        broker.createTopic(out, 4, Map.of());
        broker.createTopic(dead, 1, Map.of());
        KafkaTestKit.produce(broker, interleave(in, seed, streams, total));
        ProcessorConfig config = KafkaTestKit.config(dir,
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "pipelines", "walk",
                "dead.letter.topic", dead,
                "poll.max.records", Integer.toString(pollRecords),
                "pipeline.walk.input.topics", in,
                "pipeline.walk.output.topic", out,
                "pipeline.walk.model", "walk.safetensors");
        Processor.Stats stats;
        long t0 = System.nanoTime();
        try (KafkaTestKit.Running r = KafkaTestKit.start(config, Map.of("walk", (Forecaster) ModelFiles.load(modelFile)))) {
            stats = r.awaitHandled(total, Duration.ofSeconds(60));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s: %d samples of %d streams, poll.max.records %d: %.2f s from start to the last commit"
                        + " (%.0f samples/s), %d polls, %d batched steps, %.1f rows per step%n",
                name, total, streams, pollRecords, seconds, total / seconds, stats.polls(), stats.batchedSteps(),
                stats.rowsStepped() / (double) stats.batchedSteps());
        assertEquals(total, stats.records());
        assertEquals(total, stats.predictions());
        assertEquals(0, stats.deadLettersTotal(), stats.toString());
        assertEquals(0, KafkaTestKit.readAll(broker, dead).size());

        List<ConsumerRecord<byte[], byte[]>> predictions = KafkaTestKit.readAll(broker, out);
        assertEquals(total, predictions.size(), "exactly one prediction per sample");
        Set<String> seen = new HashSet<>();
        Map<Integer, Long> lastStep = new HashMap<>();
        double worst = 0;
        for (ConsumerRecord<byte[], byte[]> p : predictions) {
            String key = new String(p.key(), StandardCharsets.UTF_8);
            JsonNode n = JSON.readTree(p.value());
            assertEquals(key, n.get("stream").asText());
            int s = Integer.parseInt(key.substring("walker-".length()));
            long step = n.get("step").asLong();
            assertTrue(seen.add(key + "#" + step), "one prediction per sample: " + key + " step " + step);
            // per stream, in the order of its samples (one key, one partition)
            assertEquals(lastStep.getOrDefault(s, 0L) + 1, step, key);
            lastStep.put(s, step);
            assertEquals(T0 + 100L * (step - 1), n.get("time").asLong());
            assertEquals("walk-lstm", n.get("model").asText());
            assertEquals("7", n.get("model_version").asText());
            JsonNode row = n.get("predictions").get(0);
            float[] want = expected.get(s)[(int) step - 1];
            assertEquals(want.length, row.size());
            for (int j = 0; j < want.length; j++) {
                float got = Float.parseFloat(row.get(j).asText());
                worst = Math.max(worst, Math.abs(got - want[j]));
            }
        }
        assertEquals(streams, lastStep.size());
        for (int s = 0; s < streams; s++) {
            assertEquals(walks.get(s).size(), lastStep.get(s), "every sample of walker-" + s);
        }
        System.out.println(name + ": largest difference from the offline path " + worst);
        assertTrue(worst <= 1e-6, "largest difference " + worst);
    }

    @Test
    void oneBigPollPerPartitionMatchesTheOfflinePath() throws Exception {
        runAndCompare("eq-5000", 1, 5000, STREAMS);
    }

    @Test
    void pollsOf37RecordsInAnotherInterleavingMatchTheOfflinePath() throws Exception {
        runAndCompare("eq-37", 2, 37, STREAMS);
    }

    @Test
    void pollsOfOneRecordFor250StreamsMatchTheOfflinePath() throws Exception {
        runAndCompare("eq-1", 3, 1, STREAMS);
    }
}
