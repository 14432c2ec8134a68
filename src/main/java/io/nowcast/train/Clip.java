package io.nowcast.train;

import io.nowcast.nn.Param;

import java.util.List;

/** Gradient clipping, applied between backward and the optimizer step. */
public final class Clip {
    private Clip() {
    }

    /** The L2 norm of all gradients together. */
    public static double globalNorm(List<Param> params) {
        double s = 0;
        for (Param p : params) {
            float[] g = p.g();
            for (int j = 0, n = p.size(); j < n; j++) {
                s += (double) g[j] * g[j];
            }
        }
        return Math.sqrt(s);
    }

    /** Scales all gradients so that their global norm is at most maxNorm; returns the norm before. */
    public static double byGlobalNorm(List<Param> params, double maxNorm) {
        double norm = globalNorm(params);
        if (norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (Param p : params) {
                float[] g = p.g();
                for (int j = 0, n = p.size(); j < n; j++) {
                    g[j] *= scale;
                }
            }
        }
        return norm;
    }

    /** Clamps every gradient entry to [-limit, limit] (min-char-rnn's np.clip). */
    public static void byValue(List<Param> params, float limit) {
        for (Param p : params) {
            float[] g = p.g();
            for (int j = 0, n = p.size(); j < n; j++) {
                g[j] = Math.max(-limit, Math.min(limit, g[j]));
            }
        }
    }
}
