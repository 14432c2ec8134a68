package io.nowcast.stream;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * At-least-once: outputs go to an idempotent producer with {@code acks=all}; at commit it flushes,
 * checks that every send succeeded and only then commits the offsets synchronously through the
 * consumer. A crash after the flush and before the commit leaves outputs whose input offsets are
 * not committed: those inputs are processed again and their outputs written twice.
 *
 * <p>A dead letter the broker refuses as too large (its original value plus Nowcast's headers
 * can be bigger than what the producer or the dead-letter topic accepts) is written again without
 * its value, with header {@code nowcast.value.omitted} giving the value's size, so that a huge
 * poison record cannot stall its partition. Any other failed send is fatal.
 */
final class AtLeastOnceCommitter implements OutputCommitter {
    static final String VALUE_OMITTED = "nowcast.value.omitted";

    private final Producer<byte[], byte[]> producer;
    private final Consumer<byte[], byte[]> consumer;
    private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();

    private record Failure(ProducerRecord<byte[], byte[]> record, boolean deadLetter, Exception error) {
    }

    AtLeastOnceCommitter(Producer<byte[], byte[]> producer, Consumer<byte[], byte[]> consumer) {
        this.producer = producer;
        this.consumer = consumer;
    }

    @Override
    public void begin() {
        failures.clear();
    }

    @Override
    public void send(ProducerRecord<byte[], byte[]> record, boolean deadLetter) {
        producer.send(record, (meta, e) -> {
            if (e != null) {
                failures.add(new Failure(record, deadLetter, e));
            }
        });
    }

    @Override
    public void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        producer.flush();
        if (!failures.isEmpty()) {
            List<Failure> failed = new ArrayList<>(failures);
            failures.clear();
            for (Failure f : failed) {
                if (f.deadLetter() && f.error() instanceof RecordTooLargeException && f.record().value() != null) {
                    send(withoutValue(f.record()), false);
                } else {
                    throw new KafkaException("cannot write to " + f.record().topic() + ": " + f.error().getMessage(), f.error());
                }
            }
            producer.flush();
            if (!failures.isEmpty()) {
                Failure f = failures.peek();
                throw new KafkaException("cannot write to " + f.record().topic() + ": " + f.error().getMessage(), f.error());
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        while (true) {
            try {
                consumer.commitSync(offsets);
                return;
            } catch (WakeupException stopRequested) {
                // stop() woke the consumer while this batch was processed: finish the commit, the
                // loop then sees that it has to stop
            }
        }
    }

    private static ProducerRecord<byte[], byte[]> withoutValue(ProducerRecord<byte[], byte[]> r) {
        RecordHeaders h = new RecordHeaders(r.headers().toArray());
        h.add(VALUE_OMITTED, Integer.toString(r.value().length).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(r.topic(), null, r.timestamp(), r.key(), null, h);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
