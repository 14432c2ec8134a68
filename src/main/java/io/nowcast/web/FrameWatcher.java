package io.nowcast.web;

import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * The camera frames the dashboard shows: reads the configured frame topics from their end (its
 * own consumer, no group, {@code read_committed}), whatever wrote them (a frame pipeline's input or
 * output, a reference, {@code nowcast replay} of an image folder), and keeps, for each watched
 * camera, the last {@link #RING} frames of every topic (fewer of large frames: at most
 * {@link #RING_PIXELS} pixels per topic), decoded with {@link FrameCodec}. The history lets a frame
 * pipeline's output, which comes later than its input (processing, then the transaction's commit),
 * be shown beside the input frame of the same event time.
 *
 * <p>Light with many cameras: a record's key is compared with the watched cameras before anything
 * is decoded; other cameras only leave their id in a fixed table of {@link #RECENT_SLOTS} names for
 * the picker. At most {@link #MAX_WATCHED} cameras are watched; a watch ends when no one has
 * asked for it in {@link #WATCH_TTL_MS}. A record that is not a frame is counted and skipped.
 *
 * <p>Threads: one reading thread of its own ({@link #start}); the other methods from any thread.
 */
final class FrameWatcher implements AutoCloseable {
    static final int RING = 32;
    static final int RING_PIXELS = 1 << 20;
    static final int RECENT_SLOTS = 1024;
    static final int MAX_WATCHED = 4;
    static final long WATCH_TTL_MS = 30_000;

    /** One decoded frame with its number (seq, per watcher) and topic. */
    record Shot(long seq, String topic, Frame frame) {
    }

    private final List<String> topics;
    private final Map<String, Object> settings;
    private final LongSupplier clockMs;
    private final FrameCodec codec = new FrameCodec(64 << 20, FrameCodec.MAX_SIDE * FrameCodec.MAX_SIDE);
    private final String[] recent = new String[RECENT_SLOTS];
    private final Map<String, Camera> watched = new LinkedHashMap<>();
    private volatile Map<String, Camera> watchedView = Map.of();
    private volatile boolean running = true;
    private volatile long frames;
    private volatile long undecodable;
    private volatile String problem = "starting";
    private volatile List<String> reading = List.of();
    private KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;
    private long nextSeq = 1;

    /**
     * @param bootstrap Kafka bootstrap servers
     * @param common    Kafka client settings for every client (the processor's {@code kafka.*})
     * @param topics    the frame topics, in the order they are shown
     */
    FrameWatcher(String bootstrap, Map<String, String> common, List<String> topics, LongSupplier clockMs) {
        this.topics = List.copyOf(topics);
        this.clockMs = clockMs;
        Map<String, Object> s = new HashMap<>(common);
        s.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        s.put(ConsumerConfig.CLIENT_ID_CONFIG, "nowcast-dashboard-frames");
        s.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        s.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        s.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20));
        s.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.settings = s;
    }

    List<String> topics() {
        return topics;
    }

    /** Starts the reading thread. */
    void start() {
        consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        thread = new Thread(this::run, "nowcast-dashboard-frames");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            long lookedMs = 0;
            boolean looked = false;
            while (running) {
                long now = clockMs.getAsLong();
                if (reading.size() < topics.size() && (!looked || now - lookedMs >= 2000)) {
                    looked = true;
                    lookedMs = now;
                    assign();
                }
                if (reading.isEmpty()) {
                    Thread.sleep(200);
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    take(r);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            problem = e.toString();
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /**
     * Adds the partitions of the frame topics that exist now to the assignment, each read from its
     * end; a topic made later (a pipeline's output) is found by a later call.
     */
    private void assign() {
        List<TopicPartition> parts = new ArrayList<>(consumer.assignment());
        List<TopicPartition> added = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> now = new ArrayList<>();
        Map<String, List<PartitionInfo>> all = consumer.listTopics(Duration.ofSeconds(10));
        for (String t : topics) {
            List<PartitionInfo> ps = all.get(t);
            if (ps == null || ps.isEmpty()) {
                missing.add(t);
                continue;
            }
            now.add(t);
            if (!reading.contains(t)) {
                for (PartitionInfo p : ps) {
                    added.add(new TopicPartition(t, p.partition()));
                }
            }
        }
        if (!added.isEmpty()) {
            parts.addAll(added);
            consumer.assign(parts);
            consumer.seekToEnd(added);
            for (TopicPartition tp : added) {
                consumer.position(tp); // resolve the end now: frames sent from here on are shown
            }
        }
        reading = List.copyOf(now);
        problem = missing.isEmpty() ? "" : "no topic " + String.join(", ", missing) + " yet";
    }

    /** The frame topics being read (those that exist). */
    List<String> reading() {
        return reading;
    }

    /** One record: its camera's id into the recent table; decoded if the camera is watched. */
    void take(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null) {
            undecodable++;
            return;
        }
        String camera = new String(r.key(), StandardCharsets.UTF_8);
        int hash = camera.hashCode();
        recent[(hash ^ (hash >>> 16)) & (RECENT_SLOTS - 1)] = camera;
        Camera c = watchedView.get(camera);
        if (c == null) {
            return;
        }
        Frame f;
        try {
            f = codec.decode(r.key(), r.value(), r.timestamp());
        } catch (RejectedException e) {
            undecodable++;
            problem = "a record of " + r.topic() + " is not a frame: " + e.getMessage();
            return;
        }
        frames++;
        synchronized (this) {
            c.add(new Shot(nextSeq++, r.topic(), f));
        }
    }

    /** Camera ids seen lately containing {@code query}, sorted, at most {@code limit}. */
    List<String> recent(String query, int limit) {
        TreeSet<String> names = new TreeSet<>(LiveStreams::natural);
        for (String s : recent) {
            if (s != null && (query.isEmpty() || s.contains(query))) {
                names.add(s);
            }
        }
        List<String> out = new ArrayList<>();
        for (String s : names) {
            if (out.size() == limit) {
                break;
            }
            out.add(s);
        }
        return out;
    }

    /**
     * The frames to show for a camera, one per topic in topic order (null where a topic has none
     * yet): those of the newest event time every topic with frames has, so that a noisy frame and
     * its cleaned and clean versions are shown together; failing that, each topic's newest. Starts
     * watching the camera (its frames are kept from the next record on).
     */
    synchronized Shot[] show(String camera) {
        long now = clockMs.getAsLong();
        watched.values().removeIf(c -> now - c.askedMs > WATCH_TTL_MS);
        Camera c = watched.get(camera);
        if (c == null) {
            if (watched.size() >= MAX_WATCHED) {
                String oldest = null;
                long t = Long.MAX_VALUE;
                for (Camera x : watched.values()) {
                    if (x.askedMs < t) {
                        t = x.askedMs;
                        oldest = x.id;
                    }
                }
                watched.remove(oldest);
            }
            c = new Camera(camera);
            watched.put(camera, c);
        }
        watchedView = Map.copyOf(watched);
        c.askedMs = now;
        return c.aligned();
    }

    /** A frame still held for a watched camera, or null. */
    synchronized Frame frame(String camera, String topic, long seq) {
        Camera c = watched.get(camera);
        int t = topics.indexOf(topic);
        if (c == null || t < 0) {
            return null;
        }
        for (Shot s : c.rings[t]) {
            if (s != null && s.seq == seq) {
                return s.frame;
            }
        }
        return null;
    }

    long frames() {
        return frames;
    }

    long undecodable() {
        return undecodable;
    }

    /** What keeps frames from showing (a missing topic, a record that is not a frame), or "". */
    String problem() {
        return problem;
    }

    @Override
    public void close() {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One watched camera: the last frames of each topic. */
    private final class Camera {
        final String id;
        final Shot[][] rings;
        final int[] next;
        long askedMs;

        Camera(String id) {
            this.id = id;
            this.rings = new Shot[topics.size()][RING];
            this.next = new int[topics.size()];
        }

        void add(Shot s) {
            int t = topics.indexOf(s.topic);
            rings[t][next[t]++ % RING] = s;
            // older frames beyond the pixel budget go
            long pixels = 0;
            for (int k = 1; k <= RING; k++) {
                int i = Math.floorMod(next[t] - k, RING);
                Shot x = rings[t][i];
                if (x == null) {
                    break;
                }
                pixels += (long) x.frame.width() * x.frame.height();
                if (pixels > RING_PIXELS && k > 1) {
                    rings[t][i] = null;
                }
            }
        }

        Shot[] aligned() {
            Shot[] newest = new Shot[topics.size()];
            Map<Long, Integer> times = new HashMap<>();
            int withFrames = 0;
            for (int t = 0; t < rings.length; t++) {
                boolean any = false;
                java.util.Set<Long> seen = new java.util.HashSet<>();
                for (Shot s : rings[t]) {
                    if (s == null) {
                        continue;
                    }
                    any = true;
                    if (newest[t] == null || s.seq > newest[t].seq) {
                        newest[t] = s;
                    }
                    if (seen.add(s.frame.eventTime())) {
                        times.merge(s.frame.eventTime(), 1, Integer::sum);
                    }
                }
                withFrames += any ? 1 : 0;
            }
            long best = Long.MIN_VALUE;
            for (Map.Entry<Long, Integer> e : times.entrySet()) {
                if (e.getValue() == withFrames && e.getKey() > best) {
                    best = e.getKey();
                }
            }
            if (withFrames < 2 || best == Long.MIN_VALUE) {
                return newest;
            }
            Shot[] out = new Shot[topics.size()];
            for (int t = 0; t < rings.length; t++) {
                for (Shot s : rings[t]) {
                    if (s != null && s.frame.eventTime() == best && (out[t] == null || s.seq > out[t].seq)) {
                        out[t] = s;
                    }
                }
            }
            return out;
        }
    }
}
