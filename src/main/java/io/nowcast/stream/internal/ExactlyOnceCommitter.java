package io.nowcast.stream.internal;

import io.nowcast.stream.OutputHeaders;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once: the outputs of the batches of one commit interval, the per-stream state records
 * asked for just before the commit ({@code stateRecords}) and the input offsets of those
 * batches go to Kafka in one transaction of a transactional producer, the offsets with
 * {@code sendOffsetsToTransaction(offsets, consumer.groupMetadata())} (KIP-447: one producer per
 * instance, zombies fenced by the group generation). A reader with {@code read_committed} sees all
 * of a transaction or nothing of it; a crash before the commit leaves nothing but an aborted
 * transaction, and whoever owns the partitions next reads the same records again from the
 * committed offsets and the states from the changelog.
 *
 * <h2>When a transaction commits</h2>
 * A transaction begins with the first output or offsets after the last commit. {@link #commit}
 * adds the batch's offsets and commits the transaction once it has been open for
 * {@code commit.interval.ms}; {@link #settle()} commits it at once (empty poll, rebalance, stop).
 * A commit that times out because the broker does not answer is tried again until it succeeds
 * or the processor stops: the processor waits for the broker.
 *
 * <h2>Errors</h2>
 * <ul>
 * <li>The producer lost: fenced ({@code ProducerFencedException}, {@code InvalidProducerEpochException}),
 *     a sequence error, or in an error state in which not even the abort works. A broker that was
 *     away for longer than {@code transaction.timeout.ms} (or an instance frozen that long) does
 *     this: when it is back it aborts the transactions that were open and bumps their producers'
 *     epochs, so they find themselves fenced although no other instance took over. Nothing of the
 *     open transaction is committed. The committer closes that producer, makes a new one with the
 *     same {@code transactional.id} ({@code initTransactions} bumps the epoch again and aborts
 *     whatever was left open) and throws {@link AbortedException}: the processor rewinds and goes
 *     on. Another live instance with the same {@code instance.id} is not told apart here: the
 *     group coordinator fences its consumer ({@code FencedInstanceIdException}), which stops it.</li>
 * <li>Fatal: the group fenced this instance ({@code FencedInstanceIdException}: another member with
 *     the same {@code group.instance.id} joined), an authorisation error, a broker too old, or
 *     {@link #MAX_ABORTS} transactions in a row aborted with no commit between. Nothing of the open
 *     transaction is committed; {@link ProcessorFencedException} ends the processor, which must not
 *     write again.</li>
 * <li>Abortable (any other error of a send, of the offsets or of the commit, for instance a commit
 *     refused because the group rebalanced meanwhile): the transaction is aborted and
 *     {@link AbortedException} thrown; the processor then rewinds: it drops its in-memory states,
 *     seeks its partitions to their committed offsets and restores their states from the
 *     changelog, so the aborted work is done again exactly once.</li>
 * </ul>
 * Waiting for the broker (a commit or an {@code initTransactions} that times out is tried again)
 * ends as soon as the processor is asked to stop: the open transaction is then left to the broker,
 * which aborts it, and the processor stops without committing it.
 *
 * A dead letter larger than the producer's {@code max.request.size} less 16 KiB is written
 * without its value (header {@code nowcast.value.omitted} gives its size). One that the broker
 * refuses as too large for the dead-letter topic aborts its transaction once: the committer
 * remembers its source record, and when the rewound loop dead-letters it again it is written
 * without its value. So a huge poison record cannot abort every transaction. After
 * {@link #MAX_ABORTS} aborted transactions in a row the error is taken as fatal.
 */
public final class ExactlyOnceCommitter implements OutputCommitter {
    /** The open transaction was aborted; nothing of it is visible. The processor rewinds. */
    public static final class AbortedException extends KafkaException {
        private static final long serialVersionUID = 1L;

        AbortedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** This instance may not write any more (fenced); the processor stops. */
    static final class ProcessorFencedException extends KafkaException {
        private static final long serialVersionUID = 1L;

        ProcessorFencedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ExactlyOnceCommitter.class);
    private static final int DEAD_LETTER_MARGIN = 16 * 1024;
    static final int MAX_ABORTS = 10;

    private Producer<byte[], byte[]> producer;
    /** Makes the next producer (same settings, same transactional.id) when one is lost. */
    private final Supplier<Producer<byte[], byte[]>> replacements;
    /** True once the processor is asked to stop: ends waiting for the broker. */
    private final BooleanSupplier stopping;
    /** Counts the producers made; a send's callback from an older one no longer counts. */
    private int generation;
    private final Consumer<byte[], byte[]> consumer;
    private final long intervalNanos;
    private final Supplier<List<ProducerRecord<byte[], byte[]>>> stateRecords;
    private final LongSupplier nanoTime;
    private final int deadLetterLimit;
    private boolean open;
    private long openedNanos;
    private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    private final List<Runnable> committed = new ArrayList<>();
    private volatile KafkaException sendFailure;
    private boolean dead;
    private long transactions;
    private int abortsInARow;
    /** Source records (topic/partition/offset) of dead letters the broker refused as too large. */
    private final java.util.Set<String> tooLarge = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param producer       transactional; {@link #initTransactions} is called before the first send
     * @param replacements   makes a new producer of the same settings when this one is lost
     * @param stateRecords   what has to be in the transaction before it commits: the states of the
     *                       streams it changed (written with the transaction's other outputs)
     * @param maxRequestSize the producer's {@code max.request.size}
     * @param stopping       true once the processor is asked to stop
     */
    public ExactlyOnceCommitter(Producer<byte[], byte[]> producer, Supplier<Producer<byte[], byte[]>> replacements,
                                Consumer<byte[], byte[]> consumer, long intervalMs,
                                Supplier<List<ProducerRecord<byte[], byte[]>>> stateRecords, int maxRequestSize,
                                BooleanSupplier stopping) {
        this(producer, replacements, consumer, intervalMs, stateRecords, maxRequestSize, stopping, System::nanoTime);
    }

    ExactlyOnceCommitter(Producer<byte[], byte[]> producer, Supplier<Producer<byte[], byte[]>> replacements,
                         Consumer<byte[], byte[]> consumer, long intervalMs,
                         Supplier<List<ProducerRecord<byte[], byte[]>>> stateRecords, int maxRequestSize,
                         BooleanSupplier stopping, LongSupplier nanoTime) {
        this.producer = producer;
        this.replacements = replacements;
        this.stopping = stopping;
        this.consumer = consumer;
        this.intervalNanos = intervalMs * 1_000_000L;
        this.stateRecords = stateRecords;
        this.nanoTime = nanoTime;
        this.deadLetterLimit = Math.max(1024, maxRequestSize - DEAD_LETTER_MARGIN);
    }

    /**
     * The producer's {@code initTransactions}, tried again while the broker does not answer: it
     * fences an older producer of the same {@code transactional.id} and aborts what it left open.
     *
     * @return false if the processor was asked to stop before the broker answered
     */
    public boolean initTransactions() {
        while (true) {
            try {
                producer.initTransactions();
                return true;
            } catch (TimeoutException e) {
                if (stopping.getAsBoolean()) {
                    return false;
                }
                LOG.warn("the broker did not answer initTransactions: {}; trying again", e.getMessage());
            }
        }
    }

    @Override
    public void begin() {
        // the transaction begins with its first write
    }

    private void ensureOpen() {
        if (dead) {
            throw new IllegalStateException("the committer was abandoned");
        }
        if (!open) {
            try {
                producer.beginTransaction();
            } catch (KafkaException e) {
                throw failed("cannot begin a transaction", e);
            }
            open = true;
            openedNanos = nanoTime.getAsLong();
            sendFailure = null;
        }
    }

    @Override
    public void send(ProducerRecord<byte[], byte[]> record, boolean deadLetter) {
        ensureOpen();
        String source = deadLetter ? source(record) : null;
        ProducerRecord<byte[], byte[]> r = deadLetter && record.value() != null
                && (size(record) > deadLetterLimit || tooLarge.contains(source)) ? OutputRecords.withoutValue(record) : record;
        int gen = generation;
        try {
            producer.send(r, (meta, e) -> {
                if (e instanceof RecordTooLargeException && source != null && r.value() != null) {
                    tooLarge.add(source);
                }
                if (e != null && sendFailure == null && gen == generation) {
                    sendFailure = e instanceof KafkaException k ? k : new KafkaException(e);
                }
            });
        } catch (KafkaException e) {
            throw failed("cannot write to " + r.topic(), e);
        }
    }

    @Override
    public void commit(Map<TopicPartition, OffsetAndMetadata> batchOffsets, Runnable onCommitted) {
        if (!batchOffsets.isEmpty()) {
            ensureOpen();
            offsets.putAll(batchOffsets);
        }
        committed.add(onCommitted);
        if (open && nanoTime.getAsLong() - openedNanos >= intervalNanos) {
            commitNow();
        }
    }

    @Override
    public void settle() {
        if (open) {
            commitNow();
        } else if (!dead) {
            runCallbacks();
        }
    }

    @Override
    public void caughtUp() {
        // the transaction stays open until its interval is over (checked by commit)
    }

    private void commitNow() {
        try {
            for (ProducerRecord<byte[], byte[]> r : stateRecords.get()) {
                send(r, false);
            }
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(new HashMap<>(offsets), consumer.groupMetadata());
            }
            while (true) {
                try {
                    producer.commitTransaction();
                    break;
                } catch (TimeoutException e) {
                    // the broker does not answer: the commit may be tried again (KafkaProducer's doc)
                    if (stopping.getAsBoolean()) {
                        throw e;
                    }
                }
            }
        } catch (TimeoutException e) {
            if (stopping.getAsBoolean()) {
                leaveToBroker(e);
                return;
            }
            throw failed("cannot commit the transaction", e);
        } catch (KafkaException e) {
            throw failed("cannot commit the transaction", e);
        }
        open = false;
        offsets.clear();
        transactions++;
        abortsInARow = 0;
        runCallbacks();
    }

    /**
     * Asked to stop while the broker does not answer: the open transaction is neither committed nor
     * aborted from here (an abort would wait for the broker too); the broker aborts it after
     * transaction.timeout.ms, or at once when a producer of the same transactional.id starts.
     */
    private void leaveToBroker(TimeoutException e) {
        LOG.warn("stopping while the broker does not answer ({}): the open transaction is not committed; the"
                + " broker aborts it, and its input is read again by the next owner of its partitions", e.getMessage());
        open = false;
        dead = true;
        offsets.clear();
        committed.clear();
    }

    private void runCallbacks() {
        List<Runnable> done = new ArrayList<>(committed);
        committed.clear();
        for (Runnable r : done) {
            r.run();
        }
    }

    /** Classifies a failure: fatal, the producer lost, or the transaction aborted. Returns the exception to throw. */
    private KafkaException failed(String what, KafkaException e) {
        KafkaException cause = sendFailure != null && !(e instanceof AbortedException) ? sendFailure : e;
        offsets.clear();
        committed.clear();
        if (fatal(e) || fatal(cause) || ++abortsInARow > MAX_ABORTS) {
            dead = true;
            open = false;
            boolean twin = causedBy(e, FencedInstanceIdException.class) || causedBy(cause, FencedInstanceIdException.class);
            return new ProcessorFencedException(what + ": " + e.getMessage()
                    + (twin ? " (FencedInstanceIdException: another live member of the group has this instance's"
                    + " instance.id)" : "")
                    + (abortsInARow > MAX_ABORTS ? " (" + MAX_ABORTS + " transactions aborted in a row)" : "")
                    + (cause != e ? " (a write failed: " + cause.getMessage() + ")" : "")
                    + "; this instance stops, nothing of its open transaction is committed", e);
        }
        if (e instanceof AbortedException a) {
            return a;
        }
        String detail = what + ": " + e.getMessage() + (cause != e ? " (a write failed: " + cause.getMessage() + ")" : "");
        if (producerLost(e) || producerLost(cause)) {
            return replaceProducer(detail, e);
        }
        try {
            if (open) {
                producer.abortTransaction();
            }
        } catch (KafkaException abortFailed) {
            abortFailed.addSuppressed(e);
            return replaceProducer(detail + ", and the abort failed too: " + abortFailed.getMessage(), abortFailed);
        }
        open = false;
        sendFailure = null;
        return new AbortedException(detail + "; the transaction was aborted", e);
    }

    /**
     * The producer cannot go on (fenced, or in an error state): it is closed and a new one made and
     * initialised, which aborts what the old one left open. Returns the exception that rewinds the
     * processor, or the fatal one if it was asked to stop meanwhile.
     */
    private KafkaException replaceProducer(String detail, KafkaException e) {
        LOG.warn("{}; making a new producer", detail);
        open = false;
        sendFailure = null;
        generation++;
        try {
            producer.close(Duration.ZERO);
        } catch (KafkaException closeFailed) {
            // it is dropped either way
        }
        producer = replacements.get();
        if (!initTransactions()) {
            dead = true;
            return new ProcessorFencedException(detail + "; stopped before a new producer could start", e);
        }
        return new AbortedException(detail + "; nothing of the transaction was committed, a new producer"
                + " took over", e);
    }

    /** This instance may not write again: the group fenced it, or the broker will not let it. */
    static boolean fatal(Throwable e) {
        return causedBy(e, FencedInstanceIdException.class, AuthorizationException.class,
                UnsupportedVersionException.class, ProcessorFencedException.class);
    }

    /** The producer cannot be used again (fenced by an epoch bump, or its sequence state lost); a new one can. */
    static boolean producerLost(Throwable e) {
        return causedBy(e, ProducerFencedException.class, InvalidProducerEpochException.class,
                OutOfOrderSequenceException.class);
    }

    /** Whether e or one of its causes is of one of the types. */
    @SafeVarargs
    private static boolean causedBy(Throwable e, Class<? extends Throwable>... types) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            for (Class<? extends Throwable> type : types) {
                if (type.isInstance(t)) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    @Override
    public void forget(Collection<TopicPartition> lost) {
        // their offsets stay in the open transaction: the commit is refused (the generation moved on)
        // and the transaction aborted
    }

    @Override
    public void abandon() {
        if (open && !dead) {
            try {
                producer.abortTransaction();
            } catch (KafkaException e) {
                // fenced or closed: nothing of it will be committed either way
            }
        }
        open = false;
        dead = true;
        offsets.clear();
        committed.clear();
    }

    /** Transactions committed so far. */
    long transactions() {
        return transactions;
    }

    /** The source record of a dead letter, from the headers the processor gives it. */
    private static String source(ProducerRecord<byte[], byte[]> r) {
        return header(r, OutputHeaders.H_TOPIC) + "/" + header(r, OutputHeaders.H_PARTITION) + "/" + header(r, OutputHeaders.H_OFFSET);
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null || h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static int size(ProducerRecord<byte[], byte[]> r) {
        int n = (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        for (Header h : r.headers()) {
            n += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return n;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    /** The producer in use now (a lost one is replaced). */
    public Producer<byte[], byte[]> producer() {
        return producer;
    }
}
