package io.nowcast.stream.internal;

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
 * A committer may finish a batch's commit later than {@code commit} returns, while the loop goes on
 * with the next batch; {@link #settle()} finishes every batch given to {@code commit} so far (the
 * loop calls it when a poll is empty, before its partitions are revoked and before it stops).
 * An exception from {@code send}, {@code commit} or {@code settle} is fatal to the processor:
 * the offsets of that batch and of every later one are then not committed, so their records are
 * read again by whoever owns their partitions next.
 *
 * <p>{@link AtLeastOnceCommitter} commits a batch's offsets through the consumer once all of its
 * outputs are acknowledged. {@link ExactlyOnceCommitter} writes the outputs of several batches and
 * their offsets in one transaction ({@code sendOffsetsToTransaction} + {@code commitTransaction}).
 */
public interface OutputCommitter extends AutoCloseable {
    void begin();

    /** Sends one output; {@code deadLetter} marks a record whose value may be dropped if it is too large to write. */
    void send(ProducerRecord<byte[], byte[]> record, boolean deadLetter);

    /**
     * Ends the batch begun last: its outputs are made durable, then its offsets committed, either
     * now or by a later {@code commit} or {@link #settle()}. {@code committed} runs in the loop's
     * thread once that has happened (not at all if it fails).
     */
    void commit(Map<TopicPartition, OffsetAndMetadata> offsets, Runnable committed);

    /** Finishes every batch given to {@link #commit}: its outputs durable, its offsets committed. */
    void settle();

    /**
     * The loop has caught up with its input (a poll gave fewer records than it may): at-least-once
     * settles at once, so that no output waits; exactly-once keeps its transaction open until its
     * commit interval is over.
     */
    default void caughtUp() {
        settle();
    }

    /**
     * Forgets the offsets of the partitions this instance lost without a chance to commit them
     * (their new owner reads those records again).
     */
    void forget(java.util.Collection<TopicPartition> lost);

    /** After a fatal error: nothing given to {@link #commit} and not yet committed will be. */
    void abandon();

    /** Closes the producer (waiting at most a few seconds for outstanding sends). */
    @Override
    void close();
}
