package io.nowcast.data.motion;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The motion-capture sequences of a folder, in the text format of the short-term motion-prediction
 * literature: one file per sequence, one frame per line, the frame's exponential-map angles
 * separated by commas (the first values are the global position and rotation). Read as
 * {@code readCSVasFloat} of Martinez et al.'s {@code data_utils.py} (una-dinosauria/human-motion-prediction)
 * reads them: each value parsed as a float32 number. Two layouts, the same reader:
 * <ul>
 * <li>{@link Layout#CMU}: {@code <root>/<action>/<action>_<n>.txt}, the CMU motion-capture subset
 * as Li et al. (CVPR 2018, chaneyddtt/Convolutional-Sequence-to-Sequence-Model-for-Human-Dynamics,
 * {@code data_utils_cmu.load_data}) and Mao et al. (ICCV 2019, wei-mao-2019/LearnTrajDep,
 * {@code load_data_cmu}) prepared it, with root the {@code train} or {@code test} folder;
 * 117 values a frame.</li>
 * <li>{@link Layout#H36M}: {@code <root>/S<k>/<action>_<n>.txt}, Human3.6M as Martinez et al.
 * (CVPR 2017, {@code load_data}) read it, one folder per subject, n the subaction; 99 values a
 * frame, 50 Hz.</li>
 * </ul>
 * The frame dimension and rate are settings ({@link Format}); so is the subsampling the protocols
 * apply before drawing windows (every 2nd frame in all three cited loaders: {@code even_list =
 * range(0, n, 2)}), which {@link MotionSequence#subsampled} does. Sequences come sorted by folder
 * name, then action, then take. Blank lines are skipped; any other line that is not {@code dim}
 * finite numbers is refused with the file, the line and what was expected.
 */
public final class MotionFolder {
    private static final Pattern FILE = Pattern.compile("(.+)_(\\d+)\\.txt");
    private static final Pattern SUBJECT = Pattern.compile("S\\d+");

    /** How the files lie under the root. */
    public enum Layout {
        /** {@code <root>/<action>/<action>_<n>.txt}. */
        CMU,
        /** {@code <root>/S<k>/<action>_<n>.txt}. */
        H36M
    }

    /**
     * What a file holds: {@code dim} values a frame, {@code rateHz} frames a second, and the
     * subsampling step of the protocol (2: 50 Hz becomes 25 Hz).
     */
    public record Format(int dim, double rateHz, int step) {
        public Format {
            if (dim < 6 || dim % 3 != 0) {
                throw new IllegalArgumentException("a frame is the global position and triples of angles: dim must be a multiple "
                        + "of 3 and at least 6, found " + dim);
            }
            if (!(rateHz > 0) || step < 1) {
                throw new IllegalArgumentException("the rate must be positive and the step at least 1");
            }
        }

        /** The rate after subsampling. */
        public double protocolRateHz() {
            return rateHz / step;
        }
    }

    /**
     * The CMU subset of Li et al.: 117 values a frame, subsampled by 2. The cited code states no
     * rate for these files; it labels the errors of the 2nd, 4th, 8th and 10th subsampled frame
     * 80, 160, 320 and 400 ms, i.e. 40 ms a subsampled frame, so the files are taken at 50 Hz, as
     * Human3.6M's.
     */
    public static final Format CMU = new Format(117, 50, 2);
    /** Human3.6M in Martinez et al.'s files: 99 values a frame, 50 Hz, subsampled by 2 to 25 Hz. */
    public static final Format H36M = new Format(99, 50, 2);

    private MotionFolder() {
    }

    /** Every sequence under {@code root} in the given layout, at the file rate (not subsampled). */
    public static List<MotionSequence> read(Path root, Layout layout, Format format) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + ": no such directory (expected the " + layout + " layout "
                    + (layout == Layout.CMU ? "<action>/<action>_<n>.txt" : "S<k>/<action>_<n>.txt") + ")");
        }
        List<MotionSequence> out = new ArrayList<>();
        for (Path dir : list(root, Files::isDirectory)) {
            String folder = dir.getFileName().toString();
            if (layout == Layout.H36M && !SUBJECT.matcher(folder).matches()) {
                throw new IOException(dir + ": expected a subject folder S<k> (Human3.6M layout)");
            }
            List<MotionSequence> here = new ArrayList<>();
            for (Path f : list(dir, p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".txt"))) {
                Matcher m = FILE.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    throw new IOException(f + ": expected a file named <action>_<n>.txt");
                }
                String action = m.group(1);
                if (layout == Layout.CMU && !action.equals(folder)) {
                    throw new IOException(f + ": expected " + folder + "_<n>.txt in the folder of action " + folder
                            + " (CMU layout)");
                }
                here.add(readFile(f, folder, action, Integer.parseInt(m.group(2)), format));
            }
            here.sort(Comparator.comparing(MotionSequence::action).thenComparingInt(MotionSequence::take));
            out.addAll(here);
        }
        if (out.isEmpty()) {
            throw new IOException(root + ": no <action>_<n>.txt files in the " + layout + " layout");
        }
        return out;
    }

    private static List<Path> list(Path dir, Predicate<Path> keep) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(keep).sorted().toList();
        }
    }

    /** One file: {@code format.dim()} comma-separated numbers a line. */
    public static MotionSequence readFile(Path file, String folder, String action, int take, Format format)
            throws IOException {
        int dim = format.dim();
        float[] values = new float[1024 * dim];
        int n = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                String s = line.strip();
                if (s.isEmpty()) {
                    continue;
                }
                String[] f = s.split(",", -1);
                if (f.length != dim) {
                    throw new IOException(file + ":" + lineNo + ": expected " + dim + " comma-separated values, found "
                            + f.length);
                }
                if ((n + 1) * dim > values.length) {
                    values = Arrays.copyOf(values, 2 * values.length);
                }
                for (int j = 0; j < dim; j++) {
                    values[n * dim + j] = number(f[j], file, lineNo, j);
                }
                n++;
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 text", e);
        }
        if (n == 0) {
            throw new IOException(file + ": no frames (expected lines of " + dim + " comma-separated values)");
        }
        return new MotionSequence(file, folder, action, take, dim, format.rateHz(), Arrays.copyOf(values, n * dim));
    }

    /** np.float32(x) of a Python string: the double nearest the text, then the float32 nearest that. */
    private static float number(String s, Path file, int line, int index) throws IOException {
        try {
            float v = (float) Double.parseDouble(s.strip());
            if (Float.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IOException(file + ":" + line + ": value " + (index + 1) + ": expected a finite number, found '" + s + "'");
    }
}
