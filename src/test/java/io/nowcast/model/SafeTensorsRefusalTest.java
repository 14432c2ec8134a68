package io.nowcast.model;

import static io.nowcast.model.StBytes.data;
import static io.nowcast.model.StBytes.entry;
import static io.nowcast.model.StBytes.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.model.SafeTensors.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of damaged file is refused with a message naming the file, the tensor or field, and the problem. */
class SafeTensorsRefusalTest {

    static final String SRC = "damaged.safetensors";

    /** A valid pair of entries: w is F32 [2,3] at [0,24], b is F32 [3] at [24,36]. */
    static final String W = entry("w", "F32", "[2,3]", 0, 24);
    static final String B = entry("b", "F32", "[3]", 24, 36);

    @TempDir
    Path dir;

    static ModelFileException refused(byte[] bytes, String... parts) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> SafeTensors.read(bytes, SRC));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(SRC + ": "), () -> "message does not name the source: " + msg);
        for (String p : parts) {
            assertTrue(msg.contains(p), () -> "message lacks \"" + p + "\": " + msg);
        }
        return e;
    }

    static ModelFileException refused(String header, int dataBytes, String... parts) {
        return refused(file(header, data(dataBytes)), parts);
    }

    @Test
    void theValidBaseLoads() throws Exception {
        assertEquals(List.of("w", "b"),
                List.copyOf(SafeTensors.read(file("{" + W + "," + B + "}", data(36)), SRC).tensors().keySet()));
    }

    // --- the length field --------------------------------------------------------------------

    @Test
    void fileShorterThanTheLengthField() {
        for (int n = 0; n < 8; n++) {
            refused(new byte[n], "file is " + n + " bytes long", "expected at least 8");
        }
    }

    @Test
    void headerLengthBeyondTheFile() {
        byte[] header = ("{" + W + "}").getBytes(StandardCharsets.UTF_8);
        refused(file(header.length + 25, header, data(24)),
                "header length field says " + (header.length + 25), "only " + (header.length + 24) + " bytes follow");
        refused(file(1, new byte[0], new byte[0]), "header length field says 1", "only 0 bytes follow");
    }

    @Test
    void headerLengthOverTheCap() {
        refused(file(SafeTensors.MAX_HEADER_BYTES + 1, new byte[] {'{', '}'}, new byte[0]),
                "header length field says " + (SafeTensors.MAX_HEADER_BYTES + 1), "expected at most 104857600");
        refused(file(-1L, new byte[] {'{', '}'}, new byte[0]),
                "header length field says 18446744073709551615", "expected at most");
        refused(file(Long.MAX_VALUE, new byte[] {'{', '}'}, new byte[0]), "" + Long.MAX_VALUE);
    }

    // --- the header as text ------------------------------------------------------------------

    @Test
    void headerNotUtf8() {
        byte[] header = ("{" + W + "}").getBytes(StandardCharsets.UTF_8);
        header[2] = (byte) 0xFF; // inside the name "w"
        refused(file(header, data(24)), "not valid UTF-8", "header byte 2");
        byte[] surrogate = "{\"a\u00ed\u00a0\u0080\":1}".getBytes(StandardCharsets.ISO_8859_1); // CESU surrogate
        refused(file(surrogate, new byte[0]), "not valid UTF-8", "header byte 3");
        byte[] cut = Arrays.copyOf("{\"é".getBytes(StandardCharsets.UTF_8), 3);
        refused(file(cut, new byte[0]), "not valid UTF-8");
    }

    @Test
    void headerNotJson() {
        refused("{" + W + ",}", 24, "header: ", "invalid JSON");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],", 24, "tensor 'w'", "invalid JSON");
        refused("{" + W + "} trailing", 24, "invalid JSON");
        refused("{" + W + "}{}", 24, "unexpected content after the header object: found an object");
        refused("{'w':1}", 0, "invalid JSON");
        refused("{" + W + "}\u0000\u0000", 24, "invalid JSON");
    }

    @Test
    void headerNotAnObject() {
        refused("[1,2]", 0, "header is not a JSON object", "'[' (0x5b)");
        refused("\"w\"", 0, "header is not a JSON object");
        refused(" {" + W + "}", 24, "header is not a JSON object", "must begin with '{'");
        refused("", 0, "header is empty");
        byte[] bom = ("\ufeff{" + W + "}").getBytes(StandardCharsets.UTF_8);
        refused(file(bom, data(24)), "header is not a JSON object", "0xef");
    }

    @Test
    void duplicateTensor() {
        refused("{" + W + "," + W + "}", 24, "duplicate key 'w'");
    }

    @Test
    void duplicateFieldInATensor() {
        refused("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24,
                "tensor 'w'", "duplicate key 'dtype'");
    }

    @Test
    void duplicateMetadataKey() {
        refused("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," + W + "}", 24, "__metadata__", "duplicate key 'k'");
        refused("{\"__metadata__\":{},\"__metadata__\":{}," + W + "}", 24, "duplicate key '__metadata__'");
    }

    // --- __metadata__ ------------------------------------------------------------------------

    @Test
    void metadataNotAnObject() {
        refused("{\"__metadata__\":[\"a\"]," + W + "}", 24, "__metadata__", "expected an object", "found an array");
        refused("{\"__metadata__\":\"pt\"," + W + "}", 24, "__metadata__", "found the string 'pt'");
    }

    @Test
    void metadataValueNotAString() {
        refused("{\"__metadata__\":{\"format\":5}," + W + "}", 24,
                "__metadata__", "key 'format'", "expected a string value", "found the number 5");
        refused("{\"__metadata__\":{\"format\":null}," + W + "}", 24, "key 'format'", "found null");
        refused("{\"__metadata__\":{\"nowcast\":{\"a\":1}}," + W + "}", 24, "key 'nowcast'", "found an object");
    }

    // --- tensor entries ----------------------------------------------------------------------

    @Test
    void entryNotAnObject() {
        refused("{\"w\":[0,24]}", 24, "tensor 'w'", "expected an object", "found an array");
        refused("{\"w\":null}", 24, "tensor 'w'", "found null");
    }

    @Test
    void missingFields() {
        refused("{\"w\":{\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24, "tensor 'w'", "missing field 'dtype'");
        refused("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,24]}}", 24, "tensor 'w'", "missing field 'shape'");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3]}}", 24, "tensor 'w'", "missing field 'data_offsets'");
    }

    @Test
    void extraField() {
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24],\"stride\":[3,1]}}", 24,
                "tensor 'w'", "unexpected field 'stride'");
    }

    @Test
    void mistypedDtype() {
        refused("{\"w\":{\"dtype\":32,\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24,
                "tensor 'w'", "field 'dtype'", "expected a string", "found the number 32");
    }

    @Test
    void mistypedShape() {
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2x3\",\"data_offsets\":[0,24]}}", 24,
                "tensor 'w'", "field 'shape'", "expected an array", "found the string '2x3'");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,\"3\"],\"data_offsets\":[0,24]}}", 24,
                "tensor 'w'", "field 'shape': dimension 1", "found the string '3'");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0,3],\"data_offsets\":[0,24]}}", 24,
                "tensor 'w'", "dimension 0", "found the number 2.0");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[[2],3],\"data_offsets\":[0,24]}}", 24,
                "tensor 'w'", "dimension 0", "found an array");
    }

    @Test
    void mistypedOffsets() {
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0]}}", 24,
                "tensor 'w'", "field 'data_offsets'", "expected [begin, end]", "found 1 entry");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24,36]}}", 36,
                "tensor 'w'", "field 'data_offsets'", "more than 2 entries");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":{\"begin\":0}}}", 24,
                "tensor 'w'", "field 'data_offsets'", "found an object");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,\"24\"]}}", 24,
                "tensor 'w'", "field 'data_offsets': end", "found the string '24'");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[-4,24]}}", 24,
                "tensor 'w'", "field 'data_offsets': begin is -4");
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,99999999999999999999]}}", 24,
                "tensor 'w'", "field 'data_offsets': end is 99999999999999999999, which is too large");
    }

    @Test
    void unknownDtype() {
        refused("{" + entry("w", "I32", "[2,3]", 0, 24) + "}", 24,
                "tensor 'w'", "unsupported dtype 'I32'", "expected one of F32, F64, F16, BF16");
        refused("{" + entry("w", "f32", "[2,3]", 0, 24) + "}", 24, "tensor 'w'", "unsupported dtype 'f32'");
        refused("{" + entry("w", "", "[2,3]", 0, 24) + "}", 24, "tensor 'w'", "unsupported dtype ''");
    }

    // --- shapes ------------------------------------------------------------------------------

    @Test
    void negativeDimension() {
        refused("{" + entry("w", "F32", "[-2,3]", 0, 24) + "}", 24,
                "tensor 'w'", "field 'shape': dimension 0 is -2", "expected a non-negative integer");
    }

    @Test
    void dimensionTooLarge() {
        refused("{" + entry("w", "F32", "[1,4294967296]", 0, 24) + "}", 24,
                "tensor 'w'", "dimension 1 is 4294967296", "expected at most 2147483647");
        refused("{" + entry("w", "F32", "[123456789012345678901234567890]", 0, 24) + "}", 24,
                "tensor 'w'", "dimension 0 is 123456789012345678901234567890, which is too large");
    }

    @Test
    void elementCountOverflows() {
        refused("{" + entry("w", "F32", "[2147483647,2147483647,2147483647]", 0, 24) + "}", 24,
                "tensor 'w'", "[2147483647, 2147483647, 2147483647]", "more elements than a 64-bit count");
        refused("{" + entry("w", "F32", "[65536,65536]", 0, 24) + "}", 24,
                "tensor 'w'", "has 4294967296 elements", "expected at most " + SafeTensors.MAX_ELEMENTS);
    }

    @Test
    void zeroDimensionMakesAnyShapeEmpty() throws Exception {
        Tensor t = SafeTensors.read(file("{" + entry("w", "F32", "[2147483647,0,2147483647]", 0, 0) + "}",
                new byte[0]), SRC).tensors().get("w");
        assertEquals(0, t.data().length);
    }

    @Test
    void shapeDoesNotMatchTheByteRange() {
        refused("{" + entry("w", "F32", "[2,3]", 0, 20) + "}", 20,
                "tensor 'w'", "shape [2, 3] of F32 needs 6 x 4 = 24 bytes", "data_offsets [0, 20] span 20 bytes");
        refused("{" + entry("w", "F16", "[2,3]", 0, 24) + "}", 24,
                "tensor 'w'", "shape [2, 3] of F16 needs 6 x 2 = 12 bytes", "span 24 bytes");
        refused("{" + entry("w", "F32", "[]", 0, 0) + "}", 0,
                "tensor 'w'", "shape [] of F32 needs 1 x 4 = 4 bytes", "span 0 bytes");
    }

    // --- offsets and the data section --------------------------------------------------------

    @Test
    void offsetsEndBeforeTheyBegin() {
        refused("{" + W + "," + entry("b", "F32", "[0]", 36, 24) + "}", 36,
                "tensor 'b'", "data_offsets [36, 24] end before they begin");
    }

    @Test
    void offsetsOverlap() {
        refused("{" + W + "," + entry("b", "F32", "[3]", 20, 32) + "}", 32,
                "tensor 'b'", "data_offsets [20, 32] overlap tensor 'w' (which ends at 24)");
        refused("{" + W + "," + entry("v", "F32", "[2,3]", 0, 24) + "}", 24, "overlap tensor");
        refused("{" + W + "," + entry("z", "F32", "[0]", 12, 12) + "}", 24,
                "tensor 'z'", "data_offsets [12, 12] overlap tensor 'w'");
    }

    @Test
    void offsetsLeaveAGap() {
        refused("{" + W + "," + entry("b", "F32", "[3]", 28, 40) + "}", 40,
                "tensor 'b'", "data_offsets [28, 40] leave a gap of 4 bytes after tensor 'w' (which ends at 24)");
    }

    @Test
    void offsetsDoNotStartAtZero() {
        refused("{" + entry("w", "F32", "[2,3]", 4, 28) + "}", 28,
                "tensor 'w'", "leave a gap of 4 bytes after the start of the data section");
    }

    @Test
    void dataSectionTooShort() {
        refused("{" + W + "," + B + "}", 30,
                "tensor 'b'", "data_offsets [24, 36] reach past the end of the data section, which is 30 bytes");
        refused("{" + W + "," + B + "}", 0, "tensor 'w'", "reach past the end");
    }

    @Test
    void dataSectionTooLong() {
        refused("{" + W + "," + B + "}", 40,
                "data section is 40 bytes long", "only 36 bytes, ending with tensor 'b'", "4 bytes at the end");
        refused("{}", 3, "data section is 3 bytes long", "there are no tensors");
        refused("{\"__metadata__\":{}}", 1, "there are no tensors");
    }

    // --- names from the file are printed safely -----------------------------------------------

    @Test
    void oddNamesArePrintedSafely() {
        String longName = "n".repeat(5000);
        ModelFileException e = refused("{" + entry(longName, "I8", "[1]", 0, 1) + "}", 1, "(5000 chars)");
        assertTrue(e.getMessage().length() < 400, e.getMessage());
        refused("{" + entry("a\\nb", "I8", "[1]", 0, 1) + "}", 1, "tensor 'a\\u000ab'");
    }

    // --- files on disk -----------------------------------------------------------------------

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.safetensors");
        ModelFileException e = assertThrows(ModelFileException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void directoryIsNotAFile() {
        ModelFileException e = assertThrows(ModelFileException.class, () -> SafeTensors.read(dir));
        assertTrue(e.getMessage().startsWith(dir + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void damagedFileOnDiskNamesThePath() throws Exception {
        Path f = dir.resolve("cut.safetensors");
        byte[] good = SafeTensors.toBytes(null, List.of(new Tensor("w", new int[] {2, 3}, new float[6])));
        Files.write(f, Arrays.copyOf(good, good.length - 1));
        ModelFileException e = assertThrows(ModelFileException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("tensor 'w'"), e.getMessage());
        assertTrue(e.getMessage().contains("reach past the end of the data section"), e.getMessage());
    }

    @Test
    void nullSourceNameStillGivesAName() {
        ModelFileException e = assertThrows(ModelFileException.class, () -> SafeTensors.read(new byte[3], null));
        assertTrue(e.getMessage().startsWith("<bytes>: "), e.getMessage());
    }
}
