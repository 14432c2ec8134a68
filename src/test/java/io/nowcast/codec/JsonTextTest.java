package io.nowcast.codec;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Every string written by JsonText reads back as itself, and the HTML-safe form has no angle brackets. */
class JsonTextTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anyStringReadsBackAsItself() throws Exception {
        String[] samples = {"", "s-17", "a\"b", "back\\slash", "tab\tnew\nline\r\u0000\u001f", "sep\u2028\u2029",
            "</script><b>", "caf\u00e9 \ud83d\ude00"};
        for (String s : samples) {
            String plain = JsonText.string(new StringBuilder(), s).toString();
            String html = JsonText.htmlSafeString(new StringBuilder(), s).toString();
            assertEquals(s, JSON.readValue(plain, String.class), plain);
            assertEquals(s, JSON.readValue(html, String.class), html);
            assertFalse(html.contains("<") || html.contains(">"), html);
            assertFalse(plain.contains("\u2028") || plain.contains("\n"), plain);
        }
    }
}
