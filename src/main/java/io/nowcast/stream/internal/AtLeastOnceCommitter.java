package io.nowcast.stream.internal;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * At-least-once: outputs go to an idempotent producer with {@code acks=all}; a batch's offsets are
 * committed synchronously through the consumer only after every output of that batch has been
 * acknowledged. A crash after the outputs are written and before the commit leaves outputs whose
 * input offsets are not committed: those inputs are processed again and their outputs written twice.
 *
 * <h2>One batch in flight</h2>
 * {@link #commit} does not wait for the batch it is given: it seals it and settles the batch
 * before, whose outputs have been travelling to the broker while this one was processed, and
 * which is acknowledged by then in the usual case (otherwise the producer is flushed, as a
 * committer that waits for every batch would do, so that small batches are not held for the
 * producer's {@code linger.ms}). So the loop processes batch k while the broker acknowledges
 * batch k-1, and the offsets of batch k are committed at the end of batch k+1, on an empty poll,
 * before a rebalance takes the partitions away, or when the processor stops ({@link #settle()}).
 * Offsets are still committed in batch order, each only after all of its batch's outputs, and the
 * idempotent producer keeps the outputs of each partition in the order they were sent.
 *
 * <p>A dead letter the broker refuses as too large (its original value plus Nowcast's headers
 * can be bigger than what the producer or the dead-letter topic accepts) is written again without
 * its value, with header {@code nowcast.value.omitted} giving the value's size, so that a huge
 * poison record cannot stall its partition. Any other failed send is fatal.
 */
public final class AtLeastOnceCommitter implements OutputCommitter {
    private final Producer<byte[], byte[]> producer;
    private final Consumer<byte[], byte[]> consumer;
    /** The batch being written, between begin and commit. */
    private Batch open;
    /** The batch given to commit whose offsets are not committed yet; at most one. */
    private Batch sealed;
    private boolean abandoned;

    private record Failure(ProducerRecord<byte[], byte[]> record, boolean deadLetter, Exception error) {
    }

    /** One batch's outputs in flight; the producer's callbacks count them down. */
    private static final class Batch {
        private int outstanding;
        final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
        Map<TopicPartition, OffsetAndMetadata> offsets;
        Runnable committed;

        synchronized void sent() {
            outstanding++;
        }

        synchronized void arrived() {
            if (--outstanding == 0) {
                notifyAll();
            }
        }

        synchronized boolean acknowledged() {
            return outstanding == 0;
        }

        synchronized void awaitAcknowledged() {
            boolean interrupted = false;
            while (outstanding > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the producer's callbacks will come: finish the wait
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public AtLeastOnceCommitter(Producer<byte[], byte[]> producer, Consumer<byte[], byte[]> consumer) {
        this.producer = producer;
        this.consumer = consumer;
    }

    @Override
    public void begin() {
        open = new Batch();
    }

    @Override
    public void send(ProducerRecord<byte[], byte[]> record, boolean deadLetter) {
        Batch b = open;
        b.sent();
        try {
            producer.send(record, (meta, e) -> {
                if (e != null) {
                    b.failures.add(new Failure(record, deadLetter, e));
                }
                b.arrived();
            });
        } catch (RuntimeException e) {
            b.arrived(); // not sent: no callback will come
            throw e;
        }
    }

    @Override
    public void commit(Map<TopicPartition, OffsetAndMetadata> offsets, Runnable committed) {
        Batch b = open;
        open = null;
        b.offsets = offsets;
        b.committed = committed;
        // the batch before first: offsets are committed in batch order
        settle();
        sealed = b;
    }

    @Override
    public void settle() {
        Batch b = sealed;
        if (b == null || abandoned) {
            return;
        }
        sealed = null;
        try {
            if (!b.acknowledged()) {
                // not all out yet (held for linger.ms, or the broker is slow): send everything now
                // rather than wait for the linger, the outputs of a batch just made too
                producer.flush();
            }
            b.awaitAcknowledged();
            if (!b.failures.isEmpty()) {
                rewriteOrFail(b);
            }
            if (!b.offsets.isEmpty()) {
                while (true) {
                    try {
                        consumer.commitSync(b.offsets);
                        break;
                    } catch (WakeupException stopRequested) {
                        // stop() woke the consumer while this batch was processed: finish the
                        // commit, the loop then sees that it has to stop
                    }
                }
            }
        } catch (RuntimeException e) {
            abandoned = true;
            throw e;
        }
        b.committed.run();
    }

    /** Dead letters too large for their topic are written again without their value; any other failure is fatal. */
    private void rewriteOrFail(Batch b) {
        List<Failure> failed = new ArrayList<>(b.failures);
        b.failures.clear();
        for (Failure f : failed) {
            if (!(f.deadLetter() && f.error() instanceof RecordTooLargeException && f.record().value() != null)) {
                throw new KafkaException("cannot write to " + f.record().topic() + ": " + f.error().getMessage(), f.error());
            }
        }
        Batch retry = new Batch();
        for (Failure f : failed) {
            ProducerRecord<byte[], byte[]> r = OutputRecords.withoutValue(f.record());
            retry.sent();
            producer.send(r, (meta, e) -> {
                if (e != null) {
                    retry.failures.add(new Failure(r, false, e));
                }
                retry.arrived();
            });
        }
        producer.flush();
        retry.awaitAcknowledged();
        Failure f = retry.failures.peek();
        if (f != null) {
            throw new KafkaException("cannot write to " + f.record().topic() + ": " + f.error().getMessage(), f.error());
        }
    }

    @Override
    public void forget(Collection<TopicPartition> lost) {
        Batch b = sealed;
        if (b != null && !lost.isEmpty()) {
            Map<TopicPartition, OffsetAndMetadata> kept = new HashMap<>(b.offsets);
            kept.keySet().removeAll(lost);
            b.offsets = kept;
        }
    }

    @Override
    public void abandon() {
        abandoned = true;
        sealed = null;
        open = null;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
