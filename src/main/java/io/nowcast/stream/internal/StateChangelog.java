package io.nowcast.stream.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary record of one stream's state in a pipeline's changelog topic
 * ({@code <application.id>-<pipeline>-state}); the layout is {@code schemas/state-changelog.md}.
 * Key: the stream id in UTF-8. Value: format version 1, big-endian:
 * <pre>
 * u8   version (1)
 * u8   flags: bit 0 = cell vectors present (LSTM); bit 1 = a previous frame follows (frame
 *      pipelines); bit 2 = the model's extra values follow the vectors (a series denoiser's
 *      smoothing base); the other bits are 0
 * u16  layers L
 * i32  hidden size H
 * i64  event time of the stream's last sample, ms (Long.MIN_VALUE: none)
 * i64  steps since the state was (re)started
 * u16  n, then n bytes: model name (UTF-8)
 * u16  m, then m bytes: model version (UTF-8)
 * f32  x L H (x 2 with cells): per layer h, then c (IEEE 754 binary32)
 * with flag bit 2 only:
 * u16  E (1..65535), then E x f32: the values the model keeps per stream beside its layers
 * u16  P, then P x f32: the one-step-ahead values of the last prediction (live error), P = 0: none
 * with flag bit 1 only:
 * u16  width W, u16 height H2 (1..4096 each)
 * f32  x W H2: the stream's previous output frame, row-major
 * </pre>
 * A null value (tombstone) says the stream's state was evicted. Decoding checks every length; a
 * record that does not follow this layout is refused with {@link BadRecordException}.
 */
public final class StateChangelog {
    public static final byte VERSION = 1;
    private static final int FLAG_CELL = 1;
    private static final int FLAG_FRAME = 2;
    private static final int FLAG_EXTRA = 4;

    /** A changelog record that is not a state of format version 1. */
    public static final class BadRecordException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRecordException(String message) {
            super(message);
        }
    }

    /**
     * A decoded state; {@code vectors} holds the layers' vectors and then the {@code extra} values
     * (the layout of {@link StreamStateStore.Entry}); {@code frame} is null (and the sizes 0) when
     * the record holds no previous frame.
     */
    public record State(int layers, int hidden, boolean cell, int extra, long lastEventTime, long steps, String model,
                 String version, float[] vectors, float[] predicted, int frameWidth, int frameHeight, float[] frame) {
    }

    private StateChangelog() {
    }

    /** The value of a stream's state record: the entry's vectors past the layers' are its extra values. */
    public static byte[] encode(StreamStateStore.Entry e, int layers, int hidden, boolean cell, byte[] model, byte[] version) {
        float[] v = e.vectors;
        int extra = v.length - layers * hidden * (cell ? 2 : 1);
        if (extra < 0 || extra > 0xffff) {
            throw new IllegalArgumentException(v.length + " values of state do not hold " + layers + " layers of " + hidden
                    + " and at most 65535 extra values");
        }
        int p = e.hasPrediction && e.predicted != null ? e.predicted.length : 0;
        int fw = e.frameWidth;
        int fh = e.frameWidth > 0 ? e.frameHeight : 0;
        ByteBuffer b = ByteBuffer.allocate(2 + 2 + 4 + 8 + 8 + 2 + model.length + 2 + version.length + 4 * v.length
                + (extra > 0 ? 2 : 0) + 2 + 4 * p + (fw > 0 ? 4 + 4 * fw * fh : 0));
        int flags = (cell ? FLAG_CELL : 0) | (fw > 0 ? FLAG_FRAME : 0) | (extra > 0 ? FLAG_EXTRA : 0);
        b.put(VERSION).put((byte) flags).putShort((short) layers).putInt(hidden)
                .putLong(e.lastEventTime).putLong(e.steps);
        b.putShort((short) model.length).put(model).putShort((short) version.length).put(version);
        int layerValues = v.length - extra;
        for (int i = 0; i < layerValues; i++) {
            b.putFloat(v[i]);
        }
        if (extra > 0) {
            b.putShort((short) extra);
            for (int i = layerValues; i < v.length; i++) {
                b.putFloat(v[i]);
            }
        }
        b.putShort((short) p);
        for (int k = 0; k < p; k++) {
            b.putFloat(e.predicted[k]);
        }
        if (fw > 0) {
            b.putShort((short) fw).putShort((short) fh);
            for (int i = 0, n = fw * fh; i < n; i++) {
                b.putFloat(e.frame[i]);
            }
        }
        return b.array();
    }

    /** Decodes a state record's value; {@link BadRecordException} says what is wrong. */
    public static State decode(byte[] value) {
        if (value.length < 1) {
            throw new BadRecordException("empty value (a tombstone is a null value)");
        }
        if (value[0] != VERSION) {
            throw new BadRecordException("format version " + (value[0] & 0xff) + ", expected " + VERSION);
        }
        ByteBuffer b = ByteBuffer.wrap(value, 1, value.length - 1);
        try {
            int flags = b.get() & 0xff;
            if ((flags & ~(FLAG_CELL | FLAG_FRAME | FLAG_EXTRA)) != 0) {
                throw new BadRecordException("unknown flags " + Integer.toBinaryString(flags));
            }
            boolean cell = (flags & FLAG_CELL) != 0;
            int layers = b.getShort() & 0xffff;
            int hidden = b.getInt();
            if (layers < 1 || hidden < 1 || (long) layers * hidden * (cell ? 2 : 1) > (value.length / 4)) {
                throw new BadRecordException(layers + " layers of " + hidden + " do not fit in " + value.length + " bytes");
            }
            long last = b.getLong();
            long steps = b.getLong();
            if (steps < 0) {
                throw new BadRecordException("negative step count " + steps);
            }
            String model = string(b);
            String version = string(b);
            int layerValues = layers * hidden * (cell ? 2 : 1);
            float[] layerVectors = new float[layerValues];
            for (int i = 0; i < layerValues; i++) {
                layerVectors[i] = b.getFloat();
            }
            int extra = 0;
            float[] v = layerVectors;
            if ((flags & FLAG_EXTRA) != 0) {
                extra = b.getShort() & 0xffff;
                if (extra < 1 || 4L * extra > b.remaining()) {
                    throw new BadRecordException(extra + " extra values (1..65535) with " + b.remaining() + " bytes left");
                }
                v = java.util.Arrays.copyOf(layerVectors, layerValues + extra);
                for (int i = layerValues; i < v.length; i++) {
                    v[i] = b.getFloat();
                }
            }
            int p = b.getShort() & 0xffff;
            float[] predicted = new float[p];
            for (int i = 0; i < p; i++) {
                predicted[i] = b.getFloat();
            }
            int fw = 0;
            int fh = 0;
            float[] frame = null;
            if ((flags & FLAG_FRAME) != 0) {
                fw = b.getShort() & 0xffff;
                fh = b.getShort() & 0xffff;
                if (fw < 1 || fh < 1 || fw > 4096 || fh > 4096 || 4L * fw * fh != b.remaining()) {
                    throw new BadRecordException("a previous frame of " + fw + "x" + fh + " (sides 1..4096) with "
                            + b.remaining() + " bytes left for its " + (long) fw * fh + " float32 pixels");
                }
                frame = new float[fw * fh];
                for (int i = 0; i < frame.length; i++) {
                    frame[i] = b.getFloat();
                }
            }
            if (b.hasRemaining()) {
                throw new BadRecordException(b.remaining() + " bytes after the end of the state");
            }
            return new State(layers, hidden, cell, extra, last, steps, model, version, v, predicted, fw, fh, frame);
        } catch (BufferUnderflowException e) {
            throw new BadRecordException("truncated: " + value.length + " bytes end inside the state");
        }
    }

    private static String string(ByteBuffer b) {
        int n = b.getShort() & 0xffff;
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
