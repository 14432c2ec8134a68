package io.nowcast.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;

/** PSNR and SSIM against values known in closed form and against a separate implementation. */
class ImageMetricsTest {
    /** A 24 x 20 pattern and a second one mixed from it, both on exact binary fractions. */
    private static float[][] pair() {
        int w = 24;
        int h = 20;
        float[] a = new float[w * h];
        float[] b = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                a[y * w + x] = ((x * 7 + y * 13) % 17) / 16f;
                b[y * w + x] = 0.5f * a[y * w + x] + 0.5f * ((x * x + 3 * y) % 29) / 32f;
            }
        }
        return new float[][] {a, b};
    }

    @Test
    void identicalImagesGiveInfinitePsnrAndSsimOne() {
        float[] a = pair()[0];
        assertEquals(Double.POSITIVE_INFINITY, ImageMetrics.psnr(a, a.clone(), 24, 20, 0));
        assertEquals(1.0, ImageMetrics.ssim(a, a.clone(), 24, 20, 0), 1e-12);
        assertEquals(1.0, ImageMetrics.ssim(a, a.clone(), 24, 20, 3), 1e-12);
    }

    @Test
    void aKnownMseGivesTheKnownPsnr() {
        // every pixel off by 0.1: MSE 0.01, PSNR 20 dB
        float[] a = new float[64];
        float[] b = new float[64];
        for (int i = 0; i < 64; i++) {
            a[i] = 0.25f;
            b[i] = 0.25f + 0.1f;
        }
        assertEquals(20.0, ImageMetrics.psnr(a, b, 8, 8, 0), 1e-5);
        // one pixel off by 0.5 among 64: MSE 0.25 / 64 = 1/256, PSNR 10 log10(256) = 24.0824 dB
        float[] c = new float[64];
        float[] d = new float[64];
        d[3 * 8 + 4] = 0.5f;
        assertEquals(10 * Math.log10(256), ImageMetrics.psnr(c, d, 8, 8, 0), 1e-9);
        // with 3 border pixels cropped the 2 x 2 centre remains: (3,4) is inside, MSE 0.25 / 4
        assertEquals(10 * Math.log10(16), ImageMetrics.psnr(c, d, 8, 8, 3), 1e-9);
        // a pixel in the cropped border does not count
        d[3 * 8 + 4] = 0;
        d[0] = 1;
        assertEquals(Double.POSITIVE_INFINITY, ImageMetrics.psnr(c, d, 8, 8, 1));
    }

    @Test
    void ssimMatchesAPortOfTheReferenceCode() {
        // from a direct numpy port of ssim_index.m (scipy.signal.correlate2d 'valid' with the
        // normalised 11x11 Gaussian, sd 1.5, on the images times 255), run on the same two images
        float[][] p = pair();
        assertEquals(0.6771761095159222, ImageMetrics.ssim(p[0], p[1], 24, 20, 0), 1e-9);
        assertEquals(0.6494673624289095, ImageMetrics.ssim(p[0], p[1], 24, 20, 2), 1e-9);
        // symmetric in its arguments
        assertEquals(ImageMetrics.ssim(p[1], p[0], 24, 20, 0), ImageMetrics.ssim(p[0], p[1], 24, 20, 0), 1e-12);
    }

    @Test
    void aConstantShiftLeavesOnlyTheLuminanceTerm() {
        // y = x + c: variances and covariance are equal, so the contrast-structure factor is 1 and
        // each window's SSIM is (2 m (m + C) + C1) / (m^2 + (m + C)^2 + C1), m the window's mean
        // (on the 255 scale, C = 255 c). The window means are computed here directly in 2-D.
        int w = 30;
        int h = 26;
        float c = 0.125f;
        float[] x = new float[w * h];
        new Rng(7).uniform(x, 0.25f);
        float[] y = new float[w * h];
        for (int i = 0; i < x.length; i++) {
            x[i] += 0.5f;
            y[i] = x[i] + c;
        }
        double c1 = (0.01 * 255) * (0.01 * 255);
        double shift = 255.0 * c;
        double[][] win = new double[11][11];
        double total = 0;
        for (int i = 0; i < 11; i++) {
            for (int j = 0; j < 11; j++) {
                win[i][j] = Math.exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 1.5 * 1.5));
                total += win[i][j];
            }
        }
        double sum = 0;
        int windows = 0;
        for (int r = 0; r + 11 <= h; r++) {
            for (int q = 0; q + 11 <= w; q++) {
                double m = 0;
                for (int i = 0; i < 11; i++) {
                    for (int j = 0; j < 11; j++) {
                        m += win[i][j] / total * 255.0 * x[(r + i) * w + q + j];
                    }
                }
                sum += (2 * m * (m + shift) + c1) / (m * m + (m + shift) * (m + shift) + c1);
                windows++;
            }
        }
        // float rounding of x + c perturbs the variances by about 1e-7 relative
        assertEquals(sum / windows, ImageMetrics.ssim(x, y, w, h, 0), 1e-6);
        assertTrue(sum / windows < 0.999);
    }

    @Test
    void noiseLowersSsimAndImagesTooSmallAreRefused() {
        float[][] p = pair();
        float[] n = p[0].clone();
        float[] n2 = p[0].clone();
        Rng r = new Rng(3);
        for (int i = 0; i < n.length; i++) {
            double g = r.nextGaussian();
            n[i] += (float) (0.05 * g);
            n2[i] += (float) (0.2 * g);
        }
        double s1 = ImageMetrics.ssim(p[0], n, 24, 20, 0);
        double s2 = ImageMetrics.ssim(p[0], n2, 24, 20, 0);
        assertTrue(s1 < 1 && s2 < s1, s1 + " " + s2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.ssim(p[0], p[1], 24, 20, 5));
        assertTrue(e.getMessage().contains("less than 11 x 11"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.psnr(p[0], new float[3], 24, 20, 0));
    }
}
