package io.nowcast.run.demo;

import io.nowcast.codec.FrameCodec;
import io.nowcast.data.synthetic.MovingShapes;
import io.nowcast.data.synthetic.SyntheticSensors;
import io.nowcast.data.synthetic.SyntheticTracks;
import io.nowcast.tensor.Rng;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.nowcast.run.demo.DemoTopics.CAMERA;
import static io.nowcast.run.demo.DemoTopics.CAMERA_CLEAN;
import static io.nowcast.run.demo.DemoTopics.SENSORS;
import static io.nowcast.run.demo.DemoTopics.TRACKS;

/**
 * The demo's synthetic producers, each run on its own thread until {@code running} is cleared:
 * pedestrian tracks, sensor units and cameras, paced in real time times the speed-up.
 */
public final class DemoFeeds {
    private final int pedestrians;
    private final int sensors;
    private final int cameras;
    private final double speedup;
    private final long seed;
    private final AtomicBoolean running;

    /**
     * @param pedestrians tracked at a time
     * @param sensors     units of three channels
     * @param cameras     64x64 cameras
     * @param speedup     how many times faster than real time
     * @param seed        of the synthetic data
     * @param running     cleared to stop the feeds (and cleared by a feed that is interrupted)
     */
    public DemoFeeds(int pedestrians, int sensors, int cameras, double speedup, long seed, AtomicBoolean running) {
        this.pedestrians = pedestrians;
        this.sensors = sensors;
        this.cameras = cameras;
        this.speedup = speedup;
        this.seed = seed;
        this.running = running;
    }

    private KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p);
    }

    static byte[] sample(String stream, long time, float... values) {
        StringBuilder sb = new StringBuilder(64).append("{\"stream\":\"").append(stream).append("\",\"time\":").append(time)
                .append(",\"values\":[");
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(values[i]);
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Pedestrians at 2.5 Hz (scaled by speedup); every 60 s of track time a new crowd replaces the last. */
    public void tracks(String bootstrap) {
        int length = 150;
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            long periodNanos = (long) (SyntheticTracks.DT * 1e9 / speedup);
            long next = System.nanoTime();
            for (int generation = 0; running.get(); generation++) {
                List<SyntheticTracks.Track> tracks = new SyntheticTracks(seed + generation).generate(pedestrians, length);
                for (int step = 0; step < length && running.get(); step++) {
                    long now = System.currentTimeMillis();
                    for (int i = 0; i < pedestrians; i++) {
                        SyntheticTracks.Track t = tracks.get(i);
                        String id = "ped-" + (generation * pedestrians + i);
                        producer.send(new ProducerRecord<>(TRACKS, id, sample(id, now, t.dx()[step], t.dy()[step])));
                    }
                    next += periodNanos;
                    sleepUntil(next);
                }
            }
        }
    }

    /**
     * Sensor units of three channels, one sample per unit every 0.2 s (scaled by speedup). The
     * bundled sensor model knows one synthetic plant (seed 3 of nowcast synth sensors, see
     * models/README.md), so every unit replays that plant's held-out weeks (53 to 64, hours 8736 to
     * 10751, never seen in training) from its own starting hour.
     */
    public void sensors(String bootstrap) {
        int first = 8736;
        int length = 10752;
        float[][] v = new SyntheticSensors(3).generate(3, length).values();
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            long periodNanos = (long) (0.2e9 / speedup);
            long next = System.nanoTime();
            for (int step = 0; running.get(); step++) {
                long now = System.currentTimeMillis();
                for (int u = 0; u < sensors; u++) {
                    int t = first + (u * 97 + step) % (length - first);
                    String id = "sensor-" + u;
                    producer.send(new ProducerRecord<>(SENSORS, id, sample(id, now, v[0][t], v[1][t], v[2][t])));
                }
                next += periodNanos;
                sleepUntil(next);
            }
        }
    }

    /**
     * Cameras of 64x64 grey frames at 5 Hz (scaled by speedup): each frame clean to
     * {@value DemoTopics#CAMERA_CLEAN} and with Gaussian noise (sigma 0.1, clipped to [0, 1]) to
     * {@value DemoTopics#CAMERA}, raw frames (schemas/frame.md) with the same event time.
     */
    public void cameras(String bootstrap) {
        int side = 64;
        MovingShapes[] cams = new MovingShapes[cameras];
        for (int c = 0; c < cameras; c++) {
            cams[c] = new MovingShapes(side, seed + 100 + c);
        }
        Rng noise = new Rng(seed + 99);
        float[] clean = new float[side * side];
        float[] noisy = new float[side * side];
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            long periodNanos = (long) (0.2e9 / speedup);
            long next = System.nanoTime();
            for (int step = 0; running.get(); step++) {
                long now = System.currentTimeMillis();
                for (int c = 0; c < cameras; c++) {
                    String id = "cam-" + c;
                    cams[c].frame(step, clean);
                    for (int i = 0; i < clean.length; i++) {
                        noisy[i] = Math.max(0f, Math.min(1f, clean[i] + 0.1f * (float) noise.nextGaussian()));
                    }
                    producer.send(new ProducerRecord<>(CAMERA_CLEAN, id,
                            FrameCodec.encodeRawU8(side, side, now, clean)));
                    producer.send(new ProducerRecord<>(CAMERA, id,
                            FrameCodec.encodeRawU8(side, side, now, noisy)));
                }
                next += periodNanos;
                sleepUntil(next);
            }
        }
    }

    private void sleepUntil(long nanoTime) {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.set(false);
            }
        }
    }
}
