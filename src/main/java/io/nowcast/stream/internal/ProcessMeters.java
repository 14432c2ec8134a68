package io.nowcast.stream.internal;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.atomic.AtomicLong;

import static io.nowcast.stream.Meters.COMMIT;
import static io.nowcast.stream.Meters.PARTITIONS;
import static io.nowcast.stream.Meters.POLL_RECORDS;

/**
 * The processor's meters that are not per pipeline ({@link io.nowcast.stream.Meters}), resolved
 * once. Used by the loop thread; the registry may be read from any thread.
 */
public final class ProcessMeters {
    public final Timer commit;
    public final DistributionSummary pollRecords;
    public final AtomicLong partitions;

    public ProcessMeters(MeterRegistry r) {
        commit = PipelineMeters.timer(r, COMMIT, Tags.empty());
        pollRecords = PipelineMeters.summary(r, POLL_RECORDS, Tags.empty());
        partitions = PipelineMeters.gauge(r, PARTITIONS, Tags.empty());
    }
}
