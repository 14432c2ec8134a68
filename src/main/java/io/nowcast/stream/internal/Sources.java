package io.nowcast.stream.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The numbers the processor gives its input partitions: a stream's state keeps the number of the
 * partition its last input came from ({@link StreamStateStore.Entry#source()}), so that the states
 * of a partition can be dropped when it is revoked and written to the same changelog partition.
 * A partition keeps its number for the processor's life. Not thread-safe: the loop thread only.
 */
public final class Sources {
    private final Map<TopicPartition, Integer> ids = new HashMap<>();
    /** Source id to partition. */
    private final List<TopicPartition> partitions = new ArrayList<>();
    private String lastTopic;
    private int lastPartition = -1;
    private int lastSource;

    /** The record's partition's number; records come partition by partition, so the last one is cached. */
    int id(ConsumerRecord<byte[], byte[]> r) {
        if (r.partition() == lastPartition && r.topic().equals(lastTopic)) {
            return lastSource;
        }
        int id = id(new TopicPartition(r.topic(), r.partition()));
        lastTopic = r.topic();
        lastPartition = r.partition();
        lastSource = id;
        return id;
    }

    int id(TopicPartition tp) {
        Integer id = ids.get(tp);
        if (id == null) {
            id = ids.size();
            ids.put(tp, id);
            partitions.add(tp);
        }
        return id;
    }

    /** The partition of a number given out. */
    TopicPartition partition(int id) {
        return partitions.get(id);
    }

    /** The numbers of those of the partitions that have one. */
    public BitSet of(Collection<TopicPartition> tps) {
        BitSet set = new BitSet();
        for (TopicPartition tp : tps) {
            Integer id = ids.get(tp);
            if (id != null) {
                set.set(id);
            }
        }
        return set;
    }
}
