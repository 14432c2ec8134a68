package io.nowcast.stream.internal;

import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFileException;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelSpec;
import io.nowcast.stream.Meters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Watches one pipeline's {@code model.dir} for new versions of its model and loads and checks them;
 * the processor swaps a model it returns in between two batches.
 *
 * <h2>How a version arrives</h2>
 * Every regular file of the folder whose name ends in {@code .safetensors} (and does not start
 * with a dot) is a version. The one to serve is the file whose name is greatest in
 * {@link #VERSION_ORDER version order}: names compared piece by piece, runs of digits as numbers,
 * so {@code tracks-v10.safetensors} comes after {@code tracks-v9.safetensors}. A new version is
 * written under another name ({@code tracks-v10.safetensors.tmp}) and renamed, which is atomic on
 * one file system, so the watcher never sees half a file; a file written in place may be seen half
 * written and refused, and is looked at again once its size or modification time changes. Removing
 * the greatest file makes the one before it the greatest: the pipeline goes back to it.
 *
 * <h2>Checks</h2>
 * Every {@code model.check.ms} of processing time the folder is listed. If its greatest file is not
 * the one looked at last (another path, size or modification time), it is loaded
 * ({@link ModelFiles#load}: every tensor's presence, shape and finiteness) and checked against the
 * pipeline: a forecaster, taking the pipeline's number of values per sample, reading the same
 * feature names (when both the serving and the new model name them), and with a model name or
 * version other than the serving model's, so that predictions say which of the two made them. A
 * file that fails is refused: one log line at WARN names the file and the problem,
 * {@link Meters#MODEL_FILES} counts it ({@code result=refused}) and the serving model goes on. A
 * file that passes is returned, and from then on it is the serving model.
 *
 * <p>At start the configured {@code model} file is the serving one: if the folder's greatest file is
 * that same file, nothing is loaded; if it is another, it is loaded at the first check, in the
 * caller's thread, before the first batch, so that a restarted processor serves the newest version
 * from its first prediction.
 *
 * <h2>Threads</h2>
 * Listing the folder runs in the caller's thread (the processor's loop, between batches); loading and
 * checking a file (but the first, at start) runs in a background thread, one file at a time, while the loop goes on with the
 * serving model; the loop takes the result at its next call after the load has finished. So the
 * loop waits for a directory listing every {@code model.check.ms}, never for a model file to be
 * read. The watcher itself is not thread-safe: one caller.
 */
final class ModelWatcher {
    // the name it logged under before the internals had a package of their own: log lines stay the same
    private static final Logger LOG = LoggerFactory.getLogger("io.nowcast.stream.ModelWatcher");
    static final String SUFFIX = ".safetensors";

    /** File names in version order: runs of digits compared as numbers, the rest as text. */
    static final Comparator<String> VERSION_ORDER = ModelWatcher::compareVersions;

    /** A file as last looked at. */
    private record Seen(Path file, long size, long modified) {
    }

    /** A model loaded and checked, and how long that took. */
    private record Loaded(Forecaster model, long nanos) {
    }

    /**
     * Where files are loaded: one daemon thread for every pipeline and processor of the JVM, started
     * when a file is to be loaded and ended after 10 s without one.
     */
    private static final ThreadPoolExecutor LOADER = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "nowcast-model-loader");
                t.setDaemon(true);
                return t;
            });

    private final String pipeline;
    private final Path dir;
    private final long checkMs;
    private final int inputSize;
    private final PipelineMeters meters;
    private ModelSpec serving;
    private Path servingFile;
    private Seen examined;
    private long nextCheckMs = Long.MIN_VALUE;
    private boolean listingFailed;
    private String lastRefusal;
    private long loadNanos;
    private final Executor loader;
    /** The file being loaded and checked in the background, or null. */
    private CompletableFuture<Loaded> loading;
    private Seen loadingFile;
    /** Whether poll was called before: the first call loads in the caller's thread, before the first batch. */
    private boolean started;

    /**
     * @param pipeline  the pipeline's name, for messages
     * @param dir       the folder to watch
     * @param checkMs   how often to list it, in the clock of {@link #poll}
     * @param inputSize   values per sample of the pipeline
     * @param initialFile the serving model's file (null if not from a file)
     * @param initial     the serving model's spec
     */
    ModelWatcher(String pipeline, Path dir, long checkMs, int inputSize, Path initialFile, ModelSpec initial,
                 PipelineMeters meters) {
        this(pipeline, dir, checkMs, inputSize, initialFile, initial, meters, LOADER);
    }

    /** With another executor for the loads (tests: one that runs them when told). */
    ModelWatcher(String pipeline, Path dir, long checkMs, int inputSize, Path initialFile, ModelSpec initial,
                 PipelineMeters meters, Executor loader) {
        this.loader = loader;
        this.pipeline = pipeline;
        this.dir = dir;
        this.checkMs = checkMs;
        this.inputSize = inputSize;
        this.serving = initial;
        this.servingFile = initialFile == null ? null : initialFile.toAbsolutePath().normalize();
        this.meters = meters;
    }

    /**
     * Lists the folder if {@code model.check.ms} has passed since the last time and no file is being
     * loaded; a new greatest file is handed to the loader thread. Returns the model of a file whose
     * load has finished and that passed the checks (from then on the serving model); null while
     * nothing new is there, while a file loads, and when one was refused. Call it between batches.
     */
    Forecaster poll(long nowMs) {
        if (loading == null) {
            Seen newest = newFile(nowMs);
            if (newest == null) {
                started = true;
                return null;
            }
            ModelSpec against = serving;
            loadingFile = newest;
            loading = CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                try {
                    return new Loaded(check(newest.file(), against), System.nanoTime() - t0);
                } catch (ModelFileException e) {
                    throw new CompletionException(e);
                }
            }, started ? loader : Runnable::run);
        }
        if (!loading.isDone()) {
            return null; // the old model goes on meanwhile
        }
        started = true;
        CompletableFuture<Loaded> done = loading;
        Seen file = loadingFile;
        loading = null;
        loadingFile = null;
        Loaded l;
        try {
            l = done.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            meters.modelsRefused.increment();
            String why = String.valueOf(c instanceof ModelFileException ? c.getMessage() : c.toString());
            String prefix = file.file() + ": ";
            lastRefusal = "pipeline " + pipeline + ": refused the model file " + file.file() + ": "
                    + (why.startsWith(prefix) ? why.substring(prefix.length()) : why) + "; model " + serving.name
                    + " version " + serving.version + " goes on";
            LOG.warn(lastRefusal);
            return null;
        }
        loadNanos = l.nanos();
        serving = l.model().spec();
        servingFile = file.file();
        return l.model();
    }

    /**
     * The folder's greatest file if {@code model.check.ms} has passed since the last listing and it
     * is neither the file looked at last nor the serving one; else null.
     */
    private Seen newFile(long nowMs) {
        if (nowMs < nextCheckMs) {
            return null;
        }
        nextCheckMs = nowMs + checkMs;
        Seen newest;
        try {
            newest = greatest();
            if (listingFailed) {
                LOG.info("pipeline {}: model folder {} can be listed again", pipeline, dir);
                listingFailed = false;
            }
        } catch (IOException | UncheckedIOException e) {
            if (!listingFailed) {
                LOG.warn("pipeline {}: cannot list the model folder {}: {}; the model in use goes on", pipeline, dir,
                        e.toString());
                listingFailed = true;
            }
            return null;
        }
        if (newest == null || newest.equals(examined)) {
            return null;
        }
        examined = newest;
        if (newest.file().equals(servingFile)) {
            return null; // the configured model itself
        }
        return newest;
    }

    /**
     * Between batches: the runner to use from now on, that of a new model if {@link #poll} gives one
     * (swapped with {@link PipelineRunner#withModel}, counted in {@link Meters}, logged at INFO), else
     * {@code runner} itself.
     */
    PipelineRunner update(PipelineRunner runner, long nowMs) {
        ModelSpec was = serving;
        Forecaster f = poll(nowMs);
        if (f == null) {
            return runner;
        }
        PipelineRunner.Swap s = runner.withModel(f);
        meters.modelsSwapped.increment();
        meters.modelResets.increment(s.streamsReset());
        meters.modelInUse(f.spec().name, f.spec().version);
        LOG.info("pipeline {}: model {} version {} from {} (loaded and checked in {} ms) in use from the next"
                        + " batch"
                        + " (was {} version {}); {}", pipeline, f.spec().name, f.spec().version, servingFile,
                String.format(java.util.Locale.ROOT, "%.1f", loadNanos / 1e6), was.name, was.version, s.statesKept()
                        ? "the states of " + s.runner().store().size() + " streams kept"
                        : "the states of " + s.streamsReset() + " streams reset (the new model's state is "
                                + f.net().numLayers() + " layers of " + f.net().hiddenSize + " " + f.spec().cell.id
                                + ", the old one's " + was.numLayers + " of " + was.hiddenSize + " " + was.cell.id + ")");
        return s.runner();
    }

    /** The model of the file, if it is fit for the pipeline whose serving model is {@code serving}; else why not. */
    private Forecaster check(Path file, ModelSpec serving) throws ModelFileException {
        Model m = ModelFiles.load(file);
        ModelSpec s = m.spec();
        if (!(m instanceof Forecaster)) {
            throw new ModelFileException(file + ": a " + s.kind.id + " model; a pipeline runs a forecaster model");
        }
        if (s.inputSize != inputSize) {
            throw new ModelFileException(file + ": the model takes " + s.inputSize + " values per sample, the pipeline's"
                    + " samples have " + inputSize);
        }
        List<String> was = serving.inputFeatures;
        if (!was.isEmpty() && !s.inputFeatures.isEmpty() && !was.equals(s.inputFeatures)) {
            throw new ModelFileException(file + ": the model reads the features " + s.inputFeatures + ", the pipeline's"
                    + " samples are " + was);
        }
        if (Objects.equals(s.name, serving.name) && Objects.equals(s.version, serving.version)) {
            throw new ModelFileException(file + ": model " + s.name + " version " + s.version + " is the one in use;"
                    + " a new file needs another model version, so that predictions say which one made them");
        }
        return (Forecaster) m;
    }

    /** The folder's greatest version file, or null if it has none. */
    private Seen greatest() throws IOException {
        Path best = null;
        BasicFileAttributes bestAttrs = null;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                if (!n.endsWith(SUFFIX) || n.startsWith(".")) {
                    continue;
                }
                if (best != null && VERSION_ORDER.compare(n, best.getFileName().toString()) <= 0) {
                    continue;
                }
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(f, BasicFileAttributes.class);
                } catch (NoSuchFileException gone) {
                    continue; // renamed or removed since the listing
                }
                if (!a.isRegularFile()) {
                    continue;
                }
                best = f;
                bestAttrs = a;
            }
        }
        if (best == null) {
            return null;
        }
        return new Seen(best.toAbsolutePath().normalize(), bestAttrs.size(), bestAttrs.lastModifiedTime().toMillis());
    }

    static int compareVersions(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i);
            char cb = b.charAt(j);
            if (isDigit(ca) && isDigit(cb)) {
                int ei = i;
                while (ei < a.length() && isDigit(a.charAt(ei))) {
                    ei++;
                }
                int ej = j;
                while (ej < b.length() && isDigit(b.charAt(ej))) {
                    ej++;
                }
                int c = new BigInteger(a.substring(i, ei)).compareTo(new BigInteger(b.substring(j, ej)));
                if (c != 0) {
                    return c;
                }
                i = ei;
                j = ej;
            } else {
                if (ca != cb) {
                    return Character.compare(ca, cb);
                }
                i++;
                j++;
            }
        }
        if (i < a.length() || j < b.length()) {
            return i < a.length() ? 1 : -1;
        }
        return a.compareTo(b); // equal as versions (v01 and v1): the plain order decides
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The log line of the last file refused, or null (tests). */
    String lastRefusal() {
        return lastRefusal;
    }

    /** The file of the serving model (the configured one until a swap). */
    Path servingFile() {
        return servingFile;
    }
}
