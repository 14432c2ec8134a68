package io.nowcast.cli;

import io.nowcast.codec.SampleCodec;
import io.nowcast.data.CsvTable;
import io.nowcast.data.TrajectoryFile;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import io.nowcast.run.replay.TokenBucket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
    enum Format { csv, trajectory, images }

    @Option(names = "--topic", required = true, description = "topic to write to (it must exist)")
    String topic;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers")
    String bootstrap;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "CSV or trajectory file")
    Path input;

    @Option(names = "--format", paramLabel = "csv|trajectory|images",
            description = "input format (default: csv for a .csv file, trajectory for .txt and .tsv, images for a folder)")
    Format format;

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

    @Spec
    CommandSpec spec;

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);
    /** Counted down once the first sample has been handed to the producer (for tests). */
    final CountDownLatch sending = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);

    /** The samples of the input, in sending order, and how far a pass moves the event times. */
    /** What to send: record i's stream and value; a later pass of --loop shifts event times by passShift. */
    record Source(String description, String[] streams, long passShift, Encoder encoder) {
        int size() {
            return streams.length;
        }

        byte[] value(int i, long shift) throws IOException {
            return encoder.value(i, shift);
        }
    }

    /** The record value of record i, event time shifted by shift milliseconds. */
    interface Encoder {
        byte[] value(int i, long shift) throws IOException;
    }

    /** Samples as JSON: values (n, width) row-major. */
    private static Source samples(String d, String[] streams, long[] times, float[] values, int width, long shift) {
        return new Source(d, streams, shift, (i, sh) -> SampleCodec.encode(streams[i], times[i] + sh, values, i * width, width));
    }

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
        if (createPartitions < 0) {
            throw new IllegalArgumentException("--create-topic must be >= 0 partitions, got " + createPartitions);
        }
        if (stepMs != null && stepMs <= 0) {
            throw new IllegalArgumentException("--step-ms must be > 0, got " + stepMs);
        }
        if (startMs != null && startMs < 0) {
            throw new IllegalArgumentException("--start-ms must be >= 0 (milliseconds since the epoch), got " + startMs);
        }
        Source src = load();
        PrintWriter out = spec.commandLine().getOut();
        out.println("input: " + src.description());
        out.flush();
        checkTopic(out);

        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // paced: each sample leaves at once; as fast as possible: let batches fill for a few ms
        c.put(ProducerConfig.LINGER_MS_CONFIG, rate > 0 ? 0 : 5);
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis());
        // Kafka's own timeouts (30 s per request, 2 min per record): shorter ones expired batches on
        // a loaded machine. And one request in flight: with several, a request that timed out on a
        // stalled broker but was appended after all is retried once later batches are in, and the
        // broker, which remembers only a producer's last few batches, refuses it as out of sequence
        // instead of recognising the duplicate, for good
        c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, "nowcast-replay");

        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicLong acked = new AtomicLong();
        Thread hook = new Thread(() -> {
            stopRequested = true;
            try {
                finished.await(10, TimeUnit.SECONDS); // let the loop flush and print its summary
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "nowcast-replay-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        long sent = 0;
        long t0;
        long t1;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(c, new StringSerializer(), new ByteArraySerializer())) {
            producer.partitionsFor(topic); // fetch the metadata now, so that it is not counted in the rate
            // the summary's time runs from the first send to the last acknowledgement
            t0 = System.nanoTime();
            TokenBucket bucket = rate > 0 ? TokenBucket.forRate(rate) : null;
            send:
            for (long pass = 0; ; pass++) {
                long shift = pass * src.passShift();
                for (int i = 0; i < src.size(); i++) {
                    if (stopRequested || (limit > 0 && sent >= limit) || failure.get() != null) {
                        break send;
                    }
                    if (bucket != null) {
                        try {
                            bucket.acquire();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break send;
                        }
                    }
                    String stream = src.streams()[i];
                    byte[] value = src.value(i, shift);
                    producer.send(new ProducerRecord<>(topic, stream, value), (md, e) -> {
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        } else {
                            acked.incrementAndGet();
                        }
                    });
                    sent++;
                    sending.countDown();
                }
                if (!loop) {
                    break;
                }
            }
            producer.flush();
            t1 = System.nanoTime();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for this method to end
            }
        }
        double seconds = (t1 - t0) / 1e9;
        Exception e = failure.get();
        if (e != null) {
            throw new IOException("writing to topic '" + topic + "' failed after " + acked.get() + " of " + sent
                    + " samples: " + e.getMessage(), e);
        }
        out.println(String.format(Locale.ROOT, "replayed %d records to topic '%s' in %.3f s (%.1f records/s)%s",
                acked.get(), topic, seconds, acked.get() / Math.max(seconds, 1e-9),
                rate > 0 ? String.format(Locale.ROOT, ", asked %.1f/s", rate) : ""));
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

    // ------------------------------------------------------------------------------------------
    // reading the input

    Source load() throws IOException {
        long start = startMs != null ? startMs : System.currentTimeMillis();
        if (Files.isDirectory(input)) {
            if (format != null && format != Format.images) {
                throw new IllegalArgumentException(input + " is a folder: --format " + format + " reads a file");
            }
            return loadImages(start);
        }
        if (format == Format.images) {
            throw new IllegalArgumentException(input + ": --format images reads a folder of images");
        }
        if (!Files.isRegularFile(input)) {
            throw new IllegalArgumentException(input + ": no such file");
        }
        Format f = format != null ? format : formatOf(input);
        return f == Format.csv ? loadCsv(start) : loadTrajectory(start);
    }

    private static Format formatOf(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            return Format.csv;
        }
        if (name.endsWith(".txt") || name.endsWith(".tsv")) {
            return Format.trajectory;
        }
        throw new IllegalArgumentException(file + ": cannot tell the format from the file name; give --format csv"
                + " or --format trajectory");
    }

    /**
     * A folder of images (PNG, BMP, GIF, JPEG: what javax.imageio reads), in file-name order, as one
     * camera: raw grey frames (schemas/frame.md) keyed by the folder's name (with --stream-prefix),
     * event times --step-ms apart (default 100 ms, 10 frames per second). Each image is read when
     * it is sent.
     */
    private Source loadImages(long start) throws IOException {
        if (columns != null || streamColumn != null || timeColumn != null) {
            throw new IllegalArgumentException("--columns, --stream-column and --time-column are for csv input");
        }
        List<Path> files;
        try (java.util.stream.Stream<Path> list = Files.list(input)) {
            files = list.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT)
                    .matches(".*\\.(png|bmp|gif|jpe?g)")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(input + ": no images (png, bmp, gif, jpg) in the folder");
        }
        long step = stepMs != null ? stepMs : 100;
        String stream = streamId(input.toAbsolutePath().getFileName().toString(), input.toString());
        String[] streams = new String[files.size()];
        java.util.Arrays.fill(streams, stream);
        String d = String.format(Locale.ROOT, "%s (images): %d frames of camera '%s', one every %d ms",
                input.getFileName(), files.size(), stream, step);
        return new Source(d, streams, files.size() * step, (i, sh) -> {
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(files.get(i).toFile());
            if (img == null) {
                throw new IOException(files.get(i) + ": not an image javax.imageio can read");
            }
            if (img.getWidth() > io.nowcast.codec.FrameCodec.MAX_SIDE || img.getHeight() > io.nowcast.codec.FrameCodec.MAX_SIDE) {
                throw new IOException(files.get(i) + ": " + img.getWidth() + "x" + img.getHeight()
                        + " is larger than a frame may be (sides up to " + io.nowcast.codec.FrameCodec.MAX_SIDE + ")");
            }
            return io.nowcast.codec.FrameCodec.encodeRawU8(img.getWidth(), img.getHeight(), start + i * step + sh,
                    io.nowcast.codec.FrameCodec.luminance(img));
        });
    }

    private Source loadTrajectory(long start) throws IOException {
        for (String[] opt : new String[][] {{"--columns", columns == null ? null : ""},
                {"--stream-column", streamColumn}, {"--time-column", timeColumn}}) {
            if (opt[1] != null) {
                throw new IllegalArgumentException(opt[0] + " is for csv input: a trajectory file has the stream"
                        + " (ped_id), the time (frame_id) and the values (x, y) in fixed places");
            }
        }
        TrajectoryFile t = TrajectoryFile.read(input);
        long step = stepMs != null ? stepMs : 400;
        int n = t.rowCount();
        String[] streams = new String[n];
        long[] times = new long[n];
        for (int i = 0; i < n; i++) {
            streams[i] = streamId(t.pedestrians[i], t.file() + ":" + t.lineNumber(i));
            times[i] = start + t.step(i) * step;
        }
        long shift = (t.step(n - 1) + 1) * step;
        String d = String.format(Locale.ROOT, "%s (trajectory): %d samples of %d pedestrians, values [x, y],"
                        + " frame step %s = %d ms, %d steps", input.getFileName(), n, t.pedestrianIds().size(),
                fmt(t.frameStep), step, t.step(n - 1) + 1);
        return samples(d, streams, times, t.positions, 2, shift);
    }

    private Source loadCsv(long start) throws IOException {
        CsvTable table = CsvTable.read(input);
        int n = table.rowCount();
        if (n == 0) {
            throw new IllegalArgumentException(input + ": no rows");
        }
        List<String> skipped = new ArrayList<>();
        List<String> cols;
        if (columns != null && !columns.isEmpty()) {
            cols = List.copyOf(columns);
        } else {
            cols = new ArrayList<>();
            for (String name : table.columns) {
                if (name.equals(streamColumn) || name.equals(timeColumn)) {
                    continue;
                }
                if (table.isNumeric(name)) {
                    cols.add(name);
                } else {
                    skipped.add(name);
                }
            }
            if (cols.isEmpty()) {
                throw new IllegalArgumentException(input + ": no numeric column to send; the file has " + table.columns);
            }
        }
        if (new LinkedHashSet<>(cols).size() != cols.size()) {
            throw new IllegalArgumentException("--columns names a column twice: " + cols);
        }
        if (timeColumn != null && (startMs != null || stepMs != null)) {
            throw new IllegalArgumentException("--start-ms and --step-ms make up event times; with --time-column the"
                    + " times come from the file");
        }
        float[] values = table.select(cols);
        String[] streams = new String[n];
        if (streamColumn != null) {
            String[] ids = table.text(streamColumn);
            for (int i = 0; i < n; i++) {
                streams[i] = streamId(ids[i], input + ":" + table.lineOf(i) + ": column '" + streamColumn + "'");
            }
        } else {
            String name = input.getFileName().toString();
            int dot = name.lastIndexOf('.');
            String id = streamId(dot > 0 ? name.substring(0, dot) : name, input.toString());
            java.util.Arrays.fill(streams, id);
        }
        long[] times = new long[n];
        long shift;
        if (timeColumn != null) {
            String[] cells = table.text(timeColumn);
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (int i = 0; i < n; i++) {
                times[i] = parseTime(cells[i], input + ":" + table.lineOf(i) + ": column '" + timeColumn + "'");
                min = Math.min(min, times[i]);
                max = Math.max(max, times[i]);
            }
            shift = max - min + typicalStep(streams, times);
        } else {
            long step = stepMs != null ? stepMs : 100;
            Map<String, Long> next = new HashMap<>();
            long most = 0;
            for (int i = 0; i < n; i++) {
                long k = next.merge(streams[i], 1L, Long::sum) - 1;
                times[i] = start + k * step;
                most = Math.max(most, k + 1);
            }
            shift = most * step;
        }
        int streamCount = new LinkedHashSet<>(List.of(streams)).size();
        String d = String.format(Locale.ROOT, "%s (csv): %d samples of %d stream%s, values %s, time %s%s",
                input.getFileName(), n, streamCount, streamCount == 1 ? " '" + streams[0] + "'" : "s", cols,
                timeColumn != null ? "from column '" + timeColumn + "'" : "made up, step " + (stepMs != null ? stepMs : 100) + " ms",
                skipped.isEmpty() ? "" : "; not numeric, not sent: " + skipped);
        return samples(d, streams, times, values, cols.size(), shift);
    }

    private String streamId(String raw, String where) {
        String id = streamPrefix + raw;
        int len = id.codePointCount(0, id.length());
        if (len < 1 || len > SampleCodec.MAX_STREAM_ID) {
            throw new IllegalArgumentException(where + ": a stream id must have 1 to " + SampleCodec.MAX_STREAM_ID
                    + " characters, '" + (len > 40 ? id.substring(0, 40) + "..." : id) + "' has " + len);
        }
        return id;
    }

    /** The smallest positive time difference between consecutive samples of one stream; 1 if none. */
    private static long typicalStep(String[] streams, long[] times) {
        Map<String, Long> last = new HashMap<>();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < streams.length; i++) {
            Long prev = last.put(streams[i], times[i]);
            if (prev != null && times[i] > prev) {
                best = Math.min(best, times[i] - prev);
            }
        }
        return best == Long.MAX_VALUE ? 1 : best;
    }

    /** Integer milliseconds since the epoch, or an ISO-8601 date-time (UTC without an offset), or a date. */
    static long parseTime(String s, String where) {
        long t;
        try {
            t = Long.parseLong(s);
        } catch (NumberFormatException notLong) {
            try {
                t = new BigDecimal(s).longValueExact();
            } catch (NumberFormatException | ArithmeticException notInteger) {
                t = parseDate(s, where);
            }
        }
        if (t < 0) {
            throw new IllegalArgumentException(where + ": event time before 1970 (" + s + "): a sample's time is >= 0");
        }
        return t;
    }

    private static long parseDate(String s, String where) {
        String iso = s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + 'T' + s.substring(11) : s;
        try {
            return OffsetDateTime.parse(iso).toInstant().toEpochMilli();
        } catch (DateTimeParseException e1) {
            try {
                return Instant.parse(iso).toEpochMilli();
            } catch (DateTimeParseException e2) {
                try {
                    return LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC).toEpochMilli();
                } catch (DateTimeParseException e3) {
                    try {
                        return LocalDate.parse(iso).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
                    } catch (DateTimeParseException e4) {
                        throw new IllegalArgumentException(where + ": expected an event time (integer milliseconds"
                                + " since the epoch or an ISO-8601 date-time), found '" + s + "'");
                    }
                }
            }
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
