package io.nowcast.eval;

/**
 * Mean squared and mean absolute error of a predictor over every window of one part of a split,
 * on the standardised scale (data units divided by the training standard deviation), averaged over
 * all windows and all horizon steps: the figures the LTSF benchmarks publish.
 */
public record WindowScore(double mse, double mae, int windows, int horizon) {

    public static WindowScore of(LtsfSplit split, LtsfSplit.Part part, WindowPredictor p) {
        int L = split.inputLength;
        int H = split.horizon;
        int n = split.windows(part);
        double sq = 0;
        double abs = 0;
        for (int w = 0; w < n; w++) {
            int s = split.start(part, w);
            float[] pred = p.predict(split.raw(s, s + L), H);
            if (pred.length < H) {
                throw new IllegalStateException("the predictor gave " + pred.length + " values for a horizon of " + H);
            }
            for (int k = 0; k < H; k++) {
                double e = (pred[k] - (double) split.values[s + L + k]) / split.std;
                sq += e * e;
                abs += Math.abs(e);
            }
        }
        long count = (long) n * H;
        return new WindowScore(sq / count, abs / count, n, H);
    }
}
