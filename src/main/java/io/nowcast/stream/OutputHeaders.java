package io.nowcast.stream;

/**
 * The headers Nowcast puts on the records it writes (see schemas/README.md): on a dead letter
 * the reason and error and where the record came from; on a frame pipeline's output frames the
 * model's name and version and the stream's step.
 */
public final class OutputHeaders {
    /** Dead letters: why the record was refused ({@code RejectReason} id) and the detail. */
    public static final String H_REASON = "nowcast.reason";
    public static final String H_ERROR = "nowcast.error";
    /** Dead letters: the input record's topic, partition and offset, and the pipeline that read it. */
    public static final String H_TOPIC = "nowcast.source.topic";
    public static final String H_PARTITION = "nowcast.source.partition";
    public static final String H_OFFSET = "nowcast.source.offset";
    public static final String H_PIPELINE = "nowcast.pipeline";
    /** Output frames: the model's name and version, the stream's step. */
    public static final String H_MODEL = "nowcast.model";
    public static final String H_MODEL_VERSION = "nowcast.model.version";
    public static final String H_STEP = "nowcast.step";
    /** Dead letters too large to write whole: the size of the value left out. */
    public static final String H_VALUE_OMITTED = "nowcast.value.omitted";

    private OutputHeaders() {
    }
}
