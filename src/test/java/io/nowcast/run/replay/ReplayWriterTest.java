package io.nowcast.run.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A record the producer fails, with a later one acknowledged: the writer starts a fresh producer
 * and sends again every sample from the lost one on, in order (the broker-outage cases that do not
 * get that far are in ReplayBrokerOutageTest).
 */
class ReplayWriterTest {
    @Test
    void aLostSampleIsSentAgainWithEveryLaterOneInOrder() throws Exception {
        List<MockProducer<String, byte[]>> producers = new ArrayList<>();
        StringWriter log = new StringWriter();
        try (ReplayWriter w = new ReplayWriter("host:9092", "t", Duration.ofSeconds(60),
                seq -> new ProducerRecord<>("t", "k" + seq % 2, Long.toString(seq).getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(log), () -> {
                    producers.add(new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer()));
                    return producers.get(producers.size() - 1);
                })) {
            for (int k = 0; k < 5; k++) {
                w.sendNext();
            }
            MockProducer<String, byte[]> first = producers.get(0);
            first.completeNext();
            first.completeNext();
            first.errorNext(new NetworkException("connection lost"));
            first.completeNext(); // sample 3 is in, after the lost 2; 4 is still open
            w.sendNext();
            assertTrue(first.closed());
            MockProducer<String, byte[]> fresh = producers.get(1);
            assertEquals(List.of("2", "3", "4", "5"), fresh.history().stream()
                    .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList());
            while (fresh.completeNext()) {
                // every sample acknowledged by the fresh producer
            }
            w.finish();
            assertEquals(6, w.written());
            assertEquals(1, w.sentTwice(), "sample 3 was in already");
            assertTrue(log.toString().contains("the broker host:9092 lost sample 2 (connection lost); writing again"
                    + " from it with a new producer"), log.toString());
        }
    }
}
