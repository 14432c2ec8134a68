package io.nowcast.train;

import io.nowcast.nn.Param;

import java.util.List;

/**
 * The best validation score of a training run, the parameters it was reached with, and when to
 * stop: after {@code patience} validations in a row without a new best (never with patience 0).
 * One copy for every trainer; call order: {@link #offer} at each validation, then
 * {@link #shouldStop}; at the end {@link #restore} puts the best parameters back when they were kept.
 */
public final class EarlyStopping {
    private final List<Param> params;
    private final int patience;
    private final boolean higherIsBetter;
    private final boolean keepWeights;
    private double best = Double.NaN;
    private long bestIteration;
    private int sinceBest;
    private float[][] weights;

    /**
     * @param higherIsBetter true for a score such as PSNR, false for a loss
     * @param keepWeights    copy the parameters at every new best, so that {@link #restore} can put them back
     */
    public EarlyStopping(List<Param> params, int patience, boolean higherIsBetter, boolean keepWeights) {
        this.params = params;
        this.patience = patience;
        this.higherIsBetter = higherIsBetter;
        this.keepWeights = keepWeights;
    }

    /** Records the score of a validation at {@code iteration}; true when it is a new best (the first always is). */
    public boolean offer(double score, long iteration) {
        boolean improved = Double.isNaN(best) || (higherIsBetter ? score > best : score < best);
        if (improved) {
            best = score;
            bestIteration = iteration;
            sinceBest = 0;
            if (keepWeights) {
                weights = snapshot(weights);
            }
        } else {
            sinceBest++;
        }
        return improved;
    }

    /** True when patience is set and that many validations in a row brought no new best. */
    public boolean shouldStop() {
        return patience > 0 && sinceBest >= patience;
    }

    /** The best score offered, NaN before the first. */
    public double best() {
        return best;
    }

    public long bestIteration() {
        return bestIteration;
    }

    /** True when parameters of the best score are kept (and differ from the current ones, unless just offered). */
    public boolean hasWeights() {
        return weights != null;
    }

    /** Drops the kept parameters: the current ones are the best (the last score offered was a new best). */
    public void forgetWeights() {
        weights = null;
    }

    /** Puts the kept parameters back; false when none were kept. */
    public boolean restore() {
        if (weights == null) {
            return false;
        }
        for (int i = 0; i < params.size(); i++) {
            params.get(i).set(weights[i]);
        }
        return true;
    }

    private float[][] snapshot(float[][] into) {
        float[][] s = into != null ? into : new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            if (s[i] == null) {
                s[i] = new float[p.size()];
            }
            System.arraycopy(p.values(), 0, s[i], 0, p.size());
        }
        return s;
    }
}
