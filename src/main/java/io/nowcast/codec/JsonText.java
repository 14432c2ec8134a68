package io.nowcast.codec;

/**
 * JSON string literals, written in one place for every message Nowcast writes by hand
 * (predictions, dead letters, eviction announcements, the dashboard's answers): a quote and a
 * backslash are escaped, control characters and the line and paragraph separators U+2028/U+2029
 * (which end a line in JavaScript) are written as {@code \\uXXXX}.
 */
public final class JsonText {
    private JsonText() {
    }

    /** Appends s as a JSON string literal. */
    public static StringBuilder string(StringBuilder sb, String s) {
        return append(sb, s, false);
    }

    /**
     * Appends s as a JSON string literal that is also safe inside an HTML page's script: {@code <}
     * and {@code >} are escaped too, so no value can close a script element.
     */
    public static StringBuilder htmlSafeString(StringBuilder sb, String s) {
        return append(sb, s, true);
    }

    private static StringBuilder append(StringBuilder sb, String s, boolean html) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x2028 || c == 0x2029 || (html && (c == '<' || c == '>'))) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"');
    }
}
