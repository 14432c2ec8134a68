package io.nowcast.run.replay;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces a loop at a steady number of events per second by sleeping: tokens accrue at {@code rate}
 * per second up to {@code capacity}, and {@link #acquire()} takes one, sleeping until it is there.
 *
 * <p>The tokens are counted from the clock, not from the sleeps, so a sleep that overshoots (the
 * usual case: the OS wakes a thread late by tens of microseconds) is made up by the next events
 * and the average rate stays the asked one. The capacity bounds the catching up: after a stall
 * (the broker slow to answer, a GC pause) at most {@code capacity} events go out at once, then
 * the pace is steady again; the time lost in the stall beyond that is not made up. The first
 * event goes at once. Not thread-safe.
 */
public final class TokenBucket {
    /** Time and sleep, replaceable in tests. */
    interface Clock {
        long nanoTime();

        void sleepNanos(long nanos) throws InterruptedException;
    }

    static final Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleepNanos(long nanos) throws InterruptedException {
            // parkNanos sleeps with microsecond resolution where Thread.sleep rounds to milliseconds;
            // it may return early, which acquire() handles by checking the tokens again
            LockSupport.parkNanos(nanos);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    };

    private final double perNano;
    private final double capacity;
    private final Clock clock;
    private double tokens = 1;
    private long last;

    /**
     * @param rate     events per second, > 0
     * @param capacity most tokens kept, >= 1 (the largest burst after a stall)
     */
    TokenBucket(double rate, double capacity, Clock clock) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be a positive number, got " + rate);
        }
        if (!(capacity >= 1)) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.perNano = rate / 1e9;
        this.capacity = capacity;
        this.clock = clock;
        this.last = clock.nanoTime();
    }

    /** A bucket for {@code rate} events per second that lets at most 50 ms of them (and 2 at least) go at once. */
    public static TokenBucket forRate(double rate) {
        return new TokenBucket(rate, Math.max(2, rate / 20), SYSTEM);
    }

    /** Takes one token, sleeping until there is one. */
    public void acquire() throws InterruptedException {
        refill();
        while (tokens < 1) {
            clock.sleepNanos(Math.max(1, (long) Math.ceil((1 - tokens) / perNano)));
            refill();
        }
        tokens -= 1;
    }

    private void refill() {
        long now = clock.nanoTime();
        tokens = Math.min(capacity, tokens + (now - last) * perNano);
        last = now;
    }
}
