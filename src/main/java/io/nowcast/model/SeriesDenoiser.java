package io.nowcast.model;

import io.nowcast.nn.RecurrentNet;
import io.nowcast.nn.RecurrentState;

import java.util.ArrayList;

/**
 * A causal denoiser of a multi-channel series: at every step the noisy newest sample of a stream
 * (one value per column) goes in and that sample cleaned comes out, computed from what the stream
 * has shown so far. The recurrent state is the stream's memory; it is all a caller keeps per
 * stream, exactly as for a {@link Forecaster}.
 *
 * <p>A {@link ModelSpec#residual residual} network predicts the correction: output j = noisy
 * input j + the de-standardised head output j, so a head that outputs zero passes the input
 * through unchanged; otherwise the head predicts the clean value itself. Either way this is a
 * forecaster that predicts its own inputs (relative to themselves when residual), and the step is
 * the forecaster's step run on that description ({@link #asForecaster()}); the file says
 * {@code "kind": "series-denoiser"} and records the noise model it was trained on.
 *
 * <p>With a {@link ModelSpec#smoothingBase smoothing base} the base of the output is an adaptive
 * exponential smoothing of the noisy input kept per stream ({@link SmoothingBase}) instead of the
 * noisy input itself: the network reads the innovations x_t - s_(t-1) and outputs the correction
 * to s_t. Nothing it reads carries the level of a column, and a network that outputs zero is that
 * smoothing. The bank's values and a started flag are the {@link RecurrentState#extra extra}
 * values of the stream's state ({@link #extraWidth}); make states with {@link #newState}.
 * Not thread-safe (scratch space is reused).
 */
public final class SeriesDenoiser implements Model {
    private final ModelSpec spec;
    private final RecurrentNet net;
    private final Forecaster step;
    /** The base the network corrects, or null (the base is the noisy input). */
    private final SmoothingBase base;
    private float[] innovation = new float[0];
    private float[] correction = new float[0];
    private float[] level = new float[0];
    /** Per column the variance of the noise the model was trained for, in data units (with a base). */
    private final float[] noiseVariance;

    public SeriesDenoiser(ModelSpec spec, RecurrentNet net) {
        if (spec.kind != ModelKind.SERIES_DENOISER) {
            throw new IllegalArgumentException("a series denoiser needs kind series-denoiser, found " + spec.kind.id);
        }
        if (spec.head != ModelSpec.Head.LINEAR || spec.outputSize != spec.inputSize
                || spec.inputFeatures.size() != spec.inputSize) {
            throw new IllegalArgumentException("a series denoiser reads " + spec.inputSize + " named columns and outputs"
                    + " each of them cleaned through a linear head; found " + spec.inputFeatures.size() + " names, a "
                    + spec.head.id() + " head of " + spec.outputSize);
        }
        this.spec = spec;
        this.net = net;
        if (spec.smoothingBase != null && !spec.residual) {
            throw new IllegalArgumentException("a smoothing base needs a residual output");
        }
        this.base = spec.smoothingBase;
        this.noiseVariance = base == null ? null : noiseVariance(spec);
        this.step = new Forecaster(forecasterSpec(spec), net);
    }

    /**
     * The variance of the noise per column that the smoothing base's error estimate needs: Gaussian
     * noise of {@code noise.sigma} column stds, as trained.
     */
    static float[] noiseVariance(ModelSpec spec) {
        if (!"gaussian".equals(spec.noiseModel) || !(spec.noiseSigma > 0) || spec.inputStd == null) {
            throw new IllegalArgumentException("a smoothing base estimates its error from the variance of additive"
                    + " Gaussian noise: it needs noise model gaussian with sigma > 0, found " + spec.noiseModel
                    + " of sigma " + spec.noiseSigma);
        }
        float[] v = new float[spec.inputSize];
        for (int j = 0; j < v.length; j++) {
            float sd = spec.noiseSigma * spec.inputStd[j];
            v[j] = sd * sd;
        }
        return v;
    }

    /** The same model described as a forecaster of its own inputs, relative to them. */
    private static ModelSpec forecasterSpec(ModelSpec d) {
        ModelSpec f = new ModelSpec();
        f.kind = ModelKind.FORECASTER;
        f.name = d.name;
        f.version = d.version;
        f.cell = d.cell;
        f.inputSize = d.inputSize;
        f.hiddenSize = d.hiddenSize;
        f.numLayers = d.numLayers;
        f.head = ModelSpec.Head.LINEAR;
        f.outputSize = d.outputSize;
        f.inputFeatures = new ArrayList<>(d.inputFeatures);
        f.outputFeatures = new ArrayList<>(d.outputFeatures);
        f.targets = new ArrayList<>(d.inputFeatures);
        f.horizon = 1;
        f.relativeToInput = d.residual && d.smoothingBase == null;
        // with a smoothing base the forecaster reads innovations, which have no level, and outputs corrections
        f.inputMean = d.smoothingBase == null ? d.inputMean : new float[d.inputSize];
        f.inputStd = d.inputStd;
        f.outputMean = d.smoothingBase == null ? d.outputMean : new float[d.outputSize];
        f.outputStd = d.outputStd;
        f.provenance = d.provenance;
        return f;
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public RecurrentNet net() {
        return net;
    }

    /**
     * This model as the forecaster whose step it is: it reads the noisy columns and outputs them
     * cleaned (named by {@code output_features}). Shares the network; for code that serves
     * forecasters, such as the processor.
     */
    public Forecaster asForecaster() {
        if (base != null) {
            throw new IllegalStateException("a series denoiser with a smoothing base keeps its smoothing per stream:"
                    + " step it with step() and states from newState()");
        }
        return step;
    }

    /** Values per stream this model keeps beside the network's layers: its smoothing base's, or none. */
    public int extraWidth() {
        return base == null ? 0 : base.extraWidth(spec.inputSize);
    }

    /** A fresh state of {@code streams} rows, with room for the {@link #extraWidth extra} values. */
    public RecurrentState newState(int streams) {
        return new RecurrentState(net.numLayers(), streams, net.hiddenSize, net.cell.hasCell(), extraWidth());
    }

    /** Columns read and written per step. */
    public int width() {
        return spec.inputSize;
    }

    /** Floats of scratch space {@link #step} needs for {@code rows} streams. */
    public int scratchSize(int rows) {
        return step.scratchSize(rows);
    }

    /**
     * One step for the N streams of {@code state}: the noisy samples (N, width) in, the cleaned
     * samples (N, width) written to {@code out}; the state moves on by one sample.
     */
    public void step(float[] noisy, RecurrentState state, float[] out, float[] scratch) {
        if (base == null) {
            step.step(noisy, state, out, scratch);
            return;
        }
        int N = state.batch;
        int D = spec.inputSize;
        int E = extraWidth();
        if (state.extraWidth != E) {
            throw new IllegalArgumentException("the smoothing base keeps " + E + " values per stream, the state has "
                    + state.extraWidth + " (make it with newState)");
        }
        if (innovation.length < N * D) {
            innovation = new float[N * D];
            correction = new float[N * D];
            level = new float[N * D];
        }
        for (int n = 0; n < N; n++) {
            base.step(noisy, n * D, D, noiseVariance, state.extra, n * E, innovation, n * D, level, n * D);
        }
        step.step(innovation, state, correction, scratch);
        for (int i = 0, end = N * D; i < end; i++) {
            out[i] = level[i] + correction[i];
        }
    }

    /**
     * Cleans a whole series of one stream, (T, width) row-major, from a zero state, one sample at
     * a time: row t of the result depends on rows 0..t only.
     */
    public float[] denoise(float[] noisy, int T) {
        int D = width();
        if (noisy.length < (long) T * D) {
            throw new IllegalArgumentException("a series of " + T + " samples of " + D + " columns needs " + T * D
                    + " values, found " + noisy.length);
        }
        RecurrentState state = newState(1);
        float[] in = new float[D];
        float[] out = new float[D];
        float[] scratch = new float[scratchSize(1)];
        float[] clean = new float[T * D];
        for (int t = 0; t < T; t++) {
            System.arraycopy(noisy, t * D, in, 0, D);
            step(in, state, out, scratch);
            System.arraycopy(out, 0, clean, t * D, D);
        }
        return clean;
    }
}
