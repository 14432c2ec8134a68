package io.nowcast.data;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reading and writing grey images. PNG, BMP, GIF and JPEG go through {@code javax.imageio}: a
 * one-band image gives its samples scaled to [0, 1] by its bit depth (read from the raster, not
 * through {@code getRGB}, which would apply a colour-space conversion to grey values); a colour
 * image gives its luminance {@code Y = 0.299 R + 0.587 G + 0.114 B} of the 8-bit values, / 255.
 * PGM (P2 plain and P5 binary, 8 and 16 bit) has its own parser, and IDX files of unsigned bytes
 * (MNIST, Fashion-MNIST) are read whole. Every error names the file and what was wrong.
 */
public final class Images {
    /** The extensions {@link #readFolder} picks up (lower case). */
    public static final List<String> EXTENSIONS = List.of("png", "bmp", "gif", "jpg", "jpeg", "pgm", "pnm");

    private Images() {
    }

    /** One image, by its extension (PGM by its own parser, everything else through ImageIO). */
    public static GreyImage read(Path file) throws IOException {
        String ext = extension(file);
        if (ext.equals("pgm") || ext.equals("pnm")) {
            return readPgm(file);
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not a readable image: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IOException(file + ": not an image format javax.imageio reads (PNG, BMP, GIF, JPEG expected)");
        }
        return fromBuffered(img, file.toString());
    }

    /** The grey values of an image: one band as is (scaled by bit depth), colour as luminance. */
    static GreyImage fromBuffered(BufferedImage img, String name) throws IOException {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] p = new float[w * h];
        Raster r = img.getRaster();
        boolean indexed = img.getColorModel() instanceof java.awt.image.IndexColorModel;
        if (r.getNumBands() == 1 && !indexed) {
            int bits = img.getColorModel().getComponentSize(0);
            double max = (1L << bits) - 1;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    p[y * w + x] = (float) (row[x] / max);
                }
            }
        } else {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = img.getRGB(x, y);
                    p[y * w + x] = luminance((rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255);
                }
            }
        }
        return new GreyImage(w, h, p);
    }

    /** Y = 0.299 R + 0.587 G + 0.114 B of 8-bit values, on [0, 1]. */
    public static float luminance(int r, int g, int b) {
        return (float) ((0.299 * r + 0.587 * g + 0.114 * b) / 255.0);
    }

    /** Every image of a folder whose extension is one of {@link #EXTENSIONS}, sorted by file name. */
    public static List<GreyImage> readFolder(Path folder) throws IOException {
        List<GreyImage> out = new ArrayList<>();
        for (Path f : listFolder(folder)) {
            out.add(read(f));
        }
        return out;
    }

    /** The image files of a folder, sorted by name; refuses a folder without any. */
    public static List<Path> listFolder(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException(folder + ": not a folder of images");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(f -> Files.isRegularFile(f) && EXTENSIONS.contains(extension(f)))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        }
        if (files.isEmpty()) {
            throw new IOException(folder + ": no image files (expected one of " + EXTENSIONS + ")");
        }
        return files;
    }

    /** Writes an 8-bit grey PNG (values clipped to [0, 1], rounded to the nearest of 256 levels). */
    public static void writePng(GreyImage img, Path file) throws IOException {
        BufferedImage b = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_BYTE_GRAY);
        int[] row = new int[img.width()];
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                row[x] = to8bit(img.pixels()[y * img.width() + x]);
            }
            b.getRaster().setSamples(0, y, img.width(), 1, 0, row);
        }
        if (!ImageIO.write(b, "png", file.toFile())) {
            throw new IOException(file + ": no PNG writer");
        }
    }

    /** round(255 v) of v clipped to [0, 1]. */
    public static int to8bit(float v) {
        return Math.round(255f * Math.max(0f, Math.min(1f, v)));
    }

    // ---- PGM ----

    /** A PGM file: P2 (plain) or P5 (binary), maxval up to 65535 (two bytes per sample, big-endian, above 255). */
    public static GreyImage readPgm(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        Cursor c = new Cursor(b, file.toString());
        String magic = c.token();
        if (!magic.equals("P2") && !magic.equals("P5")) {
            throw new IOException(file + ": not a PGM file: expected magic P2 or P5, found \"" + magic + "\"");
        }
        int w = c.integer("width", 1, 1 << 16);
        int h = c.integer("height", 1, 1 << 16);
        int maxval = c.integer("maxval", 1, 65535);
        float[] p = new float[w * h];
        if (magic.equals("P2")) {
            for (int i = 0; i < p.length; i++) {
                p[i] = c.integer("pixel " + i, 0, maxval) / (float) maxval;
            }
        } else {
            int pos = c.pos + 1; // exactly one whitespace byte after maxval
            int bytes = maxval > 255 ? 2 : 1;
            long need = (long) p.length * bytes;
            if (b.length - pos < need) {
                throw new IOException(file + ": PGM P5 " + w + "x" + h + " maxval " + maxval + " needs " + need
                        + " bytes of pixels, found " + Math.max(0, b.length - pos));
            }
            for (int i = 0; i < p.length; i++) {
                int v = bytes == 1 ? b[pos + i] & 255 : ((b[pos + 2 * i] & 255) << 8) | (b[pos + 2 * i + 1] & 255);
                if (v > maxval) {
                    throw new IOException(file + ": PGM pixel " + i + " is " + v + ", above maxval " + maxval);
                }
                p[i] = v / (float) maxval;
            }
        }
        return new GreyImage(w, h, p);
    }

    /** Whitespace-separated tokens with '#' comments to the end of the line (the PNM header rules). */
    private static final class Cursor {
        final byte[] b;
        final String name;
        int pos;

        Cursor(byte[] b, String name) {
            this.b = b;
            this.name = name;
        }

        String token() throws IOException {
            while (pos < b.length) {
                if (b[pos] == '#') {
                    while (pos < b.length && b[pos] != '\n' && b[pos] != '\r') {
                        pos++;
                    }
                } else if (Character.isWhitespace(b[pos])) {
                    pos++;
                } else {
                    break;
                }
            }
            int start = pos;
            while (pos < b.length && !Character.isWhitespace(b[pos]) && b[pos] != '#') {
                pos++;
            }
            if (start == pos) {
                throw new IOException(name + ": PGM ends early (truncated header or pixels)");
            }
            return new String(b, start, pos - start, java.nio.charset.StandardCharsets.US_ASCII);
        }

        int integer(String what, int min, int max) throws IOException {
            String t = token();
            int v;
            try {
                v = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new IOException(name + ": PGM " + what + ": expected an integer, found \"" + t + "\"");
            }
            if (v < min || v > max) {
                throw new IOException(name + ": PGM " + what + ": expected " + min + ".." + max + ", found " + v);
            }
            return v;
        }
    }

    // ---- IDX ----

    /**
     * The images of an IDX file of unsigned bytes with 3 dimensions (count, rows, cols), as MNIST
     * and Fashion-MNIST ship them (magic 0x00000803); a gzip file (.gz) is unpacked on the fly.
     */
    public static List<GreyImage> readIdx(Path file) throws IOException {
        byte[] b;
        try (InputStream in = open(file)) {
            b = in.readAllBytes();
        }
        if (b.length < 16) {
            throw new IOException(file + ": IDX file of " + b.length + " bytes: expected a 16-byte header");
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        int magic = bb.getInt();
        if (magic != 0x803) {
            throw new IOException(file + ": IDX magic 0x" + Integer.toHexString(magic)
                    + ": expected 0x803 (unsigned bytes, 3 dimensions: images)");
        }
        int n = bb.getInt();
        int rows = bb.getInt();
        int cols = bb.getInt();
        if (n < 0 || rows <= 0 || cols <= 0 || (long) n * rows * cols != b.length - 16L) {
            throw new IOException(file + ": IDX header says " + n + " images of " + rows + "x" + cols + " = "
                    + (long) n * rows * cols + " bytes, the file has " + (b.length - 16L));
        }
        List<GreyImage> out = new ArrayList<>(n);
        int pos = 16;
        for (int i = 0; i < n; i++) {
            float[] p = new float[rows * cols];
            for (int j = 0; j < p.length; j++) {
                p[j] = (b[pos++] & 255) / 255f;
            }
            out.add(new GreyImage(cols, rows, p));
        }
        return out;
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file));
        return file.toString().endsWith(".gz") ? new java.util.zip.GZIPInputStream(in) : in;
    }

    /** Whether the path names an IDX file (by name: idx in it, as in train-images-idx3-ubyte). */
    public static boolean isIdx(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(file) && (n.contains("idx") || n.endsWith(".ubyte") || n.endsWith(".ubyte.gz"));
    }

    private static String extension(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
