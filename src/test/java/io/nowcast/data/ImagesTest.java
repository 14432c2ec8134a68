package io.nowcast.data;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Grey image reading: PGM P2/P5 (8 and 16 bit), PNG grey and colour (luminance), IDX, and refusals naming the file. */
class ImagesTest {
    @TempDir
    Path dir;

    @Test
    void readsPlainAndBinaryPgm() throws IOException {
        Path p2 = dir.resolve("a.pgm");
        Files.writeString(p2, "P2\n# a comment\n3 2\n255\n0 51 102\n153 204 255\n", StandardCharsets.US_ASCII);
        GreyImage a = Images.read(p2);
        assertEquals(3, a.width());
        assertEquals(2, a.height());
        assertArrayEquals(new float[] {0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f}, a.pixels(), 1e-6f);

        Path p5 = dir.resolve("b.pgm");
        byte[] head = "P5 2 2 255\n".getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[head.length + 4];
        System.arraycopy(head, 0, b, 0, head.length);
        b[head.length] = 0;
        b[head.length + 1] = (byte) 255;
        b[head.length + 2] = (byte) 128;
        b[head.length + 3] = 10; // a pixel value that is also whitespace in ASCII
        Files.write(p5, b);
        assertArrayEquals(new float[] {0f, 1f, 128 / 255f, 10 / 255f}, Images.read(p5).pixels(), 1e-6f);

        Path p16 = dir.resolve("c.pgm");
        byte[] h16 = "P5\n1 2\n65535\n".getBytes(StandardCharsets.US_ASCII);
        byte[] c = new byte[h16.length + 4];
        System.arraycopy(h16, 0, c, 0, h16.length);
        c[h16.length] = (byte) 0x80;      // 0x8000
        c[h16.length + 2] = (byte) 0xFF;  // 0xFFFF
        c[h16.length + 3] = (byte) 0xFF;
        Files.write(p16, c);
        assertArrayEquals(new float[] {0x8000 / 65535f, 1f}, Images.read(p16).pixels(), 1e-6f);
    }

    @Test
    void refusesDamagedPgmNamingTheFile() throws IOException {
        Path bad = dir.resolve("bad.pgm");
        Files.writeString(bad, "P5 4 4 255\nabc", StandardCharsets.US_ASCII);
        String msg = assertThrows(IOException.class, () -> Images.read(bad)).getMessage();
        assertTrue(msg.contains("bad.pgm") && msg.contains("16 bytes"), msg);
        Files.writeString(bad, "P2 2 1 255 3 999", StandardCharsets.US_ASCII);
        msg = assertThrows(IOException.class, () -> Images.read(bad)).getMessage();
        assertTrue(msg.contains("bad.pgm") && msg.contains("999"), msg);
        Files.writeString(bad, "P6 1 1 255 000", StandardCharsets.US_ASCII);
        msg = assertThrows(IOException.class, () -> Images.read(bad)).getMessage();
        assertTrue(msg.contains("P6"), msg);
        Path notImage = dir.resolve("x.png");
        Files.writeString(notImage, "not a png");
        msg = assertThrows(IOException.class, () -> Images.read(notImage)).getMessage();
        assertTrue(msg.contains("x.png"), msg);
    }

    @Test
    void pngRoundTripsAndColourBecomesLuminance() throws IOException {
        float[] p = new float[6 * 4];
        for (int i = 0; i < p.length; i++) {
            p[i] = (i * 11 % 256) / 255f;
        }
        Path f = dir.resolve("g.png");
        Images.writePng(new GreyImage(6, 4, p), f);
        GreyImage back = Images.read(f);
        assertArrayEquals(p, back.pixels(), 1e-6f);

        BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(0, 0, (200 << 16) | (100 << 8) | 50);
        rgb.setRGB(1, 0, 0xFFFFFF);
        Path cf = dir.resolve("c.png");
        ImageIO.write(rgb, "png", cf.toFile());
        GreyImage y = Images.read(cf);
        assertEquals((0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255, y.at(0, 0), 1e-6);
        assertEquals(1.0, y.at(1, 0), 1e-6);
    }

    @Test
    void readsIdxImages() throws IOException {
        byte[] b = new byte[16 + 2 * 6];
        java.nio.ByteBuffer.wrap(b).putInt(0x803).putInt(2).putInt(2).putInt(3);
        for (int i = 0; i < 12; i++) {
            b[16 + i] = (byte) (i * 20);
        }
        Path f = dir.resolve("train-images-idx3-ubyte");
        Files.write(f, b);
        List<GreyImage> imgs = Images.readIdx(f);
        assertEquals(2, imgs.size());
        assertEquals(3, imgs.get(1).width());
        assertEquals(2, imgs.get(1).height());
        assertEquals(120 / 255f, imgs.get(1).at(0, 0), 1e-6f);
        Files.write(f, java.util.Arrays.copyOf(b, 20));
        String msg = assertThrows(IOException.class, () -> Images.readIdx(f)).getMessage();
        assertTrue(msg.contains("train-images-idx3-ubyte") && msg.contains("bytes"), msg);
    }

    @Test
    void readsSet12WhenPresent() throws IOException {
        Path set12 = Path.of("../shared/data/images/Set12");
        Assumptions.assumeTrue(Files.isDirectory(set12), "../shared/data/images/Set12 is absent");
        List<GreyImage> imgs = Images.readFolder(set12);
        assertEquals(12, imgs.size());
        assertEquals(256, imgs.get(0).width());
        double mean = 0;
        for (float v : imgs.get(0).pixels()) {
            assertTrue(v >= 0f && v <= 1f);
            mean += v;
        }
        mean /= imgs.get(0).pixels().length;
        assertTrue(mean > 0.1 && mean < 0.9, "mean " + mean);
    }
}
