package io.nowcast.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds safetensors images by hand, including broken ones. */
final class StBytes {
    private StBytes() {
    }

    /** Length field (correct), header JSON as given, then the data bytes. */
    static byte[] file(String headerJson, byte[] data) {
        return file(headerJson.getBytes(StandardCharsets.UTF_8), data);
    }

    static byte[] file(byte[] header, byte[] data) {
        return file(header.length, header, data);
    }

    /** Length field as given (possibly a lie), then header bytes and data bytes. */
    static byte[] file(long lengthField, byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(lengthField).put(header).put(data).array();
    }

    /** A data section of n bytes (arbitrary but fixed content). */
    static byte[] data(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 37 + 11);
        }
        return b;
    }

    /** One tensor entry, without the enclosing braces of the header. */
    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":["
                + begin + "," + end + "]}";
    }
}
