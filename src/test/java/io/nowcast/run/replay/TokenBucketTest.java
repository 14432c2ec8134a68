package io.nowcast.run.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The pacing logic on a simulated clock (no real time is measured): the average rate is the asked
 * one although every sleep overshoots and every send takes time; a stall is followed by a bounded
 * burst.
 */
class TokenBucketTest {
    /** A clock that moves only when slept on (late by up to {@code maxLateNanos}) or told to. */
    static final class FakeClock implements TokenBucket.Clock {
        long now = 1_000_000_000L;
        long sleeps;
        private final long maxLateNanos;
        private final SplittableRandom rng = new SplittableRandom(7);

        FakeClock(long maxLateNanos) {
            this.maxLateNanos = maxLateNanos;
        }

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleepNanos(long nanos) {
            sleeps++;
            now += nanos + (maxLateNanos == 0 ? 0 : rng.nextLong(maxLateNanos));
        }
    }

    @Test
    void theAverageRateIsTheAskedOneDespiteLateWakeUpsAndSlowSends() throws Exception {
        for (double rate : new double[] {5, 250, 20_000, 1_000_000}) {
            FakeClock clock = new FakeClock(200_000); // every sleep up to 200 us late
            TokenBucket b = new TokenBucket(rate, Math.max(2, rate / 20), clock);
            long start = clock.now;
            int n = 20_000;
            for (int i = 0; i < n; i++) {
                b.acquire();
                clock.now += 300; // the send itself
            }
            double seconds = (clock.now - start) / 1e9;
            double achieved = (n - 1) / seconds;
            assertEquals(rate, achieved, rate * 0.01, "rate " + rate + " achieved " + achieved);
        }
    }

    @Test
    void theFirstEventGoesAtOnceAndEveryOneAfterWaitsItsTurn() throws Exception {
        FakeClock clock = new FakeClock(0);
        TokenBucket b = new TokenBucket(10, 2, clock);
        long start = clock.now;
        b.acquire();
        assertEquals(start, clock.now, "no wait for the first");
        b.acquire();
        assertEquals(start + 100_000_000L, clock.now, "the second 100 ms later at 10/s");
        b.acquire();
        assertEquals(start + 200_000_000L, clock.now);
    }

    @Test
    void afterAStallAtMostTheCapacityGoesAtOnce() throws Exception {
        FakeClock clock = new FakeClock(0);
        TokenBucket b = new TokenBucket(100, 5, clock);
        b.acquire();
        clock.now += 10_000_000_000L; // 10 s without sending: 1000 tokens' worth, capped at 5
        long sleepsBefore = clock.sleeps;
        long t = clock.now;
        for (int i = 0; i < 5; i++) {
            b.acquire();
        }
        assertEquals(t, clock.now, "the burst of 5 goes without sleeping");
        assertEquals(sleepsBefore, clock.sleeps);
        b.acquire();
        assertTrue(clock.now > t, "the sixth waits");
        assertEquals(t + 10_000_000L, clock.now, "one period, 10 ms");
    }

    @Test
    void refusesABadRateOrCapacity() {
        FakeClock clock = new FakeClock(0);
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, clock));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(Double.NaN, 1, clock));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(Double.POSITIVE_INFINITY, 1, clock));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(10, 0.5, clock));
    }
}
