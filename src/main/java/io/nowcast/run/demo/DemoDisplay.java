package io.nowcast.run.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectedException;
import io.nowcast.stream.Processor;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.nowcast.run.demo.DemoTopics.CAMERA;
import static io.nowcast.run.demo.DemoTopics.CAMERA_CLEAN;
import static io.nowcast.run.demo.DemoTopics.CAMERA_CLEANED;
import static io.nowcast.run.demo.DemoTopics.SENSORS;
import static io.nowcast.run.demo.DemoTopics.SENSOR_PREDICTIONS;
import static io.nowcast.run.demo.DemoTopics.TRACKS;
import static io.nowcast.run.demo.DemoTopics.TRACK_PREDICTIONS;

/**
 * Reads inputs and predictions back (read_committed) and prints, every second, what flows and
 * how good the predictions are: the error of each one-step prediction once the true next value
 * arrives, beside the error of carrying the last value forward.
 */
public final class DemoDisplay {
    private final KafkaConsumer<String, byte[]> consumer;
    private final PrintWriter out;
    private final AtomicBoolean running;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Pipe> pipes = new LinkedHashMap<>();
    private final CameraScore cameras;

    /**
     * @param bootstrap      the broker
     * @param out            where the lines go
     * @param cameraPipeline whether the cameras' frames are cleaned (and scored)
     * @param running        the display runs until it is cleared
     */
    public DemoDisplay(String bootstrap, PrintWriter out, boolean cameraPipeline, AtomicBoolean running) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "nowcast-demo-display");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(p);
        this.out = out;
        this.running = running;
        pipes.put(TRACKS, new Pipe("pedestrians", " m", new String[] {"dx", "dy"}));
        pipes.put(SENSORS, new Pipe("sensors", "", new String[] {"s0"}));
        List<String> topics = new ArrayList<>(List.of(TRACKS, TRACK_PREDICTIONS, SENSORS, SENSOR_PREDICTIONS));
        this.cameras = cameraPipeline ? new CameraScore() : null;
        if (cameraPipeline) {
            topics.addAll(List.of(CAMERA, CAMERA_CLEANED, CAMERA_CLEAN));
        }
        consumer.subscribe(topics);
    }

    /** Reads and prints until {@code endNanos} (System.nanoTime) or until running is cleared. */
    public void run(long endNanos, Processor processor) {
        long start = System.nanoTime();
        long nextPrint = start + 1_000_000_000L;
        try (consumer) {
            while (running.get() && System.nanoTime() < endNanos) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (cameras != null && r.topic().startsWith("camera-")) {
                        cameras.take(r);
                        continue;
                    }
                    try {
                        JsonNode n = json.readTree(r.value());
                        switch (r.topic()) {
                            case TRACKS:
                            case SENSORS:
                                pipes.get(r.topic()).input(r.key(), n.get("time").asLong(), floats(n.get("values")));
                                break;
                            case TRACK_PREDICTIONS:
                                pipes.get(TRACKS).prediction(r.key(), n);
                                break;
                            default:
                                pipes.get(SENSORS).prediction(r.key(), n);
                        }
                    } catch (IOException | RuntimeException e) {
                        out.println("display: cannot read a record of " + r.topic() + ": " + e.getMessage());
                    }
                }
                if (System.nanoTime() >= nextPrint) {
                    nextPrint += 1_000_000_000L;
                    print((System.nanoTime() - start) / 1e9, processor);
                }
            }
        }
    }

    private float[] floats(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) a.get(i).asDouble();
        }
        return v;
    }

    private void print(double t, Processor processor) {
        Processor.Stats s = processor.stats();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n[%5.0f s] processor: %d records, %d predictions, %d dead letters, %d streams%n",
                t, s.records(), s.predictions(), s.deadLettersTotal(), s.streams()));
        for (Pipe p : pipes.values()) {
            p.print(sb);
        }
        if (cameras != null) {
            cameras.print(sb);
        }
        out.print(sb);
        out.flush();
    }

    /**
     * The cameras pipeline's view: frames in and out, and the PSNR against the clean frame (peak 1,
     * over the u8 frames on the wire) of the noisy frame and of the cleaned one, per frame, averaged
     * over the frames whose three versions have arrived.
     */
    private static final class CameraScore {
        private final FrameCodec codec = new FrameCodec(1 << 20, 1 << 20);
        /** camera + " " + event time to {noisy, clean} frames, until the cleaned frame arrives. */
        private final Map<String, float[][]> pending = new LinkedHashMap<>();
        long noisyIn;
        long cleanedOut;
        double psnrNoisy;
        double psnrCleaned;
        long scored;

        void take(ConsumerRecord<String, byte[]> r) {
            Frame f;
            try {
                f = codec.decode(r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8), r.value(), r.timestamp());
            } catch (RejectedException e) {
                return;
            }
            String id = f.stream() + " " + f.eventTime();
            float[][] p = pending.computeIfAbsent(id, k -> new float[2][]);
            switch (r.topic()) {
                case CAMERA:
                    noisyIn++;
                    p[0] = f.pixels();
                    break;
                case CAMERA_CLEAN:
                    p[1] = f.pixels();
                    break;
                default:
                    cleanedOut++;
                    pending.remove(id);
                    if (p[0] != null && p[1] != null) {
                        psnrNoisy += psnr(p[0], p[1]);
                        psnrCleaned += psnr(f.pixels(), p[1]);
                        scored++;
                    }
            }
            while (pending.size() > 256) {
                pending.remove(pending.keySet().iterator().next());
            }
        }

        private static double psnr(float[] a, float[] b) {
            double se = 0;
            for (int i = 0; i < a.length; i++) {
                double d = a[i] - b[i];
                se += d * d;
            }
            return 10 * Math.log10(1.0 / Math.max(se / a.length, 1e-12));
        }

        void print(StringBuilder sb) {
            sb.append(String.format(Locale.ROOT, "  %-11s %8d frames in,  %8d frames out", "cameras", noisyIn, cleanedOut));
            if (scored > 0) {
                sb.append(String.format(Locale.ROOT, " | PSNR against the clean frame: noisy %.2f dB, cleaned %.2f dB"
                        + " (%d scored)", psnrNoisy / scored, psnrCleaned / scored, scored));
            }
            sb.append('\n');
        }
    }

    /** One pipeline's view: latest input and prediction per stream and the running errors. */
    private static final class Pipe {
        final String name;
        final String unit;
        final String[] outputs;
        final Map<String, float[]> lastInput = new HashMap<>();
        final Map<String, Long> lastInputTime = new HashMap<>();
        final Map<String, Map<Long, float[]>> predictions = new HashMap<>(); // stream -> input time -> mean, std
        final AtomicLong inputs = new AtomicLong();
        final AtomicLong predicted = new AtomicLong();
        final List<String> shown = new ArrayList<>();
        double sqModel;
        double sqLast;
        long scored;

        Pipe(String name, String unit, String[] outputs) {
            this.name = name;
            this.unit = unit;
            this.outputs = outputs;
        }

        void input(String stream, long time, float[] v) {
            inputs.incrementAndGet();
            float[] prev = lastInput.get(stream);
            Long prevTime = lastInputTime.get(stream);
            Map<Long, float[]> ps = predictions.get(stream);
            if (prev != null && ps != null) {
                float[] p = ps.remove(prevTime);
                if (p != null) {
                    for (int j = 0; j < outputs.length; j++) {
                        double em = v[j] - p[j];
                        double el = v[j] - prev[j];
                        sqModel += em * em;
                        sqLast += el * el;
                    }
                    scored++;
                }
                ps.keySet().removeIf(k -> k < time - 60_000);
            }
            if (prev == null) {
                // a new stream: show it in place of one that has gone quiet
                shown.removeIf(x -> lastInputTime.get(x) < time - 3000);
                if (shown.size() < 3) {
                    shown.add(stream);
                }
            }
            lastInput.put(stream, v);
            lastInputTime.put(stream, time);
        }

        void prediction(String stream, JsonNode n) {
            predicted.incrementAndGet();
            JsonNode mean = n.get("predictions").get(0);
            JsonNode std = n.has("std") ? n.get("std").get(0) : null;
            float[] p = new float[2 * outputs.length];
            for (int j = 0; j < outputs.length; j++) {
                p[j] = (float) mean.get(j).asDouble();
                p[outputs.length + j] = std == null ? Float.NaN : (float) std.get(j).asDouble();
            }
            predictions.computeIfAbsent(stream, k -> new HashMap<>()).put(n.get("time").asLong(), p);
        }

        void print(StringBuilder sb) {
            sb.append(String.format(Locale.ROOT, "  %-11s %8d samples in, %8d predictions out", name, inputs.get(), predicted.get()));
            if (scored > 0) {
                int k = outputs.length;
                sb.append(String.format(Locale.ROOT, " | next-step RMSE: model %.4f%s, last value %.4f%s (%d scored)",
                        Math.sqrt(sqModel / (scored * k)), unit, Math.sqrt(sqLast / (scored * k)), unit, scored));
            }
            sb.append('\n');
            for (String stream : shown) {
                float[] v = lastInput.get(stream);
                Map<Long, float[]> ps = predictions.get(stream);
                float[] p = ps == null ? null : ps.get(lastInputTime.get(stream));
                sb.append(String.format(Locale.ROOT, "    %-10s now", stream));
                for (int j = 0; j < outputs.length; j++) {
                    sb.append(String.format(Locale.ROOT, " %s=%+8.3f", outputs[j], v[j]));
                }
                sb.append("   predicted next");
                for (int j = 0; j < outputs.length; j++) {
                    if (p == null) {
                        sb.append(String.format(Locale.ROOT, " %s=%8s", outputs[j], "..."));
                    } else if (Float.isNaN(p[outputs.length + j])) {
                        sb.append(String.format(Locale.ROOT, " %s=%+8.3f", outputs[j], p[j]));
                    } else {
                        sb.append(String.format(Locale.ROOT, " %s=%+8.3f±%.3f", outputs[j], p[j], p[outputs.length + j]));
                    }
                }
                sb.append('\n');
            }
        }
    }
}
