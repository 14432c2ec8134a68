package io.nowcast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.data.GreyImage;
import io.nowcast.data.Resize;
import io.nowcast.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The filters on cases worked by hand, and the search finding a setting no neighbour beats. */
class ImageBaselinesTest {
    @Test
    void bordersAreReflectedHalfSampleSymmetric() {
        // ... c b a | a b c d e | e d c ...
        int[] got = new int[12];
        for (int i = -4; i < 8; i++) {
            got[i + 4] = ImageBaselines.reflect(i, 5);
        }
        assertArrayEquals(new int[] {3, 2, 1, 0, 0, 1, 2, 3, 4, 4, 3, 2}, got);
        assertEquals(0, ImageBaselines.reflect(-1, 1));
        assertEquals(0, ImageBaselines.reflect(25, 1));
    }

    @Test
    void theBlurOfAPointIsTheTwoDimensionalGaussian() {
        int w = 21;
        int h = 17;
        float[] in = new float[w * h];
        in[8 * w + 10] = 1;
        float[] out = new float[w * h];
        double sigma = 1.3;
        ImageBaselines.gaussianBlur(in, w, h, sigma, out);
        int r = (int) Math.ceil(4 * sigma);
        double total = 0;
        for (int dy = -r; dy <= r; dy++) {
            for (int dx = -r; dx <= r; dx++) {
                total += Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int dx = x - 10;
                int dy = y - 8;
                double want = Math.abs(dx) <= r && Math.abs(dy) <= r
                        ? Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)) / total : 0;
                assertEquals(want, out[y * w + x], 1e-6, "at " + x + "," + y);
            }
        }
        // a constant image stays constant, borders included
        Arrays.fill(in, 0.7f);
        ImageBaselines.gaussianBlur(in, w, h, 2.4, out);
        for (float v : out) {
            assertEquals(0.7f, v, 1e-6);
        }
    }

    @Test
    void theMedianRemovesAnImpulseAndReflectsAtTheBorder() {
        // 3x3 median at the corner (0,0) reads rows -1,0,1 = 0,0,1 and the same columns
        float[] in = {
            1, 2, 3, 4,
            5, 6, 7, 8,
            9, 10, 11, 12,
        };
        float[] out = new float[12];
        ImageBaselines.median(in, 4, 3, 3, out);
        // corner: {1,1,2, 1,1,2, 5,5,6} -> 2; centre (1,1): 1,2,3,5,6,7,9,10,11 -> 6
        assertEquals(2f, out[0]);
        assertEquals(6f, out[5]);
        // bottom-right (3,2): rows 1,2,2 cols 2,3,3: {7,8,8, 11,12,12, 11,12,12} -> 11
        assertEquals(11f, out[11]);
        float[] flat = new float[49];
        Arrays.fill(flat, 0.5f);
        flat[24] = 1;
        float[] o = new float[49];
        ImageBaselines.median(flat, 7, 7, 3, o);
        for (float v : o) {
            assertEquals(0.5f, v);
        }
        assertThrows(IllegalArgumentException.class, () -> ImageBaselines.median(flat, 7, 7, 4, o));
    }

    @Test
    void quickselectAgreesWithSorting() {
        Rng r = new Rng(5);
        for (int t = 0; t < 200; t++) {
            float[] a = new float[1 + r.nextInt(60)];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextInt(7); // many ties
            }
            float[] s = a.clone();
            Arrays.sort(s);
            int k = r.nextInt(a.length);
            assertEquals(s[k], ImageBaselines.select(a.clone(), k));
        }
    }

    /** Smooth images (sums of slow sines) with Gaussian noise of sd 25/255. */
    private static List<ImageBaselines.Pair> smoothSet() {
        List<ImageBaselines.Pair> set = new ArrayList<>();
        Rng r = new Rng(11);
        for (int k = 0; k < 2; k++) {
            int w = 48 + 8 * k;
            int h = 40;
            float[] clean = new float[w * h];
            float[] noisy = new float[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v = 0.5 + 0.25 * Math.sin(x / (5.0 + k)) * Math.cos(y / 7.0) + 0.1 * Math.sin((x + y) / 3.0);
                    clean[y * w + x] = (float) v;
                    noisy[y * w + x] = (float) (v + 25 / 255.0 * r.nextGaussian());
                }
            }
            set.add(new ImageBaselines.Pair(clean, noisy, w, h));
        }
        return set;
    }

    private static double meanPsnr(List<ImageBaselines.Pair> set, double sigma) {
        double s = 0;
        for (ImageBaselines.Pair p : set) {
            float[] out = new float[p.clean().length];
            ImageBaselines.gaussianBlur(p.noisy(), p.width(), p.height(), sigma, out);
            s += ImageMetrics.psnr(p.clean(), ImageBaselines.clip(out), p.width(), p.height(), 0);
        }
        return s / set.size();
    }

    @Test
    void theSearchFindsASettingItsNeighboursDoNotBeat() {
        List<ImageBaselines.Pair> set = smoothSet();
        double noisy = 0;
        for (ImageBaselines.Pair p : set) {
            noisy += ImageMetrics.psnr(p.clean(), ImageBaselines.clip(p.noisy().clone()), p.width(), p.height(), 0);
        }
        noisy /= set.size();
        ImageBaselines.Best g = ImageBaselines.bestGaussian(set);
        assertTrue(g.meanPsnr() > noisy + 3, g + " vs noisy " + noisy);
        // on the 0.05 grid, and no better at the next grid points on either side
        assertEquals(0, Math.abs(g.setting() * 20 - Math.round(g.setting() * 20)), 1e-9);
        assertEquals(meanPsnr(set, g.setting()), g.meanPsnr(), 1e-9);
        assertTrue(meanPsnr(set, g.setting() - 0.05) <= g.meanPsnr());
        assertTrue(meanPsnr(set, g.setting() + 0.05) <= g.meanPsnr());
        assertTrue(g.describe().startsWith("sigma="), g.describe());
        ImageBaselines.Best m = ImageBaselines.bestMedian(set);
        assertTrue(m.meanPsnr() > noisy + 2, m + " vs noisy " + noisy);
        assertEquals(1, (int) m.setting() % 2);
        assertEquals(set.size(), m.outputs().size());
        for (float v : m.outputs().get(0)) {
            assertTrue(v >= 0 && v <= 1);
        }
    }

    @Test
    void theSuperResolutionPairIsCroppedToAMultipleAndBicubicIsResizeClipped() {
        float[] p = new float[23 * 17];
        new Rng(4).uniform(p, 0.6f);
        for (int i = 0; i < p.length; i++) {
            p[i] += 1f; // about half the values above 1: the baseline clips
        }
        GreyImage img = new GreyImage(23, 17, p);
        ImageBaselines.SrPair pair = ImageBaselines.srPair(img, 3);
        assertEquals(21, pair.hr().width());
        assertEquals(15, pair.hr().height());
        assertEquals(7, pair.lr().width());
        assertEquals(5, pair.lr().height());
        assertEquals(img.at(20, 14), pair.hr().at(20, 14));
        assertArrayEquals(Resize.bicubic(pair.hr(), 7, 5).pixels(), pair.lr().pixels());
        GreyImage up = ImageBaselines.bicubic(pair.lr(), 3);
        float[] raw = Resize.bicubic(pair.lr(), 21, 15).pixels();
        boolean clipped = false;
        for (int i = 0; i < raw.length; i++) {
            assertEquals(Math.min(1f, Math.max(0f, raw[i])), up.pixels()[i]);
            clipped |= raw[i] > 1;
        }
        assertTrue(clipped);
        // a multiple already: HR is the image itself
        assertTrue(ImageBaselines.srPair(pair.hr(), 3).hr() == pair.hr());
        assertThrows(IllegalArgumentException.class, () -> ImageBaselines.srPair(img, 1));
    }
}
