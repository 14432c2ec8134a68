package io.nowcast.stream.internal;

import io.nowcast.codec.RejectReason;
import io.nowcast.stream.Processor;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The processor's counts: the loop's own (polls, records, commits) and each pipeline's (its
 * runner's and its dead letters), summed into {@link Processor.Stats}. With exactly-once they are
 * {@link #mark marked} when a transaction commits and {@link #rollBack rolled back} to the mark
 * when one is aborted, so that the stats count the work that is committed (the meters are not
 * rolled back: they count the work done, aborted work included). Not thread-safe: the
 * processor's loop thread only.
 */
public final class Counts {
    /** The counts as of a {@link #mark}. */
    public static final class Mark {
        private final long polls;
        private final long records;
        private final long commits;
        private final long[][] pipelines;

        private Mark(long polls, long records, long commits, long[][] pipelines) {
            this.polls = polls;
            this.records = records;
            this.commits = commits;
            this.pipelines = pipelines;
        }
    }

    private final List<Pipeline<?>> pipelines;
    private long polls;
    private long records;
    private long commits;

    /** @param pipelines the processor's pipelines, read as they are when counted */
    public Counts(List<Pipeline<?>> pipelines) {
        this.pipelines = pipelines;
    }

    /** A poll returned. */
    public void polled() {
        polls++;
    }

    /** A record was polled. */
    public void record() {
        records++;
    }

    /** A batch's offsets were given to the committer. */
    public void committed() {
        commits++;
    }

    public Mark mark() {
        long[][] r = new long[pipelines.size()][];
        for (int i = 0; i < r.length; i++) {
            r[i] = pipelines.get(i).counts();
        }
        return new Mark(polls, records, commits, r);
    }

    public void rollBack(Mark m) {
        polls = m.polls;
        records = m.records;
        commits = m.commits;
        for (int i = 0; i < m.pipelines.length; i++) {
            pipelines.get(i).restoreCounts(m.pipelines[i]);
        }
    }

    /** The counts as of now; each pipeline's active-streams gauge is set on the way. */
    public Processor.Stats stats(int partitions) {
        long predictions = 0;
        long late = 0;
        long gaps = 0;
        long cap = 0;
        long idle = 0;
        long streams = 0;
        long steps = 0;
        long rows = 0;
        EnumMap<RejectReason, Long> dl = new EnumMap<>(RejectReason.class);
        for (RejectReason reason : RejectReason.values()) {
            dl.put(reason, 0L);
        }
        for (Pipeline<?> p : pipelines) {
            StreamRunner r = p.runner();
            predictions += r.predictions();
            late += r.lateDropped();
            gaps += r.gapResets();
            cap += r.store().evictions(StreamStateStore.Cause.CAPACITY);
            idle += r.store().evictions(StreamStateStore.Cause.IDLE);
            streams += r.store().size();
            p.publishActiveStreams();
            steps += r.batchedSteps();
            rows += r.rowsStepped();
            for (RejectReason reason : RejectReason.values()) {
                dl.merge(reason, p.deadLetters(reason), Long::sum);
            }
        }
        return new Processor.Stats(polls, records, predictions, Map.copyOf(dl), late, gaps, cap, idle, streams, steps, rows,
                commits, partitions);
    }
}
