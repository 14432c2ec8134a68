package io.nowcast.codec;

/** Why a record went to the dead-letter topic. The id is what the dead letter's headers say. */
public enum RejectReason {
    /** The bytes are not UTF-8 JSON (or not a frame), or the record has no stream id. */
    UNDECODABLE("undecodable"),
    /** Valid JSON that does not follow the sample schema (missing or mistyped fields, no values). */
    SCHEMA_VIOLATION("schema-violation"),
    /** The number of values (one or more) is not the model's input size. */
    WRONG_DIMENSION("wrong-dimension"),
    /** A value is NaN or infinite. */
    NON_FINITE("non-finite"),
    /** The event time is older than the stream's last sample. */
    OUT_OF_ORDER("out-of-order"),
    /** The record is larger than the configured limit. */
    OVERSIZED("oversized"),
    /** The model failed on the sample. */
    MODEL_ERROR("model-error");

    public final String id;

    RejectReason(String id) {
        this.id = id;
    }
}
