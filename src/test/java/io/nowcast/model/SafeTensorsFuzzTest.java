package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nowcast.model.SafeTensors.Contents;
import io.nowcast.model.SafeTensors.Tensor;
import io.nowcast.tensor.Rng;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of valid files: each must either load into consistent tensors or be refused with
 * a {@link ModelFileException} naming the source, never anything else, and never through the
 * reader's last-resort wrapping of unexpected runtime exceptions.
 */
class SafeTensorsFuzzTest {

    static final long SEED = 0x5AFE7E4507L;
    static final int CASES = 8_000;
    static final int KINDS = 10;
    static final String[] KIND_NAMES = {"truncate", "flip header bytes", "flip data bytes", "insert bytes",
        "delete bytes", "lie in length field", "edit header JSON", "edit header text",
        "edit header JSON and resize data", "two mutations"};
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @TempDir
    Path dir;

    private Rng rng;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void mutatedFilesLoadConsistentlyOrAreRefused() throws Exception {
        rng = new Rng(SEED);
        List<byte[]> bases = List.of(writtenBase(), mixedDtypeBase());
        for (byte[] b : bases) {
            SafeTensors.read(b, "base"); // both bases are valid
        }
        int[] loaded = new int[KINDS];
        int[] refused = new int[KINDS];
        Path onDisk = dir.resolve("case.safetensors");
        long start = System.nanoTime();
        for (int i = 0; i < CASES; i++) {
            int kind = i % KINDS;
            byte[] base = bases.get(rng.nextInt(bases.size()));
            byte[] bytes = kind == 9 ? mutate(rng.nextInt(9), mutate(rng.nextInt(9), base)) : mutate(kind, base);
            String what = "case " + i + " (" + KIND_NAMES[kind] + ")";
            Object outcome = outcome(bytes, onDisk.toString(), what);
            if (outcome instanceof Contents) {
                loaded[kind]++;
            } else {
                refused[kind]++;
            }
            if (i % 50 == 0) { // the file reader must agree with the in-memory reader
                Files.write(onDisk, bytes);
                Object fromFile = outcome(onDisk, what);
                assertSameOutcome(outcome, fromFile, what, bytes);
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        StringBuilder summary = new StringBuilder(CASES + " mutations in " + ms + " ms; loaded/refused by kind:");
        for (int k = 0; k < KINDS; k++) {
            summary.append("\n  ").append(KIND_NAMES[k]).append(": ").append(loaded[k]).append('/').append(refused[k]);
        }
        // Every kind of mutation must have produced refusals, and the structural ones also loadable files,
        // otherwise the fuzzer is not reaching the checks it is meant to exercise.
        for (int k = 0; k < KINDS; k++) {
            if (k != 2) {
                assertTrue(refused[k] > 0, KIND_NAMES[k] + " never refused\n" + summary);
            }
        }
        for (int k : new int[] {2, 6, 7, 8, 9}) {
            assertTrue(loaded[k] > 0, KIND_NAMES[k] + " never loaded\n" + summary);
        }
    }

    // --- outcomes ----------------------------------------------------------------------------

    /** Returns the Contents, or the refusal's message; fails the test on anything else. */
    static Object outcome(byte[] bytes, String name, String what) {
        try {
            Contents c = SafeTensors.read(bytes, name);
            assertConsistent(c, bytes.length, what);
            return c;
        } catch (ModelFileException e) {
            return checkRefusal(e, name, what, bytes);
        } catch (Throwable t) {
            throw new AssertionError(what + ": threw " + t + " for " + Base64.getEncoder().encodeToString(bytes), t);
        }
    }

    static Object outcome(Path file, String what) {
        try {
            Contents c = SafeTensors.read(file);
            assertConsistent(c, Files.size(file), what);
            return c;
        } catch (ModelFileException e) {
            return checkRefusal(e, file.toString(), what, null);
        } catch (Throwable t) {
            throw new AssertionError(what + " (from file): threw " + t, t);
        }
    }

    static String checkRefusal(ModelFileException e, String name, String what, byte[] bytes) {
        String input = bytes == null ? "" : " for " + Base64.getEncoder().encodeToString(bytes);
        assertNotNull(e.getMessage(), what);
        assertTrue(e.getMessage().startsWith(name + ": "), what + ": message does not name the source: " + e.getMessage());
        if (e.getCause() instanceof RuntimeException || e.getCause() instanceof Error) {
            throw new AssertionError(what + ": unexpected internal exception" + input, e);
        }
        return e.getMessage();
    }

    static void assertConsistent(Contents c, long fileSize, String what) {
        long elements = 0;
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            Tensor t = e.getValue();
            assertEquals(e.getKey(), t.name(), what);
            long n = 1;
            for (int d : t.shape()) {
                assertTrue(d >= 0, what);
                n *= d;
            }
            assertEquals(n, t.data().length, what + ": tensor " + t.name());
            elements += n;
        }
        assertTrue(2 * elements <= fileSize, what + ": more elements than the file can hold");
        c.metadata().forEach((k, v) -> {
            assertNotNull(k, what);
            assertNotNull(v, what);
        });
    }

    static void assertSameOutcome(Object fromBytes, Object fromFile, String what, byte[] bytes) {
        String input = " for " + Base64.getEncoder().encodeToString(bytes);
        if (fromBytes instanceof Contents a && fromFile instanceof Contents b) {
            assertEquals(a.metadata(), b.metadata(), what + input);
            assertEquals(a.tensors(), b.tensors(), what + input);
        } else {
            assertEquals(fromBytes, fromFile, what + ": bytes and file readers disagree" + input);
        }
    }

    // --- valid starting points ---------------------------------------------------------------

    static byte[] writtenBase() {
        Rng r = new Rng(1);
        float[] w = new float[12];
        r.normal(w, 1f);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("nowcast", "{\"kind\":\"gru\",\"hidden\":4}");
        return SafeTensors.toBytes(meta, List.of(
                new Tensor("rnn.weight", new int[] {3, 4}, w),
                new Tensor("rnn.bias", new int[] {4}, new float[] {0.5f, -1f, 2f, 0f}),
                new Tensor("scale", new int[] {}, new float[] {3f}),
                new Tensor("none", new int[] {2, 0}, new float[0])));
    }

    static byte[] mixedDtypeBase() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + StBytes.entry("half", "F16", "[2,2]", 0, 8) + ","
                + StBytes.entry("brain", "BF16", "[3]", 8, 14) + ","
                + StBytes.entry("double", "F64", "[2]", 14, 30) + ","
                + StBytes.entry("single", "F32", "[]", 30, 34) + "}";
        ByteBuffer data = ByteBuffer.allocate(34).order(ByteOrder.LITTLE_ENDIAN);
        for (int h : new int[] {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3F80, 0xC040, 0x4049}) {
            data.putShort((short) h);
        }
        data.putDouble(1.5).putDouble(-0.25).putFloat(7f);
        return StBytes.file(header, data.array());
    }

    // --- mutations ---------------------------------------------------------------------------

    byte[] mutate(int kind, byte[] b) {
        return switch (kind) {
            case 0 -> Arrays.copyOf(b, rng.nextInt(b.length + 1));
            case 1 -> flip(b, 8, 8 + headerLength(b));
            case 2 -> flip(b, 8 + headerLength(b), b.length);
            case 3 -> insert(b);
            case 4 -> delete(b);
            case 5 -> lieAboutLength(b);
            case 6 -> editJson(b, false);
            case 7 -> editText(b);
            case 8 -> editJson(b, true);
            default -> throw new IllegalArgumentException("kind " + kind);
        };
    }

    /** The header length, clamped to the file so mutations can be applied to already damaged files. */
    static int headerLength(byte[] b) {
        if (b.length < 8) {
            return 0;
        }
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return (int) Math.max(0, Math.min(n, b.length - 8));
    }

    byte[] flip(byte[] b, int from, int to) {
        byte[] m = b.clone();
        if (to <= from) {
            return m;
        }
        int flips = 1 + rng.nextInt(4);
        for (int i = 0; i < flips; i++) {
            int pos = from + rng.nextInt(to - from);
            m[pos] ^= (byte) (1 + rng.nextInt(255));
        }
        return m;
    }

    byte[] insert(byte[] b) {
        int pos = rng.nextInt(b.length + 1);
        int n = 1 + rng.nextInt(8);
        byte[] m = new byte[b.length + n];
        System.arraycopy(b, 0, m, 0, pos);
        for (int i = 0; i < n; i++) {
            m[pos + i] = (byte) rng.nextInt(256);
        }
        System.arraycopy(b, pos, m, pos + n, b.length - pos);
        return m;
    }

    byte[] delete(byte[] b) {
        if (b.length == 0) {
            return b;
        }
        int pos = rng.nextInt(b.length);
        int n = Math.min(1 + rng.nextInt(8), b.length - pos);
        byte[] m = new byte[b.length - n];
        System.arraycopy(b, 0, m, 0, pos);
        System.arraycopy(b, pos + n, m, pos, b.length - pos - n);
        return m;
    }

    byte[] lieAboutLength(byte[] b) {
        if (b.length < 8) {
            return b;
        }
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        long[] lies = {Long.MAX_VALUE, Long.MIN_VALUE, -1, -n, 1L << 32, (1L << 31) - 1, 1L << 31,
            SafeTensors.MAX_HEADER_BYTES, SafeTensors.MAX_HEADER_BYTES + 1, 0, 1, n - 1, n + 1, n - 8, n + 8,
            b.length - 8, b.length - 7, b.length, rng.nextLong(), rng.nextInt(b.length + 16)};
        byte[] m = b.clone();
        ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lies[rng.nextInt(lies.length)]);
        return m;
    }

    /** Header text edits: JSON punctuation and digits replacing, inserted into or removed from the text. */
    byte[] editText(byte[] b) {
        int n = headerLength(b);
        StringBuilder h = new StringBuilder(new String(b, 8, n, StandardCharsets.ISO_8859_1));
        String[] tokens = {"{", "}", "[", "]", ",", ":", "\"", "0", "1", "9", "-", ".", "e", " ", "\\",
            "\"dtype\":\"F32\",", "\"shape\":[1],", "\"data_offsets\":[0,4],", "null", "99999999999999999999"};
        int edits = 1 + rng.nextInt(3);
        for (int i = 0; i < edits && h.length() > 0; i++) {
            int pos = rng.nextInt(h.length());
            switch (rng.nextInt(3)) {
                case 0 -> h.replace(pos, pos + 1, tokens[rng.nextInt(tokens.length)]);
                case 1 -> h.insert(pos, tokens[rng.nextInt(tokens.length)]);
                default -> h.deleteCharAt(pos);
            }
        }
        return withHeader(b, h.toString().getBytes(StandardCharsets.ISO_8859_1), 0);
    }

    /** Structural header edits through a JSON tree, written back with a correct length field. */
    byte[] editJson(byte[] b, boolean resizeData) {
        int n = headerLength(b);
        JsonNode parsed;
        try {
            parsed = MAPPER.readTree(new String(b, 8, n, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return b; // an earlier mutation already broke the header
        }
        if (!(parsed instanceof ObjectNode root)) {
            return b;
        }
        List<String> names = new ArrayList<>();
        root.fieldNames().forEachRemaining(k -> {
            if (!k.equals(SafeTensors.METADATA_KEY)) {
                names.add(k);
            }
        });
        String textDuplicate = null;
        int edits = 1 + rng.nextInt(2);
        for (int e = 0; e < edits && !names.isEmpty(); e++) {
            String name = names.get(rng.nextInt(names.size()));
            JsonNode entryNode = root.get(name);
            if (entryNode == null) { // removed or renamed by the previous edit
                continue;
            }
            ObjectNode entry = entryNode instanceof ObjectNode o ? o : null;
            int op = rng.nextInt(16);
            switch (op) {
                case 0 -> { if (entry != null) entry.set("shape", randomShape()); }
                case 1 -> {
                    if (entry != null && entry.get("shape") instanceof ArrayNode s && s.size() > 0) {
                        int i = rng.nextInt(s.size());
                        s.set(i, rng.nextInt(2) == 0 ? NODES.numberNode(s.get(i).asLong() + rng.nextInt(3) - 1)
                                : randomValue());
                    }
                }
                case 2 -> { // permute the dimensions: same element count, loads
                    if (entry != null && entry.get("shape") instanceof ArrayNode s && s.size() > 1) {
                        JsonNode first = s.remove(0);
                        s.add(first);
                    }
                }
                case 3 -> { if (entry != null) entry.set("data_offsets", randomOffsets()); }
                case 4 -> {
                    if (entry != null && entry.get("data_offsets") instanceof ArrayNode o && o.size() == 2) {
                        int i = rng.nextInt(2);
                        o.set(i, NODES.numberNode(o.get(i).asLong() + rng.nextInt(17) - 8));
                    }
                }
                case 5 -> { // swap byte ranges with another tensor: loads when the sizes agree
                    ObjectNode other = root.get(names.get(rng.nextInt(names.size()))) instanceof ObjectNode o ? o : null;
                    if (entry != null && other != null && entry.has("data_offsets") && other.has("data_offsets")) {
                        JsonNode tmp = entry.get("data_offsets");
                        entry.set("data_offsets", other.get("data_offsets"));
                        other.set("data_offsets", tmp);
                    }
                }
                case 6 -> {
                    if (entry != null) {
                        String[] dtypes = {"F32", "F64", "F16", "BF16", "I32", "U8", "BOOL", "f32", "", "F32 "};
                        entry.put("dtype", dtypes[rng.nextInt(dtypes.length)]);
                    }
                }
                case 7 -> reinterpret(entry);
                case 8 -> {
                    if (entry != null) {
                        String[] fields = {"dtype", "shape", "data_offsets"};
                        entry.remove(fields[rng.nextInt(3)]);
                    }
                }
                case 9 -> { if (entry != null) entry.set(rng.nextInt(2) == 0 ? "strides" : "Dtype", randomValue()); }
                case 10 -> root.set(name, randomValue());
                case 11 -> root.remove(name);
                case 12 -> root.set(name + "_copy", entryNode.deepCopy());
                case 13 -> editMetadata(root);
                case 14 -> { // rename, sometimes onto the metadata key, and move to the end of the header
                    root.remove(name);
                    root.set(rng.nextInt(4) == 0 ? SafeTensors.METADATA_KEY : name + "\u00e9\u540d", entryNode);
                }
                default -> textDuplicate = rng.nextInt(2) == 0 ? name : "shape";
            }
        }
        String text = root.toString();
        if (textDuplicate != null) { // duplicate keys cannot be made in a tree, so splice them into the text
            text = textDuplicate.equals("shape")
                    ? text.replaceFirst("\"shape\":", "\"shape\":[1],\"shape\":")
                    : text.substring(0, text.length() - 1) + ",\"" + textDuplicate + "\":{}}";
        }
        int pad = rng.nextInt(3) == 0 ? rng.nextInt(9) : 0;
        byte[] header = (text + " ".repeat(pad)).getBytes(StandardCharsets.UTF_8);
        int dataDelta = resizeData ? rng.nextInt(33) - 16 : 0;
        return withHeader(b, header, dataDelta);
    }

    /** Changes the dtype while keeping the byte count, by rescaling the last dimension when it can. */
    private void reinterpret(ObjectNode entry) {
        if (entry == null || !(entry.get("shape") instanceof ArrayNode s) || !entry.has("dtype")) {
            return;
        }
        Map<String, Integer> sizes = Map.of("F32", 4, "F64", 8, "F16", 2, "BF16", 2);
        Integer from = sizes.get(entry.get("dtype").asText());
        String to = List.of("F32", "F64", "F16", "BF16").get(rng.nextInt(4));
        if (from == null) {
            return;
        }
        entry.put("dtype", to);
        if (s.size() > 0) {
            long last = s.get(s.size() - 1).asLong();
            s.set(s.size() - 1, NODES.numberNode(last * from / sizes.get(to)));
        }
    }

    private void editMetadata(ObjectNode root) {
        JsonNode meta = root.get(SafeTensors.METADATA_KEY);
        switch (rng.nextInt(5)) {
            case 0 -> root.set(SafeTensors.METADATA_KEY, randomValue());
            case 1 -> { if (meta instanceof ObjectNode m) m.set("format", randomValue()); }
            case 2 -> { if (meta instanceof ObjectNode m) m.put("extra \u00e9", "value"); }
            case 3 -> root.remove(SafeTensors.METADATA_KEY);
            default -> {
                if (meta instanceof ObjectNode m) {
                    Iterator<String> it = m.fieldNames();
                    if (it.hasNext()) {
                        m.put(it.next(), "replaced");
                    }
                }
            }
        }
    }

    private JsonNode randomShape() {
        ArrayNode a = NODES.arrayNode();
        int rank = rng.nextInt(5);
        for (int i = 0; i < rank; i++) {
            a.add(rng.nextInt(3) == 0 ? randomValue() : NODES.numberNode(rng.nextInt(5)));
        }
        return a;
    }

    private JsonNode randomOffsets() {
        ArrayNode a = NODES.arrayNode();
        int count = rng.nextInt(5) == 0 ? rng.nextInt(4) : 2;
        for (int i = 0; i < count; i++) {
            a.add(rng.nextInt(3) == 0 ? randomValue() : NODES.numberNode(rng.nextInt(40)));
        }
        return a;
    }

    private JsonNode randomValue() {
        return switch (rng.nextInt(18)) {
            case 0 -> NODES.numberNode(-1);
            case 1 -> NODES.numberNode(0);
            case 2 -> NODES.numberNode(Integer.MAX_VALUE);
            case 3 -> NODES.numberNode(1L << 31);
            case 4 -> NODES.numberNode(1L << 32);
            case 5 -> NODES.numberNode(Long.MAX_VALUE);
            case 6 -> NODES.numberNode(Long.MIN_VALUE);
            case 7 -> NODES.numberNode(BigInteger.ONE.shiftLeft(64));
            case 8 -> NODES.numberNode(2.5);
            case 9 -> NODES.numberNode(4.0);
            case 10 -> NODES.textNode("3");
            case 11 -> NODES.nullNode();
            case 12 -> NODES.booleanNode(true);
            case 13 -> NODES.arrayNode();
            case 14 -> NODES.objectNode();
            case 15 -> NODES.arrayNode().add(1).add(2);
            case 16 -> NODES.numberNode(65536);
            default -> NODES.numberNode(rng.nextInt(50));
        };
    }

    /** Replaces the header of b (with a correct length field) and grows or shrinks its data section. */
    static byte[] withHeader(byte[] b, byte[] header, int dataDelta) {
        int n = headerLength(b);
        int dataStart = Math.min(b.length, 8 + n);
        int dataLength = Math.max(0, b.length - dataStart + dataDelta);
        byte[] data = new byte[dataLength];
        System.arraycopy(b, dataStart, data, 0, Math.min(dataLength, b.length - dataStart));
        return StBytes.file(header, data);
    }

    // --- targeted checks that random mutation would rarely reach -----------------------------

    @Test
    void everyTruncationOfAValidFileIsRefused() throws Exception {
        for (byte[] base : List.of(writtenBase(), mixedDtypeBase())) {
            SafeTensors.read(base, "base");
            for (int len = 0; len < base.length; len++) {
                Object o = outcome(Arrays.copyOf(base, len), "cut", "truncated to " + len);
                assertTrue(o instanceof String, "truncated to " + len + " loaded");
            }
        }
    }

    @Test
    void everySingleByteDeletionOrInsertionIsRefusedOrConsistent() {
        byte[] base = writtenBase();
        for (int pos = 0; pos < base.length; pos++) {
            byte[] del = new byte[base.length - 1];
            System.arraycopy(base, 0, del, 0, pos);
            System.arraycopy(base, pos + 1, del, pos, base.length - pos - 1);
            outcome(del, "del", "delete at " + pos);
            byte[] ins = new byte[base.length + 1];
            System.arraycopy(base, 0, ins, 0, pos);
            ins[pos] = ' ';
            System.arraycopy(base, pos, ins, pos + 1, base.length - pos);
            outcome(ins, "ins", "insert at " + pos);
        }
    }

    @Test
    void reinterpretingTheSameBytesLoads() throws Exception {
        byte[] base = writtenBase();
        int n = headerLength(base);
        String text = new String(base, 8, n, StandardCharsets.UTF_8)
                .replace("\"dtype\":\"F32\",\"shape\":[3,4]", "\"dtype\":\"BF16\",\"shape\":[3,8]");
        Contents c = SafeTensors.read(withHeader(base, text.getBytes(StandardCharsets.UTF_8), 0), "reinterpreted");
        assertArrayEquals(new int[] {3, 8}, c.tensors().get("rnn.weight").shape());
    }
}
