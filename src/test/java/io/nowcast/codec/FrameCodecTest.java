package io.nowcast.codec;

import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FrameCodecTest {
    private static final byte[] KEY = "cam-1".getBytes(StandardCharsets.UTF_8);
    private final FrameCodec codec = new FrameCodec(1 << 20, 1 << 20);

    private static float[] image(int w, int h) {
        float[] px = new float[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = ((i * 37) % 256) / 255f;
        }
        return px;
    }

    @Test
    void rawFramesRoundTrip() throws Exception {
        float[] px = image(7, 5);
        Frame f = codec.decode(KEY, FrameCodec.encodeRawU8(7, 5, 1234L, px), 99);
        assertEquals("cam-1", f.stream());
        assertEquals(1234L, f.eventTime(), "a raw frame carries its event time");
        assertEquals(7, f.width());
        assertEquals(5, f.height());
        assertArrayEquals(px, f.pixels(), 1e-6f);
    }

    @Test
    void rawFloatFrames() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(FrameCodec.HEADER_BYTES + 2 * 4);
        b.put(FrameCodec.MAGIC).put((byte) 1).put((byte) FrameCodec.FORMAT_F32).putShort((short) 2).putShort((short) 1)
                .putShort((short) 0).putLong(5L).putFloat(0.25f).putFloat(0.75f);
        assertArrayEquals(new float[] {0.25f, 0.75f}, codec.decode(KEY, b.array(), 0).pixels());
        b.putFloat(FrameCodec.HEADER_BYTES, Float.NaN);
        assertEquals(RejectReason.NON_FINITE, assertThrows(RejectedException.class, () -> codec.decode(KEY, b.array(), 0)).reason);
    }

    @Test
    void pngGreyAndColourGiveLuminance() throws Exception {
        float[] px = image(9, 4);
        Frame g = codec.decode(KEY, FrameCodec.encodePng(9, 4, px), 77);
        assertEquals(77L, g.eventTime(), "a PNG frame takes the record timestamp");
        assertArrayEquals(px, g.pixels(), 1e-6f);

        BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(0, 0, 0xff0000);
        rgb.setRGB(1, 0, 0x00ff00);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(rgb, "png", out);
        Frame c = codec.decode(KEY, out.toByteArray(), 0);
        assertArrayEquals(new float[] {0.299f, 0.587f}, c.pixels(), 1e-6f);
    }

    @Test
    void refusalsSayWhy() {
        byte[] raw = FrameCodec.encodeRawU8(4, 4, 1L, image(4, 4));
        assertEquals(RejectReason.WRONG_DIMENSION, reason(java.util.Arrays.copyOf(raw, raw.length - 1)));
        assertEquals(RejectReason.UNDECODABLE, reason(java.util.Arrays.copyOf(raw, 12)));
        assertEquals(RejectReason.UNDECODABLE, reason("hello, not a frame".getBytes(StandardCharsets.UTF_8)));
        byte[] huge = raw.clone();
        huge[6] = (byte) 0x7f; // width 32516
        assertEquals(RejectReason.OVERSIZED, reason(huge));
        byte[] version = raw.clone();
        version[4] = 9;
        assertEquals(RejectReason.SCHEMA_VIOLATION, reason(version));
        assertEquals(RejectReason.OVERSIZED, reasonWith(new FrameCodec(10, 1 << 20), raw));
        assertEquals(RejectReason.OVERSIZED, reasonWith(new FrameCodec(1 << 20, 8), FrameCodec.encodePng(4, 4, image(4, 4))),
                "a PNG's size is checked from its header, before its pixels are decoded");
        byte[] png = FrameCodec.encodePng(8, 8, image(8, 8));
        assertEquals(RejectReason.UNDECODABLE, reason(java.util.Arrays.copyOf(png, png.length / 2)));
        assertEquals(RejectReason.UNDECODABLE, assertThrows(RejectedException.class,
                () -> codec.decode(null, raw, 0)).reason);
    }

    @Test
    void mutatedFramesAreDecodedOrRefusedNeverThrown() {
        Rng rng = new Rng(11);
        byte[][] seeds = {FrameCodec.encodeRawU8(6, 6, 3L, image(6, 6)), FrameCodec.encodePng(6, 6, image(6, 6))};
        for (int i = 0; i < 3000; i++) {
            byte[] v = seeds[i % 2].clone();
            int kind = rng.nextInt(3);
            if (kind == 0) {
                for (int k = 0; k < 1 + rng.nextInt(4); k++) {
                    v[rng.nextInt(v.length)] ^= (byte) (1 << rng.nextInt(8));
                }
            } else if (kind == 1) {
                v = java.util.Arrays.copyOf(v, rng.nextInt(v.length));
            } else {
                v[rng.nextInt(Math.min(v.length, 24))] = (byte) rng.nextInt(256);
            }
            try {
                Frame f = codec.decode(KEY, v, 0);
                assertEquals(f.width() * f.height(), f.pixels().length);
            } catch (RejectedException expected) {
                // refused with a reason: fine
            }
        }
    }

    private RejectReason reason(byte[] v) {
        return reasonWith(codec, v);
    }

    private static RejectReason reasonWith(FrameCodec c, byte[] v) {
        return assertThrows(RejectedException.class, () -> c.decode(KEY, v, 0)).reason;
    }
}
