package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.broker.EmbeddedBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nowcast replay} through a broker outage longer than the producer's 15 s wait for
 * metadata: within --broker-patience it resumes and every sample is in the topic once, in order per
 * key; past it, it fails saying so. The broker is this class's own, as the tests stop it.
 */
class ReplayBrokerOutageTest {
    private static final int SAMPLES = 2000;
    private static final int STREAMS = 4;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.startTemporary();
    }

    @AfterAll
    static void closeBroker() {
        broker.close();
    }

    /** Starts a replay of SAMPLES samples at 200/s (about 10 s) and stops the broker two seconds in. */
    private static CompletableFuture<CliRun> replayIntoOutage(Path dir, String topic, String patience) throws Exception {
        StringBuilder csv = new StringBuilder("id,x\n");
        for (int k = 0; k < SAMPLES; k++) {
            csv.append('s').append(k % STREAMS).append(',').append(k).append('\n');
        }
        Path file = Files.writeString(dir.resolve("ramp.csv"), csv);
        broker.createTopic(topic, 3, Map.of());
        ReplayCommand cmd = new ReplayCommand();
        CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.command(cmd, "--topic", topic,
                "--bootstrap", broker.bootstrapServers(), "--input", file.toString(), "--stream-column", "id",
                "--rate", "200", "--broker-patience", patience));
        assertTrue(cmd.sending.await(30, TimeUnit.SECONDS), "replay started sending");
        Thread.sleep(2000);
        broker.stop();
        return run;
    }

    @Test
    void aReplayWaitsForTheBrokerAndWritesEverySampleOnceInOrder(@TempDir Path dir) throws Exception {
        CompletableFuture<CliRun> replay = replayIntoOutage(dir, "outage", "120");
        Thread.sleep(17_000);
        broker.start();
        CliRun run = replay.get(180, TimeUnit.SECONDS);
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("replayed " + SAMPLES + " records"), run.out());
        Map<String, List<Integer>> byKey = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readAll(broker, "outage")) {
            String json = Topics.text(r.value());
            int x = (int) Float.parseFloat(json.substring(json.indexOf("\"values\":[") + 10, json.indexOf(']')));
            byKey.computeIfAbsent(Topics.text(r.key()), k -> new ArrayList<>()).add(x);
        }
        for (int s = 0; s < STREAMS; s++) {
            List<Integer> expected = new ArrayList<>();
            for (int k = s; k < SAMPLES; k += STREAMS) {
                expected.add(k);
            }
            assertEquals(expected, byKey.get("s" + s), "stream s" + s + ": every sample once, in order");
        }
    }

    @Test
    void aPatienceShorterThanTheOutageFailsSayingWhatHappened(@TempDir Path dir) throws Exception {
        CliRun run;
        try {
            run = replayIntoOutage(dir, "outage-short", "5").get(60, TimeUnit.SECONDS);
        } finally {
            broker.start();
        }
        assertEquals(1, run.exit(), run.out() + run.err());
        assertTrue(run.err().matches("(?s).*writing to topic 'outage-short' stopped after \\d+ of \\d+ samples: the"
                + " broker " + broker.bootstrapServers().replace(".", "\\.") + " took no sample for \\d+ s"
                + " \\(--broker-patience 5\\).*"), run.err());
    }
}
