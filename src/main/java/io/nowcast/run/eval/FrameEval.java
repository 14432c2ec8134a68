package io.nowcast.run.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nowcast.data.GreyImage;
import io.nowcast.data.Images;
import io.nowcast.data.synthetic.MovingShapes;
import io.nowcast.eval.FrameScores;
import io.nowcast.eval.ImageBaselines;
import io.nowcast.eval.SelfEnsemble;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameModels;
import io.nowcast.tensor.Rng;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nowcast eval --task denoise|superres|video-denoise}: a frame model and the honest
 * baselines on the same inputs, PSNR and SSIM per image and on average.
 *
 * <ul>
 * <li>denoise: every image of a folder, Gaussian noise of sd {@code --sigma} (0-255 scale) from a
 * seeded generator (see {@link FrameScores}); the noisy input, the Gaussian blur and the median
 * filter at their best setting on the set, and the model (and its 8-fold self-ensemble on
 * request).</li>
 * <li>superres: HR = each image cropped (top left) to a multiple of the scale k, LR = its
 * bicubic downscale ({@link ImageBaselines#srPair}, MATLAB imresize's); bicubic upscaling of LR and the
 * super-resolver, scored against HR with k border pixels cropped.</li>
 * <li>video-denoise: the frames of one stream (a folder of frames, or the seeded synthetic moving
 * shapes), the same noise frame after frame; a recurrent model is fed its previous output (its
 * own input on the first frame), and a second model (the same network without state) runs
 * beside it.</li>
 * </ul>
 */
public final class FrameEval {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final long DEFAULT_SEED = 20261126L;
    public static final String SYNTHETIC = "synthetic:moving-shapes";

    private FrameEval() {
    }

    private static void refuse(boolean given, String option, String task, String forWhat) {
        if (given) {
            throw new IllegalArgumentException(option + " is for " + forWhat + ", not --task " + task);
        }
    }

    /** Refuses the series-denoise options a frame task does not read (--sigma is shared, and checked by the task). */
    private static void refuseSeries(SeriesDenoiseEvalOptions s, String task) {
        if (s.columns() != null || s.noise() != null || s.amount() != null || s.noiseSeed() != SeriesDenoiseEvalOptions.DEFAULT_NOISE_SEED) {
            throw new IllegalArgumentException("--columns, --noise, --amount and --noise-seed are for --task series-denoise,"
                    + " not " + task);
        }
    }

    /** One grey image with its name. */
    record Image(String name, int width, int height, float[] pixels) {
    }

    /** Scores --task denoise, superres or video-denoise, printing the table (or the JSON) to {@code out}. */
    public static int run(String task, Path modelFile, List<Path> data, boolean json, SeriesDenoiseEvalOptions series,
                          FrameEvalOptions o, PrintWriter out) throws Exception {
        refuseSeries(series, task);
        switch (task) {
            case "denoise" -> {
                refuse(o.scale() != null, "--scale", task, "--task superres");
                refuse(o.baselineModel() != null, "--baseline-model", task, "--task video-denoise");
                refuse(o.frames() != null, "--frames", task, "--task video-denoise");
                refuse(o.side() != null, "--side", task, "--task video-denoise");
                return denoise(modelFile, data, json, sigma(series), o, out);
            }
            case "video-denoise" -> {
                refuse(o.scale() != null, "--scale", task, "--task superres");
                refuse(o.selfEnsemble(), "--self-ensemble", task, "--task denoise or superres");
                return videoDenoise(modelFile, data, json, sigma(series), o, out);
            }
            case "superres" -> {
                refuse(series.sigma() != null, "--sigma", task, "--task denoise, video-denoise or series-denoise");
                refuse(o.clipNoise(), "--clip-noise", task, "--task denoise or video-denoise");
                refuse(o.seed() != null, "--seed", task, "--task denoise or video-denoise (superres draws no noise)");
                refuse(o.baselineModel() != null, "--baseline-model", task, "--task video-denoise");
                refuse(o.frames() != null, "--frames", task, "--task video-denoise");
                refuse(o.side() != null, "--side", task, "--task video-denoise");
                return superres(modelFile, data, json, o, out);
            }
            default -> throw new IllegalArgumentException("--task " + task + ": not a frame task");
        }
    }

    private static double sigma(SeriesDenoiseEvalOptions series) {
        double s = series.sigma() != null ? series.sigma() : 25;
        if (!(s >= 0) || s > 255) {
            throw new IllegalArgumentException("--sigma " + s + ": expected a noise sd in [0, 255] (the 8-bit scale)");
        }
        return s;
    }

    private static long seed(FrameEvalOptions o) {
        return o.seed() != null ? o.seed() : DEFAULT_SEED;
    }

    // ---------------------------------------------------------------- reading

    /** The images of the folders and files named by --data, each folder's sorted by name ({@link Images}). */
    static List<Image> readImages(List<Path> data) throws IOException {
        List<Image> out = new ArrayList<>();
        for (Path p : data) {
            List<Path> files;
            if (Files.isDirectory(p)) {
                try {
                    files = Images.listFolder(p);
                } catch (IOException e) {
                    throw new IllegalArgumentException("--data " + e.getMessage(), e);
                }
            } else if (Files.isRegularFile(p)) {
                files = List.of(p);
            } else {
                throw new IllegalArgumentException("--data " + p + ": no such file or folder");
            }
            for (Path f : files) {
                GreyImage g = Images.read(f);
                if (g.width() < 11 || g.height() < 11) {
                    throw new IllegalArgumentException(f + ": " + g.width() + " x " + g.height() + " is smaller than SSIM's"
                            + " 11 x 11 window");
                }
                out.add(new Image(f.getFileName().toString(), g.width(), g.height(), g.pixels()));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- models

    /** A frame model file, refused unless it is of the kind the task needs. */
    private static FrameModel load(Path file, String option, String task, boolean superResolver) throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + " " + file + ": no such file");
        }
        FrameModel m = FrameModels.load(file);
        if (superResolver != (m.scale() > 1)) {
            throw new IllegalArgumentException(option + " " + file + ": --task " + task + " needs a "
                    + (superResolver ? "super-resolver" : "frame denoiser") + "; this file holds a "
                    + m.spec().kind.id + " model (scale " + m.scale() + ")");
        }
        return m;
    }

    /**
     * The model on one still image: w x h in, (w*s) x (h*s) out. A recurrent model sees the image
     * as a stream's first frame (its own input as the previous output).
     */
    private static float[] applyOnce(FrameModel m, float[] in, int w, int h) {
        float[] out = new float[w * m.scale() * h * m.scale()];
        m.apply(in, 1, h, w, m.recurrent() ? in : null, out);
        return out;
    }

    private static String modelLabel(FrameModel m, Path file) {
        return m.spec().name + " (" + file.getFileName() + (m.recurrent() ? ", recurrent" : "") + ")";
    }

    /** The model's row and, with --self-ensemble, the ensemble's row after it. */
    private static void modelRows(List<FrameScores.Row> rows, FrameModel m, Path file, List<float[]> inputs, int[] inW,
                                  int[] inH, List<float[]> clean, int[] w, int[] h, int border, boolean ensemble) {
        List<float[]> outs = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            outs.add(applyOnce(m, inputs.get(i), inW[i], inH[i]));
        }
        rows.add(0, FrameScores.score("model", "model " + modelLabel(m, file), "", clean, outs, w, h, border));
        if (ensemble) {
            List<float[]> ens = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                ens.add(SelfEnsemble.apply((in, iw, ih) -> applyOnce(m, in, iw, ih), inputs.get(i), inW[i], inH[i]));
            }
            rows.add(1, FrameScores.score("model_self_ensemble", "model " + m.spec().name
                    + ", self-ensemble (mean of 8 flips/rotations)", "", clean, ens, w, h, border));
        }
    }

    // ---------------------------------------------------------------- tasks

    private static int denoise(Path modelFile, List<Path> data, boolean json, double sigma, FrameEvalOptions o,
                               PrintWriter out) throws Exception {
        if (o.selfEnsemble() && modelFile == null) {
            throw new IllegalArgumentException("--self-ensemble averages a model over 8 flips and rotations: give --model");
        }
        FrameModel model = modelFile == null ? null : load(modelFile, "--model", "denoise", false);
        List<Image> images = readImages(data);
        long seed = seed(o);
        Rng rng = new Rng(seed);
        Noisy set = Noisy.of(images, sigma, rng, o.clipNoise());
        List<float[]> clean = set.clean();
        List<float[]> noisy = set.noisy();
        int[] w = set.w();
        int[] h = set.h();
        List<FrameScores.Row> rows = baselineRows(clean, noisy, set.pairs(), w, h);
        if (model != null) {
            modelRows(rows, model, modelFile, noisy, w, h, clean, w, h, 0, o.selfEnsemble());
        }
        List<String> names = images.stream().map(Image::name).toList();
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("task", "denoise");
        head.put("data", data.stream().map(Path::toString).toList());
        head.put("sigma", sigma);
        head.put("seed", seed);
        head.put("clip_noise", o.clipNoise());
        putModel(head, "model", model, modelFile);
        String intro = String.format(Locale.ROOT, "%s: %d image(s), Gaussian noise sigma %s/255 (seed %d, %s); PSNR (dB)"
                        + " and SSIM against the clean images, outputs clipped to [0,1]", String.join(" ",
                        data.stream().map(Path::toString).toList()), images.size(), trim(sigma), seed,
                o.clipNoise() ? "noisy input clipped" : "noisy input unclipped, scored clipped");
        print(out, json, head, intro, names, rows);
        return 0;
    }

    private static int videoDenoise(Path modelFile, List<Path> data, boolean json, double sigma, FrameEvalOptions o,
                                    PrintWriter out)
            throws Exception {
        if (o.baselineModel() != null && modelFile == null) {
            throw new IllegalArgumentException("--baseline-model is scored beside --model: give both");
        }
        FrameModel model = modelFile == null ? null : load(modelFile, "--model", "video-denoise", false);
        FrameModel other = o.baselineModel() == null ? null : load(o.baselineModel(), "--baseline-model", "video-denoise",
                false);
        if (data.size() != 1) {
            throw new IllegalArgumentException("--task video-denoise reads one stream: a folder of frames or " + SYNTHETIC
                    + "; --data names " + data.size());
        }
        boolean synthetic = data.get(0).toString().equals(SYNTHETIC);
        if (!synthetic) {
            refuse(o.frames() != null, "--frames", "video-denoise", "--data " + SYNTHETIC);
            refuse(o.side() != null, "--side", "video-denoise", "--data " + SYNTHETIC);
        }
        long seed = seed(o);
        List<Image> frames = new ArrayList<>();
        if (synthetic) {
            int n = o.frames() != null ? o.frames() : 60;
            int side = o.side() != null ? o.side() : 64;
            if (n < 1 || side < 16) {
                throw new IllegalArgumentException("--frames " + n + " --side " + side + ": expected at least 1 frame of at"
                        + " least 16 x 16");
            }
            MovingShapes video = new MovingShapes(side, seed);
            for (int t = 0; t < n; t++) {
                float[] f = new float[side * side];
                video.frame(t, f);
                frames.add(new Image(String.format(Locale.ROOT, "frame %d", t), side, side, f));
            }
        } else {
            frames = readImages(data);
            Image first = frames.get(0);
            for (Image f : frames) {
                if (f.width() != first.width() || f.height() != first.height()) {
                    throw new IllegalArgumentException("--data " + data.get(0) + ": " + f.name() + " is " + f.width() + " x "
                            + f.height() + ", " + first.name() + " " + first.width() + " x " + first.height()
                            + ": the frames of one stream have one size");
                }
            }
        }
        // the noise comes from a generator split from Rng(seed): the synthetic video uses Rng(seed) itself
        Rng rng = new Rng(seed).split();
        Noisy set = Noisy.of(frames, sigma, rng, o.clipNoise());
        List<float[]> clean = set.clean();
        List<float[]> noisy = set.noisy();
        int[] w = set.w();
        int[] h = set.h();
        List<FrameScores.Row> rows = baselineRows(clean, noisy, set.pairs(), w, h);
        if (other != null) {
            rows.add(0, FrameScores.score("baseline_model", "baseline model " + modelLabel(other, o.baselineModel()), "",
                    clean, stream(other, noisy, w[0], h[0]), w, h, 0));
        }
        if (model != null) {
            rows.add(0, FrameScores.score("model", "model " + modelLabel(model, modelFile), "", clean,
                    stream(model, noisy, w[0], h[0]), w, h, 0));
        }
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("task", "video-denoise");
        head.put("data", data.get(0).toString());
        if (synthetic) {
            head.put("frames", frames.size());
            head.put("side", w[0]);
        }
        head.put("sigma", sigma);
        head.put("seed", seed);
        head.put("clip_noise", o.clipNoise());
        putModel(head, "model", model, modelFile);
        putModel(head, "baseline_model", other, o.baselineModel());
        String intro = String.format(Locale.ROOT, "%s: %d frame(s) of %d x %d, one stream; Gaussian noise sigma %s/255"
                        + " (seed %d, %s); PSNR (dB) and SSIM against the clean frames, outputs clipped to [0,1]",
                synthetic ? SYNTHETIC : data.get(0).toString(), frames.size(), w[0], h[0], trim(sigma), seed,
                o.clipNoise() ? "noisy input clipped" : "noisy input unclipped, scored clipped");
        print(out, json, head, intro, frames.stream().map(Image::name).toList(), rows);
        return 0;
    }

    /**
     * The model over the frames of one stream in order: a recurrent model reads its previous
     * output (its own input on the first frame), as the processor runs it per stream.
     */
    private static List<float[]> stream(FrameModel m, List<float[]> frames, int w, int h) {
        List<float[]> outs = new ArrayList<>();
        float[] prev = null;
        for (float[] f : frames) {
            float[] out = new float[w * h];
            m.apply(f, 1, h, w, m.recurrent() ? (prev == null ? f : prev) : null, out);
            outs.add(out);
            prev = out;
        }
        return outs;
    }

    private static void putModel(Map<String, Object> head, String key, FrameModel m, Path file) {
        if (m != null) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("file", file.toString());
            e.put("name", m.spec().name);
            e.put("recurrent", m.recurrent());
            e.put("scale", m.scale());
            head.put(key, e);
        }
    }

    private static int superres(Path modelFile, List<Path> data, boolean json, FrameEvalOptions o, PrintWriter out)
            throws Exception {
        if (o.selfEnsemble() && modelFile == null) {
            throw new IllegalArgumentException("--self-ensemble averages a model over 8 flips and rotations: give --model");
        }
        FrameModel model = modelFile == null ? null : load(modelFile, "--model", "superres", true);
        int k = o.scale() != null ? o.scale() : model != null ? model.scale() : 2;
        if (k < 2 || k > 4) {
            throw new IllegalArgumentException("--scale " + k + ": expected 2, 3 or 4");
        }
        if (model != null && model.scale() != k) {
            throw new IllegalArgumentException("--scale " + k + ": the model " + modelFile + " upscales x" + model.scale());
        }
        List<Image> images = readImages(data);
        int n = images.size();
        List<float[]> hr = new ArrayList<>();
        List<float[]> lr = new ArrayList<>();
        List<float[]> bicubic = new ArrayList<>();
        int[] w = new int[n];
        int[] h = new int[n];
        int[] lw = new int[n];
        int[] lh = new int[n];
        for (int i = 0; i < n; i++) {
            Image im = images.get(i);
            if (im.width() / k * k - 2 * k < 11 || im.height() / k * k - 2 * k < 11) {
                throw new IllegalArgumentException(im.name() + ": " + im.width() + " x " + im.height() + " is too small for"
                        + " x" + k + " (SSIM needs 11 x 11 after cropping " + k + " border pixels)");
            }
            ImageBaselines.SrPair pair = ImageBaselines.srPair(new GreyImage(im.width(), im.height(), im.pixels()), k);
            w[i] = pair.hr().width();
            h[i] = pair.hr().height();
            lw[i] = pair.lr().width();
            lh[i] = pair.lr().height();
            hr.add(pair.hr().pixels());
            lr.add(pair.lr().pixels());
            bicubic.add(ImageBaselines.bicubic(pair.lr(), k).pixels());
        }
        List<FrameScores.Row> rows = new ArrayList<>();
        rows.add(FrameScores.score("bicubic", "bicubic", "", hr, bicubic, w, h, k));
        if (model != null) {
            modelRows(rows, model, modelFile, lr, lw, lh, hr, w, h, k, o.selfEnsemble());
        }
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("task", "superres");
        head.put("data", data.stream().map(Path::toString).toList());
        head.put("scale", k);
        head.put("border", k);
        putModel(head, "model", model, modelFile);
        String intro = String.format(Locale.ROOT, "%s: %d image(s), x%d: HR cropped to a multiple of %d, LR its bicubic"
                        + " downscale; PSNR (dB) and SSIM against HR with %d border pixels cropped, outputs clipped to [0,1]",
                String.join(" ", data.stream().map(Path::toString).toList()), n, k, k, k);
        print(out, json, head, intro, images.stream().map(Image::name).toList(), rows);
        return 0;
    }

    /** The noisy input (scored clipped) and the two filters at their best setting on the set. */
    private static List<FrameScores.Row> baselineRows(List<float[]> clean, List<float[]> noisy,
                                                      List<ImageBaselines.Pair> pairs, int[] w, int[] h) {
        List<FrameScores.Row> rows = new ArrayList<>();
        List<float[]> clipped = noisy.stream().map(n -> ImageBaselines.clip(n.clone())).toList();
        rows.add(FrameScores.score("noisy_input", "noisy input", "", clean, clipped, w, h, 0));
        ImageBaselines.Best g = ImageBaselines.bestGaussian(pairs);
        rows.add(FrameScores.score("gaussian_blur", "Gaussian blur", g.describe(), clean, g.outputs(), w, h, 0));
        ImageBaselines.Best m = ImageBaselines.bestMedian(pairs);
        rows.add(FrameScores.score("median_filter", "median filter", m.describe(), clean, m.outputs(), w, h, 0));
        return rows;
    }

    // ---------------------------------------------------------------- output

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static double round(double v) {
        return Double.isInfinite(v) ? v : Math.round(v * 1e4) / 1e4;
    }

    /**
     * A table (a line per image, PSNR and SSIM per method, then the average), or one JSON object
     * with the same figures under "results" (per method: setting, mean PSNR and SSIM, per-image lists).
     */
    private static void print(PrintWriter out, boolean json, Map<String, Object> head, String intro, List<String> names,
                              List<FrameScores.Row> rows) throws Exception {
        if (json) {
            Map<String, Object> result = new LinkedHashMap<>(head);
            result.put("images", names);
            Map<String, Object> r = new LinkedHashMap<>();
            for (FrameScores.Row row : rows) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("label", row.label());
                if (!row.setting().isEmpty()) {
                    e.put("setting", row.setting());
                }
                e.put("psnr", round(row.meanPsnr()));
                e.put("ssim", round(row.meanSsim()));
                e.put("psnr_per_image", java.util.Arrays.stream(row.psnr()).map(FrameEval::round).boxed().toList());
                e.put("ssim_per_image", java.util.Arrays.stream(row.ssim()).map(FrameEval::round).boxed().toList());
                r.put(row.key(), e);
            }
            result.put("results", r);
            out.println(JSON.writeValueAsString(result));
            return;
        }
        out.println(intro);
        for (int i = 0; i < rows.size(); i++) {
            FrameScores.Row row = rows.get(i);
            out.printf(Locale.ROOT, "  [%d] %s%s%n", i + 1, row.label(), row.setting().isEmpty() ? ""
                    : " (" + row.setting() + ", chosen for the best mean PSNR on these images)");
        }
        int nameWidth = Math.max(8, names.stream().mapToInt(String::length).max().orElse(8));
        StringBuilder h1 = new StringBuilder(String.format(Locale.ROOT, "%-" + nameWidth + "s", "image"));
        StringBuilder h2 = new StringBuilder(" ".repeat(nameWidth));
        for (int i = 0; i < rows.size(); i++) {
            h1.append(String.format(Locale.ROOT, " %15s", "[" + (i + 1) + "]"));
            h2.append(String.format(Locale.ROOT, " %8s %6s", "PSNR", "SSIM"));
        }
        out.println(h1);
        out.println(h2);
        for (int k = 0; k < names.size(); k++) {
            StringBuilder l = new StringBuilder(String.format(Locale.ROOT, "%-" + nameWidth + "s", names.get(k)));
            for (FrameScores.Row row : rows) {
                l.append(String.format(Locale.ROOT, " %8.2f %6.4f", row.psnr()[k], row.ssim()[k]));
            }
            out.println(l);
        }
        StringBuilder a = new StringBuilder(String.format(Locale.ROOT, "%-" + nameWidth + "s", "average"));
        for (FrameScores.Row row : rows) {
            a.append(String.format(Locale.ROOT, " %8.2f %6.4f", row.meanPsnr(), row.meanSsim()));
        }
        out.println(a);
    }

    /** Clean images, their noisy versions (drawn from rng in order) and sizes, as every denoising table reads them. */
    private record Noisy(List<float[]> clean, List<float[]> noisy, List<ImageBaselines.Pair> pairs, int[] w, int[] h) {
        static Noisy of(List<Image> images, double sigma, Rng rng, boolean clip) {
            Noisy s = new Noisy(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                    new int[images.size()], new int[images.size()]);
            for (int i = 0; i < images.size(); i++) {
                Image im = images.get(i);
                float[] n = FrameScores.noisy(im.pixels(), sigma, rng, clip);
                s.clean.add(im.pixels());
                s.noisy.add(n);
                s.pairs.add(new ImageBaselines.Pair(im.pixels(), n, im.width(), im.height()));
                s.w[i] = im.width();
                s.h[i] = im.height();
            }
            return s;
        }
    }
}
