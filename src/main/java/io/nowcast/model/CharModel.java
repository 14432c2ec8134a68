package io.nowcast.model;

import io.nowcast.data.Vocabulary;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Rng;

/**
 * A character-level language model: feed one character (one-hot) at a time, read a distribution
 * over the next one, sample it and feed it back in.
 */
public final class CharModel implements Model {
    private final ModelSpec spec;
    private final RecurrentNet net;
    private final Vocabulary vocabulary;

    public CharModel(ModelSpec spec, RecurrentNet net) {
        if (spec.kind != ModelKind.CHAR || spec.vocabulary == null) {
            throw new IllegalArgumentException("a character model needs kind char and a vocabulary");
        }
        this.spec = spec;
        this.net = net;
        this.vocabulary = new Vocabulary(spec.vocabulary);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public RecurrentNet net() {
        return net;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /**
     * Generates {@code length} characters after {@code prime} (which must not be empty).
     * Temperature divides the logits before the softmax; 0 always takes the most likely character.
     *
     * @return the prime followed by the generated characters
     */
    public String sample(String prime, int length, double temperature, long seed) {
        if (prime.isEmpty()) {
            throw new IllegalArgumentException("the prime text must have at least one character");
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a number >= 0, got " + temperature);
        }
        int[] p = vocabulary.encode(prime);
        int V = vocabulary.size();
        Rng rng = new Rng(seed);
        RecurrentState state = net.newState(1);
        float[] x = new float[V];
        float[] logits = new float[V];
        StringBuilder out = new StringBuilder(prime);
        for (int i = 0; i < p.length; i++) {
            feed(p[i], x, state, logits);
        }
        for (int k = 0; k < length; k++) {
            int next = pick(logits, temperature, rng);
            out.appendCodePoint(vocabulary.charAt(next));
            if (k + 1 < length) {
                feed(next, x, state, logits);
            }
        }
        return out.toString();
    }

    private void feed(int index, float[] x, RecurrentState state, float[] logits) {
        java.util.Arrays.fill(x, 0f);
        x[index] = 1f;
        net.step(x, 0, state, logits, 0);
    }

    /** The most likely index at temperature 0, else a draw from softmax(logits / temperature). */
    static int pick(float[] logits, double temperature, Rng rng) {
        int best = 0;
        for (int j = 1; j < logits.length; j++) {
            if (logits[j] > logits[best]) {
                best = j;
            }
        }
        if (temperature == 0) {
            return best;
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int j = 0; j < logits.length; j++) {
            p[j] = Math.exp((logits[j] - logits[best]) / temperature);
            sum += p[j];
        }
        double u = rng.nextDouble() * sum;
        for (int j = 0; j < p.length; j++) {
            u -= p[j];
            if (u < 0) {
                return j;
            }
        }
        return best;
    }
}
