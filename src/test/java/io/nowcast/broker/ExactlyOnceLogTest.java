package io.nowcast.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nowcast.cli.Main;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A normal exactly-once run logs no ERROR: an embedded broker and {@code nowcast run} (an
 * exactly_once pass-through pipeline) in a JVM of their own, with the logging of
 * {@code simplelogger.properties}, fed samples at a steady rate for a few seconds; every sample
 * must come back once as a committed prediction, no transaction may be aborted, and the JVM's
 * output must have no ERROR line, from the processor, the clients or the broker.
 *
 * <p>The broker is started with {@code add.partitions.to.txn.retry.backoff.max.ms=0}: it hands a
 * CONCURRENT_TRANSACTIONS of its transaction coordinator back to the producer at once instead of
 * retrying it for up to 100 ms itself. So the producer gets it whenever the first produce of a
 * transaction arrives while the previous transaction's markers are still being written (with the
 * default, only when they take over 100 ms, as on a loaded machine), and
 * {@code producer.batch.size=512} puts several produce requests of a partition in flight at that
 * moment. That is the race behind the broker's {@code OutOfOrderSequenceException ... Expected
 * sequence 0 for transactions v2 idempotent producer with no existing state} ERROR
 * (docs/operations.md), which the producer retries and which {@code simplelogger.properties}
 * therefore keeps out of the log. The test also requires the producer's retries of such refused
 * requests in the log, so it cannot pass on a run that missed the race.
 */
class ExactlyOnceLogTest {
    private static final Pattern ERROR = Pattern.compile("\\[ERROR]| ERROR ");
    private static final Pattern COUNTS = Pattern.compile("sent (\\d+), read (\\d+)");

    @TempDir
    Path dir;

    @Test
    void anExactlyOnceRunLogsNoError() throws Exception {
        Path log = dir.resolve("flow.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Flow.class.getName(), dir.toString(), "8");
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        boolean ended = p.waitFor(180, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(ended, "the run did not end in 180 s:\n" + tail(out));
        assertEquals(0, p.exitValue(), tail(out));
        Matcher m = COUNTS.matcher(out);
        assertTrue(m.find(), "no counts in:\n" + tail(out));
        assertTrue(Long.parseLong(m.group(1)) > 1000, m.group());
        assertEquals(m.group(1), m.group(2), "every sample comes back once as a committed prediction");
        assertFalse(out.contains("rewinding to the last committed"), "a transaction was aborted:\n" + tail(out));
        List<String> errors = out.lines().filter(l -> ERROR.matcher(l).find()).toList();
        assertTrue(errors.isEmpty(), errors.size() + " ERROR lines, the first:\n"
                + String.join("\n", errors.subList(0, Math.min(8, errors.size()))));
        // and the race was run into (the producer retried requests the broker refused as out of order):
        // it depends on the machine's timing, and a run that did not meet it has tested nothing about
        // the silenced logger, so it is skipped rather than passed or failed
        assumeTrue(out.contains("Error: OUT_OF_ORDER_SEQUENCE_NUMBER"),
                "no OUT_OF_ORDER_SEQUENCE_NUMBER retry of the producer, the run did not test the race:\n" + tail(out));
    }

    private static String tail(String s) {
        return s.length() <= 6000 ? s : "..." + s.substring(s.length() - 6000);
    }

    /**
     * The run, in its own JVM: {@code Flow DIR SECONDS} starts a broker and {@code nowcast run},
     * feeds samples for SECONDS, waits until every prediction is committed, prints
     * {@code sent N, read M} and exits (the processor stops through its shutdown hook).
     */
    public static final class Flow {
        private static final int STREAMS = 100;
        private static final int RATE = 3000;

        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            int seconds = Integer.parseInt(args[1]);
            EmbeddedBroker b = EmbeddedBroker.builder().property("add.partitions.to.txn.retry.backoff.max.ms", "0")
                    .start();
            b.createTopic("eos-in", 4, Map.of());
            b.createTopic("eos-out", 4, Map.of());
            b.createTopic("eos-dead", 1, Map.of());
            Path config = dir.resolve("eos.properties");
            Files.writeString(config, String.join("\n",
                    "bootstrap.servers=" + b.bootstrapServers(),
                    "application.id=eos",
                    "processing.guarantee=exactly_once",
                    "commit.interval.ms=20",
                    "http.port=0",
                    "pipelines=p",
                    "dead.letter.topic=eos-dead",
                    "pipeline.p.input.topics=eos-in",
                    "pipeline.p.output.topic=eos-out",
                    "pipeline.p.model=pass-through",
                    "pipeline.p.input.size=2",
                    "producer.batch.size=512",
                    ""), StandardCharsets.UTF_8);
            Thread run = new Thread(() -> {
                int rc = Main.run("run", "--config", config.toString(), "--stats-every", "0");
                if (rc != 0) {
                    System.out.println("nowcast run ended with " + rc);
                    System.exit(rc);
                }
            }, "nowcast-run");
            run.setDaemon(true);
            run.start();

            Map<String, Object> cc = Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers(),
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.GROUP_ID_CONFIG, "eos-reader");
            long sent = (long) RATE * seconds;
            long read = 0;
            try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(cc, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
                 KafkaProducer<byte[], byte[]> feed = new KafkaProducer<>(Map.of(
                         ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers(),
                         ProducerConfig.LINGER_MS_CONFIG, 0), new ByteArraySerializer(), new ByteArraySerializer())) {
                reader.subscribe(List.of("eos-out"));
                long t0 = System.nanoTime();
                for (long i = 0; i < sent; i++) {
                    long wait = t0 + i * 1_000_000_000L / RATE - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    int s = (int) (i % STREAMS);
                    String json = "{\"time\":" + (1_700_000_000_000L + i) + ",\"values\":[" + (s * 0.5) + ","
                            + (i * 0.001) + "]}";
                    feed.send(new ProducerRecord<>("eos-in", ("s-" + s).getBytes(StandardCharsets.UTF_8),
                            json.getBytes(StandardCharsets.UTF_8)));
                    if (i % 200 == 0) {
                        read += reader.poll(Duration.ZERO).count();
                    }
                }
                feed.flush();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (read < sent && System.nanoTime() < deadline) {
                    ConsumerRecords<byte[], byte[]> rs = reader.poll(Duration.ofMillis(100));
                    read += rs.count();
                }
                // anything more would be a duplicate
                read += reader.poll(Duration.ofMillis(500)).count();
            }
            System.out.println("sent " + sent + ", read " + read);
            System.out.flush();
            System.exit(0);
        }
    }
}
