package io.nowcast.eval.motion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.train.SequenceTrainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The training windows of a motion model: relative targets of the scored dimensions, NaN elsewhere. */
class MotionSequencesTest {
    @Test
    void targetsAreTheNextFramesMinusThePresentOneOfTheScoredDimensionsOnly() {
        // 4 frames of 2 dimensions: a global one (not scored) and a joint that moves 1, 2, 4
        float[] w = {10f, 0f, 20f, 1f, 30f, 3f, 40f, 7f};
        boolean[] scored = {false, true};
        List<SequenceTrainer.Sequence> s = MotionSequences.of(List.of(w), scored, 2, true, 1, null);
        assertEquals(1, s.size());
        assertEquals(4, s.get(0).length());
        assertArrayEquals(w, s.get(0).x());
        float n = Float.NaN;
        // step t: {global+1, global+2, joint+1, joint+2}; step 0 not scored (scoredFrom 1), futures past the window NaN
        assertArrayEquals(new float[] {n, n, n, n, n, n, 2f, 6f, n, n, 4f, n, n, n, n, n}, s.get(0).y());
        float[] scale = MotionSequences.targetScale(List.of(w), scored, 2, true, 1);
        assertArrayEquals(new float[] {1f, 1f, (float) Math.sqrt(10), 6f}, scale, 1e-6f);
        float[] y = MotionSequences.of(List.of(w), scored, 2, false, 0, scale).get(0).y();
        assertEquals(3f / 6f, y[3], 1e-6f); // absolute: frame 2 of the joint over its scale
        assertTrue(Float.isNaN(y[0]));
    }
}
