package io.nowcast.train;

import io.nowcast.data.GreyImage;
import io.nowcast.data.ImageNoise;
import io.nowcast.data.Resize;
import io.nowcast.data.synthetic.MovingShapes;
import io.nowcast.nn.Nchw;
import io.nowcast.nn.Param;
import io.nowcast.nn.Sequential;
import io.nowcast.tensor.Rng;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleSupplier;

/**
 * Trains the network of a frame model (io.nowcast.model's FrameDenoiser and SuperResolver: a
 * {@link Sequential} of convolutions, described here by a {@link Setup}) with Adam on the mean
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
 *
 * <p>With {@code workers} W > 1 the batch is split among W threads (data parallel): worker j runs
 * the forward and backward of frames [B j / W, B (j + 1) / W) on its own replica of the network
 * (its own buffers; the weights copied from the trained network before every iteration), the
 * replicas' gradients are summed in a fixed order and one Adam step is taken. The loss and its
 * gradient are the same as with one worker (the sums differ only in rounding), so W changes the
 * speed, not the method. Each worker should have one BLAS thread ({@code OPENBLAS_NUM_THREADS=1}).
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
        /** Threads the batch is split among (data parallel); more than 1 needs {@link #replica}. */
        public int workers = 1;
        /** Builds another network of the same architecture (weights are copied in), for workers > 1. */
        public java.util.function.Supplier<Sequential> replica;
    }

    /**
     * What the network is for: input channels (2: noisy frame and the stream's previous output),
     * the scale (1 for a denoiser), whether it runs at the low resolution and ends in a pixel
     * shuffle, and the training noise ({@link ImageNoise}; "none" for a plain super-resolver).
     */
    public record Setup(int inChannels, int scale, boolean learnedUpsampling, String noise, float sigma, float amount,
                        boolean clip) {
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

    private final Sequential body;
    private final Setup setup;
    private final DoubleSupplier validation;
    private final Config cfg;
    private final TrainingLog log;
    private final Optimizer opt;
    private final List<Param> params;
    private final Rng rng;

    // ---- data ----
    private final List<GreyImage> train;     // images; the HR images for a super-resolver
    private final List<GreyImage> trainLr;   // super-resolver: bicubic downscale of each
    private final List<GreyImage> trainUp;   // super-resolver: bicubic upscale of trainLr
    private final boolean video;

    // ---- batch buffers (allocated once) ----
    private final int side;       // output side of a training frame (patch, or the video side)
    private final int inSide;     // network input side
    private final int inC;
    private float[] x;            // (B, inC, inSide, inSide): the network's input
    private float[] base;         // (B, side, side): noisy (denoiser) or bicubic (SR): the output is base - r or base + r
    private float[] clean;        // (B, side, side)
    private float[] target;       // (B, side, side): the residual the network should output
    private float[] tmp;          // one patch
    private float[] lrPatch;      // super-resolver pixel-shuffle: (B, 1, q, q)

    // ---- video streams ----
    private MovingShapes[] scenes;
    private int[] time;
    private int[] left;
    private int[] orient;
    private float[] prevOut;      // (B, side, side): each stream's previous output
    private boolean[] first;

    // ---- data-parallel workers: worker 0 is the trained network itself ----
    private final Sequential[] nets;
    private final List<List<Param>> netParams;
    private final int[] lo;       // worker j: frames [lo[j], lo[j + 1])
    private final float[][] xs;   // worker j's input (worker 0 reads x itself)
    private final float[][] drs;  // worker j's output gradient
    private final double[] losses;
    private java.util.concurrent.ExecutorService pool;  // workers 1.. (null with one worker), during train()

    private FrameTrainer(Sequential body, Setup setup, List<GreyImage> train, DoubleSupplier validation, boolean video,
                         Config cfg, TrainingLog log) {
        this.body = body;
        this.setup = setup;
        this.validation = validation;
        this.cfg = cfg;
        this.log = log;
        this.params = body.params();
        this.opt = new Optimizer.Adam(params, cfg.lr, 0.9f, 0.999f, 1e-8f, 0f, false);
        this.rng = new Rng(cfg.seed);
        this.video = video;
        int s = setup.scale();
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
        boolean shuffle = s > 1 && setup.learnedUpsampling();
        inSide = shuffle ? side / s : side;
        inC = setup.inChannels();
        int B = cfg.batch;
        int P = side * side;
        x = new float[B * inC * inSide * inSide];
        base = new float[B * P];
        clean = new float[B * P];
        target = new float[B * P];
        tmp = new float[P];
        lrPatch = new float[B * inSide * inSide];
        int W = cfg.workers;
        if (W < 1 || W > B) {
            throw new IllegalArgumentException("workers " + W + ": expected 1 to the batch size (" + B + ")");
        }
        if (W > 1 && cfg.replica == null) {
            throw new IllegalArgumentException("workers " + W + " need a way to build replicas of the network");
        }
        nets = new Sequential[W];
        netParams = new ArrayList<>();
        lo = new int[W + 1];
        xs = new float[W][];
        drs = new float[W][];
        losses = new double[W];
        int frameIn = inC * inSide * inSide;
        for (int j = 0; j < W; j++) {
            lo[j + 1] = (int) ((long) B * (j + 1) / W);
            nets[j] = j == 0 ? body : cfg.replica.get();
            List<Param> ps = nets[j].params();
            if (ps.size() != params.size()) {
                throw new IllegalArgumentException("a replica has " + ps.size() + " parameters, the network " + params.size());
            }
            for (int i = 0; i < ps.size(); i++) {
                if (!java.util.Arrays.equals(ps.get(i).shape(), params.get(i).shape())) {
                    throw new IllegalArgumentException("a replica's " + ps.get(i).name + " is not shaped as the network's");
                }
            }
            netParams.add(ps);
            int n = lo[j + 1] - lo[j];
            xs[j] = j == 0 ? x : new float[n * frameIn];
            drs[j] = new float[n * P];
        }
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

    /** A denoiser or super-resolver trained on patches of images; validation may be null (no validation). */
    public static FrameTrainer images(Sequential body, Setup setup, List<GreyImage> train, DoubleSupplier validation,
                                      Config cfg, TrainingLog log) {
        if (setup.inChannels() != 1) {
            throw new IllegalArgumentException("a recurrent denoiser trains on video (MovingShapes), not on still images");
        }
        return new FrameTrainer(body, setup, train, validation, false, cfg, log);
    }

    /** A denoiser (recurrent or not) trained on MovingShapes video streams. */
    public static FrameTrainer video(Sequential body, Setup setup, DoubleSupplier validation, Config cfg, TrainingLog log) {
        if (setup.scale() != 1) {
            throw new IllegalArgumentException("video training is for denoisers");
        }
        return new FrameTrainer(body, setup, List.of(), validation, true, cfg, log);
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
        for (List<Param> ps : netParams) {
            for (Param p : ps) {
                p.zeroGrad();
            }
        }
        pool = nets.length == 1 ? null
                : java.util.concurrent.Executors.newFixedThreadPool(nets.length - 1, task -> {
                    Thread t = new Thread(task, "frame-trainer-worker");
                    t.setDaemon(true);
                    return t;
                });
        try {
            return loop(r, start);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    /**
     * The forward and backward of this batch, split among the workers; the summed gradient ends in
     * the trained network's parameters. Returns the batch's mean squared error.
     */
    private double step() {
        int W = nets.length;
        if (W == 1) {
            return work(0);
        }
        for (int j = 1; j < W; j++) {
            List<Param> ps = netParams.get(j);
            for (int i = 0; i < ps.size(); i++) {
                System.arraycopy(params.get(i).w(), 0, ps.get(i).w(), 0, params.get(i).size());
            }
        }
        List<java.util.concurrent.Future<Double>> fs = new ArrayList<>();
        for (int j = 1; j < W; j++) {
            int jj = j;
            fs.add(pool.submit(() -> work(jj)));
        }
        double loss = work(0);
        try {
            for (var f : fs) {
                loss += f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
        for (int j = 1; j < W; j++) {
            List<Param> ps = netParams.get(j);
            for (int i = 0; i < ps.size(); i++) {
                float[] g = params.get(i).g();
                float[] gj = ps.get(i).g();
                for (int k = 0, n = params.get(i).size(); k < n; k++) {
                    g[k] += gj[k];
                }
            }
        }
        return loss;
    }

    /** Worker j: forward and backward of its frames; returns its share of the mean squared error. */
    private double work(int j) {
        int B = cfg.batch;
        int P = side * side;
        int b0 = lo[j];
        int n = lo[j + 1] - b0;
        int frameIn = inC * inSide * inSide;
        if (j > 0) {
            System.arraycopy(x, b0 * frameIn, xs[j], 0, n * frameIn);
        }
        float[] out = nets[j].forward(xs[j], new Nchw(n, inC, inSide, inSide));
        // loss = mean (r - target)^2 over the whole batch;  dr = 2 (r - target) / (B P)
        double loss = 0;
        float k = 2f / (B * P);
        float[] dr = drs[j];
        int t0 = b0 * P;
        for (int i = 0; i < n * P; i++) {
            float d = out[i] - target[t0 + i];
            loss += d * d;
            dr[i] = k * d;
        }
        if (video && inC == 2) {
            // the output served for this frame becomes the stream's state: clip(noisy - r)
            for (int i = 0; i < n * P; i++) {
                float v = base[t0 + i] - out[i];
                prevOut[t0 + i] = v < 0f ? 0f : v > 1f ? 1f : v;
            }
        }
        nets[j].backward(dr);
        return loss / ((double) B * P);
    }

    private Result loop(Result r, long start) {
        EarlyStopping stopping = new EarlyStopping(params, cfg.patience, true, true);
        double lossSum = 0;
        long lossCount = 0;
        long lastDraw = 0;
        int B = cfg.batch;
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
            double loss = step();
            opt.step();
            for (List<Param> ps : netParams) {
                for (Param p : ps) {
                    p.zeroGrad();
                }
            }
            it++;
            lossSum += loss;
            lossCount++;
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("training diverged at iteration " + it + " (loss " + loss + ")");
            }
            boolean evalNow = cfg.evalEvery > 0 && validation != null && it % cfg.evalEvery == 0;
            long now = System.nanoTime();
            if (evalNow) {
                double psnr = validate();
                r.curve.add(new double[] {it, psnr});
                double secs = (now - start) / 1e9;
                double train = lossSum / lossCount;
                r.trainLoss = train;
                lossSum = 0;
                lossCount = 0;
                if (stopping.offer(psnr, it)) {
                    r.bestValPsnr = psnr;
                    r.bestIteration = it;
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
                if (stopping.shouldStop()) {
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
        if (cfg.evalEvery > 0 && validation != null) {
            double last = r.curve.isEmpty() || r.curve.get(r.curve.size() - 1)[0] != it ? validate() : r.curve.get(r.curve.size() - 1)[1];
            if (stopping.offer(last, it)) {
                // the last weights are the best: nothing to put back
                r.bestValPsnr = last;
                r.bestIteration = it;
                stopping.forgetWeights();
            }
            r.finalValPsnr = stopping.restore() ? validate() : last;
        }
        return r;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    // ---- batches ----

    private void fillBatch() {
        int B = cfg.batch;
        int P = side * side;
        int s = setup.scale();
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
            // x (B, inC, P) = [noisy_b, prev_b] per frame, or the noisy frames
            for (int b = 0; b < B; b++) {
                System.arraycopy(base, b * P, x, b * inC * P, P);
                if (inC == 2) {
                    System.arraycopy(prevOut, b * P, x, b * inC * P + P, P);
                }
            }
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
        ImageNoise.apply(setup.noise(), setup.sigma(), setup.amount(), setup.clip(), c, 0, n, out, 0, rng);
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

    /** The caller's validation PSNR (NaN without one). */
    public double validate() {
        return validation == null ? Double.NaN : validation.getAsDouble();
    }
}
