package io.nowcast.train;

import io.nowcast.nn.Param;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EarlyStoppingTest {

    @Test
    void aLossStopsAfterPatienceValidationsWithoutABestAndTheBestWeightsComeBack() {
        Param p = new Param("w", 3);
        EarlyStopping s = new EarlyStopping(List.of(p), 2, false, true);
        p.set(new float[] {1, 2, 3});
        assertTrue(s.offer(5.0, 10));
        p.set(new float[] {4, 5, 6});
        assertTrue(s.offer(4.0, 20));
        p.set(new float[] {7, 8, 9});
        assertFalse(s.offer(4.5, 30));
        assertFalse(s.shouldStop());
        assertFalse(s.offer(4.0, 40), "a tie is no new best");
        assertTrue(s.shouldStop());
        assertEquals(4.0, s.best());
        assertEquals(20, s.bestIteration());
        assertTrue(s.restore());
        assertArrayEquals(new float[] {4, 5, 6}, p.values());
    }

    @Test
    void aScoreToMaximiseWithoutPatienceNeverStopsAndKeepsNothingWhenAsked() {
        Param p = new Param("w", 1);
        EarlyStopping s = new EarlyStopping(List.of(p), 0, true, false);
        assertTrue(s.offer(20.0, 1));
        assertFalse(s.offer(19.0, 2));
        assertFalse(s.offer(18.0, 3));
        assertFalse(s.shouldStop());
        assertTrue(s.offer(21.0, 4));
        assertEquals(21.0, s.best());
        assertFalse(s.hasWeights());
        assertFalse(s.restore());
    }
}
