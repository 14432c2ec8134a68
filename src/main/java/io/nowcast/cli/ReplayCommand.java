package io.nowcast.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import io.nowcast.run.replay.ReplayInput;
import io.nowcast.run.replay.ReplaySource;
import io.nowcast.run.replay.ReplayWriter;
import io.nowcast.run.replay.TokenBucket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write the samples of a CSV or ETH/UCY trajectory file into a Kafka topic at a steady rate, as"
                        + " JSON samples (schemas/sample.schema.json) keyed by stream id, then print how many went in"
                        + " how long.",
                "",
                "csv: one row per sample; the values are the --columns (default: every numeric column but the stream"
                        + " and time columns); the stream id is the --stream-column, or the file's name without its"
                        + " extension for a file of one stream; the event time is the --time-column, or else the k-th"
                        + " row of each stream is at --start-ms + k * --step-ms.",
                "trajectory: 'frame_id ped_id x y' per line (tab-separated); the stream is the pedestrian id, the"
                        + " values are x, y; frames are sent in order, so pedestrians interleave as in the recording;"
                        + " one frame step (10 frame ids in the published files) is --step-ms, 400 ms by default.",
                "",
                "images: a folder of PNG, BMP, GIF or JPEG files, sent in file-name order as one camera (the stream"
                        + " is the folder's name) of raw grey frames (schemas/frame.md), --step-ms apart (100 ms by default).",
                "",
                "The record timestamp is the time of sending (the event time is in the message), so that the"
                        + " topic's retention does not delete old recordings at once. The topic must exist, or be made"
                        + " with --create-topic."})
final class ReplayCommand implements Callable<Integer> {
    @Option(names = "--topic", required = true, description = "topic to write to (it must exist)")
    String topic;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers")
    String bootstrap;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "CSV or trajectory file")
    Path input;

    @Option(names = "--format", paramLabel = "csv|trajectory|images",
            description = "input format (default: csv for a .csv file, trajectory for .txt and .tsv, images for a folder)")
    ReplayInput.Format format;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "N",
            description = "samples per second, on average; 0 sends as fast as possible (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--stream-column", paramLabel = "C", description = "csv: column holding the stream id")
    String streamColumn;

    @Option(names = "--time-column", paramLabel = "C",
            description = "csv: column holding the event time: integer milliseconds since the epoch, or an ISO-8601"
                    + " date-time (UTC when it has no offset)")
    String timeColumn;

    @Option(names = "--columns", split = ",", paramLabel = "a,b", description = "csv: the value columns, in order")
    List<String> columns;

    @Option(names = "--stream-prefix", defaultValue = "", paramLabel = "P",
            description = "put before every stream id, to replay several files into one topic (default: none)")
    String streamPrefix;

    @Option(names = "--start-ms", paramLabel = "MS",
            description = "event time of the first step when the times are made up (default: the time of starting)")
    Long startMs;

    @Option(names = "--step-ms", paramLabel = "MS",
            description = "event time between steps when they are made up (default: 100 for csv, 400 for trajectory)")
    Long stepMs;

    @Option(names = "--create-topic", defaultValue = "0", paramLabel = "PARTITIONS",
            description = "create the topic with this many partitions (and the cluster's default replication) if it"
                    + " does not exist; 0 refuses a missing topic (default: ${DEFAULT-VALUE})")
    int createPartitions;

    @Option(names = "--loop", description = "start again at the end, until Ctrl-C or --limit; event times go on"
            + " increasing from pass to pass, the stream ids stay the same")
    boolean loop;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N",
            description = "stop after N samples; 0 for no limit (default: ${DEFAULT-VALUE})")
    long limit;

    @Option(names = "--broker-patience", defaultValue = "120", paramLabel = "SECONDS",
            description = "how long to wait for a broker that has gone away (stopped, restarted, unreachable) before"
                    + " failing: the samples are held and retried, and written once each and in order when it is back;"
                    + " 0 fails at the first failed send (default: ${DEFAULT-VALUE})")
    long brokerPatience;

    @Spec
    CommandSpec spec;

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);
    /** Counted down once the first sample has been handed to the producer (for tests). */
    final CountDownLatch sending = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        try {
            return replay();
        } finally {
            finished.countDown();
        }
    }

    private int replay() throws Exception {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("--rate must be a number >= 0, got " + rate);
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
        }
        if (brokerPatience < 0) {
            throw new IllegalArgumentException("--broker-patience must be >= 0 seconds, got " + brokerPatience);
        }
        if (createPartitions < 0) {
            throw new IllegalArgumentException("--create-topic must be >= 0 partitions, got " + createPartitions);
        }
        if (stepMs != null && stepMs <= 0) {
            throw new IllegalArgumentException("--step-ms must be > 0, got " + stepMs);
        }
        if (startMs != null && startMs < 0) {
            throw new IllegalArgumentException("--start-ms must be >= 0 (milliseconds since the epoch), got " + startMs);
        }
        ReplaySource src = ReplaySource.load(new ReplayInput(input, format, streamColumn, timeColumn, columns,
                streamPrefix, startMs, stepMs));
        PrintWriter out = spec.commandLine().getOut();
        out.println("input: " + src.description());
        out.flush();
        checkTopic(out);

        Thread hook = new Thread(() -> {
            stopRequested = true;
            try {
                finished.await(10, TimeUnit.SECONDS); // let the loop flush and print its summary
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "nowcast-replay-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        long t0;
        long t1;
        long written;
        long twice;
        // paced: each sample leaves at once; as fast as possible: let batches fill for a few ms
        try (ReplayWriter writer = new ReplayWriter(bootstrap, topic, rate > 0 ? 0 : 5,
                Duration.ofSeconds(brokerPatience), seq -> {
                    int i = (int) (seq % src.size());
                    return new ProducerRecord<>(topic, src.streams()[i], src.value(i, seq / src.size() * src.passShift()));
                }, out)) {
            writer.connect();
            // the summary's time runs from the first send to the last acknowledgement
            t0 = System.nanoTime();
            TokenBucket bucket = rate > 0 ? TokenBucket.forRate(rate) : null;
            while ((loop || writer.sent() < src.size()) && !stopRequested && (limit == 0 || writer.sent() < limit)) {
                if (bucket != null) {
                    try {
                        bucket.acquire();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                writer.sendNext();
                sending.countDown();
            }
            writer.finish();
            t1 = System.nanoTime();
            written = writer.written();
            twice = writer.sentTwice();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for this method to end
            }
        }
        double seconds = (t1 - t0) / 1e9;
        out.println(String.format(Locale.ROOT, "replayed %d records to topic '%s' in %.3f s (%.1f records/s)%s%s",
                written, topic, seconds, written / Math.max(seconds, 1e-9),
                rate > 0 ? String.format(Locale.ROOT, ", asked %.1f/s", rate) : "",
                twice > 0 ? "; " + twice + " of them written twice after the broker lost one before them" : ""));
        out.flush();
        return 0;
    }

    /** Stops the replay as Ctrl-C would: what was sent is flushed and the summary printed (for tests). */
    void requestStop() {
        stopRequested = true;
    }

    /** Refuses a missing topic, or creates it with --create-topic and waits until every partition has a leader. */
    private void checkTopic(PrintWriter out) throws InterruptedException {
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000))) {
            boolean created = false;
            while (true) {
                try {
                    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
                            .get(ADMIN_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS).get(topic);
                    if (d != null && !d.partitions().isEmpty()
                            && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                        if (created) {
                            int n = d.partitions().size();
                            out.println("created topic '" + topic + "' with " + n + (n == 1 ? " partition" : " partitions"));
                        }
                        return;
                    }
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw new IllegalArgumentException("cannot describe topic '" + topic + "' on " + bootstrap
                                + ": " + e.getCause().getMessage(), e.getCause());
                    }
                    if (createPartitions == 0) {
                        throw new IllegalArgumentException("topic '" + topic + "' does not exist on " + bootstrap
                                + "; create it first, or give --create-topic PARTITIONS");
                    }
                    if (!created) {
                        create(admin);
                        created = true;
                        continue;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalArgumentException("topic '" + topic + "' has no leader for every partition after "
                            + ADMIN_TIMEOUT.toSeconds() + " s");
                }
                Thread.sleep(50);
            }
        } catch (TimeoutException e) {
            throw new IllegalArgumentException("no answer from " + bootstrap + " within " + ADMIN_TIMEOUT.toSeconds()
                    + " s");
        }
    }

    private void create(Admin admin) throws InterruptedException, TimeoutException {
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(createPartitions), Optional.empty())))
                    .all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) { // made meanwhile by someone else: fine
                throw new IllegalArgumentException("cannot create topic '" + topic + "' on " + bootstrap + ": "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
    }
}
