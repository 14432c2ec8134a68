package io.nowcast.codec;

/**
 * One camera frame of one stream: grey levels in [0, 1], row-major, {@code height} rows of
 * {@code width} pixels, and its event time in milliseconds since the epoch.
 */
public record Frame(String stream, long eventTime, int width, int height, float[] pixels) {
}
