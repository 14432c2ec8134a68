package io.nowcast.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where training reports go: a progress bar (redrawn in place on a terminal, a plain line per
 * evaluation otherwise) and, with a file, one JSON object per logged step ({@code iteration},
 * {@code loss}, and whatever else the loop adds: {@code val_loss}, {@code chars_per_s}, ...).
 */
public final class TrainingLog implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PrintWriter out;
    private final boolean terminal;
    private final Writer jsonl;
    private final long start = System.nanoTime();

    public TrainingLog(PrintWriter out, boolean terminal, Path jsonLines) throws IOException {
        this.out = out;
        this.terminal = terminal;
        this.jsonl = jsonLines == null ? null : Files.newBufferedWriter(jsonLines, StandardCharsets.UTF_8);
    }

    /** A log that prints nothing and writes nothing (tests, library use). */
    public static TrainingLog silent() {
        try {
            return new TrainingLog(null, false, null);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Appends one JSON line: iteration, loss, then the extra fields in order. */
    public void record(long iteration, double loss, Map<String, Object> extra) {
        if (jsonl == null) {
            return;
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("iteration", iteration);
        o.put("loss", loss);
        o.put("elapsed_s", Math.round(elapsedSeconds() * 1000) / 1000.0);
        extra.forEach((k, v) -> o.putPOJO(k, v));
        try {
            jsonl.write(JSON.writeValueAsString(o));
            jsonl.write('\n');
            jsonl.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the training log: " + e.getMessage(), e);
        }
    }

    /**
     * Shows progress. {@code fraction} in [0,1] of the budget used (iterations or time, whichever
     * is nearer its end); {@code line} the figures to show. On a terminal the bar is redrawn in
     * place; otherwise only calls with {@code milestone} print, one line each.
     */
    public void progress(double fraction, String line, boolean milestone) {
        if (out == null) {
            return;
        }
        if (terminal) {
            int width = 30;
            int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
            out.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
                    + String.format(Locale.ROOT, "%3.0f%% ", 100 * fraction) + line + "\u001b[K");
            if (milestone) {
                out.println();
            }
            out.flush();
        } else if (milestone) {
            out.println(line);
            out.flush();
        }
    }

    public void message(String line) {
        if (out != null) {
            if (terminal) {
                out.print("\r\u001b[K");
            }
            out.println(line);
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        if (out != null && terminal) {
            out.println();
            out.flush();
        }
        if (jsonl != null) {
            jsonl.close();
        }
    }
}
