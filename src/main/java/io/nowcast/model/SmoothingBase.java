package io.nowcast.model;

import java.util.Arrays;

/**
 * The base a series denoiser corrects, per column: a bank of exponential smoothings of the noisy
 * input, s^k_t = s^k_(t-1) + alpha_k (x_t - s^k_(t-1)) from s^k_0 = x_0, of which the one with the
 * lowest estimated error against the clean signal is the base. With additive noise of known
 * variance r (the noise the model was trained for) that error has an unbiased estimate from the
 * noisy input alone (Stein's unbiased risk estimate for a linear smoother): the filter error
 * f = s_t - c_t of a smoothing with factor alpha satisfies E[f^2] = E[(x_t - s_t)^2] + (2 alpha - 1)
 * r, since x_t - s_t = (1 - alpha)(n_t - g) and f = alpha n_t - (1 - alpha) g with g = c_t - s_(t-1)
 * independent of the noise n_t. Its running mean over about {@code timeConstant} samples chooses
 * the smoothing: harder when a column moves slowly against its noise and lighter when it moves
 * fast, following changes of regime that no fixed factor follows. (The smoothing with the lowest
 * one-step prediction error would be the right one only for a level that wanders as a random walk;
 * a column with a daily swing smaller than its noise would be smoothed flat.) One factor alone is a
 * plain exponential smoothing.
 *
 * <p>The network of a denoiser over this base reads the innovation of each column, x_t minus the
 * chosen smoothing's previous value, and outputs the correction to the base: nothing it reads
 * carries a column's level. Per stream this keeps, per column, the K smoothed values and the K
 * running error estimates, then a started flag: {@link #extraWidth} values, all zero for a fresh
 * stream. Equivariant: moving a column moves the base alike, and scaling it (with its noise
 * variance) scales every estimate alike and chooses the same smoothing.
 */
public final class SmoothingBase {
    private final float[] alphas;
    private final float timeConstant;
    private final float lambda;
    /** Per factor 1 - alpha and 2 alpha - 1, the terms of the error estimate. */
    private final float[] keep;
    private final float[] bias;

    public SmoothingBase(float[] alphas, float timeConstant) {
        if (alphas.length < 1) {
            throw new IllegalArgumentException("a smoothing base needs at least one factor");
        }
        for (float a : alphas) {
            if (!(a > 0 && a <= 1)) {
                throw new IllegalArgumentException("smoothing factors must be in (0, 1], found " + a);
            }
        }
        if (!(timeConstant >= 1 && timeConstant <= 1e6)) {
            throw new IllegalArgumentException("the time constant must be in [1, 1e6] samples, found " + timeConstant);
        }
        this.alphas = alphas.clone();
        this.timeConstant = timeConstant;
        this.lambda = 1f / timeConstant;
        this.keep = new float[alphas.length];
        this.bias = new float[alphas.length];
        for (int k = 0; k < alphas.length; k++) {
            keep[k] = 1f - alphas[k];
            bias[k] = 2f * alphas[k] - 1f;
        }
    }

    public float[] alphas() {
        return alphas.clone();
    }

    public float timeConstant() {
        return timeConstant;
    }

    /** Values kept per stream for {@code columns} columns. */
    public int extraWidth(int columns) {
        return 2 * alphas.length * columns + 1;
    }

    /**
     * One sample of one stream: reads {@code x[xOff, xOff + D)}, moves the stream's values at
     * {@code state[off, off + extraWidth(D))} on, and writes per column the innovation (0 at a
     * stream's first sample) to {@code innovation[iOff + j]} and the base to {@code base[bOff + j]}.
     * {@code noiseVariance[j]} is the variance of the noise of column j, in the units of x.
     */
    public void step(float[] x, int xOff, int D, float[] noiseVariance, float[] state, int off, float[] innovation,
                     int iOff, float[] base, int bOff) {
        int K = alphas.length;
        int flag = off + 2 * K * D;
        boolean started = state[flag] != 0f;
        for (int j = 0; j < D; j++) {
            float v = x[xOff + j];
            int s = off + 2 * K * j;   // K smoothed values, then K running error estimates
            int e = s + K;
            if (!started) {
                Arrays.fill(state, s, s + K, v);
                Arrays.fill(state, e, e + K, 0f);
                innovation[iOff + j] = 0f;
                base[bOff + j] = v;
                continue;
            }
            float r = noiseVariance[j];
            // three loops over the factors, the first and last free of branches (the JIT vectorises them)
            for (int k = 0; k < K; k++) {
                // x_t - s^k_t = (1 - alpha)(x_t - s^k_(t-1)): the residual after this sample
                float resid = keep[k] * (v - state[s + k]);
                state[e + k] += lambda * (resid * resid + bias[k] * r - state[e + k]);
            }
            int best = 0;
            float lowest = state[e];
            for (int k = 1; k < K; k++) {
                if (state[e + k] < lowest) {
                    lowest = state[e + k];
                    best = k;
                }
            }
            innovation[iOff + j] = v - state[s + best];
            for (int k = 0; k < K; k++) {
                state[s + k] += alphas[k] * (v - state[s + k]);
            }
            base[bOff + j] = state[s + best];
        }
        state[flag] = 1f;
    }
}
