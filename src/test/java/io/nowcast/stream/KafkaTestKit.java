package io.nowcast.stream;

import io.nowcast.broker.EmbeddedBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producing, reading and running a processor against a real broker in the test JVM. */
final class KafkaTestKit {
    private KafkaTestKit() {
    }

    static KafkaProducer<byte[], byte[]> producer(EmbeddedBroker b) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends the records in order and waits until all are written. */
    static void produce(EmbeddedBroker b, List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> p = producer(b)) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                p.send(r);
            }
            p.flush();
        }
    }

    /** Every committed record of the topic, from the beginning to the end offsets of now. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(EmbeddedBroker b, String topic) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(20)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(20));
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("did not reach the end offsets " + end + " of " + topic);
                }
                consumer.poll(Duration.ofMillis(100)).forEach(out::add);
            }
            return out;
        }
    }

    /** A processor running in its own thread. */
    static final class Running implements AutoCloseable {
        final Processor processor;
        final CompletableFuture<Void> done;

        Running(Processor processor) {
            this.processor = processor;
            this.done = CompletableFuture.runAsync(processor::run, r -> {
                Thread t = new Thread(r, "processor-under-test");
                t.setDaemon(true);
                t.start();
            });
        }

        /** Waits until the processor has handled (predicted, dead-lettered or dropped) at least n records. */
        Processor.Stats awaitHandled(long n, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Processor.Stats s = processor.stats();
                if (s.handled() >= n) {
                    return s;
                }
                if (done.isDone()) {
                    done.get(); // rethrows the loop's failure
                    throw new AssertionError("the processor stopped after handling " + s.handled() + " of " + n);
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("handled " + s.handled() + " of " + n + " records in " + timeout + ": " + s);
                }
                Thread.sleep(20);
            }
        }

        /** Waits until the predicate holds for the stats. */
        Processor.Stats await(java.util.function.Predicate<Processor.Stats> p, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Processor.Stats s = processor.stats();
                if (p.test(s)) {
                    return s;
                }
                if (done.isDone()) {
                    done.get();
                    throw new AssertionError("the processor stopped: " + s);
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not reached in " + timeout + ": " + s);
                }
                Thread.sleep(20);
            }
        }

        @Override
        public void close() throws Exception {
            processor.stop();
            done.get(30, TimeUnit.SECONDS);
        }
    }

    static Running start(ProcessorConfig config, Map<String, ?> models) {
        return new Running(new Processor(config, models));
    }

    static Running start(ProcessorConfig config, Map<String, ?> models, LongSupplier clock) {
        return new Running(new Processor(config, models, clock));
    }

    /** A configuration from key-value pairs, model paths resolved against dir. */
    static ProcessorConfig config(Path dir, String... keyValues) throws ConfigException {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return ProcessorConfig.parse(m, "test.properties", dir);
    }
}
