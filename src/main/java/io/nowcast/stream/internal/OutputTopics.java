package io.nowcast.stream.internal;

import io.nowcast.stream.ProcessorConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
        Set<String> names = new LinkedHashSet<>();
        for (ProcessorConfig.Pipeline p : c.pipelines) {
            names.addAll(p.inputTopics());
            names.add(p.outputTopic());
        }
        names.add(c.deadLetterTopic);
        names.add(c.evictionsTopic);
        names.remove("");
        Map<String, Integer> partitions = partitionCounts(admin, names);
        // topic -> who writes to it, and the partitions it is made with if missing
        Map<String, String> writers = new LinkedHashMap<>();
        Map<String, Integer> made = new LinkedHashMap<>();
        int widest = 1;
        for (ProcessorConfig.Pipeline p : c.pipelines) {
            int n = p.inputTopics().stream().mapToInt(t -> partitions.getOrDefault(t, 1)).max().orElse(1);
            widest = Math.max(widest, n);
            writers.putIfAbsent(p.outputTopic(), "pipeline " + p.name() + ": output topic");
            made.merge(p.outputTopic(), n, Math::max);
        }
        for (String[] t : new String[][] {{c.deadLetterTopic, "dead.letter.topic"}, {c.evictionsTopic, "state.evictions.topic"}}) {
            if (!t[0].isEmpty()) {
                writers.putIfAbsent(t[0], t[1]);
                made.merge(t[0], widest, Math::max);
            }
        }
        for (Map.Entry<String, String> w : writers.entrySet()) {
            String topic = w.getKey();
            if (partitions.containsKey(topic)) {
                continue;
            }
            if (!c.createMissingTopics) {
                throw new FatalException(c.source + ": " + w.getValue() + " '" + topic + "' does not exist on "
                        + c.bootstrapServers + "; create it, or set topics.missing=create", null);
            }
            try {
                admin.createTopics(List.of(new NewTopic(topic, Optional.of(made.get(topic)), Optional.empty())))
                        .all().get(10, TimeUnit.SECONDS);
                LOG.info("created topic {} ({} partitions): topics.missing=create", topic, made.get(topic));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
    }

    /** The partition count of each of the topics that exists, in one request. */
    private static Map<String, Integer> partitionCounts(Admin admin, Set<String> names)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, Integer> counts = new HashMap<>();
        for (Map.Entry<String, KafkaFuture<TopicDescription>> f : admin.describeTopics(names).topicNameValues().entrySet()) {
            try {
                counts.put(f.getKey(), f.getValue().get(10, TimeUnit.SECONDS).partitions().size());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
        }
        return counts;
    }
}
