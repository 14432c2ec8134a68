package io.nowcast.codec;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * Frames on the wire ({@code schemas/frame.md}): either a PNG (grey, or colour reduced to its
 * luminance Y = 0.299 R + 0.587 G + 0.114 B), event time = the record timestamp; or raw pixels
 * behind a 20-byte big-endian header:
 * <pre>
 *   0  4  magic "NCF1"
 *   4  1  version (1)
 *   5  1  pixel format: 1 = grey u8 (0..255), 2 = grey float32 big-endian (0..1)
 *   6  2  width  (u16, 1..MAX_SIDE)
 *   8  2  height (u16, 1..MAX_SIDE)
 *  10  2  reserved, 0
 *  12  8  event time, ms since the epoch (i64)
 *  20  .. width * height pixels, row-major
 * </pre>
 * Limits are checked before any pixel is decoded (a PNG's size is read from its header first),
 * so a small record cannot make the decoder allocate a huge image. Thread-safe.
 */
public final class FrameCodec {
    public static final byte[] MAGIC = "NCF1".getBytes(StandardCharsets.US_ASCII);
    public static final int HEADER_BYTES = 20;
    public static final int FORMAT_U8 = 1;
    public static final int FORMAT_F32 = 2;
    /** Largest width or height accepted. */
    public static final int MAX_SIDE = 4096;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final int maxBytes;
    private final int maxPixels;

    static {
        // decode in memory: ImageIO would otherwise spool every stream through a temporary file
        ImageIO.setUseCache(false);
    }

    /**
     * @param maxBytes  largest record value accepted
     * @param maxPixels largest width * height accepted
     */
    public FrameCodec(int maxBytes, int maxPixels) {
        this.maxBytes = maxBytes;
        this.maxPixels = maxPixels;
    }

    public Frame decode(byte[] key, byte[] value, long timestamp) throws RejectedException {
        if (key == null || key.length == 0) {
            throw new RejectedException(RejectReason.UNDECODABLE, "a frame needs its stream id as the record key");
        }
        String stream = new String(key, StandardCharsets.UTF_8);
        if (value == null || value.length < 8) {
            throw new RejectedException(RejectReason.UNDECODABLE, "not a frame: " + (value == null ? "no value" : value.length + " bytes"));
        }
        if (value.length > maxBytes) {
            throw new RejectedException(RejectReason.OVERSIZED, "frame of " + value.length + " bytes exceeds the limit of " + maxBytes);
        }
        if (startsWith(value, PNG_SIGNATURE)) {
            return decodePng(stream, value, Math.max(0, timestamp));
        }
        if (startsWith(value, MAGIC)) {
            return decodeRaw(stream, value);
        }
        throw new RejectedException(RejectReason.UNDECODABLE, "not a frame: neither a PNG nor a raw frame (magic NCF1)");
    }

    private Frame decodeRaw(String stream, byte[] v) throws RejectedException {
        if (v.length < HEADER_BYTES) {
            throw new RejectedException(RejectReason.UNDECODABLE, "raw frame header cut short at " + v.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.BIG_ENDIAN);
        int version = b.get(4) & 0xff;
        int format = b.get(5) & 0xff;
        int w = b.getShort(6) & 0xffff;
        int h = b.getShort(8) & 0xffff;
        int reserved = b.getShort(10) & 0xffff;
        long time = b.getLong(12);
        if (version != 1) {
            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "raw frame version " + version + ", expected 1");
        }
        if (format != FORMAT_U8 && format != FORMAT_F32) {
            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "raw frame pixel format " + format + ", expected 1 (u8) or 2 (f32)");
        }
        if (reserved != 0 || time < 0) {
            throw new RejectedException(RejectReason.SCHEMA_VIOLATION, "raw frame header: reserved must be 0 and the time >= 0");
        }
        checkSize(w, h);
        long need = HEADER_BYTES + (long) w * h * (format == FORMAT_U8 ? 1 : 4);
        if (v.length != need) {
            throw new RejectedException(RejectReason.WRONG_DIMENSION, "raw frame of " + w + "x" + h + " needs " + need
                    + " bytes, found " + v.length);
        }
        float[] px = new float[w * h];
        if (format == FORMAT_U8) {
            for (int i = 0; i < px.length; i++) {
                px[i] = (v[HEADER_BYTES + i] & 0xff) / 255f;
            }
        } else {
            for (int i = 0; i < px.length; i++) {
                float f = b.getFloat(HEADER_BYTES + 4 * i);
                if (!Float.isFinite(f)) {
                    throw new RejectedException(RejectReason.NON_FINITE, "pixel " + i + " is " + f);
                }
                px[i] = f;
            }
        }
        return new Frame(stream, time, w, h, px);
    }

    private Frame decodePng(String stream, byte[] v, long time) throws RejectedException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(v))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new RejectedException(RejectReason.UNDECODABLE, "PNG not readable");
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                int w = r.getWidth(0);
                int h = r.getHeight(0);
                checkSize(w, h);
                BufferedImage img = r.read(0);
                return new Frame(stream, time, w, h, luminance(img));
            } finally {
                r.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new RejectedException(RejectReason.UNDECODABLE, "damaged PNG: " + e.getMessage());
        }
    }

    private void checkSize(int w, int h) throws RejectedException {
        if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE || (long) w * h > maxPixels) {
            throw new RejectedException(RejectReason.OVERSIZED, "frame of " + w + "x" + h + " exceeds the limits (sides 1.."
                    + MAX_SIDE + ", at most " + maxPixels + " pixels)");
        }
    }

    /** Grey levels in [0, 1]: the grey band, or the luminance of an RGB image. */
    public static float[] luminance(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] px = new float[w * h];
        Raster raster = img.getRaster();
        boolean grey = img.getColorModel().getColorSpace().getNumComponents() == 1;
        if (grey) {
            int bits = img.getColorModel().getComponentSize(0);
            float max = (1 << bits) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    px[y * w + x] = raster.getSample(x, y, 0) / max;
                }
            }
        } else {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = img.getRGB(x, y);
                    float r = (rgb >> 16) & 0xff;
                    float g = (rgb >> 8) & 0xff;
                    float b = rgb & 0xff;
                    px[y * w + x] = (0.299f * r + 0.587f * g + 0.114f * b) / 255f;
                }
            }
        }
        return px;
    }

    /** A raw frame record value (grey u8), for producers and tests. */
    public static byte[] encodeRawU8(int width, int height, long time, float[] pixels) {
        return encodeRawU8(width, height, time, pixels, 0);
    }

    /**
     * A raw frame record value (grey u8) of the {@code width * height} values of {@code pixels} from
     * {@code offset}: each value clipped to [0, 1] and rounded to the nearest of 0..255.
     */
    public static byte[] encodeRawU8(int width, int height, long time, float[] pixels, int offset) {
        int n = width * height;
        byte[] v = new byte[HEADER_BYTES + n];
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.BIG_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) FORMAT_U8).putShort((short) width).putShort((short) height)
                .putShort((short) 0).putLong(time);
        for (int i = 0; i < n; i++) {
            v[HEADER_BYTES + i] = (byte) Math.round(Math.max(0f, Math.min(1f, pixels[offset + i])) * 255f);
        }
        return v;
    }

    /** A grey 8-bit PNG record value. */
    public static byte[] encodePng(int width, int height, float[] pixels) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.getRaster().setSample(x, y, 0, Math.round(Math.max(0f, Math.min(1f, pixels[y * width + x])) * 255f));
            }
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean startsWith(byte[] v, byte[] prefix) {
        if (v.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (v[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
