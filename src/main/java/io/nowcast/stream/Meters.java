package io.nowcast.stream;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.nowcast.codec.RejectReason;

import java.util.List;
import java.util.Locale;

/**
 * Every meter the processor registers, defined once: name, type, base unit, tags and description.
 * The processor registers its meters from these definitions only, and {@code docs/metrics.md} is
 * generated from them ({@link #documentation()}; a test keeps the page in step and checks that a
 * real run registers every one).
 *
 * <p>Names follow Micrometer's conventions: lowercase, dot-separated, meaningful without their
 * tags, no time unit in the name (timers are recorded in nanoseconds and exported in seconds).
 * Tags are bounded: the pipeline (from the configuration), a {@link RejectReason}, an eviction
 * cause, a horizon step, and the model's name and version. A stream id is never a tag.
 *
 * <p>{@code internal.PipelineMeters} and {@code internal.ProcessMeters} hold the meters resolved
 * once, at start, so the loop never builds tags or looks a meter up per record.
 */
public final class Meters {
    /** A meter definition. {@code unit} is Micrometer's base unit, null where none fits. */
    public record Def(String name, Meter.Type type, String unit, List<String> tags, String description) {
    }

    public static final String PIPELINE = "pipeline";

    public static final Def RECORDS_IN = new Def("nowcast.input.records", Meter.Type.COUNTER, "records",
            List.of(PIPELINE), "Records polled from the pipeline's input topics.");
    public static final Def PREDICTIONS = new Def("nowcast.predictions", Meter.Type.COUNTER, "predictions",
            List.of(PIPELINE), "Predictions written to the pipeline's output topic (a frame pipeline: output frames).");
    public static final Def DEAD_LETTERS = new Def("nowcast.deadletter.records", Meter.Type.COUNTER, "records",
            List.of(PIPELINE, "reason"), "Records sent to the dead-letter topic, by reason (the nowcast.reason header).");
    public static final Def DROPPED = new Def("nowcast.dropped.samples", Meter.Type.COUNTER, "samples",
            List.of(PIPELINE), "Out-of-order samples dropped (late.policy=drop).");
    public static final Def STEP = new Def("nowcast.model.step", Meter.Type.TIMER, "seconds",
            List.of(PIPELINE), "Time of one batched model step (all streams of one round; a frame pipeline: one model call over"
                    + " frames of one size).");
    public static final Def STEP_ROWS = new Def("nowcast.model.step.rows", Meter.Type.DISTRIBUTION_SUMMARY, "rows",
            List.of(PIPELINE), "Streams stepped together in one batched model step (a frame pipeline: frames in one model call).");
    public static final Def LATENCY = new Def("nowcast.prediction.latency", Meter.Type.TIMER, "seconds",
            List.of(PIPELINE), "From a sample's (or frame's) event time to its prediction (output frame) being handed to the producer (wall clock;"
                    + " includes the time the sample waited in Kafka).");
    public static final Def ERROR = new Def("nowcast.prediction.error", Meter.Type.DISTRIBUTION_SUMMARY, null,
            List.of(PIPELINE, "horizon"), "Absolute error of a prediction, per predicted value, measured when the"
                    + " stream's next sample arrives (in the data's own units; horizon step 1).");
    public static final Def ACTIVE_STREAMS = new Def("nowcast.active.streams", Meter.Type.GAUGE, "streams",
            List.of(PIPELINE), "Streams whose state is held, as of the last commit.");
    public static final Def LAG = new Def("nowcast.input.lag", Meter.Type.GAUGE, "records",
            List.of(PIPELINE), "Records in the pipeline's assigned input partitions not yet read by this instance (from"
                    + " the consumer's fetch positions, after every poll).");
    public static final Def EVICTIONS = new Def("nowcast.evicted.streams", Meter.Type.COUNTER, "streams",
            List.of(PIPELINE, "cause"), "Stream states evicted, by cause (capacity or idle).");
    public static final Def GAP_RESETS = new Def("nowcast.gap.resets", Meter.Type.COUNTER, "resets",
            List.of(PIPELINE), "Streams restarted from a fresh state after an event-time gap longer than gap.ms.");
    public static final Def MODEL = new Def("nowcast.model.loaded", Meter.Type.GAUGE, null,
            List.of(PIPELINE, "model", "version"), "1 for the model in use by the pipeline, tagged with its name and"
                    + " version; when a new version is swapped in, the old one's series is removed.");
    public static final Def MODEL_FILES = new Def("nowcast.model.files", Meter.Type.COUNTER, "files",
            List.of(PIPELINE, "result"), "New model files found in the pipeline's model.dir, by result: swapped (in use"
                    + " from the next batch) or refused (damaged or not fit for the pipeline; the log names the file and"
                    + " the problem, and the old model goes on).");
    public static final Def MODEL_RESETS = new Def("nowcast.model.reset.streams", Meter.Type.COUNTER, "streams",
            List.of(PIPELINE), "Stream states reset to fresh by a model swap, because the new model's state has another"
                    + " shape (cell type, layers or hidden size) than the old one's (states that fit are kept), or"
                    + " dropped on restore from the changelog for the same reason.");
    public static final Def COMMIT = new Def("nowcast.commit", Meter.Type.TIMER, "seconds",
            List.of(), "Time from the end of a batch until its outputs are acknowledged and its offsets committed "
                    + "(the next batch is processed meanwhile).");
    public static final Def POLL_RECORDS = new Def("nowcast.poll.records", Meter.Type.DISTRIBUTION_SUMMARY, "records",
            List.of(), "Records returned by one poll (polls that return nothing included).");
    public static final Def RESTORE = new Def("nowcast.state.restore", Meter.Type.TIMER, "seconds",
            List.of(PIPELINE), "Time to restore the stream states of newly assigned partitions from the pipeline's"
                    + " changelog (exactly_once), from the assignment to the last record read; the partitions' records"
                    + " are processed after it.");
    public static final Def RESTORED = new Def("nowcast.state.restored.streams", Meter.Type.COUNTER, "streams",
            List.of(PIPELINE), "Stream states restored from the pipeline's changelog (exactly_once).");
    public static final Def CHANGELOG = new Def("nowcast.state.changelog.records", Meter.Type.COUNTER, "records",
            List.of(PIPELINE), "State records (one per changed stream per transaction) and tombstones (evictions)"
                    + " written to the pipeline's changelog (exactly_once).");
    public static final Def PARTITIONS = new Def("nowcast.assigned.partitions", Meter.Type.GAUGE, "partitions",
            List.of(), "Input partitions assigned to this instance.");

    /** All definitions, in the order of the catalogue. */
    public static final List<Def> ALL = List.of(RECORDS_IN, PREDICTIONS, DEAD_LETTERS, DROPPED, STEP, STEP_ROWS, LATENCY,
            ERROR, ACTIVE_STREAMS, LAG, EVICTIONS, GAP_RESETS, MODEL, MODEL_FILES, MODEL_RESETS, RESTORE, RESTORED,
            CHANGELOG, COMMIT, POLL_RECORDS, PARTITIONS);

    private Meters() {
    }

    /** The catalogue, as Markdown: the content of docs/metrics.md. */
    public static String documentation() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Metrics\n\n");
        sb.append("The meters the stream processor registers with Micrometer. This page is generated from the\n");
        sb.append("definitions in `io.nowcast.stream.Meters` (a test keeps it in step, and checks that a real run\n");
        sb.append("exports every one).\n\n");
        sb.append("`nowcast run` and `nowcast demo` serve them in the Prometheus text format at `/metrics` (see\n");
        sb.append("`http.host` and `http.port` in [configuration.md](configuration.md)). In Prometheus the dots\n");
        sb.append("become underscores, counters end in `_total`, timers are in seconds (`_seconds_count`,\n");
        sb.append("`_seconds_sum`, `_seconds_max`, `_seconds_bucket`) and summaries have `_count`, `_sum` and\n");
        sb.append("`_max`: `nowcast.model.step` is `nowcast_model_step_seconds_bucket{pipeline=\"tracks\"}`. A\n");
        sb.append("gauge's base unit is appended unless its name ends with it: `nowcast.input.lag` is\n");
        sb.append("`nowcast_input_lag_records`, `nowcast.active.streams` stays `nowcast_active_streams`.\n\n");
        sb.append("Tags are bounded: `pipeline` is a name from the configuration, `reason` one of\n");
        RejectReason[] reasons = RejectReason.values();
        for (int i = 0; i < reasons.length; i++) {
            sb.append(i == 0 ? "" : i == reasons.length - 1 ? " or " : ", ").append('`').append(reasons[i].id).append('`');
        }
        sb.append(",\n`cause` `capacity` or `idle`, `horizon` the step ahead (`1`), `result` `swapped` or `refused`. No\n");
        sb.append("meter is tagged with a stream id.\n\n");
        sb.append("| name | type | base unit | tags | description |\n|---|---|---|---|---|\n");
        for (Def d : ALL) {
            sb.append("| `").append(d.name).append("` | ").append(d.type.name().toLowerCase(Locale.ROOT).replace('_', ' '))
                    .append(" | ").append(d.unit == null ? "(none)" : d.unit).append(" | ")
                    .append(d.tags.isEmpty() ? "" : "`" + String.join("`, `", d.tags) + "`").append(" | ")
                    .append(d.description).append(" |\n");
        }
        sb.append("\nTimers publish a histogram (`_bucket` series) for quantiles in Prometheus.\n\n");
        sb.append("## Also exported\n\n");
        sb.append("- Kafka client metrics of the processor's consumer and producer (`kafka.consumer.*`,\n");
        sb.append("  `kafka.producer.*`), through Micrometer's `KafkaClientMetrics`; for example\n");
        sb.append("  `kafka_consumer_fetch_manager_records_lag_max`.\n");
        sb.append("- JVM metrics through Micrometer's binders: memory, garbage collection, threads, class loading,\n");
        sb.append("  processor and uptime (`jvm.*`, `process.*`, `system.*`).\n");
        return sb.toString();
    }
}
