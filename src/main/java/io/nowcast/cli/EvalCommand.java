package io.nowcast.cli;

import io.nowcast.run.eval.ForecastEval;
import io.nowcast.run.eval.FrameEval;
import io.nowcast.run.eval.FrameEvalOptions;
import io.nowcast.run.eval.MotionEval;
import io.nowcast.run.eval.SeriesDenoiseEval;
import io.nowcast.run.eval.SeriesDenoiseEvalOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score a model on a published benchmark protocol, next to the honest",
                "baselines on exactly the same windows.",
                "--task trajectory: ETH/UCY files (frame ped x y); windows of 8 observed",
                "and 12 predicted steps of one person, kept when at least 2 people are",
                "tracked through all 20; ADE and FDE in metres of the model, constant",
                "velocity and a least-squares line through the 8 observed positions.",
                "--task forecast: one column of an hourly CSV (ETTh1.csv, OT) split",
                "12/4/4 months as in the LTSF benchmarks; every test window of --input-length",
                "values then --horizon; MSE and MAE on values standardised with the training",
                "rows' statistics, of the model, the last value and a least-squares linear",
                "map from the inputs to the horizon fitted on the training windows.",
                "--task series-denoise: a series denoiser on the columns of a CSV with seeded",
                "noise added, next to the noisy input, the best moving average, exponential",
                "smoothing and moving median (chosen on the validation rows); RMSE and MAE per column.",
                "--task denoise: the images of a folder plus seeded Gaussian noise of sd",
                "--sigma (0-255 scale, default 25), fed unclipped; PSNR and SSIM of the",
                "noisy input, the Gaussian blur and the median filter at their best",
                "setting on the set, and the frame denoiser.",
                "--task superres: HR = each image cropped to a multiple of --scale, LR",
                "its bicubic downscale; PSNR and SSIM (--scale border pixels cropped)",
                "of bicubic upscaling and the super-resolver.",
                "--task video-denoise: the frames of one stream (a folder, or",
                "synthetic:moving-shapes) with the same noise; the filters, a recurrent",
                "model and --baseline-model (the same network without state).",
                "--task motion: short-term human motion (CMU mocap, Human3.6M): the fixed test",
                "windows of each action, 50 observed and 10 predicted frames at 25 Hz; the",
                "Euler-angle error at 80, 160, 320 and 400 ms of zero velocity, constant",
                "velocity and the model, per action and averaged over the actions."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--task", required = true,
            description = "trajectory, forecast, series-denoise, denoise, superres, video-denoise or motion")
    String task;

    @Option(names = "--model", description = "model file (.safetensors); without it only the baselines are scored")
    Path model;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "PATH",
            description = "trajectory: files or directories of .txt files (e.g. test/eth/), scored together;"
                    + " forecast: one CSV with a header; denoise, superres: folders of images (or image files);"
                    + " video-denoise: a folder of frames or synthetic:moving-shapes;"
                    + " motion: the CMU folder (train/ and test/) or its test/ folder, or the Human3.6M folder S1..S11")
    List<Path> data;

    @Option(names = "--column", defaultValue = "OT", description = "forecast: the column predicted (default: ${DEFAULT-VALUE})")
    String column;

    @Option(names = "--input-length", defaultValue = "96",
            description = "forecast: values read before predicting (default: ${DEFAULT-VALUE})")
    int inputLength;

    @Option(names = "--horizon", defaultValue = "96", description = "forecast: values predicted (default: ${DEFAULT-VALUE})")
    int horizon;

    @Option(names = "--part", defaultValue = "test", paramLabel = "val|test",
            description = "forecast: the months scored, the 4 validation or the 4 test ones (default: ${DEFAULT-VALUE})")
    String part;

    @Option(names = "--format", paramLabel = "cmu|h36m",
            description = "motion: the benchmark's layout (default: told by the folders)")
    String format;

    @Option(names = "--json", description = "print the results as one JSON object")
    boolean json;

    @Mixin
    SeriesDenoiseMixin seriesDenoise = new SeriesDenoiseMixin();

    @Mixin
    FrameMixin frames = new FrameMixin();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        SeriesDenoiseEvalOptions series = seriesDenoise.options();
        FrameEvalOptions frame = frames.options();
        if (format != null && !task.equals("motion")) {
            throw new IllegalArgumentException("--format is for --task motion, not " + task);
        }
        switch (task) {
            case "motion":
                series.refuse(task);
                frame.refuse(task);
                forecastDefaults(task);
                return MotionEval.run(model, data, format, json, out);
            case "trajectory":
                series.refuse(task);
                frame.refuse(task);
                return ForecastEval.trajectory(model, data, json, out);
            case "forecast":
                series.refuse(task);
                frame.refuse(task);
                return ForecastEval.forecast(model, data, column, inputLength, horizon, part, json, out);
            case "series-denoise":
                frame.refuse(task);
                return SeriesDenoiseEval.run(model, data, part, json, series, out);
            case "denoise":
            case "superres":
            case "video-denoise":
                forecastDefaults(task);
                return FrameEval.run(task, model, data, json, series, frame, out);
            default:
                throw new IllegalArgumentException("--task " + task + ": expected trajectory, forecast, series-denoise,"
                        + " denoise, superres, video-denoise or motion");
        }
    }

    /** Refuses --column, --input-length, --horizon and --part (forecast's) for {@code task}. */
    private void forecastDefaults(String task) {
        if (!column.equals("OT") || inputLength != 96 || horizon != 96 || !part.equals("test")) {
            throw new IllegalArgumentException("--column, --input-length, --horizon and --part are for --task"
                    + " forecast (and --part for series-denoise), not " + task);
        }
    }

    /** The options only --task series-denoise reads (--sigma is shared with the frame tasks). */
    static final class SeriesDenoiseMixin {
        @Option(names = "--columns", split = ",", paramLabel = "COL",
                description = "series-denoise: the columns scored (default: the model's input features)")
        List<String> columns;

        @Option(names = "--noise", paramLabel = "MODEL",
                description = "series-denoise: gaussian, salt-pepper or mask (default: the model's, or gaussian with --sigma)")
        String noise;

        @Option(names = "--sigma", paramLabel = "S",
                description = "series-denoise: Gaussian noise sd as a multiple of each column's training-row std"
                        + " (default: the model's); denoise, video-denoise: the noise sd on the 0-255 scale (default: 25)")
        Float sigma;

        @Option(names = "--amount", paramLabel = "P",
                description = "series-denoise: share of values hit by salt-pepper or mask noise (default: the model's)")
        Float amount;

        @Option(names = "--noise-seed", defaultValue = "20261126", paramLabel = "SEED",
                description = "series-denoise: seed of the noise added to the series (default: ${DEFAULT-VALUE})")
        long noiseSeed;

        @Option(names = "--noise-draws", defaultValue = "1", paramLabel = "N",
                description = "series-denoise: score N draws of the noise (seeds SEED, SEED+1, ...): the mean errors"
                        + " over the draws, and per column in how many the model beats each baseline"
                        + " (default: ${DEFAULT-VALUE})")
        int noiseDraws;

        SeriesDenoiseEvalOptions options() {
            return new SeriesDenoiseEvalOptions(columns, noise, sigma, amount, noiseSeed, noiseDraws);
        }
    }

    /** The options only the frame tasks read (--sigma is shared with series-denoise). */
    static final class FrameMixin {
        @Option(names = "--scale", paramLabel = "K",
                description = "superres: the upscaling factor, 2, 3 or 4 (default: the model's, else 2)")
        Integer scale;

        @Option(names = "--clip-noise",
                description = "denoise, video-denoise: clip the noisy input to [0,1] before the methods see it"
                        + " (default: unclipped, as in the literature)")
        boolean clipNoise;

        @Option(names = "--self-ensemble",
                description = "denoise, superres: also score the model averaged over the 8 flips and rotations of each"
                        + " image, as its own row")
        boolean selfEnsemble;

        @Option(names = "--seed", paramLabel = "SEED",
                description = "denoise, video-denoise: seed of the noise (and of the synthetic video) (default: "
                        + FrameEval.DEFAULT_SEED + ")")
        Long seed;

        @Option(names = "--baseline-model", paramLabel = "FILE",
                description = "video-denoise: a second model scored beside --model, e.g. the same network without state")
        Path baselineModel;

        @Option(names = "--frames", paramLabel = "N",
                description = "video-denoise with --data " + FrameEval.SYNTHETIC + ": frames generated (default: 60)")
        Integer frames;

        @Option(names = "--side", paramLabel = "S",
                description = "video-denoise with --data " + FrameEval.SYNTHETIC + ": frame side in pixels (default: 64)")
        Integer side;

        FrameEvalOptions options() {
            return new FrameEvalOptions(scale, clipNoise, selfEnsemble, seed, baselineModel, frames, side);
        }
    }
}
