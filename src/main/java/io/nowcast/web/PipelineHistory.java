package io.nowcast.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nowcast.stream.Meters;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Each pipeline's figures over time, read from the processor's meters ({@link Meters}) once per
 * {@link #sample} and kept in a ring of the last {@link #POINTS} samples: the dashboard's
 * throughput, latency, lag and dead-letter charts. Rates and means are over the interval since the
 * previous sample (counts of the meters' differences), so they need no state in the processor.
 *
 * <p>Thread-safe: {@link #sample} from one scheduler thread, {@link #json} from any.
 */
final class PipelineHistory {
    static final int POINTS = 600;
    /** The figures of one pipeline in one sample, in this order. */
    static final List<String> FIELDS = List.of("in", "out", "deadLetters", "latencyMs", "stepMs", "lag", "streams",
            "error", "rowsPerStep");
    static final int F = 9;

    private final MeterRegistry registry;
    private final List<String> pipelines;
    private final long[] seq = new long[POINTS];
    private final long[] time = new long[POINTS];
    private final double[] values;        // (POINTS, pipelines, F)
    private final double[][] last;        // per pipeline: the previous cumulative figures
    private long lastMs = -1;
    private long next = 1;

    // cumulative figures of one pipeline, read from the meters
    private static final int C_IN = 0;
    private static final int C_OUT = 1;
    private static final int C_DL = 2;
    private static final int C_LAT_N = 3;
    private static final int C_LAT_MS = 4;
    private static final int C_STEP_N = 5;
    private static final int C_STEP_MS = 6;
    private static final int C_ERR_N = 7;
    private static final int C_ERR_SUM = 8;
    private static final int C_ROWS_N = 9;
    private static final int C_ROWS_SUM = 10;

    PipelineHistory(MeterRegistry registry, List<String> pipelines) {
        this.registry = registry;
        this.pipelines = List.copyOf(pipelines);
        this.values = new double[POINTS * pipelines.size() * F];
        this.last = new double[pipelines.size()][];
    }

    List<String> pipelines() {
        return pipelines;
    }

    /** Reads the meters and appends one point (the first call only sets the baseline). */
    synchronized void sample(long nowMs) {
        boolean first = lastMs < 0;
        double dt = first ? 0 : Math.max(1e-3, (nowMs - lastMs) / 1000.0);
        int i = (int) (next % POINTS);
        for (int p = 0; p < pipelines.size(); p++) {
            double[] c = cumulative(pipelines.get(p));
            double[] b = last[p];
            last[p] = c;
            if (first || b == null) {
                continue;
            }
            int o = (i * pipelines.size() + p) * F;
            values[o] = (c[C_IN] - b[C_IN]) / dt;
            values[o + 1] = (c[C_OUT] - b[C_OUT]) / dt;
            values[o + 2] = (c[C_DL] - b[C_DL]) / dt;
            values[o + 3] = mean(c[C_LAT_MS] - b[C_LAT_MS], c[C_LAT_N] - b[C_LAT_N]);
            values[o + 4] = mean(c[C_STEP_MS] - b[C_STEP_MS], c[C_STEP_N] - b[C_STEP_N]);
            values[o + 5] = gauge(Meters.LAG.name(), pipelines.get(p));
            values[o + 6] = gauge(Meters.ACTIVE_STREAMS.name(), pipelines.get(p));
            values[o + 7] = mean(c[C_ERR_SUM] - b[C_ERR_SUM], c[C_ERR_N] - b[C_ERR_N]);
            values[o + 8] = mean(c[C_ROWS_SUM] - b[C_ROWS_SUM], c[C_ROWS_N] - b[C_ROWS_N]);
        }
        lastMs = nowMs;
        if (first) {
            return;
        }
        seq[i] = next++;
        time[i] = nowMs;
    }

    private static double mean(double sum, double n) {
        return n > 0 ? sum / n : Double.NaN;
    }

    private double[] cumulative(String pipeline) {
        double[] c = new double[11];
        Counter in = registry.find(Meters.RECORDS_IN.name()).tag(Meters.PIPELINE, pipeline).counter();
        Counter out = registry.find(Meters.PREDICTIONS.name()).tag(Meters.PIPELINE, pipeline).counter();
        c[C_IN] = in == null ? 0 : in.count();
        c[C_OUT] = out == null ? 0 : out.count();
        for (Counter d : registry.find(Meters.DEAD_LETTERS.name()).tag(Meters.PIPELINE, pipeline).counters()) {
            c[C_DL] += d.count();
        }
        Timer lat = registry.find(Meters.LATENCY.name()).tag(Meters.PIPELINE, pipeline).timer();
        if (lat != null) {
            c[C_LAT_N] = lat.count();
            c[C_LAT_MS] = lat.totalTime(TimeUnit.MILLISECONDS);
        }
        Timer step = registry.find(Meters.STEP.name()).tag(Meters.PIPELINE, pipeline).timer();
        if (step != null) {
            c[C_STEP_N] = step.count();
            c[C_STEP_MS] = step.totalTime(TimeUnit.MILLISECONDS);
        }
        DistributionSummary err = registry.find(Meters.ERROR.name()).tag(Meters.PIPELINE, pipeline).summary();
        if (err != null) {
            c[C_ERR_N] = err.count();
            c[C_ERR_SUM] = err.totalAmount();
        }
        DistributionSummary rows = registry.find(Meters.STEP_ROWS.name()).tag(Meters.PIPELINE, pipeline).summary();
        if (rows != null) {
            c[C_ROWS_N] = rows.count();
            c[C_ROWS_SUM] = rows.totalAmount();
        }
        return c;
    }

    private double gauge(String name, String pipeline) {
        Gauge g = registry.find(name).tag(Meters.PIPELINE, pipeline).gauge();
        return g == null ? Double.NaN : g.value();
    }

    /** The points after {@code after} (a seq), oldest first, as the "points" of /api/overview. */
    synchronized void json(StringBuilder sb, long after) {
        sb.append("\"last\":").append(next - 1).append(",\"points\":[");
        long from = Math.max(Math.max(after + 1, next - POINTS), 1);
        for (long s = from; s < next; s++) {
            int i = (int) (s % POINTS);
            if (s > from) {
                sb.append(',');
            }
            sb.append("{\"seq\":").append(s).append(",\"t\":").append(time[i]).append(",\"v\":[");
            for (int p = 0; p < pipelines.size(); p++) {
                if (p > 0) {
                    sb.append(',');
                }
                sb.append('[');
                int o = (i * pipelines.size() + p) * F;
                for (int f = 0; f < F; f++) {
                    if (f > 0) {
                        sb.append(',');
                    }
                    Json.number(sb, values[o + f]);
                }
                sb.append(']');
            }
            sb.append("]}");
        }
        sb.append(']');
    }

    /** Points held (tests). */
    synchronized int size() {
        return (int) Math.min(POINTS, next - 1);
    }

    /** Field f of pipeline p in the newest point (tests). */
    synchronized double latest(int p, int f) {
        int i = (int) ((next - 1) % POINTS);
        return values[(i * pipelines.size() + p) * F + f];
    }
}
