package io.nowcast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.model.SafeTensors.Contents;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The digest of the tensor data Nowcast records in the model files it writes: it is the SHA-256 of
 * the data section, a file whose data changed is refused naming the file and the key, and files
 * without one (PyTorch's, older Nowcast's) load as before.
 */
class ModelFileDigestTest {
    private static final String KEY = ModelFiles.DATA_SHA256_KEY;

    @TempDir
    Path dir;

    private Path savedForecaster(String name) throws Exception {
        ModelSpec spec = ModelFilesTest.forecasterSpec(CellType.GRU, 2, ModelSpec.Head.LINEAR, true, 41);
        Path file = dir.resolve(name);
        ModelFiles.save(file, spec, ModelFilesTest.netFor(spec, 42));
        return file;
    }

    private Path savedFrameModel(String name) throws Exception {
        FrameModel m = FrameDenoiser.random(FrameSpec.denoiser(3, 4, false), 43);
        m.spec().provenance.put("command", "test");
        Path file = dir.resolve(name);
        FrameModels.save(m, file);
        return file;
    }

    /** Where the data section of a file image begins: after the length field and the header. */
    private static int dataStart(byte[] file) {
        return 8 + (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /** The SHA-256 of the data section, worked out from the bytes on disk without SafeTensors. */
    private static String dataSectionSha256(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        int start = dataStart(b);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(b, start, b.length - start);
        return HexFormat.of().formatHex(md.digest());
    }

    /** Flips the low mantissa byte of tensor data bytes (little-endian, so values stay finite). */
    private static void flipDataBytes(Path file, int... floats) throws Exception {
        byte[] b = Files.readAllBytes(file);
        int start = dataStart(b);
        for (int i : floats) {
            b[start + 4 * i] ^= 0x01;
        }
        Files.write(file, b);
    }

    /** The file rewritten with its metadata changed as given, tensors unchanged. */
    private static void rewriteMetadata(Path file, Consumer<Map<String, String>> change)
            throws Exception {
        Contents c = SafeTensors.read(file);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        change.accept(meta);
        SafeTensors.write(file, meta, c.tensors().values());
    }

    private static void assertDamaged(ModelFileException e, Path file) {
        String msg = e.getMessage();
        assertTrue(msg.startsWith(file + ": metadata '" + KEY + "': tensor data digest does not match:"
                + " the file is damaged"), msg);
    }

    @Test
    void nowcastFilesRecordTheSha256OfTheirDataSectionBesideAnUnchangedSpec() throws Exception {
        ModelSpec spec = ModelFilesTest.forecasterSpec(CellType.LSTM, 1, ModelSpec.Head.GAUSSIAN, true, 44);
        RecurrentNet net = ModelFilesTest.netFor(spec, 45);
        Path f = dir.resolve("f.safetensors");
        ModelFiles.save(f, spec, net);
        Contents c = SafeTensors.read(f);
        assertEquals(dataSectionSha256(f), c.metadata().get(KEY));
        assertEquals(c.metadata().get(KEY), c.dataSha256());
        assertEquals(spec.toJson(), c.metadata().get(ModelFiles.METADATA_KEY), "the spec document is as it was");
        assertEquals(List.of(ModelFiles.METADATA_KEY, KEY), List.copyOf(c.metadata().keySet()));
        ModelFilesTest.assertSameParams(net, ModelFiles.load(f).net());

        Path g = savedFrameModel("g.safetensors");
        assertEquals(dataSectionSha256(g), SafeTensors.read(g).metadata().get(KEY));
        FrameModels.load(g);
    }

    @Test
    void oneFlippedByteOfTensorDataIsRefusedNamingTheFile() throws Exception {
        for (int at : new int[] {0, 100, -1}) {
            Path f = savedForecaster("forecaster" + at + ".safetensors");
            int floats = (int) (Files.size(f) - dataStart(Files.readAllBytes(f))) / 4;
            flipDataBytes(f, at < 0 ? floats - 1 : at);
            assertDamaged(assertThrows(ModelFileException.class, () -> ModelFiles.load(f)), f);
        }
        Path g = savedFrameModel("frame.safetensors");
        flipDataBytes(g, 7);
        assertDamaged(assertThrows(ModelFileException.class, () -> FrameModels.load(g)), g);
    }

    @Test
    void sixteenDamagedBytesAreRefusedWithBothDigests() throws Exception {
        Path f = savedForecaster("sixteen.safetensors");
        String recorded = SafeTensors.read(f).metadata().get(KEY);
        flipDataBytes(f, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFiles.load(f));
        assertDamaged(e, f);
        assertTrue(e.getMessage().contains("expected SHA-256 " + recorded), e.getMessage());
        assertTrue(e.getMessage().contains("the data section has " + dataSectionSha256(f)), e.getMessage());
    }

    @Test
    void aFileWithItsDigestRemovedStillLoadsEvenWhenItsDataChanged() throws Exception {
        Path f = savedForecaster("removed.safetensors");
        Model before = ModelFiles.load(f);
        rewriteMetadata(f, m -> m.remove(KEY));
        ModelFilesTest.assertSameParams(before.net(), ModelFiles.load(f).net());
        // without a digest only the structure, shapes and finiteness are checked
        flipDataBytes(f, 3);
        assertNotEquals(before.net().params().get(0).w()[3], ModelFiles.load(f).net().params().get(0).w()[3]);

        Path g = savedFrameModel("removed-frame.safetensors");
        rewriteMetadata(g, m -> m.remove(KEY));
        FrameModels.load(g);
    }

    @Test
    void aThirdPartyFileWithoutANowcastDigestLoads() throws Exception {
        Path f = dir.resolve("torch.safetensors");
        SafeTensors.write(f, Map.of("format", "pt"), ModelFilesTest.stateDict(3, true, true, true, 46));
        assertEquals(CellType.GRU, assertInstanceOf(Forecaster.class, ModelFiles.load(f)).spec().cell);
    }

    @Test
    void aDigestThatIsNotSixtyFourLowercaseHexDigitsIsRefused() throws Exception {
        Path f = savedForecaster("malformed.safetensors");
        String good = SafeTensors.read(f).metadata().get(KEY);
        for (String bad : new String[] {good.toUpperCase(Locale.ROOT), good.substring(1), "", "sha256:" + good}) {
            rewriteMetadata(f, m -> m.put(KEY, bad));
            ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFiles.load(f));
            assertTrue(e.getMessage().startsWith(f + ": metadata '" + KEY + "': expected the SHA-256 of the tensor"
                    + " data as 64 lowercase hex digits, found '"), e.getMessage());
        }
        rewriteMetadata(f, m -> m.put(KEY, good));
        ModelFiles.load(f);
    }
}
