package io.nowcast.stream.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.nowcast.codec.RejectReason;
import io.nowcast.stream.Meters.Def;

import java.util.concurrent.atomic.AtomicLong;

import static io.nowcast.stream.Meters.*;

/** One pipeline's meters, resolved once. Used by the loop thread; the registry may be read from any thread. */
public final class PipelineMeters {
    final Counter recordsIn;
    final Counter predictions;
    final Counter[] deadLetters;     // by RejectReason ordinal
    final Counter dropped;
    final Timer step;
    final DistributionSummary stepRows;
    final Timer latency;
    final DistributionSummary error;  // horizon step 1
    final AtomicLong activeStreams;
    final AtomicLong lag;
    final Counter[] evictions;       // by StreamStateStore.Cause ordinal
    final Counter gapResets;
    final Counter modelsSwapped;
    final Counter modelsRefused;
    final Counter modelResets;
    private final MeterRegistry registry;
    private final Tags tags;
    private Gauge model;
    final Timer restore;
    final Counter restoredStreams;
    final Counter stateRecords;

    public PipelineMeters(MeterRegistry r, String pipeline, String model, String version) {
        Tags t = Tags.of(PIPELINE, pipeline);
        this.registry = r;
        this.tags = t;
        recordsIn = counter(r, RECORDS_IN, t);
        predictions = counter(r, PREDICTIONS, t);
        RejectReason[] reasons = RejectReason.values();
        deadLetters = new Counter[reasons.length];
        for (RejectReason reason : reasons) {
            deadLetters[reason.ordinal()] = counter(r, DEAD_LETTERS, t.and("reason", reason.id));
        }
        dropped = counter(r, DROPPED, t);
        step = timer(r, STEP, t);
        stepRows = summary(r, STEP_ROWS, t);
        latency = timer(r, LATENCY, t);
        error = summary(r, ERROR, t.and("horizon", "1"));
        activeStreams = gauge(r, ACTIVE_STREAMS, t);
        lag = gauge(r, LAG, t);
        StreamStateStore.Cause[] causes = StreamStateStore.Cause.values();
        evictions = new Counter[causes.length];
        for (StreamStateStore.Cause c : causes) {
            evictions[c.ordinal()] = counter(r, EVICTIONS, t.and("cause", c.id));
        }
        gapResets = counter(r, GAP_RESETS, t);
        modelsSwapped = counter(r, MODEL_FILES, t.and("result", "swapped"));
        modelsRefused = counter(r, MODEL_FILES, t.and("result", "refused"));
        modelResets = counter(r, MODEL_RESETS, t);
        restore = timer(r, RESTORE, t);
        restoredStreams = counter(r, RESTORED, t);
        stateRecords = counter(r, CHANGELOG, t);
        modelInUse(model, version);
    }

    /** Makes {@link #MODEL} say that this model is in use: the series of the one before is removed. */
    void modelInUse(String name, String version) {
        if (model != null) {
            registry.remove(model);
        }
        model = Gauge.builder(MODEL.name(), () -> 1).description(MODEL.description())
                .tags(tags.and("model", name).and("version", version)).register(registry);
    }

    /** Meters registered nowhere (a runner made outside a processor). */
    static PipelineMeters none(String pipeline) {
        return new PipelineMeters(new io.micrometer.core.instrument.composite.CompositeMeterRegistry(), pipeline, "", "");
    }

    static Counter counter(MeterRegistry r, Def d, Tags tags) {
        return Counter.builder(d.name()).baseUnit(d.unit()).description(d.description()).tags(tags).register(r);
    }

    static Timer timer(MeterRegistry r, Def d, Tags tags) {
        return Timer.builder(d.name()).description(d.description()).tags(tags).publishPercentileHistogram().register(r);
    }

    static DistributionSummary summary(MeterRegistry r, Def d, Tags tags) {
        return DistributionSummary.builder(d.name()).baseUnit(d.unit()).description(d.description()).tags(tags).register(r);
    }

    static AtomicLong gauge(MeterRegistry r, Def d, Tags tags) {
        AtomicLong v = new AtomicLong();
        Gauge.builder(d.name(), v, AtomicLong::get).baseUnit(d.unit()).description(d.description()).tags(tags).strongReference(true)
                .register(r);
        return v;
    }
}
