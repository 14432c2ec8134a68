package io.nowcast.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A pedestrian trajectory file in the ETH/UCY text format: one observation per line,
 * {@code frame_id ped_id x y} separated by tabs (any run of spaces or tabs is accepted), positions
 * in metres. Frame and pedestrian ids may be written as decimals ({@code 780.0}, {@code 1.0}); an
 * integral id is kept as an integer ({@code "1"}). Blank lines are skipped.
 *
 * <p>The observations are put in frame order (a stable sort: inside a frame, the file's order), so
 * the pedestrians of one frame follow each other as in the recording. {@link #frameStep} is the
 * smallest difference between two consecutive frame ids (10 in the published files, one step =
 * 0.4 s); {@link #step(int)} counts steps from the first frame, so a gap in the recording (frames
 * missing) stays a gap. Every refusal names the file and the line.
 */
public final class TrajectoryFile {
    private final Path file;
    /** Frame id of each observation, in frame order. */
    public final double[] frames;
    /** Pedestrian id of each observation ("1" for 1.0). */
    public final String[] pedestrians;
    /** (rows, 2) row-major: x, y of each observation. */
    public final float[] positions;
    /** Smallest positive difference between consecutive frame ids; 1 when there is one frame. */
    public final double frameStep;
    private final int[] lineNumbers;

    private TrajectoryFile(Path file, double[] frames, String[] pedestrians, float[] positions, double frameStep,
                           int[] lineNumbers) {
        this.file = file;
        this.frames = frames;
        this.pedestrians = pedestrians;
        this.positions = positions;
        this.frameStep = frameStep;
        this.lineNumbers = lineNumbers;
    }

    public int rowCount() {
        return frames.length;
    }

    /** Steps of {@link #frameStep} from the first frame to the frame of observation {@code row}. */
    public long step(int row) {
        return Math.round((frames[row] - frames[0]) / frameStep);
    }

    /** The pedestrian ids in order of first appearance. */
    public Set<String> pedestrianIds() {
        return new LinkedHashSet<>(Arrays.asList(pedestrians));
    }

    /** The line of the file observation {@code row} came from, 1-based. */
    public int lineNumber(int row) {
        return lineNumbers[row];
    }

    public Path file() {
        return file;
    }

    private record Obs(double frame, String ped, float x, float y, int line) {
    }

    public static TrajectoryFile read(Path file) throws IOException {
        List<Obs> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                String s = line.strip();
                if (s.isEmpty()) {
                    continue;
                }
                String[] f = s.split("[ \t]+");
                if (f.length != 4) {
                    throw new IOException(file + ":" + lineNo + ": expected 4 fields 'frame_id ped_id x y', found "
                            + f.length);
                }
                double frame = number(f[0], file, lineNo, "frame_id");
                if (frame < 0 || frame != Math.rint(frame)) {
                    throw new IOException(file + ":" + lineNo + ": frame_id must be a whole number >= 0, found '"
                            + f[0] + "'");
                }
                double ped = number(f[1], file, lineNo, "ped_id");
                String pedId = ped == Math.rint(ped) && Math.abs(ped) < 1e15 ? Long.toString((long) ped) : f[1];
                float x = (float) number(f[2], file, lineNo, "x");
                float y = (float) number(f[3], file, lineNo, "y");
                if (!Float.isFinite(x) || !Float.isFinite(y)) {
                    throw new IOException(file + ":" + lineNo + ": x, y must be finite float32 numbers, found '"
                            + f[2] + "', '" + f[3] + "'");
                }
                rows.add(new Obs(frame, pedId, x, y, lineNo));
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 text", e);
        }
        if (rows.isEmpty()) {
            throw new IOException(file + ": no observations (expected lines 'frame_id ped_id x y')");
        }
        rows.sort(Comparator.comparingDouble(Obs::frame)); // stable: a frame keeps the file's order
        int n = rows.size();
        double[] frames = new double[n];
        String[] peds = new String[n];
        float[] pos = new float[2 * n];
        int[] lines = new int[n];
        double step = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            Obs o = rows.get(i);
            frames[i] = o.frame;
            peds[i] = o.ped;
            pos[2 * i] = o.x;
            pos[2 * i + 1] = o.y;
            lines[i] = o.line;
            if (i > 0 && frames[i] > frames[i - 1]) {
                step = Math.min(step, frames[i] - frames[i - 1]);
            }
        }
        return new TrajectoryFile(file, frames, peds, pos, Double.isInfinite(step) ? 1 : step, lines);
    }

    private static double number(String s, Path file, int line, String field) throws IOException {
        try {
            double v = Double.parseDouble(s);
            if (Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IOException(file + ":" + line + ": " + field + ": expected a finite number, found '" + s + "'");
    }
}
