package io.nowcast.data.synthetic;

import io.nowcast.tensor.Rng;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Synthetic multi-channel sensor series, seeded, one sample per hour. Made up for tests and
 * demos; no real sensor measured them.
 *
 * <p>Channel j (named {@code s0, s1, ...}) is the sum of
 * <ul>
 * <li>a level drawn in [10, 30] and a linear trend (slope sd 1 unit per 12 weeks);
 * <li>a daily cycle (amplitude in [1.5, 4], a second harmonic of 30% of it, own phase) and a
 *     weekly cycle (amplitude in [0.5, 2], own phase);
 * <li>a factor shared by all channels, AR(1) with coefficient 0.97 (stationary sd about 1), with a
 *     loading in [0.8, 1.6] and a delay of 2 (C-1-j) hours: the last channel sees it first, s0 last,
 *     so the other channels tell something about s0's next values;
 * <li>its own AR(1) noise (coefficient 0.8, innovation sd 0.15) and white measurement noise (sd 0.1);
 * <li>now and then (probability 0.004 per sample) a one-sample spike of 3 to 8 units, either sign.
 * </ul>
 * Values are rounded to 3 decimals.
 */
public final class SyntheticSensors {
    public static final double STEP_HOURS = 1;

    private static final double FACTOR_PHI = 0.97;
    private static final double FACTOR_SD = 0.25;
    private static final double OWN_PHI = 0.8;
    private static final double OWN_SD = 0.15;
    private static final double NOISE = 0.1;
    private static final double SPIKE_P = 0.004;
    private static final int LAG_STEP = 2;

    /** {@code channels} series of {@code length} samples; values[j][t] is channel j at hour t. */
    public record Series(String[] names, float[][] values, int length) {
    }

    private final long seed;

    public SyntheticSensors(long seed) {
        this.seed = seed;
    }

    public Series generate(int channels, int length) {
        if (channels < 1 || length < 1) {
            throw new IllegalArgumentException("need at least one channel and one sample, got " + channels + " x " + length);
        }
        Rng rng = new Rng(seed);
        int maxLag = LAG_STEP * (channels - 1);
        // the shared factor, from its stationary distribution, long enough for every delay
        double[] factor = new double[length + maxLag];
        factor[0] = FACTOR_SD / Math.sqrt(1 - FACTOR_PHI * FACTOR_PHI) * rng.nextGaussian();
        for (int t = 1; t < factor.length; t++) {
            factor[t] = FACTOR_PHI * factor[t - 1] + FACTOR_SD * rng.nextGaussian();
        }
        String[] names = new String[channels];
        float[][] values = new float[channels][length];
        for (int j = 0; j < channels; j++) {
            Rng r = rng.split();
            names[j] = "s" + j;
            double level = 10 + 20 * r.nextDouble();
            double slope = r.nextGaussian() / (12 * 7 * 24);
            double daily = 1.5 + 2.5 * r.nextDouble();
            double dailyPhase = 24 * r.nextDouble();
            double weekly = 0.5 + 1.5 * r.nextDouble();
            double weeklyPhase = 168 * r.nextDouble();
            double loading = 0.8 + 0.8 * r.nextDouble();
            int lag = LAG_STEP * (channels - 1 - j);
            double own = OWN_SD / Math.sqrt(1 - OWN_PHI * OWN_PHI) * r.nextGaussian();
            for (int t = 0; t < length; t++) {
                double h = t * STEP_HOURS;
                double dayAngle = 2 * Math.PI * (h - dailyPhase) / 24;
                double v = level + slope * h
                        + daily * (Math.sin(dayAngle) + 0.3 * Math.sin(2 * dayAngle))
                        + weekly * Math.sin(2 * Math.PI * (h - weeklyPhase) / 168)
                        + loading * factor[t + maxLag - lag]
                        + own
                        + NOISE * r.nextGaussian();
                if (r.nextDouble() < SPIKE_P) {
                    v += (3 + 5 * r.nextDouble()) * (r.nextDouble() < 0.5 ? -1 : 1);
                }
                values[j][t] = (float) (Math.round(v * 1000) / 1000.0);
                own = OWN_PHI * own + OWN_SD * r.nextGaussian();
            }
        }
        return new Series(names, values, length);
    }

    /** Writes {@code t,s0,s1,...}: hours since the start, then one column per channel. */
    public static void writeCsv(Path file, Series s) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("t," + String.join(",", Arrays.asList(s.names())));
            w.newLine();
            StringBuilder sb = new StringBuilder();
            for (int t = 0; t < s.length(); t++) {
                sb.setLength(0);
                sb.append((long) (t * STEP_HOURS));
                for (float[] channel : s.values()) {
                    sb.append(',');
                    Fmt.fixed(sb, channel[t], 3);
                }
                w.write(sb.toString());
                w.newLine();
            }
        }
    }
}
