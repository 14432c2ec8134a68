package io.nowcast.eval.motion;

/**
 * numpy's legacy {@code np.random.RandomState(seed)} as far as the motion protocols use it: the
 * Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998) seeded from one integer, and
 * {@code randint(low, high)}, so that the published test windows (drawn with
 * {@code RandomState(1234567890)} in Martinez et al.'s {@code find_indices_srnn} and Li et al.'s
 * and Mao et al.'s CMU loaders) are drawn again here, the same numbers in the same order.
 *
 * <p>Seeding an integer is numpy's {@code mt19937_seed} (the reference {@code init_genrand}):
 * key[0] = seed, key[i] = 1812433253 (key[i-1] xor (key[i-1] >> 30)) + i mod 2^32, position 624,
 * so the first draw regenerates the 624 words. {@code randint} of the legacy generator (int64 on
 * Linux) draws from [low, high) by masked rejection: r = high - 1 - low, mask = the smallest
 * 2^b - 1 >= r; draw 32-bit words (64-bit words, high word first, when r >= 2^32) and keep the
 * first whose low bits {@code & mask} are <= r; when r = 2^32 - 1 the word itself is the value,
 * when r = 0 nothing is drawn. numpy's {@code _bounded_integers} and the older
 * {@code rk_interval} are the same method.
 */
public final class LegacyRandomState {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER = 0x80000000;
    private static final int LOWER = 0x7fffffff;

    private final int[] mt = new int[N];
    private int pos;

    /** {@code RandomState(seed)} for 0 <= seed < 2^32. */
    public LegacyRandomState(long seed) {
        if (seed < 0 || seed > 0xffffffffL) {
            throw new IllegalArgumentException("a seed must be between 0 and 2**32 - 1, found " + seed);
        }
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        pos = N;
    }

    /** The word of the state at {@code i} (numpy's {@code get_state()[1][i]}), as an unsigned value. */
    long key(int i) {
        return mt[i] & 0xffffffffL;
    }

    /** The next 32-bit output, unsigned. */
    public long nextUint32() {
        if (pos >= N) {
            regenerate();
        }
        int y = mt[pos++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    private void regenerate() {
        int kk = 0;
        for (; kk < N - M; kk++) {
            int y = (mt[kk] & UPPER) | (mt[kk + 1] & LOWER);
            mt[kk] = mt[kk + M] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        for (; kk < N - 1; kk++) {
            int y = (mt[kk] & UPPER) | (mt[kk + 1] & LOWER);
            mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        int y = (mt[N - 1] & UPPER) | (mt[0] & LOWER);
        mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        pos = 0;
    }

    /** {@code randint(low, high)}: an integer of [low, high), drawn as numpy's legacy generator draws it. */
    public long randint(long low, long high) {
        if (low >= high) {
            throw new IllegalArgumentException("randint needs low < high, found low = " + low + ", high = " + high);
        }
        long r = high - 1 - low; // unsigned, as in numpy (a range wider than 2^63 wraps to it)
        if (r == 0) {
            return low;
        }
        if (Long.compareUnsigned(r, 0xffffffffL) < 0) {
            long mask = mask(r);
            long v;
            do {
                v = nextUint32() & mask;
            } while (v > r);
            return low + v;
        }
        if (r == 0xffffffffL) {
            return low + nextUint32();
        }
        long mask = mask(r);
        long v;
        do {
            long hi = nextUint32();
            v = ((hi << 32) | nextUint32()) & mask;
        } while (Long.compareUnsigned(v, r) > 0);
        return low + v;
    }

    /** The smallest 2^b - 1 >= r (r > 0). */
    private static long mask(long r) {
        return -1L >>> Long.numberOfLeadingZeros(r);
    }
}
