package io.nowcast.web;

import io.nowcast.model.ModelSpec;
import io.nowcast.stream.PredictionTap;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The predictions of the streams a dashboard watches, tapped from the processor's pipelines
 * ({@link PredictionTap}), and the names of the streams seen lately, for the stream picker.
 *
 * <h2>Light with thousands of streams</h2>
 * Per prediction the tap does two things: it writes the stream's id and event time into a slot of
 * a fixed table of {@link #RECENT_SLOTS} names (the slot chosen by the id's hash, so a busy
 * pipeline's names take turns in it: the picker lists what is there), and, only if some stream of the pipeline is
 * watched, looks the stream up among the watched ones. Only a watched stream's values are copied,
 * into its own ring of the last {@link #RING} predictions. At most {@link #MAX_WATCHED} streams are
 * watched at once; a watch that no one has asked for in {@link #WATCH_TTL_MS} ends, and a new
 * watch beyond the limit ends the one asked for least recently. Nothing here is a meter: a stream
 * id is never a tag.
 *
 * <p>Threads: the tap runs in the processor's loop thread; every other method may be called from
 * any thread (the HTTP server's). The watched table is replaced, never changed in place, so the
 * tap reads it without a lock; each ring has its own lock, held by the tap for one copy and by a
 * reader while it writes one answer (at most {@link #RING} points), so only a watched stream's
 * prediction can wait for it.
 */
final class LiveStreams implements PredictionTap.Factory {
    static final int RECENT_SLOTS = 4096;
    static final int RING = 240;
    static final int MAX_WATCHED = 16;
    static final long WATCH_TTL_MS = 30_000;
    /** The picker lists the streams whose last prediction is this recent (event time, against the newest). */
    static final long RECENT_MS = 60_000;

    private final LongSupplier clockMs;
    private final Map<String, Pipeline> pipelines = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Object watches = new Object();

    LiveStreams(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    /**
     * The tap of a pipeline. Asked again after a model swap: if the new model's outputs are laid out
     * as the old one's (targets, horizon, deviations), the same tap goes on, watches and all; else a
     * new one takes over the names seen, and the watches start again (their rings restart at 1).
     */
    @Override
    public PredictionTap forPipeline(String pipeline, ModelSpec spec) {
        synchronized (watches) {
            Pipeline p = new Pipeline(pipeline, spec);
            Pipeline old = pipelines.get(pipeline);
            if (old != null && old.sameLayout(p)) {
                old.model = p.model;
                old.version = p.version;
                return old;
            }
            if (old != null) {
                System.arraycopy(old.recent, 0, p.recent, 0, RECENT_SLOTS);
                System.arraycopy(old.recentTime, 0, p.recentTime, 0, RECENT_SLOTS);
            }
            pipelines.put(pipeline, p);
            return p;
        }
    }

    /** The pipelines tapped, in the processor's order. */
    List<Pipeline> pipelines() {
        synchronized (pipelines) {
            return new ArrayList<>(pipelines.values());
        }
    }

    Pipeline pipeline(String name) {
        return pipelines.get(name);
    }

    /**
     * Names of streams seen lately (a prediction within {@link #RECENT_MS} of the pipeline's newest,
     * in event time) whose id contains {@code query} (all if empty), at most {@code limit}: in
     * natural order ("ped-9" before "ped-10"), or the most recently seen first.
     */
    List<String> recent(String pipeline, String query, int limit, boolean newestFirst) {
        Pipeline p = pipelines.get(pipeline);
        if (p == null) {
            return List.of();
        }
        long newest = Long.MIN_VALUE;
        for (long t : p.recentTime) {
            newest = Math.max(newest, t);
        }
        List<String> names = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < RECENT_SLOTS; i++) {
            String s = p.recent[i];
            long t = p.recentTime[i];
            if (s != null && newest - t <= RECENT_MS && (query.isEmpty() || s.contains(query))) {
                names.add(s);
                times.add(t);
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            order.add(i);
        }
        order.sort(newestFirst ? (a, b) -> Long.compare(times.get(b), times.get(a))
                : (a, b) -> natural(names.get(a), names.get(b)));
        List<String> out = new ArrayList<>(Math.min(limit, names.size()));
        for (int i : order) {
            if (out.size() == limit) {
                break;
            }
            out.add(names.get(i));
        }
        return out;
    }

    /** Orders "ped-9" before "ped-10": digit runs compare as numbers. */
    static int natural(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int i2 = i;
                int j2 = j;
                while (i2 < a.length() && Character.isDigit(a.charAt(i2))) {
                    i2++;
                }
                while (j2 < b.length() && Character.isDigit(b.charAt(j2))) {
                    j2++;
                }
                String u = a.substring(i, i2).replaceFirst("^0+(?=.)", "");
                String v = b.substring(j, j2).replaceFirst("^0+(?=.)", "");
                int c = u.length() != v.length() ? Integer.compare(u.length(), v.length()) : u.compareTo(v);
                if (c != 0) {
                    return c;
                }
                i = i2;
                j = j2;
            } else {
                if (x != y) {
                    return Character.compare(x, y);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j) != 0 ? Integer.compare(a.length() - i, b.length() - j)
                : a.compareTo(b);
    }

    /**
     * The watch of one stream, started if needed (its ring then fills from the next prediction on);
     * counts as a request. Null if the pipeline is unknown.
     */
    Watch watch(String pipeline, String stream) {
        Pipeline p = pipelines.get(pipeline);
        if (p == null) {
            return null;
        }
        long now = clockMs.getAsLong();
        synchronized (watches) {
            expire(now);
            Watch w = p.watched.get(stream);
            if (w == null) {
                if (watchedCount() >= MAX_WATCHED) {
                    Watch oldest = null;
                    for (Pipeline q : pipelines()) {
                        for (Watch x : q.watched.values()) {
                            if (oldest == null || x.askedMs < oldest.askedMs) {
                                oldest = x;
                            }
                        }
                    }
                    oldest.pipeline.unwatch(oldest.stream);
                }
                w = new Watch(p, stream);
                p.rewatch(stream, w);
            }
            w.askedMs = now;
            return w;
        }
    }

    /** Streams watched now, over all pipelines. */
    int watchedCount() {
        int n = 0;
        for (Pipeline p : pipelines()) {
            n += p.watched.size();
        }
        return n;
    }

    private void expire(long now) {
        for (Pipeline p : pipelines()) {
            for (Watch w : new ArrayList<>(p.watched.values())) {
                if (now - w.askedMs > WATCH_TTL_MS) {
                    p.unwatch(w.stream);
                }
            }
        }
    }

    /** One pipeline's tap: what its predictions mean, the recent names and the watched streams. */
    static final class Pipeline implements PredictionTap {
        final String name;
        volatile String model;
        volatile String version;
        /** Charted values per prediction: the targets (K), each {@code horizon} steps ahead. */
        final List<String> targets;
        final int horizon;
        final boolean sigma;
        /** Per target, the input value it is compared with (the actual value), -1 if none. */
        final int[] actualIndex;
        final int outputs;   // K * horizon predicted values
        final String[] recent = new String[RECENT_SLOTS];
        final long[] recentTime = new long[RECENT_SLOTS];
        volatile Map<String, Watch> watched = Map.of();

        Pipeline(String name, ModelSpec spec) {
            this.name = name;
            this.model = spec.name;
            this.version = spec.version;
            int h = Math.max(1, spec.horizon);
            int d = spec.inputSize;
            List<String> t = new ArrayList<>();
            List<Integer> idx = new ArrayList<>();
            if (spec.head != ModelSpec.Head.NONE) {
                int k = spec.outputSize / h;
                for (int j = 0; j < k; j++) {
                    String label;
                    int in;
                    if (spec.targets.size() == k) {
                        label = spec.targets.get(j);
                        in = spec.inputFeatures.indexOf(label);
                    } else if (k == d) {
                        label = j < spec.inputFeatures.size() ? spec.inputFeatures.get(j) : "y" + j;
                        in = j;
                    } else {
                        label = "y" + j;
                        in = -1;
                    }
                    t.add(label);
                    idx.add(in);
                }
            }
            this.targets = List.copyOf(t);
            this.horizon = h;
            this.sigma = spec.head == ModelSpec.Head.GAUSSIAN;
            this.actualIndex = idx.stream().mapToInt(Integer::intValue).toArray();
            this.outputs = targets.size() * h;
        }

        boolean sameLayout(Pipeline o) {
            return targets.equals(o.targets) && horizon == o.horizon && sigma == o.sigma && outputs == o.outputs
                    && java.util.Arrays.equals(actualIndex, o.actualIndex);
        }

        @Override
        public void prediction(String stream, long eventTime, float[] sample, float[] out, int off) {
            int hash = stream.hashCode();
            int slot = (hash ^ (hash >>> 16)) & (RECENT_SLOTS - 1);
            recent[slot] = stream;
            recentTime[slot] = eventTime;
            Map<String, Watch> w = watched;
            if (w.isEmpty()) {
                return;
            }
            Watch x = w.get(stream);
            if (x != null) {
                x.add(eventTime, sample, out, off);
            }
        }

        private void rewatch(String stream, Watch w) {
            Map<String, Watch> m = new HashMap<>(watched);
            m.put(stream, w);
            watched = Map.copyOf(m);
        }

        private void unwatch(String stream) {
            Map<String, Watch> m = new HashMap<>(watched);
            m.remove(stream);
            watched = Map.copyOf(m);
        }
    }

    /** The ring of one watched stream: event time, actual values, predictions and their deviations. */
    static final class Watch {
        final Pipeline pipeline;
        final String stream;
        volatile long askedMs;
        private final int k;
        private final int o;
        private final long[] seq = new long[RING];
        private final long[] time = new long[RING];
        private final float[] actual;   // (RING, K)
        private final float[] pred;     // (RING, O)
        private final float[] std;      // (RING, O), NaN without a Gaussian head
        private long next = 1;          // seq of the next entry

        Watch(Pipeline p, String stream) {
            this.pipeline = p;
            this.stream = stream;
            this.k = p.targets.size();
            this.o = p.outputs;
            this.actual = new float[RING * k];
            this.pred = new float[RING * o];
            this.std = new float[RING * o];
        }

        synchronized void add(long eventTime, float[] sample, float[] out, int off) {
            int i = (int) (next % RING);
            seq[i] = next++;
            time[i] = eventTime;
            for (int j = 0; j < k; j++) {
                int a = pipeline.actualIndex[j];
                actual[i * k + j] = a >= 0 ? sample[a] : Float.NaN;
            }
            System.arraycopy(out, off, pred, i * o, o);
            if (pipeline.sigma) {
                System.arraycopy(out, off + o, std, i * o, o);
            } else {
                java.util.Arrays.fill(std, i * o, i * o + o, Float.NaN);
            }
        }

        /** The entries after {@code after} (a seq), oldest first, as the JSON of /api/stream. */
        synchronized void json(StringBuilder sb, long after) {
            sb.append("{\"pipeline\":");
            Json.string(sb, pipeline.name).append(",\"stream\":");
            Json.string(sb, stream).append(",\"targets\":");
            Json.strings(sb, pipeline.targets).append(",\"horizon\":").append(pipeline.horizon)
                    .append(",\"sigma\":").append(pipeline.sigma).append(",\"last\":").append(next - 1)
                    .append(",\"points\":[");
            long from = Math.max(Math.max(after + 1, next - RING), 1);
            for (long s = from; s < next; s++) {
                int i = (int) (s % RING);
                if (s > from) {
                    sb.append(',');
                }
                sb.append("{\"seq\":").append(s).append(",\"t\":").append(time[i]).append(",\"a\":");
                Json.array(sb, actual, i * k, k).append(",\"p\":");
                Json.array(sb, pred, i * o, o);
                if (pipeline.sigma) {
                    sb.append(",\"s\":");
                    Json.array(sb, std, i * o, o);
                }
                sb.append('}');
            }
            sb.append("]}");
        }

        /** Entries held (tests). */
        synchronized int size() {
            return (int) Math.min(RING, next - 1);
        }
    }
}
