package io.nowcast.run.replay;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Writes the samples of a replay into a topic, numbered 0, 1, 2, ... in sending order, and rides
 * out a broker that goes away for up to {@code patience}, so that every sample is written and
 * each key's samples keep their order.
 *
 * <p>How an outage is met, and what is guaranteed:
 * <ul>
 * <li>The producer is idempotent, acks=all, one request in flight, retries without end and a
 * delivery timeout longer than the patience: records it holds are retried by the producer itself
 * while the broker is away and written exactly once, in order, when it is back.</li>
 * <li>A send that times out waiting for the topic's metadata (or for buffer space) never reached
 * the producer: the same sample is sent again, after every earlier one, so it too is written once
 * and in order.</li>
 * <li>A record the producer fails (it gave up, or the broker lost the producer's state) may be
 * followed by later records of the same partition that do get written, so sending it again alone
 * would break its key's order. The producer is then closed and a fresh one writes again every
 * sample from the first unacknowledged one on. No sample is lost and each key's samples are in
 * order in the topic from there on, but the samples after that one which had been acknowledged,
 * and a failed one the broker had appended after all, are in the topic twice: this case is
 * at-least-once, and the summary says how many were sent again.</li>
 * </ul>
 * The patience is counted while samples wait: when the broker has acknowledged nothing for that
 * long, the replay fails. With a patience of 0 there is no waiting of its own: the first failed
 * send fails the replay (the producer waits 15 s for metadata and retries a record up to 2 min).
 * Not thread-safe: one thread sends.
 */
public final class ReplayWriter implements AutoCloseable {
    /** The record of sample number {@code seq}. */
    public interface Records {
        ProducerRecord<String, byte[]> record(long seq) throws IOException;
    }

    private static final int MAX_BLOCK_MS = 15_000;
    private static final int REQUEST_TIMEOUT_MS = 30_000;
    private static final int DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;

    private final Supplier<Producer<String, byte[]>> producers;
    private final String topic;
    private final String bootstrap;
    private final Duration patience;
    private final Records records;
    private final PrintWriter out;
    /** Sent and not yet acknowledged. */
    private final ConcurrentSkipListSet<Long> unacked = new ConcurrentSkipListSet<>();
    /** When the broker last acknowledged a sample, or a sample began to wait with none waiting before. */
    private volatile long lastProgress = System.nanoTime();
    private volatile Thread sendingThread;
    private Exception syncFailure;
    private Exception lastError;
    private Generation gen;
    private long next;
    private long sentTwice;
    private boolean gaveUp;

    /** One producer and the first failure of one of its records. */
    private record Generation(Producer<String, byte[]> producer, AtomicReference<Exception> failure) {
    }

    /**
     * @param linger the producer's linger.ms
     * @param out    where the waiting for the broker, and a fresh start after a lost sample, are told
     */
    public ReplayWriter(String bootstrap, String topic, int linger, Duration patience, Records records,
                        PrintWriter out) {
        this(bootstrap, topic, patience, records, out, () -> new KafkaProducer<>(producerConfig(bootstrap, linger,
                patience), new StringSerializer(), new ByteArraySerializer()));
    }

    /** A writer on producers made by {@code producers}, one at the start and one after each lost sample. */
    ReplayWriter(String bootstrap, String topic, Duration patience, Records records, PrintWriter out,
                 Supplier<Producer<String, byte[]>> producers) {
        this.topic = topic;
        this.bootstrap = bootstrap;
        this.patience = patience;
        this.records = records;
        this.out = out;
        this.producers = producers;
        gen = newGeneration();
    }

    private static Map<String, Object> producerConfig(String bootstrap, int linger, Duration patience) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.LINGER_MS_CONFIG, linger);
        // a send waits this long for the topic's metadata, then the sample is sent again within the patience
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) (patience.isZero() ? MAX_BLOCK_MS
                : Math.min(MAX_BLOCK_MS, patience.toMillis())));
        // Kafka's own timeouts (30 s per request; per record 2 min, or the patience and a request more):
        // shorter ones expired batches on a loaded machine. And one request in flight: with several, a request
        // that timed out on a stalled broker but was appended after all is retried once later batches
        // are in, and the broker, which remembers only a producer's last few batches, refuses it as
        // out of sequence instead of recognising the duplicate, for good
        c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS);
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE,
                Math.max(DEFAULT_DELIVERY_TIMEOUT_MS, patience.toMillis() + REQUEST_TIMEOUT_MS + linger)));
        c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, "nowcast-replay");
        return c;
    }

    private boolean waits() {
        return !patience.isZero();
    }

    private Generation newGeneration() {
        return new Generation(producers.get(), new AtomicReference<>());
    }

    /** Fetches the topic's metadata now, so that it is not counted in the rate. */
    public void connect() {
        gen.producer.partitionsFor(topic);
    }

    /** Sends the next sample, waiting for the broker within the patience; see the class comment. */
    public void sendNext() throws IOException, InterruptedException {
        check();
        send(next);
        next++;
    }

    /** Waits until every sample sent is acknowledged, within the patience. */
    public void finish() throws IOException, InterruptedException {
        while (!unacked.isEmpty()) {
            check();
            Thread.sleep(20);
        }
        check();
    }

    /** Samples sent and acknowledged. */
    public long written() {
        return next - unacked.size();
    }

    /** Samples sent. */
    public long sent() {
        return next;
    }

    /** Samples written a second time after the producer lost one before them. */
    public long sentTwice() {
        return sentTwice;
    }

    @Override
    public void close() {
        // after a failure what is left is dropped at once; else what was sent goes out first
        gen.producer.close(gaveUp ? Duration.ZERO : Duration.ofMillis(Long.MAX_VALUE));
    }

    private void send(long seq) throws IOException, InterruptedException {
        ProducerRecord<String, byte[]> r = records.record(seq);
        long firstTry = System.nanoTime();
        while (true) {
            if (unacked.isEmpty()) {
                lastProgress = System.nanoTime();
            }
            unacked.add(seq);
            Generation g = gen;
            syncFailure = null;
            sendingThread = Thread.currentThread();
            try {
                g.producer.send(r, (md, e) -> {
                    if (e == null) {
                        unacked.remove(seq);
                        lastProgress = System.nanoTime();
                    } else if (Thread.currentThread() == sendingThread) {
                        syncFailure = e; // failed in send(), before the producer took it
                    } else {
                        g.failure.compareAndSet(null, e);
                    }
                });
            } finally {
                sendingThread = null;
            }
            Exception e = syncFailure;
            if (e == null) {
                return;
            }
            unacked.remove(seq);
            if (!waits() || !(e instanceof TimeoutException)) {
                next = Math.max(next, seq + 1);
                throw failed(e);
            }
            lastError = e;
            long since = unacked.isEmpty() ? firstTry : lastProgress;
            out.println(String.format(Locale.ROOT, "waiting for the broker %s (%.0f of %d s): %s", bootstrap,
                    (System.nanoTime() - since) / 1e9, patience.toSeconds(), e.getMessage()));
            out.flush();
            checkPatience(since, Math.max(next, seq + 1));
        }
    }

    /** Starts afresh after a lost record, or fails when it cannot be helped or the patience has run out. */
    private void check() throws IOException, InterruptedException {
        Exception e = gen.failure.get();
        if (e != null) {
            if (!waits() || !(e instanceof RetriableException || e instanceof OutOfOrderSequenceException
                    || e instanceof UnknownProducerIdException)) {
                throw failed(e);
            }
            lastError = e;
            gen.producer.close(Duration.ZERO); // no more acknowledgements after this
            long first = unacked.first();
            long again = next - first - unacked.size();
            out.println("the broker " + bootstrap + " lost sample " + first + " (" + e.getMessage()
                    + "); writing again from it with a new producer");
            out.flush();
            sentTwice += again;
            gen = newGeneration();
            for (long s = first; s < next; s++) {
                send(s);
            }
        }
        if (!unacked.isEmpty()) {
            checkPatience(lastProgress, next);
        }
    }

    /** Fails when samples have waited longer than the patience; {@code sent} counts the one being tried. */
    private void checkPatience(long waitingSince, long sent) throws IOException {
        if (!waits()) {
            return;
        }
        long waited = System.nanoTime() - waitingSince;
        if (waited > patience.toNanos()) {
            gaveUp = true;
            throw new IOException(String.format(Locale.ROOT, "writing to topic '%s' stopped after %d of"
                            + " %d samples: the broker %s took no sample for %.0f s (--broker-patience %d)%s", topic,
                    written(), sent, bootstrap, waited / 1e9, patience.toSeconds(),
                    lastError == null ? "" : "; last error: " + lastError.getMessage()), lastError);
        }
    }

    private IOException failed(Exception e) {
        gaveUp = true;
        return new IOException("writing to topic '" + topic + "' failed after " + written() + " of " + next
                + " samples: " + e.getMessage(), e);
    }
}
