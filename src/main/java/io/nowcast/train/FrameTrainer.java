package io.nowcast.train;

import io.nowcast.data.GreyImage;
import io.nowcast.data.ImageNoise;
import io.nowcast.data.Resize;
import io.nowcast.data.synthetic.MovingShapes;
import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameSpec;
import io.nowcast.model.SuperResolver;
import io.nowcast.nn.Layer;
import io.nowcast.nn.Nchw;
import io.nowcast.nn.Param;
import io.nowcast.nn.Sequential;
import io.nowcast.tensor.Rng;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains a frame model ({@link FrameDenoiser}, {@link SuperResolver}) with Adam on the mean
 * squared error of its residual: the network predicts the noise (denoiser: target noisy - clean)
 * or the correction of the bicubic upscale (super-resolver: target HR - bicubic), so the loss is
 * the clipped-free output's squared error against the clean frame.
 *
 * <p>Data, one batch of {@code batch} frames per iteration, drawn afresh (seeded) every time:
 * <ul>
 *   <li>images: random {@code patch x patch} crops of random training images, each under one of
 *       the 8 flips/rotations, given fresh noise ({@link ImageNoise}); a super-resolver's crop is
 *       taken from the image's precomputed bicubic downscale (the whole image is shrunk, not the
 *       patch, so the low-resolution patch sees its real neighbours), its bicubic upscale and the
 *       high-resolution image at the same place;</li>
 *   <li>video ({@link MovingShapes}): {@code batch} streams of full frames, each advancing one
 *       frame per iteration and restarting (new scene seed, start time and flip/rotation) after
 *       {@code sequence} frames, staggered so that streams are at every age at once. A recurrent
 *       denoiser's second input is the stream's previous output, exactly as it is served (a
 *       stream's first frame passes its own noisy input). That previous output is DETACHED: it is
 *       the output the model gave one iteration earlier (with the weights of then) and no gradient
 *       flows back through it. Truncated BPTT over a few frames would teach the network to shape its
 *       output for the next frame's use, but costs a forward and backward of every frame of the
 *       window per step and keeps their activations; with the output itself the state (the
 *       output is what the next frame needs: a clean estimate of the static scene), one step of
 *       gradient at the cost of a feed-forward network learns what the recurrence is for, and the
 *       carried state means the model trains on the previous outputs it will really meet.</li>
 * </ul>
 * The learning rate follows a cosine from {@code lr} to {@code lrMin} over the budget (iterations
 * or seconds, whichever ends first). Validation PSNR (full images or held-out seeded videos, fixed
 * noise) every {@code evalEvery} iterations; with {@code patience} the run stops after that many
 * validations without improvement; the best weights (by validation PSNR) are kept either way.
 * Memory is allocated once: the layers reuse their buffers, the batch arrays are sized at the start.
 */
public final class FrameTrainer {
    /** What to train on and how long. */
    public static final class Config {
        public int patch = 40;
        public int batch = 16;
        public float lr = 1e-3f;
        public float lrMin = 1e-5f;
        public boolean cosine = true;
        public long maxIterations = Long.MAX_VALUE;
        public double maxSeconds = Double.POSITIVE_INFINITY;
        public int evalEvery = 200;
        public int patience = 0;
        public long seed = 1;
        /** Video: frames per stream before it restarts. */
        public int sequence = 16;
        /** Video: frame side. */
        public int videoSide = 64;
        /** Video validation: streams and frames per stream. */
        public int valStreams = 4;
        public int valFrames = 32;
    }

    /** How a run went. */
    public static final class Result {
        public long iterations;
        public long patches;
        public double seconds;
        public double patchesPerSecond;
        public double trainLoss = Double.NaN;
        public double bestValPsnr = Double.NaN;
        public double finalValPsnr = Double.NaN;
        public long bestIteration;
        public boolean stoppedEarly;
        public final List<double[]> curve = new ArrayList<>(); // (iteration, val psnr)
    }

    private final FrameModel model;
    private final Sequential body;
    private final FrameSpec spec;
    private final Config cfg;
    private final TrainingLog log;
    private final Optimizer opt;
    private final List<Param> params;
    private final Rng rng;

    // ---- data ----
    private final List<GreyImage> train;     // images; the HR images for a super-resolver
    private final List<GreyImage> trainLr;   // super-resolver: bicubic downscale of each
    private final List<GreyImage> trainUp;   // super-resolver: bicubic upscale of trainLr
    private final List<GreyImage> val;
    private final boolean video;

    // ---- batch buffers (allocated once) ----
    private final int side;       // output side of a training frame (patch, or the video side)
    private final int inSide;     // network input side
    private final int inC;
    private float[] x;            // (B, inC, inSide, inSide): the network's input
    private float[] base;         // (B, side, side): noisy (denoiser) or bicubic (SR): the output is base - r or base + r
    private float[] clean;        // (B, side, side)
    private float[] target;       // (B, side, side): the residual the network should output
    private float[] dr;           // (B, side, side)
    private float[] tmp;          // one patch
    private float[] lrPatch;      // super-resolver pixel-shuffle: (B, 1, q, q)

    // ---- video streams ----
    private MovingShapes[] scenes;
    private int[] time;
    private int[] left;
    private int[] orient;
    private float[] prevOut;      // (B, side, side): each stream's previous output
    private boolean[] first;

    private FrameTrainer(FrameModel model, List<GreyImage> train, List<GreyImage> val, boolean video, Config cfg,
                         TrainingLog log) {
        this.model = model;
        this.body = model.body();
        this.spec = model.spec();
        this.cfg = cfg;
        this.log = log;
        this.params = body.params();
        this.opt = new Optimizer.Adam(params, cfg.lr, 0.9f, 0.999f, 1e-8f, 0f, false);
        this.rng = new Rng(cfg.seed);
        this.video = video;
        this.val = val;
        int s = model.scale();
        if (cfg.batch < 1 || cfg.patch < 2 * s) {
            throw new IllegalArgumentException("batch " + cfg.batch + ", patch " + cfg.patch + ": need batch >= 1 and a patch"
                    + " of at least " + 2 * s + " pixels");
        }
        if (video) {
            side = cfg.videoSide;
            this.train = List.of();
            this.trainLr = null;
            this.trainUp = null;
        } else {
            side = cfg.patch - cfg.patch % s;
            if (train.isEmpty()) {
                throw new IllegalArgumentException("no training images");
            }
            List<GreyImage> hr = new ArrayList<>();
            for (GreyImage g : train) {
                int w = g.width() - g.width() % s;
                int h = g.height() - g.height() % s;
                if (w < side || h < side) {
                    throw new IllegalArgumentException("a training image of " + g.width() + "x" + g.height()
                            + " is smaller than the " + side + "-pixel patch");
                }
                hr.add(w == g.width() && h == g.height() ? g : g.crop(0, 0, w, h));
            }
            this.train = hr;
            if (s > 1) {
                trainLr = new ArrayList<>();
                trainUp = new ArrayList<>();
                for (GreyImage g : hr) {
                    GreyImage lo = Resize.bicubic(g, g.width() / s, g.height() / s);
                    trainLr.add(lo);
                    trainUp.add(Resize.bicubic(lo, g.width(), g.height()));
                }
            } else {
                trainLr = null;
                trainUp = null;
            }
        }
        boolean shuffle = s > 1 && spec.upsampling.equals("pixel-shuffle");
        inSide = shuffle ? side / s : side;
        inC = spec.inChannels;
        int B = cfg.batch;
        int P = side * side;
        x = new float[B * inC * inSide * inSide];
        base = new float[B * P];
        clean = new float[B * P];
        target = new float[B * P];
        dr = new float[B * P];
        tmp = new float[P];
        lrPatch = new float[B * inSide * inSide];
        if (video) {
            scenes = new MovingShapes[B];
            time = new int[B];
            left = new int[B];
            orient = new int[B];
            prevOut = new float[B * P];
            first = new boolean[B];
            for (int b = 0; b < B; b++) {
                restart(b);
                left[b] = 1 + rng.nextInt(cfg.sequence); // staggered ages
            }
        }
    }

    /** A denoiser trained on patches of images (val: full images, fixed noise). */
    public static FrameTrainer images(FrameModel model, List<GreyImage> train, List<GreyImage> val, Config cfg, TrainingLog log) {
        if (model.recurrent()) {
            throw new IllegalArgumentException("a recurrent denoiser trains on video (MovingShapes), not on still images");
        }
        return new FrameTrainer(model, train, val, false, cfg, log);
    }

    /** A denoiser (recurrent or not) trained on MovingShapes video streams. */
    public static FrameTrainer video(FrameDenoiser model, Config cfg, TrainingLog log) {
        return new FrameTrainer(model, List.of(), List.of(), true, cfg, log);
    }

    /** Seeds of the validation videos (disjoint from training scenes, which draw seeds below 2^40). */
    public static long validationSeed(int i) {
        return (1L << 41) + 1000L * i;
    }

    private void restart(int b) {
        scenes[b] = new MovingShapes(cfg.videoSide, rng.nextLong() & ((1L << 40) - 1));
        time[b] = rng.nextInt(2000);
        left[b] = cfg.sequence;
        orient[b] = rng.nextInt(8);
        first[b] = true;
    }

    public Result train() {
        Result r = new Result();
        long start = System.nanoTime();
        float[][] best = null;
        int sinceBest = 0;
        double lossSum = 0;
        long lossCount = 0;
        long lastDraw = 0;
        int B = cfg.batch;
        int P = side * side;
        Nchw inShape = new Nchw(B, inC, inSide, inSide);
        for (Param p : params) {
            p.zeroGrad();
        }
        long it = 0;
        while (true) {
            double elapsed = (System.nanoTime() - start) / 1e9;
            double frac = Math.max(it / (double) cfg.maxIterations, elapsed / cfg.maxSeconds);
            if (it >= cfg.maxIterations || elapsed >= cfg.maxSeconds) {
                break;
            }
            if (cfg.cosine) {
                opt.setLearningRate((float) (cfg.lrMin + 0.5 * (cfg.lr - cfg.lrMin) * (1 + Math.cos(Math.PI * Math.min(1, frac)))));
            }
            fillBatch();
            float[] out = body.forward(x, inShape);
            // loss = mean (r - target)^2;  dr = 2 (r - target) / (B P)
            double loss = 0;
            float k = 2f / (B * P);
            for (int i = 0; i < B * P; i++) {
                float d = out[i] - target[i];
                loss += d * d;
                dr[i] = k * d;
            }
            loss /= B * P;
            if (video && inC == 2) {
                // the output served for this frame becomes the stream's state: clip(noisy - r)
                for (int i = 0; i < B * P; i++) {
                    float v = base[i] - out[i];
                    prevOut[i] = v < 0f ? 0f : v > 1f ? 1f : v;
                }
            }
            body.backward(dr);
            opt.step();
            for (Param p : params) {
                p.zeroGrad();
            }
            it++;
            lossSum += loss;
            lossCount++;
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("training diverged at iteration " + it + " (loss " + loss + ")");
            }
            boolean evalNow = cfg.evalEvery > 0 && it % cfg.evalEvery == 0;
            long now = System.nanoTime();
            if (evalNow) {
                double psnr = validate();
                r.curve.add(new double[] {it, psnr});
                double secs = (now - start) / 1e9;
                double train = lossSum / lossCount;
                r.trainLoss = train;
                lossSum = 0;
                lossCount = 0;
                boolean improved = Double.isNaN(r.bestValPsnr) || psnr > r.bestValPsnr;
                if (improved) {
                    r.bestValPsnr = psnr;
                    r.bestIteration = it;
                    best = snapshot(best);
                    sinceBest = 0;
                } else {
                    sinceBest++;
                }
                java.util.Map<String, Object> extra = new java.util.LinkedHashMap<>();
                extra.put("val_psnr", round(psnr));
                extra.put("best_val_psnr", round(r.bestValPsnr));
                extra.put("lr", opt.learningRate());
                extra.put("patches", it * B);
                extra.put("patches_per_s", Math.round(it * B / secs * 10) / 10.0);
                log.record(it, train, extra);
                log.progress(frac, String.format(Locale.ROOT, "it %d  loss %.3e  val %.2f dB (best %.2f at %d)  %.0f patches/s  lr %.1e",
                        it, train, psnr, r.bestValPsnr, r.bestIteration, it * B / secs, opt.learningRate()), true);
                if (cfg.patience > 0 && sinceBest >= cfg.patience) {
                    r.stoppedEarly = true;
                    break;
                }
            } else if (now - lastDraw > 500_000_000L) {
                lastDraw = now;
                double secs = (now - start) / 1e9;
                log.progress(frac, String.format(Locale.ROOT, "it %d  loss %.3e  %.0f patches/s", it, loss, it * B / secs), false);
            }
        }
        r.iterations = it;
        r.patches = it * B;
        r.seconds = (System.nanoTime() - start) / 1e9;
        r.patchesPerSecond = r.patches / Math.max(1e-9, r.seconds);
        if (lossCount > 0) {
            r.trainLoss = lossSum / lossCount;
        }
        if (cfg.evalEvery > 0) {
            double last = r.curve.isEmpty() || r.curve.get(r.curve.size() - 1)[0] != it ? validate() : r.curve.get(r.curve.size() - 1)[1];
            if (Double.isNaN(r.bestValPsnr) || last > r.bestValPsnr) {
                r.bestValPsnr = last;
                r.bestIteration = it;
                best = null;
            }
            if (best != null) {
                restore(best);
            }
            r.finalValPsnr = best != null ? validate() : last;
        }
        return r;
    }

    private float[][] snapshot(float[][] into) {
        float[][] s = into != null ? into : new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            if (s[i] == null) {
                s[i] = new float[p.size()];
            }
            System.arraycopy(p.w(), 0, s[i], 0, p.size());
        }
        return s;
    }

    private void restore(float[][] s) {
        for (int i = 0; i < params.size(); i++) {
            params.get(i).set(s[i]);
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    // ---- batches ----

    private void fillBatch() {
        int B = cfg.batch;
        int P = side * side;
        int s = model.scale();
        if (video) {
            for (int b = 0; b < B; b++) {
                if (left[b] == 0) {
                    restart(b);
                }
                scenes[b].frame(time[b], tmp, 0);
                dihedral(tmp, side, 0, 0, side, side, orient[b], clean, b * P);
                time[b]++;
                left[b]--;
            }
            noise(clean, base, B * P);
            for (int b = 0; b < B; b++) {
                if (inC == 2 && first[b]) {
                    System.arraycopy(base, b * P, prevOut, b * P, P);
                }
                first[b] = false;
            }
            FrameDenoiser.inputs(base, prevOut, B, P, inC, x);
            for (int i = 0; i < B * P; i++) {
                target[i] = base[i] - clean[i];
            }
            return;
        }
        for (int b = 0; b < B; b++) {
            int k = rng.nextInt(train.size());
            GreyImage hr = train.get(k);
            int o = rng.nextInt(8);
            int x0 = s * rng.nextInt((hr.width() - side) / s + 1);
            int y0 = s * rng.nextInt((hr.height() - side) / s + 1);
            dihedral(hr.pixels(), hr.width(), x0, y0, side, side, o, clean, b * P);
            if (s > 1) {
                GreyImage up = trainUp.get(k);
                dihedral(up.pixels(), up.width(), x0, y0, side, side, o, base, b * P);
                if (inSide != side) {
                    GreyImage lo = trainLr.get(k);
                    int q = inSide;
                    dihedral(lo.pixels(), lo.width(), x0 / s, y0 / s, q, q, o, lrPatch, b * q * q);
                }
            }
        }
        if (s == 1) {
            noise(clean, base, B * P);
            System.arraycopy(base, 0, x, 0, B * P);
            for (int i = 0; i < B * P; i++) {
                target[i] = base[i] - clean[i];
            }
        } else {
            System.arraycopy(inSide != side ? lrPatch : base, 0, x, 0, B * inSide * inSide);
            for (int i = 0; i < B * P; i++) {
                target[i] = clean[i] - base[i];
            }
        }
    }

    private void noise(float[] c, float[] out, int n) {
        ImageNoise.apply(spec.noiseModel, spec.noiseSigma, spec.noiseAmount, spec.noiseClip, c, 0, n, out, 0, rng);
    }

    /**
     * dst[off + (y, x)] = the w x h patch of src (row stride sw) at (x0, y0) under orientation o
     * (bit 0: mirror left-right, bit 1: mirror top-bottom, bit 2: transpose; the 8 symmetries of
     * the square). With a transpose, w must equal h.
     */
    static void dihedral(float[] src, int sw, int x0, int y0, int w, int h, int o, float[] dst, int off) {
        boolean fx = (o & 1) != 0;
        boolean fy = (o & 2) != 0;
        boolean tr = (o & 4) != 0 && w == h;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int u = tr ? y : x;
                int v = tr ? x : y;
                if (fx) {
                    u = w - 1 - u;
                }
                if (fy) {
                    v = h - 1 - v;
                }
                dst[off + y * w + x] = src[(y0 + v) * sw + x0 + u];
            }
        }
    }

    // ---- validation ----

    private float[][] valNoisy;       // fixed noisy (denoiser) or LR (super-resolver) validation inputs
    private float[][] valClean;

    /** Mean PSNR (dB, peak 1) over the validation images or videos, with fixed noise (seed from cfg.seed). */
    public double validate() {
        if (video) {
            return validateVideo(model, spec, cfg.videoSide, cfg.valStreams, cfg.valFrames, cfg.seed);
        }
        int s = model.scale();
        if (valNoisy == null) {
            valNoisy = new float[val.size()][];
            valClean = new float[val.size()][];
            Rng vr = new Rng(cfg.seed ^ 0x5EEDFACEL);
            for (int i = 0; i < val.size(); i++) {
                GreyImage g = val.get(i);
                int w = g.width() - g.width() % s;
                int h = g.height() - g.height() % s;
                GreyImage hr = g.crop(0, 0, w, h);
                valClean[i] = hr.pixels();
                if (s == 1) {
                    valNoisy[i] = new float[w * h];
                    ImageNoise.apply(spec.noiseModel, spec.noiseSigma, spec.noiseAmount, spec.noiseClip,
                            hr.pixels(), 0, w * h, valNoisy[i], 0, vr);
                } else {
                    valNoisy[i] = Resize.bicubic(hr, w / s, h / s).pixels();
                }
            }
        }
        if (val.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 0; i < val.size(); i++) {
            GreyImage g = val.get(i);
            int w = (g.width() - g.width() % s) / s;
            int h = (g.height() - g.height() % s) / s;
            float[] out = new float[w * h * s * s];
            model.apply(valNoisy[i], 1, h, w, null, out);
            sum += psnr(out, valClean[i], w * s, h * s, s == 1 ? 0 : s);
        }
        return sum / val.size();
    }

    /**
     * Mean PSNR of a denoiser over {@code streams} held-out MovingShapes videos of {@code frames}
     * frames (scene seeds {@link #validationSeed}, Gaussian noise of the model's spec seeded by
     * {@code seed}), run as streams: a recurrent model gets each stream's previous output.
     */
    public static double validateVideo(FrameModel m, FrameSpec spec, int side, int streams, int frames, long seed) {
        int P = side * side;
        MovingShapes[] v = new MovingShapes[streams];
        for (int i = 0; i < streams; i++) {
            v[i] = new MovingShapes(side, validationSeed(i));
        }
        Rng nr = new Rng(seed ^ 0x71DE0L);
        float[] c = new float[streams * P];
        float[] noisy = new float[streams * P];
        float[] prev = new float[streams * P];
        float[] out = new float[streams * P];
        double sum = 0;
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < streams; i++) {
                v[i].frame(t, c, i * P);
            }
            ImageNoise.apply(spec.noiseModel, spec.noiseSigma, spec.noiseAmount, spec.noiseClip, c, 0, streams * P, noisy, 0, nr);
            if (t == 0) {
                System.arraycopy(noisy, 0, prev, 0, streams * P);
            }
            m.apply(noisy, streams, side, side, prev, out);
            System.arraycopy(out, 0, prev, 0, streams * P);
            for (int i = 0; i < streams; i++) {
                sum += psnr(java.util.Arrays.copyOfRange(out, i * P, (i + 1) * P), java.util.Arrays.copyOfRange(c, i * P, (i + 1) * P), side, side, 0);
            }
        }
        return sum / (streams * frames);
    }

    /** 10 log10(1 / MSE) over the w x h image without a border of {@code border} pixels. */
    public static double psnr(float[] a, float[] b, int w, int h, int border) {
        double se = 0;
        long n = 0;
        for (int y = border; y < h - border; y++) {
            for (int x = border; x < w - border; x++) {
                double d = a[y * w + x] - b[y * w + x];
                se += d * d;
                n++;
            }
        }
        return 10 * Math.log10(n / Math.max(se, 1e-20));
    }

    /** Unused-buffer guard: the batch arrays are sized once; exposed for tests of no per-step growth. */
    int bufferFloats() {
        return x.length + base.length + clean.length + target.length + dr.length + tmp.length + lrPatch.length;
    }

    static float[] grow(float[] a, int n) {
        return Layer.grow(a, n);
    }
}
