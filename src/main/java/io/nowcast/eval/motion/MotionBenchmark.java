package io.nowcast.eval.motion;

import io.nowcast.data.motion.MotionFolder;
import io.nowcast.data.motion.MotionSequence;
import io.nowcast.data.motion.MotionStats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A short-term motion benchmark ready to score predictors: the protocol, the normalisation
 * statistics of its training sequences and the fixed test windows of each action.
 * <ul>
 * <li>{@link #cmu}: the CMU subset, {@code <root>/train/<action>/...} for the statistics and
 * {@code <root>/test/<action>/...} for the windows (Li et al.'s {@code Data_cmu}, Mao et al.'s
 * {@code CMU_Motion}).</li>
 * <li>{@link #h36m}: Human3.6M, {@code <root>/S<k>/...}; subjects 1, 6, 7, 8, 9 and 11 train and
 * subject 5 is tested ({@code train_subject_ids} and {@code test_subject_ids} of Martinez et al.'s
 * {@code translate.py read_all_data}).</li>
 * </ul>
 */
public record MotionBenchmark(MotionProtocol protocol, MotionStats stats, Map<String, List<MotionProtocol.Window>> windows) {
    /** Martinez et al.'s training subjects. */
    public static final Set<String> H36M_TRAIN = Set.of("S1", "S6", "S7", "S8", "S9", "S11");
    /** Martinez et al.'s test subject. */
    public static final Set<String> H36M_TEST = Set.of("S5");

    /** The CMU benchmark of {@code root} (holding {@code train/} and {@code test/}). */
    public static MotionBenchmark cmu(Path root) throws IOException {
        MotionProtocol p = MotionProtocol.CMU;
        List<MotionSequence> train = cmuTraining(root);
        List<MotionSequence> test = MotionFolder.read(root.resolve("test"), MotionFolder.Layout.CMU, p.format());
        return new MotionBenchmark(p, MotionStats.of(train), p.windows(test));
    }

    /** The training sequences of the CMU benchmark of {@code root}: those of {@code root/train}, at the file rate. */
    public static List<MotionSequence> cmuTraining(Path root) throws IOException {
        return MotionFolder.read(root.resolve("train"), MotionFolder.Layout.CMU, MotionProtocol.CMU.format());
    }

    /** The training sequences of the Human3.6M benchmark of {@code root}: those of the training subjects, at the file rate. */
    public static List<MotionSequence> h36mTraining(Path root) throws IOException {
        List<MotionSequence> all = MotionFolder.read(root, MotionFolder.Layout.H36M, MotionProtocol.H36M.format());
        List<MotionSequence> train = all.stream().filter(s -> H36M_TRAIN.contains(s.folder())).toList();
        if (train.isEmpty()) {
            throw new IOException(root + ": expected training subjects " + H36M_TRAIN);
        }
        return train;
    }

    /** The Human3.6M benchmark of {@code root} (holding the subject folders {@code S1} ... {@code S11}). */
    public static MotionBenchmark h36m(Path root) throws IOException {
        MotionProtocol p = MotionProtocol.H36M;
        List<MotionSequence> all = MotionFolder.read(root, MotionFolder.Layout.H36M, p.format());
        List<MotionSequence> train = all.stream().filter(s -> H36M_TRAIN.contains(s.folder())).toList();
        List<MotionSequence> test = all.stream().filter(s -> H36M_TEST.contains(s.folder())).toList();
        if (train.isEmpty() || test.isEmpty()) {
            throw new IOException(root + ": expected training subjects " + H36M_TRAIN + " and test subject " + H36M_TEST);
        }
        return new MotionBenchmark(p, MotionStats.of(train), p.windows(test));
    }

    /** The score of each action under the protocol. */
    public Map<String, MotionScore> score(MotionPredictor predictor) {
        return MotionScore.of(protocol, windows, stats, predictor);
    }
}
