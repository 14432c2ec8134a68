package io.nowcast.codec;

import com.fasterxml.jackson.core.io.NumberOutput;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes predictions ({@code schemas/prediction.schema.json}):
 * <pre>{"stream":"ped-17","time":1700000000123,"model":"eth","model_version":"3","step":42,
 *  "predictions":[[1.25,-0.5]],"std":[[0.1,0.2]]}</pre>
 * {@code time} is the event time of the input sample the prediction answers; {@code step} counts
 * the stream's samples since its state was (re)started; {@code predictions} holds one array of
 * values per horizon step; {@code std}, present only for models with a Gaussian head, the standard
 * deviation of each value. A value is written as the shortest decimal that reads back as the same
 * float; a non-finite one as {@code null}. Not thread-safe (reuses a buffer): one per thread.
 */
public final class PredictionCodec {
    private static final byte[] STREAM = bytes("{\"stream\":");
    private static final byte[] TIME = bytes(",\"time\":");
    private static final byte[] STEP = bytes(",\"step\":");
    private static final byte[] PREDICTIONS = bytes(",\"predictions\":");
    private static final byte[] STD = bytes(",\"std\":");
    private static final byte[] NULL = bytes("null");
    private final byte[] modelPart;
    private byte[] buf = new byte[256];
    private int len;

    public PredictionCodec(String model, String version) {
        StringBuilder m = new StringBuilder();
        m.append(",\"model\":");
        JsonText.string(m, model);
        m.append(",\"model_version\":");
        JsonText.string(m, version);
        this.modelPart = m.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param values (horizon * width) row-major predictions: step by step, each step's values side by side
     * @param std    same layout, or null
     */
    public byte[] encode(String stream, long eventTime, long step, float[] values, int valuesOff, float[] std, int stdOff,
                         int horizon, int width) {
        return encode(stream, eventTime, step, values, valuesOff, std, stdOff, horizon, width, false);
    }

    /**
     * @param targetMajor the values (and std) are laid out target by target, each target's
     *                    {@code horizon} steps side by side (a forecaster's outputs {@code c+1..c+H}),
     *                    instead of step by step; written out step by step all the same
     */
    public byte[] encode(String stream, long eventTime, long step, float[] values, int valuesOff, float[] std, int stdOff,
                         int horizon, int width, boolean targetMajor) {
        int stepStride = targetMajor ? 1 : width;
        int valueStride = targetMajor ? horizon : 1;
        len = 0;
        put(STREAM);
        string(stream);
        put(TIME);
        number(eventTime);
        put(modelPart);
        put(STEP);
        number(step);
        put(PREDICTIONS);
        array(values, valuesOff, horizon, width, stepStride, valueStride);
        if (std != null) {
            put(STD);
            array(std, stdOff, horizon, width, stepStride, valueStride);
        }
        put((byte) '}');
        return Arrays.copyOf(buf, len);
    }

    private void array(float[] v, int off, int horizon, int width, int stepStride, int valueStride) {
        put((byte) '[');
        for (int h = 0; h < horizon; h++) {
            if (h > 0) {
                put((byte) ',');
            }
            put((byte) '[');
            for (int j = 0; j < width; j++) {
                if (j > 0) {
                    put((byte) ',');
                }
                float f = v[off + h * stepStride + j * valueStride];
                if (Float.isFinite(f)) {
                    // the shortest decimal that reads back as f (Float.toString's format, as from Java 19)
                    ascii(NumberOutput.toString(f, true));
                } else {
                    put(NULL);
                }
            }
            put((byte) ']');
        }
        put((byte) ']');
    }

    /** A JSON string: straight through when it is printable ASCII without quotes or backslashes, else escaped, UTF-8. */
    private void string(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                StringBuilder sb = new StringBuilder(n + 8);
                JsonText.string(sb, s);
                put(sb.toString().getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        room(n + 2);
        buf[len++] = '"';
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
        buf[len++] = '"';
    }

    private void number(long v) {
        if (v < 0) {
            ascii(Long.toString(v));
            return;
        }
        room(20);
        int digits = 1;
        for (long x = v; x >= 10; x /= 10) {
            digits++;
        }
        int end = len + digits;
        for (int i = end - 1; i >= len; i--) {
            buf[i] = (byte) ('0' + (int) (v % 10));
            v /= 10;
        }
        len = end;
    }

    /** Appends a string of ASCII characters. */
    private void ascii(String s) {
        int n = s.length();
        room(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    private void put(byte[] b) {
        room(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    private void put(byte b) {
        room(1);
        buf[len++] = b;
    }

    private void room(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(len + n, 2 * buf.length));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
