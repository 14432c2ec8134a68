package io.nowcast.stream;

import io.nowcast.stream.internal.StateChangelog;
import static io.nowcast.TestBytes.utf8;
import static io.nowcast.TestBytes.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectReason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Frame pipelines through a real broker: cameras' frames interleaved over partitions and polls
 * come out as each camera's frames run through the model alone (the previous output frame carried
 * per camera); every failing frame is dead-lettered with its reason and the frames around it are
 * processed; a gap restarts a camera from its own input; and with exactly-once a new instance
 * resumes every camera from the previous frame it restored from the changelog.
 */
class FrameProcessorTest {
    @TempDir
    static Path dir;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void setUp() throws Exception {
        broker = EmbeddedBroker.startTemporary();
        FrameTestModels.save(dir.resolve("cams.safetensors"));
    }

    @AfterAll
    static void tearDown() {
        if (broker != null) {
            broker.close();
        }
    }

    private static ProcessorConfig pipeline(String name, int partitions, String... extra) throws Exception {
        broker.createTopic(name + "-in", partitions, Map.of());
        broker.createTopic(name + "-out", partitions, Map.of());
        broker.createTopic(name + "-dead", 1, Map.of());
        List<String> kv = new ArrayList<>(List.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "application.id", name,
                "pipelines", "cams",
                "dead.letter.topic", name + "-dead",
                "pipeline.cams.input.topics", name + "-in",
                "pipeline.cams.output.topic", name + "-out",
                "pipeline.cams.model", "cams.safetensors"));
        kv.addAll(List.of(extra));
        return KafkaTestKit.config(dir, kv.toArray(String[]::new));
    }

    /** A frame with smooth structure and grain, as a raw u8 record value. */
    private static byte[] rawFrame(int w, int h, long time, long seed) {
        return FrameCodec.encodeRawU8(w, h, time, pixels(w, h, seed));
    }

    private static float[] pixels(int w, int h, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double fx = 1 + 3 * r.nextDouble();
        double ph = 6.28 * r.nextDouble();
        float[] px = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                px[y * w + x] = (float) (0.5 + 0.3 * Math.sin(fx * x / w * 6.28 + ph) * Math.cos(2.0 * y / h * 6.28)
                        + 0.1 * (r.nextDouble() - 0.5));
            }
        }
        return px;
    }

    private static Frame decode(ConsumerRecord<byte[], byte[]> r) throws Exception {
        return new FrameCodec(1 << 24, 1 << 22).decode(r.key(), r.value(), r.timestamp());
    }

    /** Output frames by camera, in offset order (a camera's outputs are on one partition). */
    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> byCamera(List<ConsumerRecord<byte[], byte[]>> out) {
        Map<String, List<ConsumerRecord<byte[], byte[]>>> m = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : out) {
            m.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>()).add(r);
        }
        return m;
    }

    @Test
    void interleavedCamerasGiveWhatEachCameraGivesAlone() throws Exception {
        // 5 cameras, 12 frames each, over 3 partitions, in polls of 7 records; camera 4 sends 20x12
        // frames and the others 16x16, and camera 3 sends PNGs (event time = the record timestamp)
        ProcessorConfig c = pipeline("inter", 3, "poll.max.records", "7");
        int cams = 5;
        int each = 12;
        List<ProducerRecord<byte[], byte[]>> in = new ArrayList<>();
        Map<String, List<Frame>> sent = new HashMap<>();
        FrameCodec codec = new FrameCodec(1 << 20, 1 << 20);
        for (int t = 0; t < each; t++) {
            for (int k = 0; k < cams; k++) {
                String cam = "cam-" + k;
                int w = k == 4 ? 20 : 16;
                int h = k == 4 ? 12 : 16;
                long time = 1_000_000L + 200L * t;
                byte[] v = k == 3 ? FrameCodec.encodePng(w, h, pixels(w, h, 100L * k + t)) : rawFrame(w, h, time, 100L * k + t);
                in.add(new ProducerRecord<>("inter-in", null, time, utf8(cam), v));
                sent.computeIfAbsent(cam, x -> new ArrayList<>()).add(codec.decode(utf8(cam), v, time));
            }
        }
        KafkaTestKit.produce(broker, in);
        Processor.Stats stats;
        try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("cams", FrameTestModels.model()))) {
            stats = r.awaitHandled(cams * each, Duration.ofSeconds(120));
        }
        assertEquals(cams * each, stats.predictions());
        assertEquals(0, stats.deadLettersTotal());
        Map<String, List<ConsumerRecord<byte[], byte[]>>> out = byCamera(KafkaTestKit.readAll(broker, "inter-out"));
        assertEquals(cams, out.size());
        for (Map.Entry<String, List<Frame>> e : sent.entrySet()) {
            List<byte[]> expected = FrameTestModels.alone(e.getValue());
            List<ConsumerRecord<byte[], byte[]>> got = out.get(e.getKey());
            assertEquals(each, got.size(), e.getKey());
            for (int t = 0; t < each; t++) {
                assertArrayEquals(expected.get(t), got.get(t).value(), e.getKey() + " frame " + t);
                assertEquals(Long.toString(t + 1), header(got.get(t), OutputHeaders.H_STEP));
                assertEquals(FrameTestModels.NAME, header(got.get(t), OutputHeaders.H_MODEL));
                assertEquals(e.getValue().get(t).eventTime(), decode(got.get(t)).eventTime(), "the input's event time");
            }
        }
        assertTrue(stats.rowsStepped() > stats.batchedSteps(), "frames of several cameras share model calls: " + stats);
    }

    @Test
    void everyFailingFrameIsDeadLetteredAndTheFramesAroundItAreProcessed() throws Exception {
        ProcessorConfig c = pipeline("dead", 1, "pipeline.cams.frame.size", "16x16", "pipeline.cams.frame.max.pixels",
                "400");
        byte[] key = utf8("cam-a");
        byte[] good1 = rawFrame(16, 16, 1000, 1);
        byte[] poison = rawFrame(16, 16, 1200, 2);
        poison[FrameCodec.HEADER_BYTES] = (byte) FrameTestModels.POISON; // the gate before the model throws on it
        byte[] good2 = rawFrame(16, 16, 2000, 3);
        Map<RejectReason, byte[]> bad = new LinkedHashMap<>();
        bad.put(RejectReason.UNDECODABLE, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        bad.put(RejectReason.OVERSIZED, rawFrame(24, 24, 1100, 4));
        bad.put(RejectReason.WRONG_DIMENSION, rawFrame(16, 12, 1300, 5));
        bad.put(RejectReason.OUT_OF_ORDER, rawFrame(16, 16, 500, 6));
        bad.put(RejectReason.MODEL_ERROR, poison);
        List<ProducerRecord<byte[], byte[]>> in = new ArrayList<>();
        in.add(new ProducerRecord<>("dead-in", key, good1));
        for (byte[] v : bad.values()) {
            in.add(new ProducerRecord<>("dead-in", key, v));
        }
        in.add(new ProducerRecord<>("dead-in", key, good2));
        KafkaTestKit.produce(broker, in);
        Processor.Stats stats;
        try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("cams", FrameTestModels.poisonable()))) {
            stats = r.awaitHandled(in.size(), Duration.ofSeconds(60));
        }
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestKit.readAll(broker, "dead-dead");
        assertEquals(bad.size(), dead.size());
        int i = 0;
        for (Map.Entry<RejectReason, byte[]> e : bad.entrySet()) {
            ConsumerRecord<byte[], byte[]> d = dead.get(i++);
            assertEquals(e.getKey().id, header(d, OutputHeaders.H_REASON), header(d, OutputHeaders.H_ERROR));
            assertArrayEquals(e.getValue(), d.value(), "the original bytes");
            assertEquals(Integer.toString(i), header(d, OutputHeaders.H_OFFSET));
            assertEquals(1L, stats.deadLetters().get(e.getKey()));
        }
        // the first good frame and the last: after the model error the camera restarts from its own input
        List<ConsumerRecord<byte[], byte[]>> out = KafkaTestKit.readAll(broker, "dead-out");
        assertEquals(2, out.size());
        FrameCodec codec = new FrameCodec(1 << 20, 1 << 20);
        Frame f1 = codec.decode(key, good1, 0);
        Frame f2 = codec.decode(key, good2, 0);
        assertArrayEquals(FrameTestModels.alone(List.of(f1)).get(0), out.get(0).value());
        assertArrayEquals(FrameTestModels.alone(List.of(f2)).get(0), out.get(1).value());
        assertEquals("1", header(out.get(1), OutputHeaders.H_STEP));
    }

    @Test
    void theStateIsCarriedAcrossAFrameOfAnotherCameraAndResetAfterAGap() throws Exception {
        ProcessorConfig c = pipeline("gap", 1, "pipeline.cams.gap.ms", "1000");
        FrameCodec codec = new FrameCodec(1 << 20, 1 << 20);
        long[] times = {0, 800, 1500, 4000, 4200};  // 4000 is 2500 ms after 1500: a gap
        List<ProducerRecord<byte[], byte[]>> in = new ArrayList<>();
        List<Frame> a = new ArrayList<>();
        for (int t = 0; t < times.length; t++) {
            byte[] v = rawFrame(12, 12, times[t], 50 + t);
            in.add(new ProducerRecord<>("gap-in", utf8("a"), v));
            a.add(codec.decode(utf8("a"), v, 0));
            in.add(new ProducerRecord<>("gap-in", utf8("b"), rawFrame(12, 12, 10L * t, 90 + t)));
        }
        KafkaTestKit.produce(broker, in);
        Processor.Stats stats;
        try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("cams", FrameTestModels.model()))) {
            stats = r.awaitHandled(in.size(), Duration.ofSeconds(60));
        }
        assertEquals(1, stats.gapResets());
        List<ConsumerRecord<byte[], byte[]>> out = byCamera(KafkaTestKit.readAll(broker, "gap-out")).get("a");
        List<byte[]> before = FrameTestModels.alone(a.subList(0, 3));
        List<byte[]> after = FrameTestModels.alone(a.subList(3, 5));
        for (int t = 0; t < 3; t++) {
            assertArrayEquals(before.get(t), out.get(t).value(), "frame " + t);
        }
        assertArrayEquals(after.get(0), out.get(3).value(), "after the gap: its own input as the previous frame");
        assertArrayEquals(after.get(1), out.get(4).value());
        assertEquals("1", header(out.get(3), OutputHeaders.H_STEP));
    }

    @Test
    void aNewInstanceResumesEveryCameraFromThePreviousFrameInTheChangelog() throws Exception {
        ProcessorConfig c = pipeline("resume", 2);
        int cams = 4;
        FrameCodec codec = new FrameCodec(1 << 20, 1 << 20);
        Map<String, List<Frame>> sent = new HashMap<>();
        List<List<ProducerRecord<byte[], byte[]>>> halves = List.of(new ArrayList<>(), new ArrayList<>());
        for (int t = 0; t < 10; t++) {
            for (int k = 0; k < cams; k++) {
                String cam = "cam-" + k;
                byte[] v = rawFrame(16, 16, 1000L * t, 7L * k + t);
                halves.get(t < 5 ? 0 : 1).add(new ProducerRecord<>("resume-in", utf8(cam), v));
                sent.computeIfAbsent(cam, x -> new ArrayList<>()).add(codec.decode(utf8(cam), v, 0));
            }
        }
        KafkaTestKit.produce(broker, halves.get(0));
        try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("cams", FrameTestModels.model()))) {
            r.awaitHandled(5 * cams, Duration.ofSeconds(60));
        }
        List<ConsumerRecord<byte[], byte[]>> log = KafkaTestKit.readAll(broker, "resume-cams-state");
        assertTrue(log.size() >= cams, "state records: " + log.size());
        StateChangelog.State s = StateChangelog.decode(log.get(log.size() - 1).value());
        assertEquals(16, s.frameWidth(), "the previous frame is in the state record");
        KafkaTestKit.produce(broker, halves.get(1));
        try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("cams", FrameTestModels.model()))) {
            r.awaitHandled(5 * cams, Duration.ofSeconds(60));
        }
        Map<String, List<ConsumerRecord<byte[], byte[]>>> out = byCamera(KafkaTestKit.readAll(broker, "resume-out"));
        for (Map.Entry<String, List<Frame>> e : sent.entrySet()) {
            List<byte[]> expected = FrameTestModels.alone(e.getValue());
            assertFalse(Arrays.equals(expected.get(5), FrameTestModels.alone(e.getValue().subList(5, 10)).get(0)),
                    "the previous frame changes the output: a state not restored would show");
            List<ConsumerRecord<byte[], byte[]>> got = out.get(e.getKey());
            assertEquals(10, got.size(), "one output per frame, none twice: " + e.getKey());
            for (int t = 0; t < 10; t++) {
                assertArrayEquals(expected.get(t), got.get(t).value(), e.getKey() + " frame " + t
                        + (t == 5 ? " (the first after the restart)" : ""));
                assertEquals(Long.toString(t + 1), header(got.get(t), OutputHeaders.H_STEP));
            }
        }
    }

    @Test
    void withAtLeastOnceARestartedInstanceStartsEveryCameraFromItsOwnInput() throws Exception {
        // states live in memory only: the first frame after the restart is processed as a first frame
        ProcessorConfig c = pipeline("alo", 1, "processing.guarantee", "at_least_once");
        FrameCodec codec = new FrameCodec(1 << 20, 1 << 20);
        List<Frame> sent = new ArrayList<>();
        List<List<ProducerRecord<byte[], byte[]>>> halves = List.of(new ArrayList<>(), new ArrayList<>());
        for (int t = 0; t < 6; t++) {
            byte[] v = rawFrame(16, 16, 1000L * t, 300 + t);
            halves.get(t < 3 ? 0 : 1).add(new ProducerRecord<>("alo-in", utf8("cam"), v));
            sent.add(codec.decode(utf8("cam"), v, 0));
        }
        for (List<ProducerRecord<byte[], byte[]>> half : halves) {
            KafkaTestKit.produce(broker, half);
            try (KafkaTestKit.Running r = KafkaTestKit.start(c, Map.of("cams", FrameTestModels.model()))) {
                r.awaitHandled(3, Duration.ofSeconds(60));
            }
        }
        List<ConsumerRecord<byte[], byte[]>> out = KafkaTestKit.readAll(broker, "alo-out");
        assertEquals(6, out.size());
        List<byte[]> first = FrameTestModels.alone(sent.subList(0, 3));
        List<byte[]> second = FrameTestModels.alone(sent.subList(3, 6));
        assertFalse(Arrays.equals(second.get(0), FrameTestModels.alone(sent).get(3)), "a restored state would show");
        for (int t = 0; t < 3; t++) {
            assertArrayEquals(first.get(t), out.get(t).value(), "frame " + t);
            assertArrayEquals(second.get(t), out.get(3 + t).value(), "frame " + (3 + t) + ": restarted from its own input");
        }
        assertEquals("1", header(out.get(3), OutputHeaders.H_STEP));
    }
}
