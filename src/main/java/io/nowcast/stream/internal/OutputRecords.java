package io.nowcast.stream.internal;

import io.nowcast.codec.JsonText;
import io.nowcast.codec.RejectReason;
import io.nowcast.stream.OutputHeaders;
import io.nowcast.stream.ProcessorConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.nowcast.stream.OutputHeaders.*;

/**
 * The records one pipeline writes, made and sent in one place: predictions and output frames
 * (key = the input's key, or the stream id; timestamp = the input's; an output frame's headers name
 * the model, its version and the stream's step), dead letters (the input record with the headers of
 * {@link OutputHeaders}), eviction announcements ({@code schemas/README.md}) and the changelog's
 * tombstones. {@link #write} takes what a runner returned ({@link BatchResult}) in its order; with
 * exactly-once it keeps the streams whose state the open transaction changed, whose state records
 * {@link Changelog#flush} writes before the commit.
 *
 * <p>Not thread-safe: the processor's loop thread only.
 */
final class OutputRecords {
    /** exactly_once: the changelog topic, and the streams whose state changed in the open transaction; else null. */
    final String changelog;
    final Set<String> dirty = new HashSet<>();
    /** The serving model's name and version, in output frames' headers and state records (changed by a swap). */
    byte[] modelName;
    byte[] modelVersion;

    private final ProcessorConfig processor;
    private final ProcessorConfig.Pipeline config;
    private final PipelineMeters meters;
    private final OutputCommitter out;
    private final Sources sources;
    private final boolean frames;
    private final byte[] name;
    private final long[] deadLetters = new long[RejectReason.values().length];

    /** @param frames whether the outputs are output frames (with their headers) rather than predictions */
    OutputRecords(ProcessorConfig processor, ProcessorConfig.Pipeline config, PipelineMeters meters,
                  OutputCommitter out, Sources sources, boolean frames, String modelName, String modelVersion) {
        this.processor = processor;
        this.config = config;
        this.meters = meters;
        this.out = out;
        this.sources = sources;
        this.frames = frames;
        this.name = utf8(config.name());
        this.changelog = processor.exactlyOnce ? processor.changelogTopic(config) : null;
        model(modelName, modelVersion);
    }

    /** The model serving from now on. */
    void model(String name, String version) {
        this.modelName = utf8(name);
        this.modelVersion = utf8(version);
    }

    /**
     * Writes what the runner returned, in its order.
     *
     * @param records the batch's input records, by the indexes the result gives
     */
    void write(BatchResult result, List<ConsumerRecord<byte[], byte[]>> records) {
        result.replay(new BatchResult.Reader() {
            @Override
            public void output(int index, String s, long eventTime, long step, byte[] value) {
                ConsumerRecord<byte[], byte[]> in = records.get(index);
                long ms = System.currentTimeMillis() - eventTime;
                meters.latency.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
                out.send(frames ? frame(config.outputTopic(), in, s, step, value, modelName, modelVersion)
                        : prediction(config.outputTopic(), in, s, value), false);
                if (changelog != null) {
                    dirty.add(s);
                }
            }

            @Override
            public void rejected(int index, String s, RejectReason reason, String message) {
                deadLetter(records.get(index), reason, message);
                if (changelog != null && reason == RejectReason.MODEL_ERROR) {
                    dirty.add(s); // its state was reset
                }
            }

            @Override
            public void evicted(String s, StreamStateStore.Cause cause, long lastEventTime, long steps, int source) {
                OutputRecords.this.evicted(s, cause, lastEventTime, steps, source);
            }
        });
        result.clear();
    }

    /** Sends the dead letter of {@code r}, counted by reason. */
    void deadLetter(ConsumerRecord<byte[], byte[]> r, RejectReason reason, String message) {
        deadLetters[reason.ordinal()]++;
        meters.deadLetters[reason.ordinal()].increment();
        out.send(deadLetter(processor.deadLetterTopic, r, name, reason, message), true);
    }

    private void evicted(String stream, StreamStateStore.Cause cause, long lastEventTime, long steps, int source) {
        meters.evictions[cause.ordinal()].increment();
        if (!processor.evictionsTopic.isEmpty()) {
            out.send(eviction(processor.evictionsTopic, stream, config.name(), cause, lastEventTime, steps), false);
        }
        if (changelog != null) {
            dirty.remove(stream);
            if (source >= 0) {
                // a tombstone: the stream starts afresh if it comes back, after a restart too
                out.send(state(changelog, sources.partition(source).partition(), stream, null), false);
                meters.stateRecords.increment();
            }
        }
    }

    /** Dead letters written, by {@link RejectReason} ordinal; restored with {@link #restoreDeadLetters}. */
    long[] deadLetters() {
        return deadLetters.clone();
    }

    void restoreDeadLetters(long[] c) {
        System.arraycopy(c, 0, deadLetters, 0, deadLetters.length);
    }

    long deadLetters(RejectReason reason) {
        return deadLetters[reason.ordinal()];
    }

    /** A prediction for the input {@code in}. */
    private static ProducerRecord<byte[], byte[]> prediction(String topic, ConsumerRecord<byte[], byte[]> in, String stream,
                                                     byte[] value) {
        return new ProducerRecord<>(topic, null, in.timestamp(), key(in, stream), value);
    }

    /** An output frame for the input frame {@code in}: headers name the model, its version and the stream's step. */
    private static ProducerRecord<byte[], byte[]> frame(String topic, ConsumerRecord<byte[], byte[]> in, String stream, long step,
                                                byte[] value, byte[] modelName, byte[] modelVersion) {
        RecordHeaders h = new RecordHeaders();
        h.add(H_MODEL, modelName);
        h.add(H_MODEL_VERSION, modelVersion);
        h.add(H_STEP, utf8(Long.toString(step)));
        return new ProducerRecord<>(topic, null, in.timestamp(), key(in, stream), value, h);
    }

    private static byte[] key(ConsumerRecord<byte[], byte[]> in, String stream) {
        return in.key() != null ? in.key() : utf8(stream);
    }

    /**
     * The dead letter of {@code r}: its key, value, timestamp and headers, plus why it was refused
     * and where it came from.
     */
    private static ProducerRecord<byte[], byte[]> deadLetter(String topic, ConsumerRecord<byte[], byte[]> r, byte[] pipeline,
                                                     RejectReason reason, String message) {
        RecordHeaders h = new RecordHeaders(r.headers().toArray());
        h.add(H_REASON, utf8(reason.id));
        h.add(H_ERROR, utf8(message));
        h.add(H_TOPIC, utf8(r.topic()));
        h.add(H_PARTITION, utf8(Integer.toString(r.partition())));
        h.add(H_OFFSET, utf8(Long.toString(r.offset())));
        h.add(H_PIPELINE, pipeline);
        return new ProducerRecord<>(topic, null, r.timestamp(), r.key(), r.value(), h);
    }

    /** The announcement of an evicted stream: a JSON object keyed by the stream id. */
    private static ProducerRecord<byte[], byte[]> eviction(String topic, String stream, String pipeline,
                                                   StreamStateStore.Cause cause, long lastEventTime, long steps) {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"stream\":");
        JsonText.string(sb, stream);
        sb.append(",\"pipeline\":");
        JsonText.string(sb, pipeline);
        sb.append(",\"cause\":\"").append(cause.id).append('"');
        if (lastEventTime != StreamStateStore.NO_TIME) {
            sb.append(",\"last_time\":").append(lastEventTime);
        }
        sb.append(",\"steps\":").append(steps).append('}');
        return new ProducerRecord<>(topic, utf8(stream), utf8(sb.toString()));
    }

    /** A stream's state in its changelog partition ({@link StateChangelog}); a null value is a tombstone. */
    static ProducerRecord<byte[], byte[]> state(String changelog, int partition, String stream, byte[] value) {
        return new ProducerRecord<>(changelog, partition, utf8(stream), value);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A dead letter too large to write (or refused as too large) without its value: header
     * {@code nowcast.value.omitted} gives the value's size. For both committers.
     */
    static ProducerRecord<byte[], byte[]> withoutValue(ProducerRecord<byte[], byte[]> r) {
        RecordHeaders h = new RecordHeaders(r.headers().toArray());
        h.add(H_VALUE_OMITTED, Integer.toString(r.value().length).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(r.topic(), null, r.timestamp(), r.key(), null, h);
    }
}
