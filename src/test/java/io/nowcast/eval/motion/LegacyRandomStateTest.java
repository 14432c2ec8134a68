package io.nowcast.eval.motion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The generator against numbers printed by numpy 1.24.2 and 2.4.6 (the same in both; the legacy
 * generator is frozen), e.g. {@code np.random.RandomState(1234567890).randint(0, 214)} eight times.
 */
class LegacyRandomStateTest {
    private static List<Long> draws(long seed, long low, long high, int n) {
        LegacyRandomState r = new LegacyRandomState(seed);
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(r.randint(low, high));
        }
        return out;
    }

    @Test
    void theSeededStateIsNumpys() {
        // np.random.RandomState(1234567890).get_state()[1][:4]
        LegacyRandomState r = new LegacyRandomState(1234567890L);
        assertEquals(List.of(1234567890L, 1735854144L, 724044455L, 856724198L),
                List.of(r.key(0), r.key(1), r.key(2), r.key(3)));
    }

    @Test
    void rawWordsAreNumpys() {
        // RandomState(1234567890).randint(0, 2**32, size=5, dtype=np.uint64): the words themselves
        assertEquals(List.of(2657703298L, 1462474751L, 2541004134L, 640082991L, 3816866956L),
                draws(1234567890L, 0, 1L << 32, 5));
    }

    @Test
    void boundedDrawsAreNumpys() {
        assertEquals(List.of(130L, 102L, 47L, 140L, 51L, 33L, 171L, 105L), draws(1234567890L, 0, 214, 8));
        assertEquals(List.of(5L, 0L, 3L, 3L, 7L, 9L), draws(0, 0, 10, 6));
        assertEquals(List.of(118L, 451L, 876L, 286L, 122L, 87L), draws(42, 16, 1000, 6));
        assertEquals(List.of(843828734L, 914636141L, 1228959102L, 1840268610L, 974319580L, 819844194L),
                draws(123, 0, 1L << 31, 6));
        // a range of one value draws nothing: the next draw is the first word's
        assertEquals(List.of(5L, 5L, 5L), draws(7, 5, 6, 3));
        assertEquals(List.of(0L, 0L), draws(4294967295L, 0, 1, 2));
    }

    @Test
    void wideRangesDrawSixtyFourBitWordsHighWordFirst() {
        // RandomState(1234567890): randint(0, 2**40) three times, then randint(3, 2**33 + 5) twice
        LegacyRandomState r = new LegacyRandomState(1234567890L);
        List<Long> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            got.add(r.randint(0, 1L << 40));
        }
        for (int i = 0; i < 2; i++) {
            got.add(r.randint(3, (1L << 33) + 5));
        }
        assertEquals(List.of(559808223231L, 438726747183L, 602293735219L, 6149581742L, 7923052863L), got);
    }

    @Test
    void refusesAnEmptyRangeAndASeedOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> new LegacyRandomState(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> new LegacyRandomState(-1));
        assertThrows(IllegalArgumentException.class, () -> new LegacyRandomState(1).randint(5, 5));
    }
}
