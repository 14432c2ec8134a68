package io.nowcast.data.synthetic;

import io.nowcast.tensor.Rng;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Synthetic pedestrian-like 2-D tracks, seeded: positions in metres sampled at 2.5 Hz as a
 * tracker would report them. Made up for tests and demos; no real person walked them.
 *
 * <p>Each walker has a preferred speed drawn around 1.3 m/s (sd 0.15, kept in [0.8, 1.9]); the speed
 * follows a target with a 0.8 s lag plus small jitter. The heading turns at a smoothly varying rate
 * (an Ornstein-Uhlenbeck turn rate, sd 0.2 rad/s, 4 s correlation time) plus occasional deliberate
 * turns of 30 to 100 degrees spread over 1.5 to 4 s. About once a minute the walker stops for 2 to
 * 8 s (the speed's target is 0) and then walks on. The reported positions carry white measurement
 * noise (sd 4 cm per axis) and are rounded to the millimetre.
 *
 * <p>Track i depends only on the seed and i (each track draws from its own generator, split in
 * order from the seed's), so asking for more tracks keeps the first ones.
 */
public final class SyntheticTracks {
    public static final double RATE_HZ = 2.5;
    public static final double DT = 1.0 / RATE_HZ;
    public static final String CSV_HEADER = "track,t,x,y,dx,dy";

    private static final double MEAN_SPEED = 1.3;
    private static final double SPEED_SD = 0.15;
    private static final double SPEED_LAG_S = 0.8;
    private static final double SPEED_JITTER = 0.04;
    private static final double TURN_RATE_SD = 0.2;
    private static final double TURN_RATE_TAU_S = 4.0;
    private static final double TURNS_PER_S = 1.0 / 20;
    private static final double STOPS_PER_S = 1.0 / 60;
    private static final double NOISE_M = 0.04;
    private static final double AREA_M = 100;

    /**
     * One track: {@code length} reported positions and the displacement of each from the one
     * before it (for the first, from the report just before the track's first row, which is not
     * part of the track).
     */
    public record Track(int id, float[] x, float[] y, float[] dx, float[] dy) {
        public int length() {
            return x.length;
        }

        /** Seconds since the track's first row. */
        public double time(int step) {
            return step * DT;
        }
    }

    /** One reported position. */
    public record Sample(int track, int step, double t, float x, float y, float dx, float dy) {
    }

    private final long seed;

    public SyntheticTracks(long seed) {
        this.seed = seed;
    }

    /** {@code count} tracks of {@code length} rows each. */
    public List<Track> generate(int count, int length) {
        int[] lengths = new int[count];
        java.util.Arrays.fill(lengths, length);
        return generate(lengths);
    }

    /** One track per entry, of that many rows. */
    public List<Track> generate(int[] lengths) {
        Rng master = new Rng(seed);
        List<Track> out = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 1) {
                throw new IllegalArgumentException("track " + i + ": a track needs at least one row, got " + lengths[i]);
            }
            out.add(walk(i, lengths[i], master.split()));
        }
        return out;
    }

    private static Track walk(int id, int length, Rng rng) {
        double px = rng.nextDouble() * AREA_M;
        double py = rng.nextDouble() * AREA_M;
        double heading = rng.nextDouble() * 2 * Math.PI;
        double preferred = Math.max(0.8, Math.min(1.9, MEAN_SPEED + SPEED_SD * rng.nextGaussian()));
        double speed = preferred * (0.8 + 0.2 * rng.nextDouble());
        double turnRate = TURN_RATE_SD * rng.nextGaussian();
        double a = Math.exp(-DT / TURN_RATE_TAU_S);
        double turnNoise = TURN_RATE_SD * Math.sqrt(1 - a * a);
        double follow = 1 - Math.exp(-DT / SPEED_LAG_S);
        int stopLeft = 0;
        int turnLeft = 0;
        double turnExtra = 0;
        // one report more than asked: the first row's displacement is measured from it
        double[] rx = new double[length + 1];
        double[] ry = new double[length + 1];
        for (int k = 0; k <= length; k++) {
            rx[k] = Math.round((px + NOISE_M * rng.nextGaussian()) * 1000) / 1000.0;
            ry[k] = Math.round((py + NOISE_M * rng.nextGaussian()) * 1000) / 1000.0;
            // advance the walker by one sampling interval
            if (stopLeft == 0 && rng.nextDouble() < STOPS_PER_S * DT) {
                stopLeft = (int) Math.round((2 + 6 * rng.nextDouble()) * RATE_HZ);
            }
            if (turnLeft == 0 && rng.nextDouble() < TURNS_PER_S * DT) {
                double angle = Math.toRadians(30 + 70 * rng.nextDouble()) * (rng.nextDouble() < 0.5 ? -1 : 1);
                turnLeft = Math.max(1, (int) Math.round((1.5 + 2.5 * rng.nextDouble()) * RATE_HZ));
                turnExtra = angle / (turnLeft * DT);
            }
            double target = stopLeft > 0 ? 0 : preferred;
            if (stopLeft > 0) {
                stopLeft--;
            }
            speed += follow * (target - speed) + (target > 0 ? SPEED_JITTER * rng.nextGaussian() : 0);
            speed = Math.max(0, speed);
            turnRate = a * turnRate + turnNoise * rng.nextGaussian();
            double omega = turnRate + (turnLeft > 0 ? turnExtra : 0);
            if (turnLeft > 0) {
                turnLeft--;
            }
            // turn in place while stopped too, but only the walking part moves the position
            heading += omega * DT;
            px += speed * DT * Math.cos(heading);
            py += speed * DT * Math.sin(heading);
        }
        float[] x = new float[length];
        float[] y = new float[length];
        float[] dx = new float[length];
        float[] dy = new float[length];
        for (int k = 0; k < length; k++) {
            x[k] = (float) rx[k + 1];
            y[k] = (float) ry[k + 1];
            dx[k] = (float) (Math.round((rx[k + 1] - rx[k]) * 1000) / 1000.0);
            dy[k] = (float) (Math.round((ry[k + 1] - ry[k]) * 1000) / 1000.0);
        }
        return new Track(id, x, y, dx, dy);
    }

    /** The samples of {@code count} tracks of {@code length} rows, track after track. */
    public Iterator<Sample> samples(int count, int length) {
        List<Track> tracks = generate(count, length);
        return new Iterator<>() {
            int i;
            int k;

            @Override
            public boolean hasNext() {
                return i < tracks.size();
            }

            @Override
            public Sample next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Track tr = tracks.get(i);
                Sample s = new Sample(tr.id(), k, tr.time(k), tr.x()[k], tr.y()[k], tr.dx()[k], tr.dy()[k]);
                if (++k == tr.length()) {
                    k = 0;
                    i++;
                }
                return s;
            }
        };
    }

    /** Writes {@code track,t,x,y,dx,dy}: metres, seconds since the track's start, millimetre precision. */
    public static void writeCsv(Path file, List<Track> tracks) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(CSV_HEADER);
            w.newLine();
            StringBuilder sb = new StringBuilder();
            for (Track tr : tracks) {
                for (int k = 0; k < tr.length(); k++) {
                    sb.setLength(0);
                    sb.append(tr.id()).append(',');
                    Fmt.fixed(sb, tr.time(k), 1).append(',');
                    Fmt.fixed(sb, tr.x()[k], 3).append(',');
                    Fmt.fixed(sb, tr.y()[k], 3).append(',');
                    Fmt.fixed(sb, tr.dx()[k], 3).append(',');
                    Fmt.fixed(sb, tr.dy()[k], 3);
                    w.write(sb.toString());
                    w.newLine();
                }
            }
        }
    }
}
