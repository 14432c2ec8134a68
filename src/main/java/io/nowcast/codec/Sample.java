package io.nowcast.codec;

/**
 * One sample of one stream: its id (the Kafka key, or the message's {@code stream} field), its
 * event time in milliseconds since the epoch, and its feature values.
 */
public record Sample(String stream, long eventTime, float[] values) {
}
