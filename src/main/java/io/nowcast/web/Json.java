package io.nowcast.web;

/** The few JSON writing steps the dashboard's answers need, on a StringBuilder. */
final class Json {
    private Json() {
    }

    /** s as a JSON string literal, safe inside the page's script too ({@code <} and {@code >} escaped). */
    static StringBuilder string(StringBuilder sb, String s) {
        return io.nowcast.codec.JsonText.htmlSafeString(sb, s);
    }

    /** A number, or null for NaN and infinities (which JSON has not). */
    static StringBuilder number(StringBuilder sb, double v) {
        if (!Double.isFinite(v)) {
            return sb.append("null");
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return sb.append((long) v);
        }
        return sb.append((float) v);
    }

    /** v[off, off + n) as a JSON array. */
    static StringBuilder array(StringBuilder sb, float[] v, int off, int n) {
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(',');
            }
            number(sb, v[off + i]);
        }
        return sb.append(']');
    }

    static StringBuilder strings(StringBuilder sb, Iterable<String> v) {
        sb.append('[');
        boolean first = true;
        for (String s : v) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            string(sb, s);
        }
        return sb.append(']');
    }
}
