package io.nowcast.stream;

/**
 * The headers Nowcast puts on the records it writes (see schemas/README.md): on a dead letter
 * the reason and error and where the record came from; on a frame pipeline's output frames the
 * model's name and version and the stream's step.
 */
final class OutputHeaders {
    /** Dead letters: why the record was refused ({@code RejectReason} id) and the detail. */
    static final String H_REASON = "nowcast.reason";
    static final String H_ERROR = "nowcast.error";
    /** Dead letters: the input record's topic, partition and offset, and the pipeline that read it. */
    static final String H_TOPIC = "nowcast.source.topic";
    static final String H_PARTITION = "nowcast.source.partition";
    static final String H_OFFSET = "nowcast.source.offset";
    static final String H_PIPELINE = "nowcast.pipeline";
    /** Output frames: the model's name and version, the stream's step. */
    static final String H_MODEL = "nowcast.model";
    static final String H_MODEL_VERSION = "nowcast.model.version";
    static final String H_STEP = "nowcast.step";

    private OutputHeaders() {
    }
}
