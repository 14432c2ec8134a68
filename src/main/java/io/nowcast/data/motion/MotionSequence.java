package io.nowcast.data.motion;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One recorded sequence of poses, as read from a file of the motion-capture text format (see
 * {@link MotionFolder}): {@code values} holds the frames (frames, dim) row-major, each frame the
 * exponential-map angles of the skeleton (its first values the global position and rotation).
 *
 * @param file   the file it was read from
 * @param folder the folder it lies in: the action (CMU layout) or the subject, e.g. {@code S5} (Human3.6M layout)
 * @param action the action, from the file name {@code <action>_<take>.txt}
 * @param take   the take (CMU) or subaction (Human3.6M), from the file name
 * @param dim    values a frame
 * @param rateHz frames a second of {@code values}
 */
public record MotionSequence(Path file, String folder, String action, int take, int dim, double rateHz, float[] values) {
    public int frames() {
        return values.length / dim;
    }

    /** The frames [from, to), (to - from, dim) row-major. */
    public float[] frames(int from, int to) {
        return Arrays.copyOfRange(values, from * dim, to * dim);
    }

    /**
     * Every {@code step}-th frame from the first (frames 0, step, 2 step, ...), at rateHz / step:
     * {@code action_sequence[range(0, n, 2), :]} in the published loaders for step 2.
     */
    public MotionSequence subsampled(int step) {
        if (step < 1) {
            throw new IllegalArgumentException("the subsampling step must be at least 1, found " + step);
        }
        int n = (frames() + step - 1) / step;
        float[] out = new float[n * dim];
        for (int i = 0; i < n; i++) {
            System.arraycopy(values, i * step * dim, out, i * dim, dim);
        }
        return new MotionSequence(file, folder, action, take, dim, rateHz / step, out);
    }
}
