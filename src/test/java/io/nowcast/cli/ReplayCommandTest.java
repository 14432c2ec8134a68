package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.run.replay.ReplaySource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nowcast replay} into a real broker, read back: counts, keys, order per stream and the JSON
 * of every sample. The pacing is not timed here (TokenBucketTest checks its arithmetic).
 */
class ReplayCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.startTemporary();
    }

    @AfterAll
    static void closeBroker() {
        broker.close();
    }

    /** A sample read back: key, stream, time, values. */
    record Read(String key, String stream, long time, List<Float> values, String json) {
    }

    static List<Read> readBack(String topic) throws Exception {
        List<Read> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readAll(broker, topic)) {
            String json = Topics.text(r.value());
            JsonNode n = JSON.readTree(json);
            assertEquals(3, n.size(), "stream, time, values and nothing else: " + json);
            List<Float> v = new ArrayList<>();
            n.get("values").forEach(x -> v.add(x.floatValue()));
            out.add(new Read(Topics.text(r.key()), n.get("stream").asText(), n.get("time").asLong(), v, json));
        }
        return out;
    }

    private static Map<String, List<Read>> byStream(List<Read> reads) {
        Map<String, List<Read>> m = new LinkedHashMap<>();
        reads.forEach(r -> m.computeIfAbsent(r.stream, k -> new ArrayList<>()).add(r));
        return m;
    }

    private CliRun replay(String... args) {
        List<String> a = new ArrayList<>(List.of("replay", "--bootstrap", broker.bootstrapServers()));
        a.addAll(List.of(args));
        return CliRun.main(a.toArray(String[]::new));
    }

    @Test
    void csvWithStreamAndTimeColumnsKeepsEachStreamsOrder(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("tracks.csv");
        Files.writeString(csv, "id,t,x,y,note\n"
                + "a,1000,1.5,2,first\n"
                + "b,1000,-1,0.25,x\n"
                + "a,1100,1.75,2.5,y\n"
                + "c,900,3,3,z\n"
                + "b,1200,-2,0.5,w\n"
                + "a,1300,1e-3,-0,v\n");
        broker.createTopic("csv-streams", 3, Map.of());
        CliRun run = replay("--topic", "csv-streams", "--input", csv.toString(), "--stream-column", "id",
                "--time-column", "t", "--columns", "y,x");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("replayed 6 records to topic 'csv-streams'"), run.out());
        assertTrue(run.out().contains("6 samples of 3 streams, values [y, x]"), run.out());

        List<Read> reads = readBack("csv-streams");
        assertEquals(6, reads.size());
        reads.forEach(r -> assertEquals(r.stream, r.key, "the key is the stream id"));
        Map<String, List<Read>> s = byStream(reads);
        assertEquals(new TreeSet<>(List.of("a", "b", "c")), new TreeSet<>(s.keySet()));
        assertEquals(List.of(1000L, 1100L, 1300L), s.get("a").stream().map(Read::time).toList(), "a in file order");
        assertEquals(List.of(List.of(2f, 1.5f), List.of(2.5f, 1.75f), List.of(-0f, 1e-3f)),
                s.get("a").stream().map(Read::values).toList(), "values in --columns order");
        assertEquals(List.of(1000L, 1200L), s.get("b").stream().map(Read::time).toList());
        assertEquals(List.of(List.of(0.25f, -1f), List.of(0.5f, -2f)), s.get("b").stream().map(Read::values).toList());
        assertEquals("{\"stream\":\"c\",\"time\":900,\"values\":[3.0,3.0]}", s.get("c").get(0).json);
    }

    @Test
    void aCsvOfOneStreamIsNamedAfterTheFileWithTimesMadeUp(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("sensor-7.csv");
        Files.writeString(csv, "date,temp,hum\n2016-07-01 00:00:00,21.5,40\n2016-07-01 01:00:00,21.25,41\n"
                + "2016-07-01 02:00:00,20.75,43\n");
        broker.createTopic("csv-one", 2, Map.of());
        CliRun run = replay("--topic", "csv-one", "--input", csv.toString(), "--start-ms", "5000", "--step-ms", "250",
                "--stream-prefix", "site1/");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("not numeric, not sent: [date]"), run.out());
        List<Read> reads = readBack("csv-one");
        assertEquals(3, reads.size());
        reads.forEach(r -> assertEquals("site1/sensor-7", r.key));
        assertEquals(List.of(5000L, 5250L, 5500L), reads.stream().map(Read::time).toList());
        assertEquals(List.of(List.of(21.5f, 40f), List.of(21.25f, 41f), List.of(20.75f, 43f)),
                reads.stream().map(Read::values).toList());
    }

    @Test
    void aTimeColumnOfDatesIsReadAsUtc(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("dated.csv");
        Files.writeString(csv, "date,OT\n2016-07-01 00:00:00,30.5\n2016-07-01T01:00:00Z,27.75\n"
                + "2016-07-01T04:00:00+02:00,1\n");
        broker.createTopic("csv-dates", 1, Map.of());
        CliRun run = replay("--topic", "csv-dates", "--input", csv.toString(), "--time-column", "date");
        assertEquals(0, run.exit(), run.err());
        assertEquals(List.of(1467331200000L, 1467334800000L, 1467338400000L),
                readBack("csv-dates").stream().map(Read::time).toList());
        assertEquals(1700000000123L, ReplaySource.parseTime("1700000000123", "t"));
        assertEquals(1700000000000L, ReplaySource.parseTime("1.7e12", "t"));
    }

    @Test
    void aTrajectoryIsSentFrameByFrameWithPedestriansInterleaved(@TempDir Path dir) throws Exception {
        Path txt = dir.resolve("scene.txt");
        Files.writeString(txt, "780\t1.0\t8.46\t3.59\n"
                + "790\t1.0\t9.57\t3.79\n"
                + "800\t1.0\t10.67\t3.99\n"
                + "800\t2.0\t13.64\t5.8\n"
                + "790\t3.0\t0.5\t0.5\n"
                + "830\t2.0\t12.5\t5.5\n");
        broker.createTopic("traj-one", 1, Map.of());
        CliRun run = replay("--topic", "traj-one", "--input", txt.toString(), "--start-ms", "1000",
                "--stream-prefix", "eth-");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("6 samples of 3 pedestrians"), run.out());
        List<Read> reads = readBack("traj-one");
        // one partition: the topic holds the exact sending order
        assertEquals(List.of("eth-1", "eth-1", "eth-3", "eth-1", "eth-2", "eth-2"), reads.stream().map(Read::key).toList());
        assertEquals(List.of(1000L, 1400L, 1400L, 1800L, 1800L, 3000L), reads.stream().map(Read::time).toList(),
                "one frame step = 400 ms, the gap of 830 kept");
        assertEquals(List.of(0.5f, 0.5f), reads.get(2).values);
        assertEquals("{\"stream\":\"eth-2\",\"time\":3000,\"values\":[12.5,5.5]}", reads.get(5).json);
    }

    @Test
    void aLoopGoesOnWithLaterTimesUntilTheLimit(@TempDir Path dir) throws Exception {
        Path txt = dir.resolve("walk.txt");
        Files.writeString(txt, "0\t7\t0\t0\n10\t7\t1\t0\n20\t7\t2\t0\n");
        broker.createTopic("traj-loop", 2, Map.of());
        CliRun run = replay("--topic", "traj-loop", "--input", txt.toString(), "--start-ms", "0", "--loop",
                "--limit", "7", "--rate", "2000");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("replayed 7 records"), run.out());
        assertTrue(run.out().contains("asked 2000.0/s"), run.out());
        List<Read> reads = readBack("traj-loop");
        assertEquals(List.of(0L, 400L, 800L, 1200L, 1600L, 2000L, 2400L), reads.stream().map(Read::time).toList());
        assertEquals(List.of(0f, 1f, 2f, 0f, 1f, 2f, 0f), reads.stream().map(r -> r.values.get(0)).toList());
        reads.forEach(r -> assertEquals("7", r.key));
    }

    @Test
    void stoppingALoopAsCtrlCWouldFlushesAndReportsWhatWasSent(@TempDir Path dir) throws Exception {
        Path txt = dir.resolve("walk.txt");
        Files.writeString(txt, "0\t1\t0\t0\n0\t2\t5\t5\n10\t1\t1\t0\n10\t2\t6\t5\n");
        broker.createTopic("traj-stop", 1, Map.of());
        ReplayCommand cmd = new ReplayCommand();
        CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.command(cmd, "--topic", "traj-stop",
                "--bootstrap", broker.bootstrapServers(), "--input", txt.toString(), "--loop", "--rate", "400"));
        assertTrue(cmd.sending.await(30, TimeUnit.SECONDS), "replay started sending");
        Thread.sleep(200);
        cmd.requestStop();
        CliRun done = run.get(30, TimeUnit.SECONDS);
        assertEquals(0, done.exit(), done.err());
        Matcher m = Pattern.compile("replayed (\\d+) records").matcher(done.out());
        assertTrue(m.find(), done.out());
        long reported = Long.parseLong(m.group(1));
        assertTrue(reported > 0, done.out());
        List<Read> reads = readBack("traj-stop");
        assertEquals(reported, reads.size(), "every sample counted was written");
        for (List<Read> stream : byStream(reads).values()) {
            for (int i = 1; i < stream.size(); i++) {
                assertTrue(stream.get(i).time > stream.get(i - 1).time, "times increase across passes: " + stream);
            }
        }
    }

    @Test
    void createTopicMakesAMissingTopic(@TempDir Path dir) throws Exception {
        Path txt = dir.resolve("walk.txt");
        Files.writeString(txt, "0\t1\t0\t0\n0\t2\t5\t5\n10\t1\t1\t0\n");
        CliRun run = replay("--topic", "made-by-replay", "--input", txt.toString(), "--create-topic", "3");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("created topic 'made-by-replay' with 3 partitions"), run.out());
        assertEquals(3, readBack("made-by-replay").size());
        run = replay("--topic", "made-by-replay", "--input", txt.toString(), "--create-topic", "3");
        assertEquals(0, run.exit(), run.err());
        assertFalse(run.out().contains("created topic"), "an existing topic is used as it is: " + run.out());
        assertEquals(6, readBack("made-by-replay").size());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            assertEquals(3, admin.describeTopics(List.of("made-by-replay")).allTopicNames().get(20, TimeUnit.SECONDS)
                    .get("made-by-replay").partitions().size());
        }
    }

    @Test
    void refusalsSayWhatIsWrong(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("a.csv");
        Files.writeString(csv, "x,y\n1,2\n");
        Path txt = dir.resolve("a.txt");
        Files.writeString(txt, "0\t1\t0\t0\n");
        Files.createDirectories(dir.resolve("frames"));
        Files.writeString(dir.resolve("a.dat"), "x\n1\n");

        assertRefused(replay("--topic", "t", "--input", dir.resolve("frames").toString()), "no images");
        assertRefused(replay("--topic", "no-such-topic", "--input", csv.toString()), "topic 'no-such-topic' does not exist");
        assertRefused(replay("--topic", "t", "--input", csv.toString(), "--columns", "x,zz"), "column 'zz' not found");
        assertRefused(replay("--topic", "t", "--input", txt.toString(), "--columns", "x"), "--columns is for csv input");
        assertRefused(replay("--topic", "t", "--input", dir.resolve("a.dat").toString()), "give --format");
        assertRefused(replay("--topic", "t", "--input", csv.toString(), "--stream-prefix", "p".repeat(256)),
                "1 to 256 characters");
        assertRefused(replay("--topic", "t", "--input", csv.toString(), "--rate", "-1"), "--rate");
        assertRefused(replay("--topic", "t", "--input", csv.toString(), "--broker-patience", "-1"),
                "--broker-patience must be >= 0 seconds");
        assertRefused(replay("--topic", "t", "--input", dir.resolve("none.csv").toString()), "no such file");
        CliRun help = CliRun.main("replay", "--help");
        assertEquals(0, help.exit());
        String helpText = help.out().replaceAll("\\s+", " ");
        assertTrue(helpText.contains("images: a folder of PNG, BMP, GIF or JPEG files"), help.out());
    }

    @Test
    void imageFolderIsOneCameraOfRawFramesInNameOrder(@TempDir Path dir) throws Exception {
        Path cam = Files.createDirectories(dir.resolve("cam-7"));
        for (int k = 0; k < 3; k++) {
            float[] px = new float[6 * 4];
            java.util.Arrays.fill(px, k / 4f);
            Files.write(cam.resolve("f" + k + ".png"), io.nowcast.codec.FrameCodec.encodePng(6, 4, px));
        }
        Files.writeString(cam.resolve("notes.txt"), "not an image");
        broker.createTopic("frames", 1, Map.of());
        CliRun run = replay("--topic", "frames", "--input", cam.toString(), "--start-ms", "5000");
        assertEquals(0, run.exit(), run.err());
        List<ConsumerRecord<byte[], byte[]>> got = Topics.readAll(broker, "frames");
        assertEquals(3, got.size());
        io.nowcast.codec.FrameCodec codec = new io.nowcast.codec.FrameCodec(1 << 20, 1 << 20);
        for (int k = 0; k < 3; k++) {
            io.nowcast.codec.Frame f = codec.decode(got.get(k).key(), got.get(k).value(), 0);
            assertEquals("cam-7", f.stream());
            assertEquals(5000 + 100L * k, f.eventTime());
            assertEquals(6, f.width());
            assertEquals(4, f.height());
            assertEquals(k / 4f, f.pixels()[0], 1 / 255f);
        }
    }

    private static void assertRefused(CliRun run, String message) {
        assertEquals(1, run.exit(), run.out() + run.err());
        assertTrue(run.err().contains(message), "expected '" + message + "' in: " + run.err());
    }

    @Test
    void theEthSceneGoesInWhole() throws Exception {
        Path eth = Path.of("..", "shared", "data", "eth-ucy", "test", "eth", "biwi_eth.txt");
        Assumptions.assumeTrue(Files.isRegularFile(eth), "the ETH/UCY data is not at " + eth.toAbsolutePath());
        long lines = Files.readAllLines(eth).stream().filter(l -> !l.isBlank()).count();
        long peds = Files.readAllLines(eth).stream().filter(l -> !l.isBlank()).map(l -> l.split("\t")[1]).distinct().count();
        broker.createTopic("eth", 4, Map.of());
        CliRun run = replay("--topic", "eth", "--input", eth.toString(), "--start-ms", "0");
        assertEquals(0, run.exit(), run.err());
        List<Read> reads = readBack("eth");
        assertEquals(lines, reads.size());
        Map<String, List<Read>> s = byStream(reads);
        assertEquals(peds, s.size());
        for (List<Read> track : s.values()) {
            for (int i = 1; i < track.size(); i++) {
                long dt = track.get(i).time - track.get(i - 1).time;
                assertTrue(dt > 0 && dt % 400 == 0, "steps of 400 ms in order: " + track.get(i).json);
            }
        }
    }
}
