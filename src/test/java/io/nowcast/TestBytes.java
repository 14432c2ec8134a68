package io.nowcast;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;

/** Bytes and headers of Kafka records, as the tests write and read them. */
public final class TestBytes {
    private TestBytes() {
    }

    /** s in UTF-8, or null for null (a record without a key). */
    public static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** The last header named key, as UTF-8 text, or null when there is none. */
    public static String header(Headers headers, String key) {
        Header h = headers.lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** The last header named key of a record, as UTF-8 text, or null. */
    public static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        return header(r.headers(), key);
    }
}
