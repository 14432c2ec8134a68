package io.nowcast.run.train;

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
import io.nowcast.run.BlasThreads;
import io.nowcast.run.Provenance;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import io.nowcast.train.FrameTrainer;
import io.nowcast.train.TrainingLog;

import java.io.IOException;
import java.io.PrintWriter;
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
public final class FrameTraining {
    static final String SYNTHETIC = "synthetic:moving-shapes";

    /** Options of {@code nowcast train} that the frame kinds read; any other given option is refused. */
    private static final Set<String> SHARED = Set.of("--kind", "--data", "--noise", "--sigma", "--amount", "--layers",
            "--lr", "--iterations", "--minutes", "--eval-every", "--patience", "--seed", "--log", "--quiet", "--out",
            "--name", "--note", "--data-origin", "--val-fraction");
    private static final Set<String> OWN = Set.of("--channels", "--patch", "--batch", "--clip-noise", "--scale",
            "--upsampling", "--recurrent", "--sequence", "--lr-schedule", "--val", "--dilations", "--workers");

    private FrameTraining() {
    }

    public static boolean isFrameKind(String kind) {
        ModelKind k = ModelKind.parse(kind);
        return k != null && k.isFrame();
    }

    /** Another kind was asked for: the frame options must not be silently ignored. */
    public static void refuseOptions(TrainOptions c) {
        for (String o : OWN) {
            if (c.given(o)) {
                throw new IllegalArgumentException(o + " is for --kind frame-denoiser or super-resolver, not " + c.kind());
            }
        }
    }

    public static int train(TrainOptions c, SeriesDenoiserOptions s, FrameOptions o, Provenance provenance,
                            PrintWriter progress) throws Exception {
        ModelKind kind = ModelKind.parse(c.kind());
        for (String n : c.given()) {
            if (!SHARED.contains(n) && !OWN.contains(n) && !n.equals("--help") && !n.equals("--version")) {
                throw new IllegalArgumentException(n + " does not apply to --kind " + c.kind() + " (it reads "
                        + new java.util.TreeSet<>(SHARED) + " and " + new java.util.TreeSet<>(OWN) + ")");
            }
        }
        boolean sr = kind == ModelKind.SUPER_RESOLVER;
        if (sr && (o.recurrent() || c.given("--sequence"))) {
            throw new IllegalArgumentException("--recurrent and --sequence are for --kind frame-denoiser");
        }
        if (!sr && (c.given("--scale") || c.given("--upsampling"))) {
            throw new IllegalArgumentException("--scale and --upsampling are for --kind super-resolver");
        }
        boolean video = SYNTHETIC.equals(c.data().toString());
        if (o.recurrent() && !video) {
            throw new IllegalArgumentException("--recurrent trains on video: --data " + SYNTHETIC);
        }
        if (video && sr) {
            throw new IllegalArgumentException("--data " + SYNTHETIC + " is for --kind frame-denoiser");
        }
        int layers = c.given("--layers") ? c.layers() : 8;
        FrameSpec spec = sr ? FrameSpec.superResolver(layers, o.channels(), o.scale(), o.upsampling())
                : FrameSpec.denoiser(layers, o.channels(), o.recurrent());
        if (!sr || c.given("--noise") || c.given("--sigma") || c.given("--amount")) {
            spec.noiseModel = s.noise();
            spec.noiseSigma = c.given("--sigma") ? s.sigma() : "gaussian".equals(spec.noiseModel) ? 25f : 0f;
            spec.noiseAmount = s.amount();
            String p = ImageNoise.check(spec.noiseModel, spec.noiseSigma, spec.noiseAmount);
            if (p != null) {
                throw new IllegalArgumentException("--noise/--sigma/--amount: " + p);
            }
        }
        spec.noiseClip = o.clipNoise();
        spec.dilations = o.dilations();
        spec.name = c.name() != null ? c.name() : Training.baseName(c.out());
        String problem = spec.problem();
        if (problem != null && problem.startsWith("architecture.dilations")) {
            throw new IllegalArgumentException("--dilations (for --layers " + layers + "): "
                    + problem.substring("architecture.dilations: ".length()));
        }
        if (problem != null) {
            throw new IllegalArgumentException("the model asked for is not consistent: " + problem);
        }
        if (!o.lrSchedule().equals("cosine") && !o.lrSchedule().equals("constant")) {
            throw new IllegalArgumentException("--lr-schedule: expected cosine or constant, found " + o.lrSchedule());
        }
        if (o.batch() < 1 || o.patch() < 4 || o.sequence() < 1) {
            throw new IllegalArgumentException("--batch and --sequence must be >= 1 and --patch >= 4");
        }
        refuseTestSet(c.data(), "--data");
        if (o.val() != null) {
            refuseTestSet(o.val(), "--val");
        }

        FrameTrainer.Config cfg = new FrameTrainer.Config();
        cfg.patch = o.patch();
        cfg.batch = o.batch();
        cfg.lr = c.given("--lr") ? c.lr() : 1e-3f;
        cfg.cosine = o.lrSchedule().equals("cosine");
        cfg.maxSeconds = c.minutes() > 0 ? c.minutes() * 60 : Double.POSITIVE_INFINITY;
        cfg.maxIterations = c.given("--iterations") || c.minutes() <= 0 ? c.iterations() : Long.MAX_VALUE;
        cfg.evalEvery = c.given("--eval-every") ? c.evalEvery() : 250;
        cfg.patience = c.patience();
        cfg.seed = c.seed();
        cfg.sequence = o.sequence();
        cfg.workers = o.workers();
        if (o.workers() < 1 || o.workers() > o.batch()) {
            throw new IllegalArgumentException("--workers: expected 1 to --batch (" + o.batch() + "), found " + o.workers());
        }
        if (o.workers() > 1 && BlasThreads.fromEnvironment() > 1 && Gemms.create().name().equals("blas-native")) {
            progress.println("note: --workers " + o.workers() + " with a native BLAS of " + BlasThreads.fromEnvironment()
                    + " threads: every worker's products would use them all; set " + BlasThreads.VAR + "=1");
        }
        cfg.replica = sr ? () -> SuperResolver.network(spec, Gemms.create()) : () -> FrameDenoiser.network(spec, Gemms.create());

        Rng init = new Rng(c.seed());
        long weightSeed = init.nextLong();
        cfg.seed = init.nextLong();
        FrameModel model = sr ? SuperResolver.random(spec, weightSeed, Gemms.create())
                : FrameDenoiser.random(spec, weightSeed, Gemms.create());

        Map<String, Object> prov = provenance.withoutData();
        Map<String, Object> data = new LinkedHashMap<>();
        List<GreyImage> train = new ArrayList<>();
        List<GreyImage> val = new ArrayList<>();
        List<String> valNames = new ArrayList<>();
        if (video) {
            data.put("source", SYNTHETIC);
            data.put("frames", cfg.videoSide + "x" + cfg.videoSide);
            data.put("validation", cfg.valStreams + " held-out scenes x " + cfg.valFrames + " frames");
        } else if (Files.isRegularFile(c.data())) {
            List<GreyImage> all = Images.readIdx(c.data());
            data.put("file", c.data().getFileName().toString());
            data.put("bytes", Files.size(c.data()));
            data.put("sha256", Provenance.sha256(c.data()));
            data.put("images", all.size());
            split(all, null, o.val(), c, train, val, valNames);
        } else {
            List<Path> files = Images.listFolder(c.data());
            List<GreyImage> all = new ArrayList<>();
            for (Path f : files) {
                all.add(Images.read(f));
            }
            data.put("folder", c.data().toAbsolutePath().normalize().toString());
            data.put("images", files.size());
            data.put("sha256", folderHash(files));
            data.put("hash", "sha256 of the sorted lines '<file name> <sha256 of the file>'");
            split(all, files, o.val(), c, train, val, valNames);
        }
        if (provenance.dataOrigin() != null) {
            data.put("origin", provenance.dataOrigin());
        }
        if (!video) {
            data.put("training_images", train.size());
            if (o.val() != null) {
                data.put("validation_folder", o.val().toAbsolutePath().normalize().toString());
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
                video ? cfg.videoSide + "x" + cfg.videoSide + " video frames" : o.patch() + "x" + o.patch() + " patches",
                cfg.cosine ? "cosine" : "constant", cfg.lr, Gemms.create().name(),
                cfg.workers > 1 ? ", " + cfg.workers + " workers" : "");
        FrameTrainer.Result r;
        try (TrainingLog tl = Training.log(c, progress)) {
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
        if (provenance.note() != null) {
            prov.put("note", provenance.note());
        }
        spec.provenance = prov;
        FrameModels.save(model, c.out());
        progress.println("wrote " + c.out());
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
    private static void split(List<GreyImage> all, List<Path> files, Path valFolder, TrainOptions c, List<GreyImage> train,
                              List<GreyImage> val, List<String> valNames) throws IOException {
        if (valFolder != null) {
            train.addAll(all);
            val.addAll(Images.readFolder(valFolder));
            return;
        }
        double share = c.given("--val-fraction") ? c.valFraction() : 0.05;
        int nVal = share > 0 ? Math.max(1, (int) Math.round(all.size() * share)) : 0;
        if (all.size() - nVal < 1) {
            throw new IllegalArgumentException("--val-fraction " + share + " of " + all.size()
                    + " images leaves no training or no validation image");
        }
        int[] idx = new int[all.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Rng r = new Rng(c.seed() ^ 0x4A1DL);
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
