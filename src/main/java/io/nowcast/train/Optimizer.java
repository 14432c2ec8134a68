package io.nowcast.train;

import io.nowcast.nn.Param;

import java.util.List;

/**
 * Updates parameters from their accumulated gradients. Call order per iteration: zero the
 * gradients, forward, backward (accumulates), optionally {@link Clip}, then {@link #step()}.
 * The optimizer's own state (moments) is kept apart from the parameters, one array per parameter
 * in the same layout, so every update is one flat loop. Parameters marked not trainable are left alone.
 */
public abstract class Optimizer {
    protected final List<Param> params;
    protected float lr;
    protected long t;

    protected Optimizer(List<Param> params, float lr) {
        if (!(lr > 0f) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be a positive number, got " + lr);
        }
        this.params = params;
        this.lr = lr;
    }

    /** Applies one update to every trainable parameter. */
    public final void step() {
        t++;
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            if (p.trainable) {
                update(i, p.w(), p.g(), p.size());
            }
        }
    }

    protected abstract void update(int index, float[] w, float[] g, int n);

    public float learningRate() {
        return lr;
    }

    public void setLearningRate(float lr) {
        this.lr = lr;
    }

    /** Number of steps taken. */
    public long steps() {
        return t;
    }

    protected float[][] zeros() {
        float[][] m = new float[params.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = new float[params.get(i).size()];
        }
        return m;
    }

    /** Builds an optimizer by name: sgd, adagrad, adam, adamw. */
    public static Optimizer create(String name, List<Param> params, float lr, float momentum, float weightDecay) {
        switch (name) {
            case "sgd":
                return new Sgd(params, lr, momentum, weightDecay);
            case "adagrad":
                return new Adagrad(params, lr, 1e-8f);
            case "adam":
                return new Adam(params, lr, 0.9f, 0.999f, 1e-8f, weightDecay, false);
            case "adamw":
                return new Adam(params, lr, 0.9f, 0.999f, 1e-8f, weightDecay, true);
            default:
                throw new IllegalArgumentException("unknown optimizer '" + name + "': expected sgd, adagrad, adam or adamw");
        }
    }

    /** SGD with (heavy-ball) momentum and L2 weight decay: {@code v = mu v + (g + wd w); w -= lr v}. */
    public static final class Sgd extends Optimizer {
        private final float momentum;
        private final float weightDecay;
        private final float[][] v;

        public Sgd(List<Param> params, float lr, float momentum, float weightDecay) {
            super(params, lr);
            this.momentum = momentum;
            this.weightDecay = weightDecay;
            this.v = zeros();
        }

        @Override
        protected void update(int index, float[] w, float[] g, int n) {
            float[] vi = v[index];
            for (int j = 0; j < n; j++) {
                float d = g[j] + weightDecay * w[j];
                vi[j] = momentum * vi[j] + d;
                w[j] -= lr * vi[j];
            }
        }
    }

    /** Adagrad as in min-char-rnn: {@code m += g^2; w -= lr g / sqrt(m + eps)}. */
    public static final class Adagrad extends Optimizer {
        private final float eps;
        private final float[][] m;

        public Adagrad(List<Param> params, float lr, float eps) {
            super(params, lr);
            this.eps = eps;
            this.m = zeros();
        }

        @Override
        protected void update(int index, float[] w, float[] g, int n) {
            float[] mi = m[index];
            for (int j = 0; j < n; j++) {
                mi[j] += g[j] * g[j];
                w[j] -= lr * g[j] / (float) Math.sqrt(mi[j] + eps);
            }
        }
    }

    /**
     * Adam with bias correction; with {@code decoupled} it is AdamW (weight decay applied to the
     * weights directly, {@code w -= lr wd w}), else L2 decay added to the gradient.
     */
    public static final class Adam extends Optimizer {
        private final float b1;
        private final float b2;
        private final float eps;
        private final float weightDecay;
        private final boolean decoupled;
        private final float[][] m;
        private final float[][] v;

        public Adam(List<Param> params, float lr, float b1, float b2, float eps, float weightDecay, boolean decoupled) {
            super(params, lr);
            this.b1 = b1;
            this.b2 = b2;
            this.eps = eps;
            this.weightDecay = weightDecay;
            this.decoupled = decoupled;
            this.m = zeros();
            this.v = zeros();
        }

        @Override
        protected void update(int index, float[] w, float[] g, int n) {
            float[] mi = m[index];
            float[] vi = v[index];
            float c1 = (float) (1.0 - Math.pow(b1, t));
            float c2 = (float) (1.0 - Math.pow(b2, t));
            float l2 = decoupled ? 0f : weightDecay;
            float shrink = decoupled ? 1f - lr * weightDecay : 1f;
            for (int j = 0; j < n; j++) {
                float d = g[j] + l2 * w[j];
                mi[j] = b1 * mi[j] + (1f - b1) * d;
                vi[j] = b2 * vi[j] + (1f - b2) * d * d;
                float mh = mi[j] / c1;
                float vh = vi[j] / c2;
                w[j] = shrink * w[j] - lr * mh / ((float) Math.sqrt(vh) + eps);
            }
        }
    }
}
