package io.nowcast.stream;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.util.Map;

/**
 * How the outputs of one batch (predictions, dead letters, eviction announcements) and the input
 * offsets it consumed are made durable: the step of the poll loop that decides the processor's
 * delivery guarantee. The loop calls, per batch and from its own thread only:
 * <ol>
 * <li>{@link #begin()} before the first output of the batch,</li>
 * <li>{@link #send} for each output, in the order they are made,</li>
 * <li>{@link #commit} once, with the next offset to read of every partition the batch read.</li>
 * </ol>
 * An exception from {@code send} or {@code commit} is fatal to the processor: the batch's offsets
 * are then not committed, so its records are read again by whoever owns their partitions next.
 *
 * <p>{@link AtLeastOnceCommitter} sends, flushes and then commits the offsets through the consumer.
 * An exactly-once committer replaces it with a transaction: begin = {@code beginTransaction},
 * commit = {@code sendOffsetsToTransaction} + {@code commitTransaction}.
 */
interface OutputCommitter extends AutoCloseable {
    void begin();

    /** Sends one output; {@code deadLetter} marks a record whose value may be dropped if it is too large to write. */
    void send(ProducerRecord<byte[], byte[]> record, boolean deadLetter);

    /** Makes every output sent since {@link #begin()} durable, then the offsets. */
    void commit(Map<TopicPartition, OffsetAndMetadata> offsets);

    /** Closes the producer (waiting at most a few seconds for outstanding sends). */
    @Override
    void close();
}
