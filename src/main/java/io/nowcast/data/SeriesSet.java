package io.nowcast.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Numeric series for a forecaster, in data units: per step the feature columns (the model's
 * inputs) and the target columns, whose future values are what the model predicts.
 *
 * <p>Without a group column the whole table is one series, rows in file order. With one,
 * consecutive rows that share the group's value (a track id, a sensor id) form a series; a value
 * that comes back after another one is refused, since it means the file is not grouped.
 *
 * <p>Targets with horizon H: at step t, target by target, the values at t+1 .. t+H of that
 * target's column, named {@code c+1 .. c+H}. Steps whose future lies past the end of the series
 * have no target (NaN) and are not scored; their inputs still feed the state.
 */
public final class SeriesSet {

    /** One series: {@code length} steps of D features and C target-column values. */
    public static final class Series {
        /** The group value, or null when the file is one series. */
        public final String group;
        /** Line of the file holding the series' first step, for messages (a slice counts on from it, blank lines aside). */
        public final int firstLine;
        public final int length;
        /** (length, D), row-major. */
        public final float[] features;
        /** (length, C): the target columns' values at each step. */
        public final float[] values;
        private final int d;
        private final int c;

        Series(String group, int firstLine, int length, float[] features, int d, float[] values, int c) {
            this.group = group;
            this.firstLine = firstLine;
            this.length = length;
            this.features = features;
            this.values = values;
            this.d = d;
            this.c = c;
        }

        /** Steps [from, to) as a series of its own. */
        public Series slice(int from, int to) {
            float[] f = new float[(to - from) * d];
            float[] v = new float[(to - from) * c];
            System.arraycopy(features, from * d, f, 0, f.length);
            System.arraycopy(values, from * c, v, 0, v.length);
            return new Series(group, firstLine + from, to - from, f, d, v, c);
        }

        /**
         * The targets, (length, C*H): row t holds, target by target, the values at t+1 .. t+H;
         * NaN where that lies past the end of the series.
         */
        public float[] targets(int horizon) {
            int w = c * horizon;
            float[] y = new float[length * w];
            for (int t = 0; t < length; t++) {
                for (int j = 0; j < c; j++) {
                    for (int k = 1; k <= horizon; k++) {
                        y[t * w + j * horizon + k - 1] = t + k < length ? values[(t + k) * c + j] : Float.NaN;
                    }
                }
            }
            return y;
        }

        /** Number of steps that have a target (every step whose horizon lies inside the series). */
        public int scoredSteps(int horizon) {
            return Math.max(0, length - horizon);
        }
    }

    public final List<String> features;
    public final List<String> targets;
    public final int horizon;
    public final List<Series> series;

    private SeriesSet(List<String> features, List<String> targets, int horizon, List<Series> series) {
        this.features = List.copyOf(features);
        this.targets = List.copyOf(targets);
        this.horizon = horizon;
        this.series = Collections.unmodifiableList(series);
    }

    /**
     * Reads the named columns of {@code table}; {@code group} (may be null) names the column whose
     * value changes where one series ends and the next begins. A missing column is refused with the
     * file and the column named.
     */
    public static SeriesSet of(CsvTable table, List<String> features, List<String> targets, int horizon, String group)
            throws IOException {
        if (features.isEmpty() || targets.isEmpty()) {
            throw new IllegalArgumentException("a forecaster needs at least one feature and one target column");
        }
        if (horizon < 1) {
            throw new IllegalArgumentException("the horizon must be at least 1, got " + horizon);
        }
        float[] x = table.select(features);
        float[] v = table.select(targets);
        String[] g = group == null ? null : table.text(group);
        int d = features.size();
        int c = targets.size();
        int rows = table.rowCount();
        if (rows == 0) {
            throw new IOException(table.file() + ": no data rows");
        }
        List<Series> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int start = 0;
        for (int i = 1; i <= rows; i++) {
            if (i == rows || (g != null && !g[i].equals(g[start]))) {
                String name = g == null ? null : g[start];
                if (name != null && !seen.add(name)) {
                    throw new IOException(table.file() + ":" + table.lineOf(start) + ": column '" + group + "': the value '"
                            + name + "' appeared before, on an earlier run of rows: the rows of a series must be consecutive");
                }
                int len = i - start;
                float[] f = new float[len * d];
                float[] vv = new float[len * c];
                System.arraycopy(x, start * d, f, 0, f.length);
                System.arraycopy(v, start * c, vv, 0, vv.length);
                out.add(new Series(name, table.lineOf(start), len, f, d, vv, c));
                start = i;
            }
        }
        return new SeriesSet(features, targets, horizon, out);
    }

    /** A set of the given series with the same columns and horizon. */
    public SeriesSet with(List<Series> s) {
        return new SeriesSet(features, targets, horizon, new ArrayList<>(s));
    }

    /**
     * Splits off the last {@code fraction} for validation, chronologically: of the rows when the
     * set is one series, else of the series in file order (at least one when the fraction is
     * positive). Returns {train, validation}; the validation set is empty for fraction 0.
     */
    public SeriesSet[] split(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("the validation fraction must be in [0, 1), got " + fraction);
        }
        if (fraction == 0) {
            return new SeriesSet[] {this, with(List.of())};
        }
        if (series.size() == 1) {
            Series s = series.get(0);
            int cut = (int) Math.round(s.length * (1 - fraction));
            if (cut < 1 || cut >= s.length) {
                throw new IllegalArgumentException("a series of " + s.length + " rows cannot be split " + (1 - fraction)
                        + " / " + fraction + " into training and validation rows");
            }
            return new SeriesSet[] {with(List.of(s.slice(0, cut))), with(List.of(s.slice(cut, s.length)))};
        }
        int nVal = Math.max(1, (int) Math.round(series.size() * fraction));
        if (nVal >= series.size()) {
            throw new IllegalArgumentException(series.size() + " series cannot be split " + (1 - fraction) + " / "
                    + fraction + " into training and validation series");
        }
        int cut = series.size() - nVal;
        return new SeriesSet[] {with(series.subList(0, cut)), with(series.subList(cut, series.size()))};
    }

    public int rows() {
        int n = 0;
        for (Series s : series) {
            n += s.length;
        }
        return n;
    }

    /** Steps that have a target, over all series. */
    public int scoredSteps() {
        int n = 0;
        for (Series s : series) {
            n += s.scoredSteps(horizon);
        }
        return n;
    }

    /** {mean, std} of each feature column over every row; see {@link #stats}. */
    public float[][] featureStats() {
        return stats(true);
    }

    /** {mean, std} of each target column over every row; see {@link #stats}. */
    public float[][] targetStats() {
        return stats(false);
    }

    /**
     * Mean and population standard deviation per column. A column that is constant (std below
     * 1e-6 of its scale) gets std 1, so that standardising it stays finite.
     */
    private float[][] stats(boolean ofFeatures) {
        int w = ofFeatures ? features.size() : targets.size();
        double[] sum = new double[w];
        double[] sq = new double[w];
        long n = 0;
        for (Series s : series) {
            float[] a = ofFeatures ? s.features : s.values;
            for (int t = 0; t < s.length; t++) {
                for (int j = 0; j < w; j++) {
                    double v = a[t * w + j];
                    sum[j] += v;
                }
            }
            n += s.length;
        }
        float[] mean = new float[w];
        float[] std = new float[w];
        for (int j = 0; j < w; j++) {
            mean[j] = (float) (sum[j] / Math.max(1, n));
        }
        for (Series s : series) {
            float[] a = ofFeatures ? s.features : s.values;
            for (int t = 0; t < s.length; t++) {
                for (int j = 0; j < w; j++) {
                    double e = a[t * w + j] - (double) mean[j];
                    sq[j] += e * e;
                }
            }
        }
        for (int j = 0; j < w; j++) {
            double sd = Math.sqrt(sq[j] / Math.max(1, n));
            std[j] = sd > 1e-6 * Math.max(1.0, Math.abs(mean[j])) && Double.isFinite(sd) ? (float) sd : 1f;
        }
        return new float[][] {mean, std};
    }

    /** Output names, target by target: {@code c+1 .. c+H}. */
    public static List<String> outputNames(List<String> targets, int horizon) {
        List<String> names = new ArrayList<>();
        for (String t : targets) {
            for (int k = 1; k <= horizon; k++) {
                names.add(t + "+" + k);
            }
        }
        return names;
    }
}
