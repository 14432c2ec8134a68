package io.nowcast.run.bench;

/**
 * Calls made and seconds they took, and the fastest window's seconds per call: the mean is
 * what the anchor reports, the best window shows what the code does when nothing else
 * competes for the machine (useful to compare two builds on a busy machine).
 */
public record Timing(long calls, double seconds, double bestSecondsPerCall) {
    /**
     * Runs {@code call} for {@code warmup} seconds (JIT compilation, caches), then for about
     * {@code seconds} more in chunks of roughly a millisecond, and returns the measured part.
     */
    public static Timing of(Runnable call, double warmup, double seconds) {
        long w0 = System.nanoTime();
        long wEnd = w0 + (long) (warmup * 1e9);
        long warmCalls = 0;
        do {
            call.run();
            warmCalls++;
        } while (System.nanoTime() < wEnd || warmCalls < 10);
        double perCall = (System.nanoTime() - w0) / (double) warmCalls;
        // windows of about 20 ms (at least one call)
        int chunk = (int) Math.max(1, Math.min(1_000_000, 2e7 / perCall));
        long calls = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long now = t0;
        double best = Double.MAX_VALUE;
        do {
            long w = now;
            for (int i = 0; i < chunk; i++) {
                call.run();
            }
            calls += chunk;
            now = System.nanoTime();
            best = Math.min(best, (now - w) / 1e9 / chunk);
        } while (now < end);
        return new Timing(calls, (now - t0) / 1e9, best);
    }
}
