package io.nowcast.stream.internal;

import io.nowcast.stream.OutputHeaders;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * AtLeastOnceCommitter: a batch's offsets are committed only once all of its outputs are
 * acknowledged, in batch order, while the next batch's outputs are still in flight; a failed output
 * stops every commit from then on.
 */
class AtLeastOnceCommitterTest {
    private static final TopicPartition P0 = new TopicPartition("in", 0);
    private static final TopicPartition P1 = new TopicPartition("in", 1);

    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    /** Offsets committed through the consumer, latest per partition. */
    private final Map<TopicPartition, Long> offsets = new HashMap<>();
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {
        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> o) {
            o.forEach((tp, m) -> offsets.put(tp, m.offset()));
        }
    };
    private final AtLeastOnceCommitter committer = new AtLeastOnceCommitter(producer, consumer);
    private final List<String> committed = new ArrayList<>();

    private static ProducerRecord<byte[], byte[]> out(String value) {
        return new ProducerRecord<>("out", "k".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<TopicPartition, OffsetAndMetadata> at(long offset) {
        return Map.of(P0, new OffsetAndMetadata(offset));
    }

    private Long committedOffset(TopicPartition tp) {
        return offsets.get(tp);
    }

    private void batch(long offset, String name, String... values) {
        committer.begin();
        for (String v : values) {
            committer.send(out(v), false);
        }
        committer.commit(at(offset), () -> committed.add(name));
    }

    @Test
    void aBatchIsCommittedOnceItsOutputsAreAcknowledgedWhileTheNextOnesAreInFlight() {
        batch(10, "first", "a", "b");
        assertNull(committedOffset(P0), "not before its outputs are acknowledged");
        assertTrue(committed.isEmpty());
        producer.completeNext();
        producer.completeNext();
        batch(20, "second", "c");
        assertEquals(10L, committedOffset(P0));
        assertEquals(List.of("first"), committed);
        assertFalse(producer.flushed(), "the second batch's output was left in flight, not flushed");
        committer.settle();
        assertEquals(20L, committedOffset(P0));
        assertEquals(List.of("first", "second"), committed);
    }

    @Test
    void aBatchNotAcknowledgedByTheNextCommitIsFlushedFirst() {
        batch(10, "first", "a");
        batch(20, "second", "b");
        assertEquals(10L, committedOffset(P0));
        assertTrue(producer.flushed());
    }

    @Test
    void aFailedOutputIsFatalAndNothingIsCommittedAfterIt() {
        batch(10, "first", "a");
        producer.errorNext(new KafkaException("the broker is gone"));
        KafkaException e = assertThrows(KafkaException.class, () -> batch(20, "second", "b"));
        assertTrue(e.getMessage().contains("cannot write to out"), e.getMessage());
        committer.settle();
        assertNull(committedOffset(P0));
        assertTrue(committed.isEmpty());
    }

    @Test
    void aDeadLetterTooLargeIsWrittenAgainWithoutItsValueBeforeTheCommit() {
        committer.begin();
        committer.send(out("huge"), true);
        committer.commit(at(5), () -> committed.add("first"));
        producer.errorNext(new RecordTooLargeException("too large"));
        committer.begin();
        committer.commit(Map.of(), () -> committed.add("empty"));
        assertEquals(5L, committedOffset(P0));
        List<ProducerRecord<byte[], byte[]>> h = producer.history();
        assertEquals(2, h.size());
        assertNull(h.get(1).value());
        assertArrayEquals("4".getBytes(StandardCharsets.UTF_8),
                h.get(1).headers().lastHeader(OutputHeaders.H_VALUE_OMITTED).value());
    }

    @Test
    void lostPartitionsAreNotCommittedAndAnAbandonedBatchIsNot() {
        committer.begin();
        committer.send(out("a"), false);
        committer.commit(Map.of(P0, new OffsetAndMetadata(3), P1, new OffsetAndMetadata(4)), () -> committed.add("one"));
        committer.forget(List.of(P1));
        committer.settle();
        assertEquals(3L, committedOffset(P0));
        assertNull(committedOffset(P1));
        batch(9, "two", "b");
        committer.abandon();
        committer.settle();
        assertEquals(3L, committedOffset(P0));
        assertEquals(List.of("one"), committed);
    }
}
