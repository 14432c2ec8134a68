package io.nowcast.web;

/** The few JSON writing steps the dashboard's answers need, on a StringBuilder. */
final class Json {
    private Json() {
    }

    /** s as a JSON string literal. */
    static StringBuilder string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x2028 || c == 0x2029 || c == '<' || c == '>') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"');
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
