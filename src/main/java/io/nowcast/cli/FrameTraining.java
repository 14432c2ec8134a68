package io.nowcast.cli;

import io.nowcast.data.GreyImage;
import io.nowcast.data.ImageNoise;
import io.nowcast.data.Images;
import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameModels;
import io.nowcast.model.FrameSpec;
import io.nowcast.model.FrameValidation;
import io.nowcast.model.ModelKind;
import io.nowcast.model.SuperResolver;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import io.nowcast.train.FrameTrainer;
import io.nowcast.train.TrainingLog;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code nowcast train --kind frame-denoiser|super-resolver}: a convolutional frame model trained
 * by {@link FrameTrainer} on random patches of a folder of images (or an IDX file), or for a
 * denoiser on the synthetic moving-shape video ({@code --data synthetic:moving-shapes}, which a
 * {@code --recurrent} denoiser needs: its state is the stream's previous output). Validation: the
 * images of {@code --val FOLDER}, or a seeded share ({@code --val-fraction}, 5% unless given) of
 * the training images held out; for video, held-out seeded scenes. Set12 is the test set and is
 * refused as training or validation data.
 */
final class FrameTraining {
    static final String SYNTHETIC = "synthetic:moving-shapes";

    /** The options only the frame kinds read. */
    static final class Options {
        @Option(names = "--channels", defaultValue = "32", paramLabel = "C",
                description = "frame kinds: feature maps per hidden convolution (default: ${DEFAULT-VALUE})")
        int channels;

        @Option(names = "--patch", defaultValue = "40", paramLabel = "PIXELS",
                description = "frame kinds: side of the training patches (high resolution for a super-resolver;"
                        + " default: ${DEFAULT-VALUE})")
        int patch;

        @Option(names = "--batch", defaultValue = "16", paramLabel = "N",
                description = "frame kinds: patches (or video streams) per iteration (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--clip-noise",
                description = "frame kinds: clip the noisy input to [0, 1] (camera-like data)")
        boolean clipNoise;

        @Option(names = "--scale", defaultValue = "2", paramLabel = "2|3|4",
                description = "super-resolver: the factor (default: ${DEFAULT-VALUE})")
        int scale;

        @Option(names = "--upsampling", defaultValue = "bicubic", paramLabel = "bicubic|pixel-shuffle",
                description = "super-resolver: a residual network over the bicubic upscale, or convolutions at low"
                        + " resolution ending in a pixel shuffle (default: ${DEFAULT-VALUE})")
        String upsampling;

        @Option(names = "--recurrent",
                description = "frame-denoiser: the stream's previous output frame is a second input (video data only)")
        boolean recurrent;

        @Option(names = "--sequence", defaultValue = "16", paramLabel = "FRAMES",
                description = "frame-denoiser on video: frames per training stream before it restarts (default: ${DEFAULT-VALUE})")
        int sequence;

        @Option(names = "--lr-schedule", defaultValue = "cosine", paramLabel = "cosine|constant",
                description = "frame kinds: cosine decay of --lr to 1e-5 over the --minutes/--iterations budget, or a"
                        + " constant rate (default: ${DEFAULT-VALUE})")
        String lrSchedule;

        @Option(names = "--dilations", split = ",", paramLabel = "D1,D2,...",
                description = "frame kinds: the dilation of each convolution, one per layer (default: 1 each;"
                        + " e.g. 1,2,3,4,4,3,2,1 widens an 8-layer network's window from 17 to 41 pixels at the same cost)")
        int[] dilations;

        @Option(names = "--workers", defaultValue = "1", paramLabel = "N",
                description = "frame kinds: threads the batch is split among, each with its own copy of the network"
                        + " (data parallel; run with OPENBLAS_NUM_THREADS=1; default: ${DEFAULT-VALUE})")
        int workers;

        @Option(names = "--val", paramLabel = "FOLDER",
                description = "frame kinds: validation images (default: a held-out --val-fraction of --data)")
        Path val;
    }

    /** Options of TrainCommand that the frame kinds read; any other given option is refused. */
    private static final Set<String> SHARED = Set.of("--kind", "--data", "--noise", "--sigma", "--amount", "--layers",
            "--lr", "--iterations", "--minutes", "--eval-every", "--patience", "--seed", "--log", "--quiet", "--out",
            "--name", "--note", "--data-origin", "--val-fraction");
    private static final Set<String> OWN = Set.of("--channels", "--patch", "--batch", "--clip-noise", "--scale",
            "--upsampling", "--recurrent", "--sequence", "--lr-schedule", "--val", "--dilations", "--workers");

    private FrameTraining() {
    }

    static boolean isFrameKind(String kind) {
        ModelKind k = ModelKind.parse(kind);
        return k != null && k.isFrame();
    }

    /** Another kind was asked for: the frame options must not be silently ignored. */
    static void refuseOptions(ParseResult pr, String kind) {
        for (String o : OWN) {
            if (pr != null && pr.hasMatchedOption(o)) {
                throw new IllegalArgumentException(o + " is for --kind frame-denoiser or super-resolver, not " + kind);
            }
        }
    }

    static int train(TrainCommand c, Options o, ParseResult pr) throws Exception {
        ModelKind kind = ModelKind.parse(c.kind);
        for (var m : pr.matchedOptions()) {
            String n = m.longestName();
            if (!SHARED.contains(n) && !OWN.contains(n) && !n.equals("--help") && !n.equals("--version")) {
                throw new IllegalArgumentException(n + " does not apply to --kind " + c.kind + " (it reads "
                        + new java.util.TreeSet<>(SHARED) + " and " + new java.util.TreeSet<>(OWN) + ")");
            }
        }
        boolean sr = kind == ModelKind.SUPER_RESOLVER;
        if (sr && (o.recurrent || pr.hasMatchedOption("--sequence"))) {
            throw new IllegalArgumentException("--recurrent and --sequence are for --kind frame-denoiser");
        }
        if (!sr && (pr.hasMatchedOption("--scale") || pr.hasMatchedOption("--upsampling"))) {
            throw new IllegalArgumentException("--scale and --upsampling are for --kind super-resolver");
        }
        boolean video = SYNTHETIC.equals(c.data.toString());
        if (o.recurrent && !video) {
            throw new IllegalArgumentException("--recurrent trains on video: --data " + SYNTHETIC);
        }
        if (video && sr) {
            throw new IllegalArgumentException("--data " + SYNTHETIC + " is for --kind frame-denoiser");
        }
        int layers = pr.hasMatchedOption("--layers") ? c.layers : 8;
        FrameSpec spec = sr ? FrameSpec.superResolver(layers, o.channels, o.scale, o.upsampling)
                : FrameSpec.denoiser(layers, o.channels, o.recurrent);
        if (!sr || pr.hasMatchedOption("--noise") || pr.hasMatchedOption("--sigma") || pr.hasMatchedOption("--amount")) {
            spec.noiseModel = c.seriesDenoiser.noise;
            spec.noiseSigma = pr.hasMatchedOption("--sigma") ? c.seriesDenoiser.sigma : "gaussian".equals(spec.noiseModel) ? 25f : 0f;
            spec.noiseAmount = c.seriesDenoiser.amount;
            String p = ImageNoise.check(spec.noiseModel, spec.noiseSigma, spec.noiseAmount);
            if (p != null) {
                throw new IllegalArgumentException("--noise/--sigma/--amount: " + p);
            }
        }
        spec.noiseClip = o.clipNoise;
        spec.dilations = o.dilations;
        spec.name = c.name != null ? c.name : TrainCommand.baseName(c.out);
        String problem = spec.problem();
        if (problem != null && problem.startsWith("architecture.dilations")) {
            throw new IllegalArgumentException("--dilations (for --layers " + layers + "): "
                    + problem.substring("architecture.dilations: ".length()));
        }
        if (problem != null) {
            throw new IllegalArgumentException("the model asked for is not consistent: " + problem);
        }
        if (!o.lrSchedule.equals("cosine") && !o.lrSchedule.equals("constant")) {
            throw new IllegalArgumentException("--lr-schedule: expected cosine or constant, found " + o.lrSchedule);
        }
        if (o.batch < 1 || o.patch < 4 || o.sequence < 1) {
            throw new IllegalArgumentException("--batch and --sequence must be >= 1 and --patch >= 4");
        }
        refuseTestSet(c.data, "--data");
        if (o.val != null) {
            refuseTestSet(o.val, "--val");
        }

        FrameTrainer.Config cfg = new FrameTrainer.Config();
        cfg.patch = o.patch;
        cfg.batch = o.batch;
        cfg.lr = pr.hasMatchedOption("--lr") ? c.lr : 1e-3f;
        cfg.cosine = o.lrSchedule.equals("cosine");
        cfg.maxSeconds = c.minutes > 0 ? c.minutes * 60 : Double.POSITIVE_INFINITY;
        cfg.maxIterations = pr.hasMatchedOption("--iterations") || c.minutes <= 0 ? c.iterations : Long.MAX_VALUE;
        cfg.evalEvery = pr.hasMatchedOption("--eval-every") ? c.evalEvery : 250;
        cfg.patience = c.patience;
        cfg.seed = c.seed;
        cfg.sequence = o.sequence;
        cfg.workers = o.workers;
        if (o.workers < 1 || o.workers > o.batch) {
            throw new IllegalArgumentException("--workers: expected 1 to --batch (" + o.batch + "), found " + o.workers);
        }
        if (o.workers > 1 && BlasThreads.fromEnvironment() > 1 && Gemms.create().name().equals("blas-native")) {
            System.err.println("note: --workers " + o.workers + " with a native BLAS of " + BlasThreads.fromEnvironment()
                    + " threads: every worker's products would use them all; set " + BlasThreads.VAR + "=1");
        }
        cfg.replica = sr ? () -> SuperResolver.network(spec, Gemms.create()) : () -> FrameDenoiser.network(spec, Gemms.create());

        Rng init = new Rng(c.seed);
        long weightSeed = init.nextLong();
        cfg.seed = init.nextLong();
        FrameModel model = sr ? SuperResolver.random(spec, weightSeed, Gemms.create())
                : FrameDenoiser.random(spec, weightSeed, Gemms.create());

        Map<String, Object> prov = Provenance.of(null, c.seed);
        Map<String, Object> data = new LinkedHashMap<>();
        List<GreyImage> train = new ArrayList<>();
        List<GreyImage> val = new ArrayList<>();
        List<String> valNames = new ArrayList<>();
        if (video) {
            data.put("source", SYNTHETIC);
            data.put("frames", cfg.videoSide + "x" + cfg.videoSide);
            data.put("validation", cfg.valStreams + " held-out scenes x " + cfg.valFrames + " frames");
        } else if (Files.isRegularFile(c.data)) {
            List<GreyImage> all = Images.readIdx(c.data);
            data.put("file", c.data.getFileName().toString());
            data.put("bytes", Files.size(c.data));
            data.put("sha256", Provenance.sha256(c.data));
            data.put("images", all.size());
            split(all, null, o.val, c, train, val, valNames);
        } else {
            List<Path> files = Images.listFolder(c.data);
            List<GreyImage> all = new ArrayList<>();
            for (Path f : files) {
                all.add(Images.read(f));
            }
            data.put("folder", c.data.toAbsolutePath().normalize().toString());
            data.put("images", files.size());
            data.put("sha256", folderHash(files));
            data.put("hash", "sha256 of the sorted lines '<file name> <sha256 of the file>'");
            split(all, files, o.val, c, train, val, valNames);
        }
        if (c.dataOrigin != null) {
            data.put("origin", c.dataOrigin);
        }
        if (!video) {
            data.put("training_images", train.size());
            if (o.val != null) {
                data.put("validation_folder", o.val.toAbsolutePath().normalize().toString());
                data.put("validation_images", val.size());
            } else {
                data.put("validation_held_out", valNames);
            }
        }
        prov.put("data", data);

        String what = sr ? String.format(Locale.ROOT, "a x%d %s super-resolver", spec.scale, spec.upsampling)
                : String.format(Locale.ROOT, "a %sdenoiser of %s noise (sigma %.1f, amount %.2f%s)",
                        spec.recurrent() ? "recurrent " : "", spec.noiseModel, spec.noiseSigma, spec.noiseAmount,
                        spec.noiseClip ? ", clipped" : "");
        long nParams = model.body().params().stream().mapToLong(p -> p.size()).sum();
        String summary = String.format(Locale.ROOT, "training %s, %d layers x %d channels%s (%d parameters, window %dx%d) on %s,"
                        + " batches of %d %s, %s lr %.1e, gemm %s%s",
                what, spec.layers, spec.channels, spec.dilated() ? " dilated " + java.util.Arrays.toString(spec.dilations) : "",
                nParams, spec.receptiveField(), spec.receptiveField(),
                video ? SYNTHETIC : train.size() + " images (" + val.size() + " for validation)", cfg.batch,
                video ? cfg.videoSide + "x" + cfg.videoSide + " video frames" : o.patch + "x" + o.patch + " patches",
                cfg.cosine ? "cosine" : "constant", cfg.lr, Gemms.create().name(),
                cfg.workers > 1 ? ", " + cfg.workers + " workers" : "");
        FrameTrainer.Result r;
        try (TrainingLog tl = new TrainingLog(c.quiet ? null : System.err, !c.quiet && System.console() != null, c.log)) {
            tl.message(summary);
            FrameTrainer.Setup setup = new FrameTrainer.Setup(spec.inChannels, spec.scale,
                    spec.upsampling.equals("pixel-shuffle"), spec.noiseModel, spec.noiseSigma, spec.noiseAmount, spec.noiseClip);
            long valSeed = cfg.seed ^ 0x5EEDFACEL;
            FrameTrainer t = video
                    ? FrameTrainer.video(model.body(), setup,
                            FrameValidation.video(model, cfg.videoSide, cfg.valStreams, cfg.valFrames, valSeed), cfg, tl)
                    : FrameTrainer.images(model.body(), setup, train, FrameValidation.images(model, val, valSeed), cfg, tl);
            r = t.train();
            tl.message(String.format(Locale.ROOT, "done: %d iterations, %d patches in %.1f s (%.1f patches/s), train loss %.3e,"
                            + " validation PSNR %.3f dB (best at iteration %d)%s",
                    r.iterations, r.patches, r.seconds, r.patchesPerSecond, r.trainLoss, r.finalValPsnr,
                    r.bestIteration, r.stoppedEarly ? ", stopped early" : ""));
        }
        prov.put("iterations", r.iterations);
        prov.put("patches_seen", r.patches);
        prov.put("batch", cfg.batch);
        prov.put("patch", video ? cfg.videoSide : cfg.patch);
        if (video) {
            prov.put("sequence", cfg.sequence);
        }
        prov.put("lr", cfg.lr);
        prov.put("lr_schedule", cfg.cosine ? "cosine to 1e-5" : "constant");
        prov.put("minutes", Math.round(r.seconds / 60 * 100) / 100.0);
        prov.put("patches_per_s", Math.round(r.patchesPerSecond * 10) / 10.0);
        prov.put("best_iteration", r.bestIteration);
        prov.put("stopped_early", r.stoppedEarly);
        prov.put("train_loss", r.trainLoss);
        prov.put("val_psnr", Math.round(r.finalValPsnr * 1000) / 1000.0);
        if (c.note != null) {
            prov.put("note", c.note);
        }
        spec.provenance = prov;
        FrameModels.save(model, c.out);
        System.err.println("wrote " + c.out);
        return 0;
    }

    /** The test set is for evaluation only. */
    static void refuseTestSet(Path p, String option) {
        for (Path part : p.toAbsolutePath().normalize()) {
            if (part.toString().equalsIgnoreCase("Set12")) {
                throw new IllegalArgumentException(option + " " + p + ": Set12 is the test set; train and validate on"
                        + " other images (e.g. Train400 with a held-out share)");
            }
        }
    }

    /** --val FOLDER, or a seeded held-out share of the images (names recorded when known). */
    private static void split(List<GreyImage> all, List<Path> files, Path valFolder, TrainCommand c, List<GreyImage> train,
                              List<GreyImage> val, List<String> valNames) throws IOException {
        if (valFolder != null) {
            train.addAll(all);
            val.addAll(Images.readFolder(valFolder));
            return;
        }
        double share = c.valFractionGiven() ? c.valFraction : 0.05;
        int nVal = share > 0 ? Math.max(1, (int) Math.round(all.size() * share)) : 0;
        if (all.size() - nVal < 1) {
            throw new IllegalArgumentException("--val-fraction " + share + " of " + all.size()
                    + " images leaves no training or no validation image");
        }
        int[] idx = new int[all.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Rng r = new Rng(c.seed ^ 0x4A1DL);
        for (int i = idx.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        boolean[] isVal = new boolean[all.size()];
        for (int i = 0; i < nVal; i++) {
            isVal[idx[i]] = true;
        }
        for (int i = 0; i < all.size(); i++) {
            if (isVal[i]) {
                val.add(all.get(i));
                valNames.add(files != null ? files.get(i).getFileName().toString() : "image " + i);
            } else {
                train.add(all.get(i));
            }
        }
    }

    static String folderHash(List<Path> files) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path f : files) {
                md.update((f.getFileName() + " " + Provenance.sha256(f) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
