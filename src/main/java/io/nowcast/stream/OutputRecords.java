package io.nowcast.stream;

import io.nowcast.codec.JsonText;
import io.nowcast.codec.RejectReason;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

import static io.nowcast.stream.OutputHeaders.*;

/**
 * The records the processor writes, made in one place: predictions and output frames (key = the
 * input's key, or the stream id; timestamp = the input's), dead letters (the input record with the
 * headers of {@link OutputHeaders}), eviction announcements ({@code schemas/README.md}) and the
 * changelog's state records and tombstones. Stateless.
 */
final class OutputRecords {
    private OutputRecords() {
    }

    /** A prediction for the input {@code in}. */
    static ProducerRecord<byte[], byte[]> prediction(String topic, ConsumerRecord<byte[], byte[]> in, String stream,
                                                     byte[] value) {
        return new ProducerRecord<>(topic, null, in.timestamp(), key(in, stream), value);
    }

    /** An output frame for the input frame {@code in}: headers name the model, its version and the stream's step. */
    static ProducerRecord<byte[], byte[]> frame(String topic, ConsumerRecord<byte[], byte[]> in, String stream, long step,
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
    static ProducerRecord<byte[], byte[]> deadLetter(String topic, ConsumerRecord<byte[], byte[]> r, byte[] pipeline,
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
    static ProducerRecord<byte[], byte[]> eviction(String topic, String stream, String pipeline,
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
}
