package io.nowcast.stream.internal;

import io.nowcast.stream.ProcessorConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * At start, before the first poll: every topic the processor writes to (each pipeline's output
 * topic, the dead-letter topic, the evictions topic if set) exists, or is made when
 * {@code topics.missing=create}; otherwise the processor stops, naming the first missing topic.
 * Without this a missing output topic on a broker that does not create topics left the producer
 * asking for its metadata every second, with no error and no output. While the broker does not
 * answer, the check is tried again until the processor is asked to stop.
 */
public final class OutputTopics {
    private static final Logger LOG = LoggerFactory.getLogger("io.nowcast.stream.Processor");

    private OutputTopics() {
    }

    /**
     * @param stopping true once the processor is asked to stop
     * @return false if it was asked to stop before the broker answered
     * @throws FatalException naming the missing topic, the pipeline and the broker
     */
    public static boolean prepare(ProcessorConfig c, BooleanSupplier stopping) {
        try (Admin admin = Admin.create(ClientSettings.admin(c))) {
            return prepare(c, admin, stopping);
        }
    }

    private static boolean prepare(ProcessorConfig c, Admin admin, BooleanSupplier stopping) {
        while (true) {
            try {
                check(c, admin);
                return true;
            } catch (TimeoutException e) {
                if (stopping.getAsBoolean()) {
                    return false;
                }
                LOG.warn("the broker at {} did not answer while the output topics were checked; trying again",
                        c.bootstrapServers);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FatalException("interrupted while checking the output topics", e);
            } catch (ExecutionException e) {
                throw new FatalException("cannot check the output topics on " + c.bootstrapServers + ": " + e.getCause(),
                        e.getCause());
            }
        }
    }

    private static void check(ProcessorConfig c, Admin admin)
            throws InterruptedException, ExecutionException, TimeoutException {
        // topic -> who writes to it, and the partitions it is made with if missing
        Map<String, String> writers = new LinkedHashMap<>();
        Map<String, Integer> partitions = new LinkedHashMap<>();
        int widest = 1;
        for (ProcessorConfig.Pipeline p : c.pipelines) {
            int n = 1;
            for (String t : p.inputTopics()) {
                Optional<TopicDescription> d = describe(admin, t);
                if (d.isPresent()) {
                    n = Math.max(n, d.get().partitions().size());
                }
            }
            widest = Math.max(widest, n);
            writers.putIfAbsent(p.outputTopic(), "pipeline " + p.name() + ": output topic");
            partitions.merge(p.outputTopic(), n, Math::max);
        }
        if (!c.deadLetterTopic.isEmpty()) {
            writers.putIfAbsent(c.deadLetterTopic, "dead.letter.topic");
            partitions.merge(c.deadLetterTopic, widest, Math::max);
        }
        if (!c.evictionsTopic.isEmpty()) {
            writers.putIfAbsent(c.evictionsTopic, "state.evictions.topic");
            partitions.merge(c.evictionsTopic, widest, Math::max);
        }
        List<NewTopic> missing = new ArrayList<>();
        for (Map.Entry<String, String> w : writers.entrySet()) {
            if (describe(admin, w.getKey()).isPresent()) {
                continue;
            }
            if (!c.createMissingTopics) {
                throw new FatalException(c.source + ": " + w.getValue() + " '" + w.getKey() + "' does not exist on "
                        + c.bootstrapServers + "; create it, or set topics.missing=create", null);
            }
            missing.add(new NewTopic(w.getKey(), Optional.of(partitions.get(w.getKey())), Optional.empty()));
        }
        for (NewTopic t : missing) {
            try {
                admin.createTopics(List.of(t)).all().get(10, TimeUnit.SECONDS);
                LOG.info("created topic {} ({} partitions): topics.missing=create", t.name(), t.numPartitions());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
    }

    private static Optional<TopicDescription> describe(Admin admin, String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return Optional.of(admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
