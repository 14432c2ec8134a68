package io.nowcast.eval;

import io.nowcast.data.CsvTable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * One column of an hourly series cut as in the long-term series forecasting benchmarks on ETTh1
 * (Zhou et al., Informer, 2021; Zeng et al., LTSF-Linear, 2023): 12 months of 30 days train, the
 * next 4 validate, the next 4 test, i.e. rows [0, 8640), [8640 - L, 11520) and [11520 - L, 14400)
 * for an input of L steps (each later part starts L rows early, so that its first window's input
 * is the previous part's last L rows). Values are standardised with the mean and the population
 * standard deviation of the training rows; errors are reported on the standardised scale, as
 * published.
 *
 * <p>A window starts at every row of a part: L input rows then H target rows, all inside the part,
 * so a part of n rows has n - L - H + 1 windows.
 */
public final class LtsfSplit {
    /** Hours in the 12, 4 and 4 months of 30 days. */
    public static final int TRAIN_ROWS = 12 * 30 * 24;
    public static final int VAL_ROWS = 4 * 30 * 24;
    public static final int TEST_ROWS = 4 * 30 * 24;

    public enum Part {
        TRAIN, VAL, TEST
    }

    public final String column;
    public final int inputLength;
    public final int horizon;
    /** The whole column in data units. */
    public final float[] values;
    /** Mean and population standard deviation of the column over the training rows. */
    public final double mean;
    public final double std;

    private LtsfSplit(String column, float[] values, int inputLength, int horizon) {
        this.column = column;
        this.values = values;
        this.inputLength = inputLength;
        this.horizon = horizon;
        double m = 0;
        for (int i = 0; i < TRAIN_ROWS; i++) {
            m += values[i];
        }
        m /= TRAIN_ROWS;
        double q = 0;
        for (int i = 0; i < TRAIN_ROWS; i++) {
            q += (values[i] - m) * (values[i] - m);
        }
        this.mean = m;
        this.std = Math.sqrt(q / TRAIN_ROWS);
        if (!(std > 0)) {
            throw new IllegalArgumentException("column " + column + " is constant over the training rows");
        }
    }

    /** Reads {@code column} of a CSV with a header (e.g. ETTh1.csv and OT). */
    public static LtsfSplit read(Path csv, String column, int inputLength, int horizon) throws IOException {
        CsvTable t = CsvTable.read(csv);
        float[] v = t.select(List.of(column));
        return of(column, v, inputLength, horizon, csv.toString());
    }

    /** The split of a series already in memory ({@code source} names it in messages). */
    public static LtsfSplit of(String column, float[] values, int inputLength, int horizon, String source) {
        if (inputLength < 1 || horizon < 1) {
            throw new IllegalArgumentException("the input length and the horizon must be at least 1");
        }
        int need = TRAIN_ROWS + VAL_ROWS + TEST_ROWS;
        if (values.length < need) {
            throw new IllegalArgumentException(source + ": the 12/4/4-month split needs " + need + " rows, found "
                    + values.length);
        }
        if (inputLength + horizon > VAL_ROWS) {
            throw new IllegalArgumentException("an input of " + inputLength + " and a horizon of " + horizon
                    + " do not fit in the 4-month parts");
        }
        return new LtsfSplit(column, values, inputLength, horizon);
    }

    /** First row of a part (inclusive). */
    public int from(Part p) {
        return switch (p) {
            case TRAIN -> 0;
            case VAL -> TRAIN_ROWS - inputLength;
            case TEST -> TRAIN_ROWS + VAL_ROWS - inputLength;
        };
    }

    /** End of a part (exclusive). */
    public int to(Part p) {
        return switch (p) {
            case TRAIN -> TRAIN_ROWS;
            case VAL -> TRAIN_ROWS + VAL_ROWS;
            case TEST -> TRAIN_ROWS + VAL_ROWS + TEST_ROWS;
        };
    }

    /** Windows of a part: starts from(p) .. to(p) - L - H. */
    public int windows(Part p) {
        return to(p) - from(p) - inputLength - horizon + 1;
    }

    /** Row where window {@code w} of part {@code p} starts. */
    public int start(Part p, int w) {
        return from(p) + w;
    }

    /**
     * Training sequences of a part, one per window, standardised: the L input values read one per
     * step; at step t the targets are the next H values (rows t+1 .. t+H of the window), minus the
     * current value with {@code relative}. Every step is scored (its H values lie inside the part
     * for every window start), or only the last one (the window's forecast point) without
     * {@code everyStep}. Values are divided by the training std, so the loss is on the
     * benchmark's scale.
     */
    public List<io.nowcast.train.SequenceTrainer.Sequence> sequences(Part part, boolean relative, boolean everyStep) {
        int L = inputLength;
        int H = horizon;
        int n = windows(part);
        List<io.nowcast.train.SequenceTrainer.Sequence> out = new java.util.ArrayList<>(n);
        float[] z = standardised(0, values.length);
        for (int w = 0; w < n; w++) {
            int s = start(part, w);
            float[] x = Arrays.copyOfRange(z, s, s + L);
            float[] y = new float[L * H];
            Arrays.fill(y, Float.NaN);
            for (int t = everyStep ? 0 : L - 1; t < L; t++) {
                float base = relative ? z[s + t] : 0f;
                for (int k = 1; k <= H; k++) {
                    y[t * H + k - 1] = z[s + t + k] - base;
                }
            }
            out.add(new io.nowcast.train.SequenceTrainer.Sequence(x, y, L));
        }
        return out;
    }

    /**
     * Moves a whole training window up or down by a level drawn uniformly in [-maxShift, maxShift]
     * (standardised units): the inputs, and the targets unless they are relative to the current
     * value (then they do not change). A model that predicts changes then cannot lean on the level
     * the series happened to have in the training months, which drifts from year to year.
     */
    public static io.nowcast.train.SequenceTrainer.Augmentation levelShift(float maxShift, boolean relative) {
        return (seq, rng) -> {
            float c = (float) ((2 * rng.nextDouble() - 1) * maxShift);
            float[] x = seq.x().clone();
            for (int i = 0; i < x.length; i++) {
                x[i] += c;
            }
            float[] y = seq.y();
            if (!relative) {
                y = y.clone();
                for (int i = 0; i < y.length; i++) {
                    y[i] += c; // NaN stays NaN
                }
            }
            return new io.nowcast.train.SequenceTrainer.Sequence(x, y, seq.length());
        };
    }

    /** The rows [from, to) in data units. */
    public float[] raw(int from, int to) {
        return Arrays.copyOfRange(values, from, to);
    }

    /** The rows [from, to) standardised with the training statistics. */
    public float[] standardised(int from, int to) {
        float[] out = new float[to - from];
        for (int i = from; i < to; i++) {
            out[i - from] = (float) ((values[i] - mean) / std);
        }
        return out;
    }
}
