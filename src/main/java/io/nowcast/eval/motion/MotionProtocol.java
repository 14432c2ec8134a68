package io.nowcast.eval.motion;

import io.nowcast.data.motion.MotionFolder;
import io.nowcast.data.motion.MotionSequence;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The short-term motion-prediction protocol: 50 observed frames, 10 predicted, errors reported at
 * 80, 160, 320 and 400 ms (the 2nd, 4th, 8th and 10th predicted frame at 25 Hz), over fixed test
 * windows drawn with {@code np.random.RandomState(1234567890)} ({@link LegacyRandomState}), after
 * the sequences are subsampled by the format's step (every 2nd frame).
 *
 * <p>A window starts at idx = rng.randint(lowest, T - observed - future), T the subsampled length
 * of its sequence, and holds the frames [idx, idx + observed + future): the observed frames
 * [idx, idx + observed), then the future, whose first {@code predicted} frames are scored.
 * Two ways of drawing, as published:
 * <ul>
 * <li>{@link #CMU}: Li et al. (CVPR 2018; chaneyddtt/Convolutional-Sequence-to-Sequence-Model-for-Human-Dynamics,
 * {@code VAE/DataLoader_cmu.py} {@code get_test_batch} with {@code Data_cmu(50, 25)}, as in
 * {@code AC_main.py} and {@code zero_velocity.py}) and Mao et al. (ICCV 2019; wei-mao-2019/LearnTrajDep,
 * {@code utils/data_utils.py} {@code load_data_cmu}, {@code is_test}): for each test sequence a
 * fresh RandomState, 8 draws of idx = randint(0, T - 75) (75 = 50 observed + 25 future frames),
 * {@link Grouping#PER_SEQUENCE}. (Li et al. seed once per action and read only take 1; Mao et al.
 * seed once per file and read every take of the action; with one test take per action, as in
 * the published CMU data, the two agree.)</li>
 * <li>{@link #H36M}: Martinez et al. (CVPR 2017; una-dinosauria/human-motion-prediction,
 * {@code seq2seq_model.py} {@code find_indices_srnn}, after Jain et al.'s SRNN): one RandomState per
 * action, 8 draws alternating between subactions 1 and 2 of the test subject S5, idx =
 * randint(16, T - 50 - 100) (prefix 50, suffix 100), {@link Grouping#ALTERNATE_TAKES}; the window
 * is {@code get_batch_srnn}'s [idx, idx + 50 + target).</li>
 * </ul>
 * Windows come by action in order of first appearance, inside an action in draw order.
 */
public record MotionProtocol(MotionFolder.Format format, int observed, int predicted, int future, int lowest, int draws,
                             Grouping grouping, long seed, int[] horizonsMs) {
    /** The fixed dummy seed of SRNN's {@code forecastTrajectories.py}, used by every cited evaluation. */
    public static final long SEED = 1234567890L;
    private static final int[] SHORT_TERM_MS = {80, 160, 320, 400};

    /** How the draws are shared out among the test sequences of an action. */
    public enum Grouping {
        /** Each sequence has its own RandomState and all {@code draws} windows. */
        PER_SEQUENCE,
        /** One RandomState per action; draw i comes from the action's take i mod m (takes in order). */
        ALTERNATE_TAKES
    }

    /** The short-term horizons, in milliseconds: 80, 160, 320, 400. */
    public static int[] shortTermMs() {
        return SHORT_TERM_MS.clone();
    }

    /** The CMU protocol of Li et al. and Mao et al. */
    public static final MotionProtocol CMU = new MotionProtocol(MotionFolder.CMU, 50, 10, 25, 0, 8, Grouping.PER_SEQUENCE,
            SEED, SHORT_TERM_MS);
    /** The Human3.6M protocol of Martinez et al. */
    public static final MotionProtocol H36M = new MotionProtocol(MotionFolder.H36M, 50, 10, 100, 16, 8,
            Grouping.ALTERNATE_TAKES, SEED, SHORT_TERM_MS);

    public MotionProtocol {
        if (observed < 2 || predicted < 1 || future < predicted || lowest < 0 || draws < 1) {
            throw new IllegalArgumentException("a protocol needs observed >= 2, 1 <= predicted <= future, lowest >= 0 and "
                    + "draws >= 1");
        }
        horizonsMs = horizonsMs.clone();
        for (int ms : horizonsMs) {
            horizonFrame(format, ms, predicted);
        }
    }

    /** One test window: frames (observed + future, dim) of a subsampled sequence, from frame {@code start}. */
    public record Window(MotionSequence source, int start, float[] frames) {
        public int dim() {
            return source.dim();
        }

        public int length() {
            return frames.length / dim();
        }

        /** The first {@code n} frames, (n, dim). */
        public float[] head(int n) {
            return java.util.Arrays.copyOf(frames, n * dim());
        }
    }

    @Override
    public int[] horizonsMs() {
        return horizonsMs.clone();
    }

    /** The predicted frame (1-based) reported at {@code ms} milliseconds: ms * rate / 1000 at the subsampled rate. */
    public int horizonFrame(int ms) {
        return horizonFrame(format, ms, predicted);
    }

    private static int horizonFrame(MotionFolder.Format format, int ms, int predicted) {
        double f = ms * format.protocolRateHz() / 1000;
        if (f != Math.rint(f) || f < 1 || f > predicted) {
            throw new IllegalArgumentException(ms + " ms is not one of the " + predicted + " predicted frames at "
                    + format.protocolRateHz() + " Hz");
        }
        return (int) f;
    }

    /**
     * The window starts of one action, in draw order, as (sequence index, start) pairs, given the
     * subsampled lengths of the action's test sequences in take order.
     */
    public List<int[]> starts(List<Integer> subsampledLengths) {
        List<int[]> out = new ArrayList<>();
        int m = subsampledLengths.size();
        if (grouping == Grouping.PER_SEQUENCE) {
            for (int s = 0; s < m; s++) {
                LegacyRandomState rng = new LegacyRandomState(seed);
                for (int i = 0; i < draws; i++) {
                    out.add(new int[] {s, draw(rng, subsampledLengths.get(s))});
                }
            }
        } else {
            LegacyRandomState rng = new LegacyRandomState(seed);
            for (int i = 0; i < draws; i++) {
                out.add(new int[] {i % m, draw(rng, subsampledLengths.get(i % m))});
            }
        }
        return out;
    }

    private int draw(LegacyRandomState rng, int frames) {
        int high = frames - observed - future;
        if (high <= lowest) {
            throw new IllegalArgumentException("a sequence of " + frames + " subsampled frames is too short for windows of "
                    + observed + " + " + future + " frames starting at " + lowest + " or later");
        }
        return (int) rng.randint(lowest, high);
    }

    /**
     * The protocol's windows of the test sequences (at the file rate; they are subsampled here),
     * grouped by action in order of first appearance, the takes of an action in take order.
     */
    public Map<String, List<Window>> windows(List<MotionSequence> test) {
        Map<String, List<MotionSequence>> byAction = new LinkedHashMap<>();
        for (MotionSequence s : test) {
            if (s.dim() != format.dim()) {
                throw new IllegalArgumentException(s.file() + ": " + s.dim() + " values a frame, the protocol expects "
                        + format.dim());
            }
            byAction.computeIfAbsent(s.action(), k -> new ArrayList<>()).add(s.subsampled(format.step()));
        }
        Map<String, List<Window>> out = new LinkedHashMap<>();
        int length = observed + future;
        for (Map.Entry<String, List<MotionSequence>> e : byAction.entrySet()) {
            List<MotionSequence> takes = new ArrayList<>(e.getValue());
            takes.sort(Comparator.comparingInt(MotionSequence::take));
            List<Window> ws = new ArrayList<>();
            for (int[] si : starts(takes.stream().map(MotionSequence::frames).toList())) {
                MotionSequence s = takes.get(si[0]);
                ws.add(new Window(s, si[1], s.frames(si[1], si[1] + length)));
            }
            out.put(e.getKey(), ws);
        }
        return out;
    }
}
