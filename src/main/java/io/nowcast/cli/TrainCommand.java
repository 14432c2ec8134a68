package io.nowcast.cli;

import io.nowcast.model.ModelKind;
import io.nowcast.run.Provenance;
import io.nowcast.run.train.CharTraining;
import io.nowcast.run.train.ForecasterTraining;
import io.nowcast.run.train.FrameOptions;
import io.nowcast.run.train.FrameTraining;
import io.nowcast.run.train.SeriesDenoiserOptions;
import io.nowcast.run.train.SeriesDenoiserTraining;
import io.nowcast.run.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code nowcast train}: parses the options into {@link TrainOptions} (and the series denoiser's
 * and frame kinds' own records) and hands them to the training run of the kind asked for, with
 * the provenance of this command line; the runs' progress goes to the command's error writer.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model and write it as a .safetensors file.",
                "--kind char: a character-level language model on a UTF-8 text file (the last --val-fraction held out),",
                "truncated backpropagation through time over --streams segments read side by side, --chunk steps at a time.",
                "--kind forecaster: predict the --targets columns of a CSV 1..--horizon steps",
                "ahead from its --features columns, standardised with the training rows'",
                "statistics; the last --val-fraction of the rows (of the series, with",
                "--group) is held out and scored against the last-value baseline.",
                "--task trajectory: ETH/UCY leave-one-scene-out, dx,dy in, the next",
                "--horizon displacements out. --task forecast: one column of an hourly CSV",
                "split 12/4/4 months (ETTh1), --input-length values in, --horizon out.",
                "--task motion: human motion (--data the CMU folder or Human3.6M's), the",
                "normalised used joint angles in, the next --horizon frames out relative to",
                "the present one, one model for all actions; windows of 60 subsampled frames.",
                "--kind series-denoiser: a causal denoiser of the --columns of a CSV, trained",
                "on windows given fresh --noise every time they are used; the rows are cut",
                "12/4/4 months (at least 14,400 rows) or 60/20/20%%, the validation rows stop it.",
                "--kind frame-denoiser|super-resolver: a convolutional frame model on random --patch crops of a folder",
                "of images (or an IDX file) with fresh seeded --noise, 8 flips/rotations, Adam with a cosine --lr",
                "schedule; --data synthetic:moving-shapes trains a denoiser (--recurrent: fed its previous output) on video."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--kind", required = true,
            description = "model kind: char, forecaster, series-denoiser, frame-denoiser or super-resolver")
    String kind;

    @Mixin
    SeriesDenoiserMixin seriesDenoiser = new SeriesDenoiserMixin();

    @Mixin
    FrameMixin frames = new FrameMixin();

    @Spec
    CommandSpec commandSpec;

    @Option(names = "--data", required = true, description = "training data: a UTF-8 text file (char) or a CSV with a header (forecaster)")
    Path data;

    @Option(names = "--features", split = ",", paramLabel = "COL",
            description = "forecaster: the CSV columns the model reads at each step, in order")
    List<String> features;

    @Option(names = "--targets", split = ",", paramLabel = "COL",
            description = "forecaster: the CSV columns whose future values the model predicts")
    List<String> targets;

    @Option(names = "--horizon", defaultValue = "1",
            description = "forecaster: predict each target 1..H steps ahead (outputs c+1..c+H per target; default: ${DEFAULT-VALUE})")
    int horizon;

    @Option(names = "--head", defaultValue = "linear",
            description = "forecaster: linear (squared error) or gaussian (mean and log-variance, Gaussian NLL; default: ${DEFAULT-VALUE})")
    String head;

    @Option(names = "--group", paramLabel = "COL",
            description = "forecaster: consecutive rows with the same value in this column form one series (e.g. a track id);"
                    + " each series starts from a zero state and the last --val-fraction of the series is held out")
    String group;

    @Option(names = "--task", paramLabel = "TASK",
            description = "forecaster: trajectory = learn from the ETH/UCY folder --data (its train/ and val/ files"
                    + " outside --leave-out), windows of 8 observed and --horizon predicted steps, dx,dy in and out;"
                    + " forecast: one column of an hourly CSV; motion: the CMU or Human3.6M folder --data")
    String task;

    @Option(names = "--input-length", defaultValue = "96",
            description = "forecast: values read before each forecast (default: ${DEFAULT-VALUE})")
    int inputLength;

    @Option(names = "--level-shift", defaultValue = "0", paramLabel = "STD",
            description = "forecast: move each training window up or down by a level drawn up to this many training"
                    + " standard deviations (default: ${DEFAULT-VALUE})")
    float levelShift;

    @Option(names = "--leave-out", paramLabel = "SCENE",
            description = "trajectory: the test scene left out (eth, hotel, univ, zara1 or zara2)")
    String leaveOut;

    @Option(names = "--relative",
            description = "forecaster: predict changes from the present (output c+k = input c now + head output);"
                    + " recorded in the model as relative_to_input")
    boolean relative;

    @Option(names = "--augment", paramLabel = "KIND",
            description = "trajectory: none, rotate (a random rotation of each training window every time it is"
                    + " used) or rotate-mirror (and a mirror image half of the time; default: ${DEFAULT-VALUE})",
            defaultValue = "none")
    String augment;

    @Option(names = "--loss", paramLabel = "ade",
            description = "trajectory: ade = train a linear head on the average displacement error itself (the mean"
                    + " distance between predicted and true future positions) instead of the squared error")
    String loss;

    @Option(names = "--input-noise", paramLabel = "METRES", defaultValue = "0",
            description = "trajectory: augment with measurement noise on the observed positions, a level drawn per"
                    + " window uniformly up to this many metres; the targets stay the true future (default: ${DEFAULT-VALUE})")
    float inputNoise;

    @Option(names = "--input-noise-share", paramLabel = "FRACTION", defaultValue = "1",
            description = "trajectory: the share of training windows that get --input-noise, the others stay as"
                    + " recorded (default: ${DEFAULT-VALUE})")
    double inputNoiseShare;

    @Option(names = "--balance", paramLabel = "none|files",
            description = "trajectory: files = every training file weighs the same (the windows of smaller ones are"
                    + " repeated, each repeat augmented afresh), so that the largest recordings do not drown the"
                    + " others (default: ${DEFAULT-VALUE})", defaultValue = "none")
    String balance;

    @Option(names = "--score-steps", defaultValue = "all", paramLabel = "all|last",
            description = "trajectory: score the predictions after every observed step or only after the last"
                    + " (default: ${DEFAULT-VALUE})")
    String scoreSteps;

    @Option(names = "--note", description = "a remark recorded in the model's provenance (e.g. what the model is for and not for)")
    String note;

    @Option(names = "--data-origin", paramLabel = "TEXT",
            description = "how the --data file was made (e.g. the nowcast synth command), recorded with the file's hash in the provenance")
    String dataOrigin;

    @Option(names = "--name", description = "model name recorded in the file (default: the --out file's name without extension)")
    String name;

    @Option(names = "--out", defaultValue = "model.safetensors", description = "model file to write (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--recipe", description = "min-char-rnn: vanilla RNN of 100, chunks of 25, summed loss, state carried and"
            + " reset on wrap, gradients clipped to +-5, Adagrad 0.1 (eps 1e-8), weights N(0, 0.01^2), one stream")
    String recipe;

    @Option(names = "--init", description = "start from the weights of this model file instead of a random initialisation")
    Path init;

    @Option(names = "--cell", defaultValue = "lstm", description = "rnn, rnn_relu, lstm or gru (default: ${DEFAULT-VALUE})")
    String cell;

    @Option(names = "--hidden", defaultValue = "128", description = "hidden units per layer (default: ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--layers", defaultValue = "1", description = "stacked layers (default: ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--streams", defaultValue = "32", description = "sequences per batch (default: ${DEFAULT-VALUE})")
    int streams;

    @Option(names = "--chunk", defaultValue = "64",
            description = "steps per truncated-BPTT chunk; 0 = backpropagate through each whole sequence (default: ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--optimizer", defaultValue = "adam", description = "sgd, adagrad, adam or adamw (default: ${DEFAULT-VALUE})")
    String optimizer;

    @Option(names = "--lr", defaultValue = "2e-3", description = "learning rate (default: ${DEFAULT-VALUE})")
    float lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE})")
    float momentum;

    @Option(names = "--weight-decay", defaultValue = "0", description = "weight decay (L2 for sgd/adam, decoupled for adamw)")
    float weightDecay;

    @Option(names = "--clip-norm", defaultValue = "5", description = "clip gradients to this global L2 norm; 0 = off (default: ${DEFAULT-VALUE})")
    double clipNorm;

    @Option(names = "--clip-value", defaultValue = "0", description = "clip each gradient entry to +-this; 0 = off")
    float clipValue;

    @Option(names = "--sum-loss", description = "sum the loss over the chunk instead of averaging it")
    boolean sumLoss;

    @Option(names = "--iterations", defaultValue = "2000", description = "maximum iterations (default: ${DEFAULT-VALUE})")
    long iterations;

    @Option(names = "--minutes", defaultValue = "0", description = "wall-clock budget in minutes; 0 = none")
    double minutes;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "last fraction of the text held out for validation (default: ${DEFAULT-VALUE})")
    double valFraction;

    @Option(names = "--eval-every", defaultValue = "100", description = "iterations between validations and log lines (default: ${DEFAULT-VALUE})")
    int evalEvery;

    @Option(names = "--eval-chars", defaultValue = "0", description = "held-out characters scored per validation; 0 = all (default: ${DEFAULT-VALUE})")
    int evalChars;

    @Option(names = "--patience", defaultValue = "0",
            description = "stop after this many validations without improvement and keep the best weights; 0 = off")
    int patience;

    @Option(names = "--forget-bias", defaultValue = "0", description = "LSTM: initial value added to the forget-gate bias (b_ih)")
    float forgetBias;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--log", description = "write metrics as JSON lines to this file")
    Path log;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        TrainOptions o = options();
        SeriesDenoiserOptions series = seriesDenoiser.options();
        Provenance provenance = new Provenance("nowcast " + Main.commandLine(), Main.version(), seed, dataOrigin, note);
        PrintWriter progress = commandSpec.commandLine().getErr();
        if (FrameTraining.isFrameKind(kind)) {
            series.refuseSeriesOnly(kind);
            return FrameTraining.train(o, series, frames.options(), provenance, progress);
        }
        FrameTraining.refuseOptions(o);
        if (ModelKind.SERIES_DENOISER.id.equals(kind)) {
            return SeriesDenoiserTraining.train(o, series, provenance, progress);
        }
        series.refuse(kind);
        if (ModelKind.FORECASTER.id.equals(kind)) {
            return ForecasterTraining.train(o, provenance, progress);
        }
        if (!ModelKind.CHAR.id.equals(kind)) {
            throw new IllegalArgumentException("--kind " + kind + ": expected char, forecaster, series-denoiser,"
                    + " frame-denoiser or super-resolver");
        }
        return CharTraining.train(o, provenance, progress);
    }

    /** The options as given, with the long names of those given on the command line in their order. */
    private TrainOptions options() {
        Set<String> given = new LinkedHashSet<>();
        commandSpec.commandLine().getParseResult().matchedOptions().forEach(m -> given.add(m.longestName()));
        return new TrainOptions(kind, data, out, name, features, targets, horizon, head, group, task, inputLength,
                levelShift, leaveOut, relative, augment, loss, inputNoise, inputNoiseShare, balance, scoreSteps, recipe, init,
                cell, hidden, layers, streams, chunk, optimizer, lr, momentum, weightDecay, clipNorm, clipValue, sumLoss,
                iterations, minutes, valFraction, evalEvery, evalChars, patience, forgetBias, seed, log, quiet, given);
    }

    /** The options only --kind series-denoiser reads (the frame kinds share --noise, --sigma and --amount). */
    static final class SeriesDenoiserMixin {
        @Option(names = "--columns", split = ",", paramLabel = "COL",
                description = "series-denoiser: the CSV columns read and cleaned, in order")
        List<String> columns;

        @Option(names = "--noise", defaultValue = "gaussian", paramLabel = "MODEL",
                description = "the noise trained on: gaussian, salt-pepper or mask; frame kinds also poisson (default: ${DEFAULT-VALUE})")
        String noise;

        @Option(names = "--sigma", defaultValue = "0", paramLabel = "S",
                description = "Gaussian noise sd: series-denoiser, as a multiple of each column's training-row std; frame kinds, on the"
                        + " 0-255 scale (default 25 for them; Poisson: photons at white)")
        float sigma;

        @Option(names = "--amount", defaultValue = "0", paramLabel = "P",
                description = "share of values (pixels) hit by salt-pepper or mask noise")
        float amount;

        @Option(names = "--window", defaultValue = "192", paramLabel = "ROWS",
                description = "series-denoiser: training windows of this many rows, one starting every quarter window"
                        + " (default: ${DEFAULT-VALUE})")
        int window;

        @Option(names = "--series-level-shift", defaultValue = "0", paramLabel = "STD",
                description = "series-denoiser: move each column of a training window up or down by a level drawn up to"
                        + " this many stds, so that the model cannot lean on the levels of the training rows"
                        + " (default: ${DEFAULT-VALUE})")
        float levelShift;

        @Option(names = "--series-scale", defaultValue = "1", paramLabel = "FACTOR",
                description = "series-denoiser: stretch each column of a training window about its mean by a factor"
                        + " drawn log-uniformly in [1/FACTOR, FACTOR], so that the model meets quieter and livelier"
                        + " signals than the training rows hold under the same noise (default: ${DEFAULT-VALUE})")
        float scale;

        @Option(names = "--direct",
                description = "series-denoiser: the head predicts the clean value itself instead of the correction"
                        + " to the noisy input")
        boolean direct;

        @Option(names = "--smoothing-base",
                description = "series-denoiser, Gaussian noise: the output is a base kept per stream, of a bank of"
                        + " exponential smoothings of the noisy input the one with the lowest estimated error (from the"
                        + " known noise variance), plus the network's correction; the network reads the innovations,"
                        + " never the level of a column")
        boolean smoothingBase;

        @Option(names = "--smoothing-time-constant", defaultValue = "240", paramLabel = "SAMPLES",
                description = "series-denoiser with --smoothing-base: samples over which the estimated errors of the"
                        + " smoothings are averaged (default: ${DEFAULT-VALUE})")
        float smoothingTimeConstant;

        SeriesDenoiserOptions options() {
            return new SeriesDenoiserOptions(columns, noise, sigma, amount, window, levelShift, scale, direct, smoothingBase,
                    smoothingTimeConstant);
        }
    }

    /** The options only the frame kinds read. */
    static final class FrameMixin {
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

        FrameOptions options() {
            return new FrameOptions(channels, patch, batch, clipNoise, scale, upsampling, recurrent, sequence, lrSchedule,
                    dilations, workers, val);
        }
    }
}
