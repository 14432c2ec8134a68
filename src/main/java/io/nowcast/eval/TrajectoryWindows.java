package io.nowcast.eval;

import io.nowcast.data.TrajectoryFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The windows of the ETH/UCY protocol (Social GAN, Gupta et al. 2018): {@code length} consecutive
 * steps of one pedestrian (8 observed then 12 predicted), starting at every step of the recording.
 * A window is kept only when at least {@code minPeople} pedestrians (the published protocol: 2)
 * are tracked through all of its steps; every such pedestrian gives one window.
 *
 * <p>Steps are counted with {@link TrajectoryFile#step}, so a gap in the recording (frames with no
 * observation at all) breaks a window: a pedestrian must be observed at each of the {@code length}
 * consecutive frames. (The published loader indexes the frames that have observations, which
 * differs only when someone is tracked across a frame where nobody is; in the ETH/UCY files nobody
 * is, and both give the same windows.) Windows come in order of their first step; inside a step,
 * in the file's order of the first frame.
 */
public final class TrajectoryWindows {
    /** Observed steps of the protocol: 3.2 s at 2.5 Hz. */
    public static final int OBSERVED = 8;
    /** Predicted steps of the protocol: 4.8 s at 2.5 Hz. */
    public static final int PREDICTED = 12;
    /** People that must be tracked through a whole window for it to count. */
    public static final int MIN_PEOPLE = 2;

    private TrajectoryWindows() {
    }

    /** One pedestrian through {@code length} consecutive steps: positions (length, 2) in metres. */
    public record Window(String source, String pedestrian, double firstFrame, float[] xy) {
        public int length() {
            return xy.length / 2;
        }

        /** The first {@code steps} positions, (steps, 2). */
        public float[] head(int steps) {
            return java.util.Arrays.copyOf(xy, 2 * steps);
        }
    }

    /** The protocol's windows: {@link #OBSERVED} + {@link #PREDICTED} steps, at least {@link #MIN_PEOPLE} people. */
    public static List<Window> of(TrajectoryFile file) {
        return of(file, OBSERVED + PREDICTED, MIN_PEOPLE);
    }

    /** Every window of {@code length} steps in which at least {@code minPeople} pedestrians are tracked throughout. */
    public static List<Window> of(TrajectoryFile file, int length, int minPeople) {
        if (length < 2 || minPeople < 1) {
            throw new IllegalArgumentException("windows need a length >= 2 and minPeople >= 1");
        }
        int n = file.rowCount();
        long last = n == 0 ? -1 : file.step(n - 1);
        // rows of each step, in file order, and the row of (pedestrian, step)
        Map<Long, List<Integer>> atStep = new HashMap<>();
        Map<String, Map<Long, Integer>> byPed = new HashMap<>();
        for (int r = 0; r < n; r++) {
            long s = file.step(r);
            atStep.computeIfAbsent(s, k -> new ArrayList<>()).add(r);
            byPed.computeIfAbsent(file.pedestrians[r], k -> new HashMap<>()).put(s, r);
        }
        String source = file.file().getFileName().toString();
        List<Window> out = new ArrayList<>();
        List<Window> here = new ArrayList<>();
        for (long s0 = 0; s0 + length - 1 <= last; s0++) {
            List<Integer> first = atStep.get(s0);
            if (first == null || first.size() < minPeople) {
                continue;
            }
            here.clear();
            for (int r0 : first) {
                String ped = file.pedestrians[r0];
                Map<Long, Integer> track = byPed.get(ped);
                float[] xy = new float[2 * length];
                boolean whole = true;
                for (int k = 0; k < length && whole; k++) {
                    Integer r = track.get(s0 + k);
                    if (r == null) {
                        whole = false;
                    } else {
                        xy[2 * k] = file.positions[2 * r];
                        xy[2 * k + 1] = file.positions[2 * r + 1];
                    }
                }
                if (whole) {
                    here.add(new Window(source, ped, file.frames[r0], xy));
                }
            }
            if (here.size() >= minPeople) {
                out.addAll(here);
            }
        }
        return out;
    }

    /** The trajectory files at {@code path}: the file itself, or the {@code .txt} files of a directory, sorted by name. */
    public static List<Path> files(Path path) throws IOException {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new IOException(path + ": no such file or directory");
        }
        List<Path> out;
        try (Stream<Path> s = Files.list(path)) {
            out = s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".txt")).sorted().toList();
        }
        if (out.isEmpty()) {
            throw new IOException(path + ": no .txt trajectory files in this directory");
        }
        return out;
    }

    /** The protocol's windows of every file at {@code path} (see {@link #files}), file after file. */
    public static List<Window> read(Path path) throws IOException {
        List<Window> out = new ArrayList<>();
        for (Path f : files(path)) {
            out.addAll(of(TrajectoryFile.read(f)));
        }
        return out;
    }
}
