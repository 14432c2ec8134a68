package io.nowcast.codec;

import java.nio.charset.StandardCharsets;

/**
 * Encodes predictions ({@code schemas/prediction.schema.json}):
 * <pre>{"stream":"ped-17","time":1700000000123,"model":"eth","model_version":"3","step":42,
 *  "predictions":[[1.25,-0.5]],"std":[[0.1,0.2]]}</pre>
 * {@code time} is the event time of the input sample the prediction answers; {@code step} counts
 * the stream's samples since its state was (re)started; {@code predictions} holds one array of
 * values per horizon step; {@code std}, present only for models with a Gaussian head, the standard
 * deviation of each value. Not thread-safe (reuses a buffer): one per thread.
 */
public final class PredictionCodec {
    private final StringBuilder sb = new StringBuilder(256);
    private final String modelPart;

    public PredictionCodec(String model, String version) {
        StringBuilder m = new StringBuilder();
        m.append(",\"model\":");
        quote(m, model);
        m.append(",\"model_version\":");
        quote(m, version);
        this.modelPart = m.toString();
    }

    /**
     * @param values (horizon * width) row-major predictions
     * @param std    same layout, or null
     */
    public byte[] encode(String stream, long eventTime, long step, float[] values, int valuesOff, float[] std, int stdOff,
                         int horizon, int width) {
        sb.setLength(0);
        sb.append("{\"stream\":");
        quote(sb, stream);
        sb.append(",\"time\":").append(eventTime).append(modelPart).append(",\"step\":").append(step);
        sb.append(",\"predictions\":");
        array(values, valuesOff, horizon, width);
        if (std != null) {
            sb.append(",\"std\":");
            array(std, stdOff, horizon, width);
        }
        sb.append('}');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void array(float[] v, int off, int horizon, int width) {
        sb.append('[');
        for (int h = 0; h < horizon; h++) {
            if (h > 0) {
                sb.append(',');
            }
            sb.append('[');
            for (int j = 0; j < width; j++) {
                if (j > 0) {
                    sb.append(',');
                }
                float f = v[off + h * width + j];
                sb.append(Float.isFinite(f) ? Float.toString(f) : "null");
            }
            sb.append(']');
        }
        sb.append(']');
    }

    /** Appends s as a JSON string literal. */
    static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                default:
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
