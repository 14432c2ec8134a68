package io.nowcast.run.replay;

import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.SampleCodec;
import io.nowcast.data.CsvTable;
import io.nowcast.data.TrajectoryFile;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code nowcast replay} sends, read from a CSV, an ETH/UCY trajectory file or a folder of
 * images: record i's stream and value, in sending order; a later pass of --loop shifts the event
 * times by {@code passShift}.
 */
public record ReplaySource(String description, String[] streams, long passShift, Encoder encoder) {
    public int size() {
        return streams.length;
    }

    public byte[] value(int i, long shift) throws IOException {
        return encoder.value(i, shift);
    }

    /** The record value of record i, event time shifted by shift milliseconds. */
    public interface Encoder {
        byte[] value(int i, long shift) throws IOException;
    }

    /** Samples as JSON: values (n, width) row-major. */
    private static ReplaySource samples(String d, String[] streams, long[] times, float[] values, int width, long shift) {
        return new ReplaySource(d, streams, shift, (i, sh) -> SampleCodec.encode(streams[i], times[i] + sh, values, i * width, width));
    }

    /** The samples (or frames) of the input, refused when the options do not fit it. */
    public static ReplaySource load(ReplayInput in) throws IOException {
        long start = in.startMs() != null ? in.startMs() : System.currentTimeMillis();
        if (Files.isDirectory(in.input())) {
            if (in.format() != null && in.format() != ReplayInput.Format.images) {
                throw new IllegalArgumentException(in.input() + " is a folder: --format " + in.format() + " reads a file");
            }
            return loadImages(in, start);
        }
        if (in.format() == ReplayInput.Format.images) {
            throw new IllegalArgumentException(in.input() + ": --format images reads a folder of images");
        }
        if (!Files.isRegularFile(in.input())) {
            throw new IllegalArgumentException(in.input() + ": no such file");
        }
        ReplayInput.Format f = in.format() != null ? in.format() : formatOf(in.input());
        return f == ReplayInput.Format.csv ? loadCsv(in, start) : loadTrajectory(in, start);
    }

    private static ReplayInput.Format formatOf(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            return ReplayInput.Format.csv;
        }
        if (name.endsWith(".txt") || name.endsWith(".tsv")) {
            return ReplayInput.Format.trajectory;
        }
        throw new IllegalArgumentException(file + ": cannot tell the format from the file name; give --format csv"
                + " or --format trajectory");
    }

    /**
     * A folder of images (PNG, BMP, GIF, JPEG: what javax.imageio reads), in file-name order, as one
     * camera: raw grey frames (schemas/frame.md) keyed by the folder's name (with --stream-prefix),
     * event times --step-ms apart (default 100 ms, 10 frames per second). Each image is read when
     * it is sent.
     */
    private static ReplaySource loadImages(ReplayInput in, long start) throws IOException {
        if (in.columns() != null || in.streamColumn() != null || in.timeColumn() != null) {
            throw new IllegalArgumentException("--columns, --stream-column and --time-column are for csv input");
        }
        List<Path> files;
        try (java.util.stream.Stream<Path> list = Files.list(in.input())) {
            files = list.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT)
                    .matches(".*\\.(png|bmp|gif|jpe?g)")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(in.input() + ": no images (png, bmp, gif, jpg) in the folder");
        }
        long step = in.stepMs() != null ? in.stepMs() : 100;
        String stream = streamId(in, in.input().toAbsolutePath().getFileName().toString(), in.input().toString());
        String[] streams = new String[files.size()];
        java.util.Arrays.fill(streams, stream);
        String d = String.format(Locale.ROOT, "%s (images): %d frames of camera '%s', one every %d ms",
                in.input().getFileName(), files.size(), stream, step);
        return new ReplaySource(d, streams, files.size() * step, (i, sh) -> {
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(files.get(i).toFile());
            if (img == null) {
                throw new IOException(files.get(i) + ": not an image javax.imageio can read");
            }
            if (img.getWidth() > FrameCodec.MAX_SIDE || img.getHeight() > FrameCodec.MAX_SIDE) {
                throw new IOException(files.get(i) + ": " + img.getWidth() + "x" + img.getHeight()
                        + " is larger than a frame may be (sides up to " + FrameCodec.MAX_SIDE + ")");
            }
            return FrameCodec.encodeRawU8(img.getWidth(), img.getHeight(), start + i * step + sh,
                    FrameCodec.luminance(img));
        });
    }

    private static ReplaySource loadTrajectory(ReplayInput in, long start) throws IOException {
        for (String[] opt : new String[][] {{"--columns", in.columns() == null ? null : ""},
                {"--stream-column", in.streamColumn()}, {"--time-column", in.timeColumn()}}) {
            if (opt[1] != null) {
                throw new IllegalArgumentException(opt[0] + " is for csv input: a trajectory file has the stream"
                        + " (ped_id), the time (frame_id) and the values (x, y) in fixed places");
            }
        }
        TrajectoryFile t = TrajectoryFile.read(in.input());
        long step = in.stepMs() != null ? in.stepMs() : 400;
        int n = t.rowCount();
        String[] streams = new String[n];
        long[] times = new long[n];
        for (int i = 0; i < n; i++) {
            streams[i] = streamId(in, t.pedestrians[i], t.file() + ":" + t.lineNumber(i));
            times[i] = start + t.step(i) * step;
        }
        long shift = (t.step(n - 1) + 1) * step;
        String d = String.format(Locale.ROOT, "%s (trajectory): %d samples of %d pedestrians, values [x, y],"
                        + " frame step %s = %d ms, %d steps", in.input().getFileName(), n, t.pedestrianIds().size(),
                fmt(t.frameStep), step, t.step(n - 1) + 1);
        return samples(d, streams, times, t.positions, 2, shift);
    }

    private static ReplaySource loadCsv(ReplayInput in, long start) throws IOException {
        CsvTable table = CsvTable.read(in.input());
        int n = table.rowCount();
        if (n == 0) {
            throw new IllegalArgumentException(in.input() + ": no rows");
        }
        List<String> skipped = new ArrayList<>();
        List<String> cols;
        if (in.columns() != null && !in.columns().isEmpty()) {
            cols = List.copyOf(in.columns());
        } else {
            cols = new ArrayList<>();
            for (String name : table.columns) {
                if (name.equals(in.streamColumn()) || name.equals(in.timeColumn())) {
                    continue;
                }
                if (table.isNumeric(name)) {
                    cols.add(name);
                } else {
                    skipped.add(name);
                }
            }
            if (cols.isEmpty()) {
                throw new IllegalArgumentException(in.input() + ": no numeric column to send; the file has " + table.columns);
            }
        }
        if (new LinkedHashSet<>(cols).size() != cols.size()) {
            throw new IllegalArgumentException("--columns names a column twice: " + cols);
        }
        if (in.timeColumn() != null && (in.startMs() != null || in.stepMs() != null)) {
            throw new IllegalArgumentException("--start-ms and --step-ms make up event times; with --time-column the"
                    + " times come from the file");
        }
        float[] values = table.select(cols);
        String[] streams = new String[n];
        if (in.streamColumn() != null) {
            String[] ids = table.text(in.streamColumn());
            for (int i = 0; i < n; i++) {
                streams[i] = streamId(in, ids[i], in.input() + ":" + table.lineOf(i) + ": column '" + in.streamColumn() + "'");
            }
        } else {
            String name = in.input().getFileName().toString();
            int dot = name.lastIndexOf('.');
            String id = streamId(in, dot > 0 ? name.substring(0, dot) : name, in.input().toString());
            java.util.Arrays.fill(streams, id);
        }
        long[] times = new long[n];
        long shift;
        if (in.timeColumn() != null) {
            String[] cells = table.text(in.timeColumn());
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (int i = 0; i < n; i++) {
                times[i] = parseTime(cells[i], in.input() + ":" + table.lineOf(i) + ": column '" + in.timeColumn() + "'");
                min = Math.min(min, times[i]);
                max = Math.max(max, times[i]);
            }
            shift = max - min + typicalStep(streams, times);
        } else {
            long step = in.stepMs() != null ? in.stepMs() : 100;
            Map<String, Long> next = new HashMap<>();
            long most = 0;
            for (int i = 0; i < n; i++) {
                long k = next.merge(streams[i], 1L, Long::sum) - 1;
                times[i] = start + k * step;
                most = Math.max(most, k + 1);
            }
            shift = most * step;
        }
        int streamCount = new LinkedHashSet<>(List.of(streams)).size();
        String d = String.format(Locale.ROOT, "%s (csv): %d samples of %d stream%s, values %s, time %s%s",
                in.input().getFileName(), n, streamCount, streamCount == 1 ? " '" + streams[0] + "'" : "s", cols,
                in.timeColumn() != null ? "from column '" + in.timeColumn() + "'" : "made up, step " + (in.stepMs() != null ? in.stepMs() : 100) + " ms",
                skipped.isEmpty() ? "" : "; not numeric, not sent: " + skipped);
        return samples(d, streams, times, values, cols.size(), shift);
    }

    private static String streamId(ReplayInput in, String raw, String where) {
        String id = in.streamPrefix() + raw;
        int len = id.codePointCount(0, id.length());
        if (len < 1 || len > SampleCodec.MAX_STREAM_ID) {
            throw new IllegalArgumentException(where + ": a stream id must have 1 to " + SampleCodec.MAX_STREAM_ID
                    + " characters, '" + (len > 40 ? id.substring(0, 40) + "..." : id) + "' has " + len);
        }
        return id;
    }

    /** The smallest positive time difference between consecutive samples of one stream; 1 if none. */
    private static long typicalStep(String[] streams, long[] times) {
        Map<String, Long> last = new HashMap<>();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < streams.length; i++) {
            Long prev = last.put(streams[i], times[i]);
            if (prev != null && times[i] > prev) {
                best = Math.min(best, times[i] - prev);
            }
        }
        return best == Long.MAX_VALUE ? 1 : best;
    }

    /** Integer milliseconds since the epoch, or an ISO-8601 date-time (UTC without an offset), or a date. */
    public static long parseTime(String s, String where) {
        long t;
        try {
            t = Long.parseLong(s);
        } catch (NumberFormatException notLong) {
            try {
                t = new BigDecimal(s).longValueExact();
            } catch (NumberFormatException | ArithmeticException notInteger) {
                t = parseDate(s, where);
            }
        }
        if (t < 0) {
            throw new IllegalArgumentException(where + ": event time before 1970 (" + s + "): a sample's time is >= 0");
        }
        return t;
    }

    private static long parseDate(String s, String where) {
        String iso = s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + 'T' + s.substring(11) : s;
        try {
            return OffsetDateTime.parse(iso).toInstant().toEpochMilli();
        } catch (DateTimeParseException e1) {
            try {
                return Instant.parse(iso).toEpochMilli();
            } catch (DateTimeParseException e2) {
                try {
                    return LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC).toEpochMilli();
                } catch (DateTimeParseException e3) {
                    try {
                        return LocalDate.parse(iso).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
                    } catch (DateTimeParseException e4) {
                        throw new IllegalArgumentException(where + ": expected an event time (integer milliseconds"
                                + " since the epoch or an ISO-8601 date-time), found '" + s + "'");
                    }
                }
            }
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
