package io.nowcast.eval;

import java.util.List;

/**
 * Average and final displacement errors of a predictor over windows: ADE = mean Euclidean
 * distance between the predicted and the true positions over the predicted steps, FDE = the
 * distance at the last one; both averaged over the windows, in metres.
 */
public record TrajectoryScore(double ade, double fde, int windows) {

    /** Observes the first {@code observed} positions of each window and predicts the rest. */
    public static TrajectoryScore of(List<TrajectoryWindows.Window> windows, int observed, TrajectoryPredictor p) {
        double ade = 0;
        double fde = 0;
        for (TrajectoryWindows.Window w : windows) {
            int steps = w.length() - observed;
            if (steps < 1) {
                throw new IllegalArgumentException("a window of " + w.length() + " steps leaves nothing to predict after "
                        + observed);
            }
            float[] pred = p.predict(w.head(observed), steps);
            if (pred.length != 2 * steps) {
                throw new IllegalStateException("the predictor gave " + pred.length / 2 + " positions for " + steps + " steps");
            }
            double sum = 0;
            double last = 0;
            for (int k = 0; k < steps; k++) {
                double dx = pred[2 * k] - w.xy()[2 * (observed + k)];
                double dy = pred[2 * k + 1] - w.xy()[2 * (observed + k) + 1];
                last = Math.sqrt(dx * dx + dy * dy);
                sum += last;
            }
            ade += sum / steps;
            fde += last;
        }
        int n = windows.size();
        return new TrajectoryScore(n == 0 ? Double.NaN : ade / n, n == 0 ? Double.NaN : fde / n, n);
    }
}
