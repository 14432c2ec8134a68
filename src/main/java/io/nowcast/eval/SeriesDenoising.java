package io.nowcast.eval;

import io.nowcast.data.CsvTable;
import io.nowcast.data.SeriesNoise;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.tensor.Rng;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Columns of one series cut in time into training, validation and test rows, for causal
 * denoising: a method sees the noisy series from its first row on, one sample at a time, and is
 * scored on a part's rows against the clean values.
 *
 * <p>The cut: with at least 14,400 rows, the LTSF one of {@link LtsfSplit} (12, 4 and 4 months of
 * hourly rows: [0, 8640), [8640, 11520), [11520, 14400); rows after 14,400 are not used); with
 * fewer, 60%, 20% and 20% of the rows. Columns are scaled by their mean and population standard
 * deviation over the training rows.
 *
 * <p>The baselines are causal, like the model: a moving average of the last w noisy samples and
 * exponential smoothing s_t = alpha x_t + (1 - alpha) s_(t-1), each with its setting chosen per
 * column by the RMSE on the validation rows (w in 1..{@link #MAX_WINDOW}, alpha in 0.01..1 by
 * 0.01; w = 1 and alpha = 1 are the noisy input itself), and a moving median of the last w samples
 * (w in 1..{@link #MAX_MEDIAN_WINDOW}), the causal filter made for impulses (salt and pepper).
 */
public final class SeriesDenoising {
    public static final int MAX_WINDOW = 72;
    /** Longest moving-median window tried. */
    public static final int MAX_MEDIAN_WINDOW = 25;

    public enum Part {
        TRAIN, VAL, TEST
    }

    public final String source;
    public final List<String> columns;
    public final int rows;
    public final int width;
    /** The clean series (rows, width), data units. */
    public final float[] clean;
    public final float[] mean;
    public final float[] std;
    /** Whether the LTSF cut applies (else 60/20/20). */
    public final boolean ltsf;
    private final int trainEnd;
    private final int valEnd;

    private SeriesDenoising(String source, List<String> columns, float[] values, int allRows) {
        this.source = source;
        this.columns = List.copyOf(columns);
        this.width = columns.size();
        int need = LtsfSplit.TRAIN_ROWS + LtsfSplit.VAL_ROWS + LtsfSplit.TEST_ROWS;
        this.ltsf = allRows >= need;
        if (ltsf) {
            rows = need;
            trainEnd = LtsfSplit.TRAIN_ROWS;
            valEnd = LtsfSplit.TRAIN_ROWS + LtsfSplit.VAL_ROWS;
        } else {
            rows = allRows;
            trainEnd = (int) Math.round(rows * 0.6);
            valEnd = (int) Math.round(rows * 0.8);
        }
        if (trainEnd < 2 || valEnd - trainEnd < 1 || rows - valEnd < 1) {
            throw new IllegalArgumentException(source + ": " + allRows + " rows are too few to cut into training,"
                    + " validation and test rows");
        }
        this.clean = Arrays.copyOf(values, rows * width);
        this.mean = new float[width];
        this.std = new float[width];
        for (int j = 0; j < width; j++) {
            double m = 0;
            for (int t = 0; t < trainEnd; t++) {
                m += clean[t * width + j];
            }
            m /= trainEnd;
            double q = 0;
            for (int t = 0; t < trainEnd; t++) {
                double d = clean[t * width + j] - m;
                q += d * d;
            }
            mean[j] = (float) m;
            std[j] = (float) Math.sqrt(q / trainEnd);
            if (!(std[j] > 0)) {
                throw new IllegalArgumentException(source + ": column '" + columns.get(j)
                        + "' is constant over the training rows");
            }
        }
    }

    /** The named columns of a CSV with a header. */
    public static SeriesDenoising read(Path csv, List<String> columns) throws IOException {
        if (columns == null || columns.isEmpty()) {
            throw new IllegalArgumentException("name the columns to denoise (e.g. --columns HUFL,HULL)");
        }
        CsvTable t = CsvTable.read(csv);
        return new SeriesDenoising(csv.toString(), columns, t.select(columns), t.rowCount());
    }

    /** A series already in memory, (rows, columns.size()) row-major. */
    public static SeriesDenoising of(String source, List<String> columns, float[] values, int rows) {
        if (values.length != (long) rows * columns.size()) {
            throw new IllegalArgumentException(source + ": expected " + rows + " x " + columns.size() + " values, found "
                    + values.length);
        }
        return new SeriesDenoising(source, columns, values, rows);
    }

    public int from(Part p) {
        return switch (p) {
            case TRAIN -> 0;
            case VAL -> trainEnd;
            case TEST -> valEnd;
        };
    }

    public int to(Part p) {
        return switch (p) {
            case TRAIN -> trainEnd;
            case VAL -> valEnd;
            case TEST -> rows;
        };
    }

    /** The whole series with noise added (data units), seeded. */
    public float[] noisy(SeriesNoise noise, long seed) {
        float[] v = clean.clone();
        noise.apply(v, rows, width, mean, std, new Rng(seed));
        return v;
    }

    /** Rows [from, to) standardised with the training statistics. */
    public float[] standardised(float[] v, int from, int to) {
        float[] z = new float[(to - from) * width];
        for (int t = from; t < to; t++) {
            for (int j = 0; j < width; j++) {
                z[(t - from) * width + j] = (v[t * width + j] - mean[j]) / std[j];
            }
        }
        return z;
    }

    /** Errors per column in data units over a part's rows, and the RMSE over all values in units of each column's std. */
    public record Score(double[] rmse, double[] mae, double rmseStd, int rowsScored) {
    }

    /** Scores an estimate of the whole series (rows, width) on a part's rows against the clean values. */
    public Score score(float[] estimate, Part part) {
        int a = from(part);
        int b = to(part);
        double[] se = new double[width];
        double[] ae = new double[width];
        double all = 0;
        for (int t = a; t < b; t++) {
            for (int j = 0; j < width; j++) {
                double e = estimate[t * width + j] - clean[t * width + j];
                se[j] += e * e;
                ae[j] += Math.abs(e);
                all += e * e / ((double) std[j] * std[j]);
            }
        }
        int n = b - a;
        double[] rmse = new double[width];
        double[] mae = new double[width];
        for (int j = 0; j < width; j++) {
            rmse[j] = Math.sqrt(se[j] / n);
            mae[j] = ae[j] / n;
        }
        return new Score(rmse, mae, Math.sqrt(all / ((double) n * width)), n);
    }

    /** Causal moving average, column j over the last window[j] samples (fewer at the start). */
    public float[] movingAverage(float[] noisy, int[] window) {
        float[] out = new float[rows * width];
        for (int j = 0; j < width; j++) {
            int w = window[j];
            double sum = 0;
            for (int t = 0; t < rows; t++) {
                sum += noisy[t * width + j];
                if (t >= w) {
                    sum -= noisy[(t - w) * width + j];
                }
                out[t * width + j] = (float) (sum / Math.min(t + 1, w));
            }
        }
        return out;
    }

    /** Causal moving median, column j over the last window[j] samples (fewer at the start; the mean of the middle two when even). */
    public float[] movingMedian(float[] noisy, int[] window) {
        float[] out = new float[rows * width];
        float[] buf = new float[MAX_MEDIAN_WINDOW];
        for (int j = 0; j < width; j++) {
            int w = window[j];
            if (w < 1 || w > MAX_MEDIAN_WINDOW) {
                throw new IllegalArgumentException("median window " + w + " outside [1, " + MAX_MEDIAN_WINDOW + "]");
            }
            for (int t = 0; t < rows; t++) {
                int n = Math.min(t + 1, w);
                for (int k = 0; k < n; k++) {
                    buf[k] = noisy[(t - k) * width + j];
                }
                Arrays.sort(buf, 0, n);
                out[t * width + j] = n % 2 == 1 ? buf[n / 2] : 0.5f * (buf[n / 2 - 1] + buf[n / 2]);
            }
        }
        return out;
    }

    /** Per column, the moving-median window with the lowest RMSE on the validation rows. */
    public int[] bestMedianWindows(float[] noisy) {
        int[] best = new int[width];
        double[] bestRmse = new double[width];
        Arrays.fill(bestRmse, Double.POSITIVE_INFINITY);
        int[] w = new int[width];
        for (int k = 1; k <= MAX_MEDIAN_WINDOW; k++) {
            Arrays.fill(w, k);
            Score s = score(movingMedian(noisy, w), Part.VAL);
            for (int j = 0; j < width; j++) {
                if (s.rmse[j] < bestRmse[j]) {
                    bestRmse[j] = s.rmse[j];
                    best[j] = k;
                }
            }
        }
        return best;
    }

    /** Causal exponential smoothing of column j with alpha[j], starting at the first sample. */
    public float[] exponential(float[] noisy, float[] alpha) {
        float[] out = new float[rows * width];
        for (int j = 0; j < width; j++) {
            double s = noisy[j];
            for (int t = 0; t < rows; t++) {
                s = t == 0 ? noisy[j] : alpha[j] * noisy[t * width + j] + (1 - alpha[j]) * s;
                out[t * width + j] = (float) s;
            }
        }
        return out;
    }

    /** Per column, the moving-average window with the lowest RMSE on the validation rows. */
    public int[] bestWindows(float[] noisy) {
        int[] best = new int[width];
        double[] bestRmse = new double[width];
        Arrays.fill(bestRmse, Double.POSITIVE_INFINITY);
        int[] w = new int[width];
        for (int k = 1; k <= MAX_WINDOW; k++) {
            Arrays.fill(w, k);
            Score s = score(movingAverage(noisy, w), Part.VAL);
            for (int j = 0; j < width; j++) {
                if (s.rmse[j] < bestRmse[j]) {
                    bestRmse[j] = s.rmse[j];
                    best[j] = k;
                }
            }
        }
        return best;
    }

    /** Per column, the smoothing factor (0.01..1 by 0.01) with the lowest RMSE on the validation rows. */
    public float[] bestAlphas(float[] noisy) {
        float[] best = new float[width];
        double[] bestRmse = new double[width];
        Arrays.fill(bestRmse, Double.POSITIVE_INFINITY);
        float[] a = new float[width];
        for (int k = 1; k <= 100; k++) {
            Arrays.fill(a, k / 100f);
            Score s = score(exponential(noisy, a), Part.VAL);
            for (int j = 0; j < width; j++) {
                if (s.rmse[j] < bestRmse[j]) {
                    bestRmse[j] = s.rmse[j];
                    best[j] = k / 100f;
                }
            }
        }
        return best;
    }

    /**
     * The model (when given) and the baselines on the same noisy series, scored on one part:
     * keys {@code model}, {@code noisy_input}, {@code moving_average}, {@code exponential_smoothing},
     * {@code moving_median};
     * the baselines' settings are chosen on the validation rows of that same noisy series.
     */
    public record Comparison(Map<String, Score> scores, int[] windows, float[] alphas, int[] medianWindows) {
    }

    public Comparison compare(float[] noisy, SeriesDenoiser model, Part part) {
        Map<String, Score> m = new LinkedHashMap<>();
        if (model != null) {
            if (!model.spec().inputFeatures.equals(columns)) {
                throw new IllegalArgumentException("the model reads " + model.spec().inputFeatures + ", the series has "
                        + columns);
            }
            m.put("model", score(model.denoise(noisy, rows), part));
        }
        m.put("noisy_input", score(noisy, part));
        int[] w = bestWindows(noisy);
        float[] a = bestAlphas(noisy);
        m.put("moving_average", score(movingAverage(noisy, w), part));
        m.put("exponential_smoothing", score(exponential(noisy, a), part));
        int[] mw = bestMedianWindows(noisy);
        m.put("moving_median", score(movingMedian(noisy, mw), part));
        return new Comparison(m, w, a, mw);
    }

    /** Names of the columns, in order. */
    public List<String> columnNames() {
        return new ArrayList<>(columns);
    }
}
