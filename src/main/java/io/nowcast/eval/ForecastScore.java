package io.nowcast.eval;

import io.nowcast.data.SeriesSet;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.RecurrentState;

import java.util.List;
import java.util.Locale;

/**
 * How well a forecaster predicts series, in data units, next to the last-value baseline on the
 * very same steps. Each series is run through {@link Forecaster#step} (the inference path, with
 * the model's own standardisation) from a zero state, one step at a time with the state carried.
 * At step t, output {@code c+k} is compared with column c at step t+k, for every t whose t+k lies
 * inside the series; the baseline predicts {@code c+k} by column c at step t (persistence).
 * For a Gaussian head, the fraction of targets within one predicted standard deviation of the
 * predicted mean is counted too (about 0.68 for a calibrated model).
 */
public final class ForecastScore {
    public final List<String> outputs;
    public final double[] rmse;
    public final double[] baselineRmse;
    public final double[] mae;
    public final double[] baselineMae;
    /** Gaussian heads: fraction of targets within one predicted std; null otherwise. */
    public final double[] withinOneStd;
    public final long[] count;

    private ForecastScore(List<String> outputs, boolean gaussian) {
        int n = outputs.size();
        this.outputs = outputs;
        rmse = new double[n];
        baselineRmse = new double[n];
        mae = new double[n];
        baselineMae = new double[n];
        withinOneStd = gaussian ? new double[n] : null;
        count = new long[n];
    }

    /** Scores {@code f} on {@code data}, whose features, targets and horizon must be the model's. */
    public static ForecastScore of(Forecaster f, SeriesSet data) {
        ModelSpec spec = f.spec();
        if (spec.head == ModelSpec.Head.NONE) {
            throw new IllegalArgumentException("a model without a head predicts nothing to score");
        }
        if (!data.features.equals(spec.inputFeatures) || !data.targets.equals(spec.targets) || data.horizon != spec.horizon) {
            throw new IllegalArgumentException("the data give features " + data.features + ", targets " + data.targets
                    + " at horizon " + data.horizon + "; the model reads " + spec.inputFeatures + " and predicts "
                    + spec.targets + " at horizon " + spec.horizon);
        }
        int D = spec.inputSize;
        int C = data.targets.size();
        int H = data.horizon;
        int O = C * H;
        boolean gaussian = spec.head == ModelSpec.Head.GAUSSIAN;
        ForecastScore s = new ForecastScore(SeriesSet.outputNames(data.targets, H), gaussian);
        double[] sq = new double[O];
        double[] sqBase = new double[O];
        double[] abs = new double[O];
        double[] absBase = new double[O];
        long[] inside = new long[O];
        float[] in = new float[D];
        float[] out = new float[f.outputWidth()];
        float[] scratch = new float[Math.max(D, f.outputWidth()) + f.net().hiddenSize];
        for (SeriesSet.Series series : data.series) {
            RecurrentState state = f.net().newState(1);
            for (int t = 0; t < series.length; t++) {
                System.arraycopy(series.features, t * D, in, 0, D);
                f.step(in, state, out, scratch);
                for (int j = 0; j < C; j++) {
                    double now = series.values[t * C + j];
                    for (int k = 1; k <= H && t + k < series.length; k++) {
                        int o = j * H + k - 1;
                        double truth = series.values[(t + k) * C + j];
                        double e = out[o] - truth;
                        double b = now - truth;
                        sq[o] += e * e;
                        sqBase[o] += b * b;
                        abs[o] += Math.abs(e);
                        absBase[o] += Math.abs(b);
                        if (gaussian && Math.abs(e) <= out[O + o]) {
                            inside[o]++;
                        }
                        s.count[o]++;
                    }
                }
            }
        }
        for (int o = 0; o < O; o++) {
            long n = Math.max(1, s.count[o]);
            s.rmse[o] = Math.sqrt(sq[o] / n);
            s.baselineRmse[o] = Math.sqrt(sqBase[o] / n);
            s.mae[o] = abs[o] / n;
            s.baselineMae[o] = absBase[o] / n;
            if (gaussian) {
                s.withinOneStd[o] = inside[o] / (double) n;
            }
        }
        return s;
    }

    /** Steps scored (for the first output, which has the most). */
    public long scored() {
        return count.length == 0 ? 0 : count[0];
    }

    /** One line per output: RMSE and MAE of the model and of the last value, and the ratio. */
    public String table() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-12s %10s %12s %10s %12s %8s%s%n",
                "output", "rmse", "last-value", "mae", "last-value", "ratio", withinOneStd != null ? "  within-1-std" : ""));
        for (int o = 0; o < outputs.size(); o++) {
            sb.append(String.format(Locale.ROOT, "%-12s %10.4f %12.4f %10.4f %12.4f %8.3f%s%n", outputs.get(o), rmse[o],
                    baselineRmse[o], mae[o], baselineMae[o], rmse[o] / baselineRmse[o],
                    withinOneStd != null ? String.format(Locale.ROOT, "  %13.3f", withinOneStd[o]) : ""));
        }
        return sb.toString();
    }
}
