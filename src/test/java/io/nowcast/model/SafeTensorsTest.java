package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.model.SafeTensors.Contents;
import io.nowcast.model.SafeTensors.Tensor;
import io.nowcast.tensor.Rng;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips, the exact bytes written, and the dtypes read. */
class SafeTensorsTest {

    @TempDir
    Path dir;

    static List<Tensor> sampleTensors() {
        Rng rng = new Rng(42);
        float[] w = new float[12];
        rng.normal(w, 1f);
        float[] b = new float[4];
        rng.uniform(b, 0.5f);
        List<Tensor> ts = new ArrayList<>();
        ts.add(new Tensor("layer.0.weight", new int[] {3, 4}, w));
        ts.add(new Tensor("layer.0.bias", new int[] {4}, b));
        ts.add(new Tensor("scale", new int[] {}, new float[] {2.5f}));
        ts.add(new Tensor("empty", new int[] {0, 5}, new float[0]));
        ts.add(new Tensor("odd/ünï \"名\"", new int[] {1, 2, 1},
                new float[] {Float.NaN, Float.NEGATIVE_INFINITY}));
        ts.add(new Tensor("specials", new int[] {5},
                new float[] {-0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.intBitsToFloat(0x7fc00123), 1e-40f}));
        return ts;
    }

    static Map<String, String> sampleMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("nowcast", "{\"model\":\"gru\",\"layers\":[1,2]}");
        m.put("weird \"key\"\n", "tab\there, unicode ünï 名 😀");
        return m;
    }

    static void assertSameTensors(List<Tensor> expected, Contents c) {
        assertEquals(expected.stream().map(Tensor::name).toList(), new ArrayList<>(c.tensors().keySet()));
        for (Tensor t : expected) {
            Tensor r = c.tensors().get(t.name());
            assertEquals(t.name(), r.name());
            assertArrayEquals(t.shape(), r.shape(), t.name());
            assertEquals(t.data().length, r.data().length, t.name());
            for (int i = 0; i < t.data().length; i++) {
                assertEquals(Float.floatToRawIntBits(t.data()[i]), Float.floatToRawIntBits(r.data()[i]),
                        t.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void roundTripInMemoryGivesIdenticalBytes() throws Exception {
        List<Tensor> ts = sampleTensors();
        Map<String, String> meta = sampleMetadata();
        byte[] bytes = SafeTensors.toBytes(meta, ts);

        Contents c = SafeTensors.read(bytes, "sample");
        assertEquals(new ArrayList<>(meta.entrySet()), new ArrayList<>(c.metadata().entrySet()));
        assertSameTensors(ts, c);
        assertArrayEquals(new int[] {}, c.tensors().get("scale").shape());
        assertEquals(0, c.tensors().get("empty").data().length);

        byte[] again = SafeTensors.toBytes(c.metadata(), c.tensors().values());
        assertArrayEquals(bytes, again);
    }

    @Test
    void roundTripThroughFile() throws Exception {
        List<Tensor> ts = sampleTensors();
        Map<String, String> meta = sampleMetadata();
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, meta, ts);
        assertArrayEquals(SafeTensors.toBytes(meta, ts), Files.readAllBytes(f));

        Contents c = SafeTensors.read(f);
        assertEquals(meta, c.metadata());
        assertSameTensors(ts, c);

        Path g = dir.resolve("again.safetensors");
        SafeTensors.write(g, c.metadata(), c.tensors().values());
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(g));
    }

    @Test
    void largeTensorCrossesReadAndWriteChunks() throws Exception {
        float[] big = new float[(1 << 18) + 12345]; // more than one 1 MiB chunk
        new Rng(7).normal(big, 3f);
        List<Tensor> ts = List.of(new Tensor("big", new int[] {big.length}, big),
                new Tensor("after", new int[] {2}, new float[] {1f, 2f}));
        Path f = dir.resolve("big.safetensors");
        SafeTensors.write(f, null, ts);
        Contents c = SafeTensors.read(f);
        assertSameTensors(ts, c);
        assertArrayEquals(SafeTensors.toBytes(null, ts), Files.readAllBytes(f));
    }

    @Test
    void writesTheReferenceLayoutExactly() throws Exception {
        byte[] bytes = SafeTensors.toBytes(Map.of("format", "pt"),
                List.of(new Tensor("a", new int[] {2}, new float[] {1f, -2f}),
                        new Tensor("b", new int[] {}, new float[] {0.5f})));
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}";
        int padded = (json.length() + 7) / 8 * 8;
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(padded, bb.getLong());
        byte[] header = new byte[padded];
        bb.get(header);
        assertEquals(json + " ".repeat(padded - json.length()), new String(header, StandardCharsets.UTF_8));
        assertEquals(1f, bb.getFloat());
        assertEquals(-2f, bb.getFloat());
        assertEquals(0.5f, bb.getFloat());
        assertFalse(bb.hasRemaining());
    }

    @Test
    void headerIsAlwaysPaddedToAMultipleOfEight() throws Exception {
        for (int len = 1; len <= 16; len++) {
            Tensor t = new Tensor("x".repeat(len), new int[] {1}, new float[] {1f});
            byte[] bytes = SafeTensors.toBytes(null, List.of(t));
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8, "header length " + n);
            assertEquals(t, SafeTensors.read(bytes, "pad").tensors().get(t.name()));
        }
    }

    @Test
    void emptyOrNullMetadataIsOmitted() throws Exception {
        List<Tensor> ts = List.of(new Tensor("a", new int[] {1}, new float[] {3f}));
        byte[] withNull = SafeTensors.toBytes(null, ts);
        assertArrayEquals(withNull, SafeTensors.toBytes(Map.of(), ts));
        assertFalse(new String(withNull, StandardCharsets.UTF_8).contains("__metadata__"));
        Contents c = SafeTensors.read(withNull, "x");
        assertTrue(c.metadata().isEmpty());
        assertArrayEquals(withNull, SafeTensors.toBytes(c.metadata(), c.tensors().values()));
    }

    @Test
    void noTensorsAtAll() throws Exception {
        byte[] bytes = SafeTensors.toBytes(null, List.of());
        assertEquals(16, bytes.length); // length field + "{}" padded to 8
        Contents c = SafeTensors.read(bytes, "empty");
        assertTrue(c.tensors().isEmpty());
        assertTrue(c.metadata().isEmpty());
    }

    @Test
    void readsF64F16Bf16AndF32() throws Exception {
        String header = "{"
                + StBytes.entry("h", "F16", "[2,3]", 0, 12) + ","
                + StBytes.entry("b", "BF16", "[4]", 12, 20) + ","
                + StBytes.entry("d", "F64", "[3]", 20, 44) + ","
                + StBytes.entry("f", "F32", "[]", 44, 48) + ","
                + "\"__metadata__\":{\"format\":\"pt\"}}   ";
        ByteBuffer data = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int h : new int[] {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3555, 0x7C00}) {
            data.putShort((short) h);
        }
        for (int b : new int[] {0x3F80, 0xC040, 0x4049, 0x8000}) {
            data.putShort((short) b);
        }
        data.putDouble(1.5).putDouble(-0.001).putDouble(1e300);
        data.putFloat(7.25f);
        Contents c = SafeTensors.read(StBytes.file(header, data.array()), "mixed");

        assertEquals(List.of("h", "b", "d", "f"), new ArrayList<>(c.tensors().keySet()));
        assertEquals(Map.of("format", "pt"), c.metadata());
        Tensor h = c.tensors().get("h");
        assertArrayEquals(new int[] {2, 3}, h.shape());
        assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, 0.333251953125f, Float.POSITIVE_INFINITY},
                h.data());
        assertArrayEquals(new float[] {1f, -3f, 3.140625f, -0f}, c.tensors().get("b").data());
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(c.tensors().get("b").data()[3]));
        assertArrayEquals(new float[] {1.5f, (float) -0.001, Float.POSITIVE_INFINITY}, c.tensors().get("d").data());
        assertArrayEquals(new float[] {7.25f}, c.tensors().get("f").data());
        assertArrayEquals(new int[] {}, c.tensors().get("f").shape());
    }

    @Test
    void acceptsTensorsListedOutOfDataOrderAndKeepsHeaderOrder() throws Exception {
        String header = "{" + StBytes.entry("second", "F32", "[2]", 8, 16) + ","
                + StBytes.entry("zero", "F32", "[0]", 0, 0) + ","
                + StBytes.entry("first", "F32", "[2]", 0, 8) + "}";
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1).putFloat(2).putFloat(3).putFloat(4);
        Contents c = SafeTensors.read(StBytes.file(header, data.array()), "order");
        assertEquals(List.of("second", "zero", "first"), new ArrayList<>(c.tensors().keySet()));
        assertArrayEquals(new float[] {3, 4}, c.tensors().get("second").data());
        assertArrayEquals(new float[] {1, 2}, c.tensors().get("first").data());
    }

    /** The SHA-256 of the bytes from {@code from} on, as lowercase hex. */
    private static String sha256(byte[] bytes, int from) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(bytes, from, bytes.length - from);
        return HexFormat.of().formatHex(md.digest());
    }

    /** The SHA-256 of a file image's data section, found from its length field. */
    private static String dataSectionSha256(byte[] file) throws Exception {
        return sha256(file, 8 + (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
    }

    @Test
    void theDataSectionIsDigestedInFileOrderWhateverTheHeaderOrder() throws Exception {
        List<Tensor> ts = sampleTensors();
        byte[] bytes = SafeTensors.toBytes(sampleMetadata(), ts);
        String expected = dataSectionSha256(bytes);
        assertEquals(expected, SafeTensors.dataSha256(ts), "what write will produce");
        assertEquals(expected, SafeTensors.read(bytes, "sample").dataSha256());
        Path f = dir.resolve("digest.safetensors");
        SafeTensors.write(f, sampleMetadata(), ts);
        assertEquals(expected, SafeTensors.read(f).dataSha256());

        float[] big = new float[(1 << 18) + 12345]; // more than one 1 MiB chunk
        new Rng(8).normal(big, 1f);
        List<Tensor> large = List.of(new Tensor("big", new int[] {big.length}, big));
        SafeTensors.write(f, null, large);
        assertEquals(dataSectionSha256(Files.readAllBytes(f)), SafeTensors.read(f).dataSha256());
        assertEquals(SafeTensors.read(f).dataSha256(), SafeTensors.dataSha256(large));

        String header = "{" + StBytes.entry("second", "F32", "[2]", 8, 16) + ","
                + StBytes.entry("first", "F32", "[2]", 0, 8) + "}";
        byte[] data = StBytes.data(16);
        assertEquals(sha256(data, 0), SafeTensors.read(StBytes.file(header, data), "order").dataSha256());
        assertEquals(sha256(new byte[0], 0), SafeTensors.read(StBytes.file("{}", new byte[0]), "none").dataSha256());
    }

    @Test
    void halfConversionIsExactForEveryValue() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int exp = (bits >>> 10) & 0x1F;
            int mant = bits & 0x3FF;
            double sign = (bits & 0x8000) != 0 ? -1 : 1;
            float got = SafeTensors.halfToFloat((short) bits);
            if (exp == 0x1F) {
                assertEquals(mant == 0, Float.isInfinite(got), Integer.toHexString(bits));
                assertEquals(mant != 0, Float.isNaN(got), Integer.toHexString(bits));
                assertEquals(sign < 0, (Float.floatToRawIntBits(got) & 0x80000000) != 0);
                continue;
            }
            double expected = exp == 0 ? sign * mant * Math.pow(2, -24)
                    : sign * (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got),
                    Integer.toHexString(bits));
        }
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTemporaries() throws Exception {
        Path f = dir.resolve("m.safetensors");
        Files.writeString(f, "old content");
        List<Tensor> ts = List.of(new Tensor("a", new int[] {1}, new float[] {1f}));
        SafeTensors.write(f, Map.of("k", "v"), ts);
        assertEquals(Map.of("k", "v"), SafeTensors.read(f).metadata());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
    }

    @Test
    void writeFailsCleanlyWhenTheDirectoryIsMissing() {
        Path f = dir.resolve("no/such/dir/m.safetensors");
        assertThrows(IOException.class, () -> SafeTensors.write(f, null, List.of()));
    }

    @Test
    void writeRefusesBadArguments() {
        Tensor a = new Tensor("a", new int[] {1}, new float[] {1f});
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(null, List.of(a, a)));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(null,
                List.of(new Tensor("__metadata__", new int[] {}, new float[] {1f}))));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(null,
                List.of(new Tensor("bad\ud800name", new int[] {}, new float[] {1f}))));
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(nullValue, List.of(a)));
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(dir.resolve("x"), Map.of("k", "\udc00"), List.of(a)));
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void tensorChecksItsShape() {
        assertThrows(IllegalArgumentException.class, () -> new Tensor("t", new int[] {2, 3}, new float[5]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("t", new int[] {-1}, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("t", new int[] {}, new float[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new Tensor("t", new int[] {65536, 65536}, new float[0]));
        new Tensor("t", new int[] {65536, 65536, 0}, new float[0]);

        int[] shape = {2, 2};
        Tensor t = new Tensor("t", shape, new float[4]);
        shape[0] = 7;
        t.shape()[1] = 9;
        assertArrayEquals(new int[] {2, 2}, t.shape());
        assertEquals(new Tensor("t", new int[] {2, 2}, new float[4]), t);
    }
}
