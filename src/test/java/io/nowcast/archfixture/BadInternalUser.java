package io.nowcast.archfixture;

import io.nowcast.stream.internal.BatchResult;

/**
 * Deliberately breaks the rule that only the stream package uses its internals:
 * {@code ArchitectureTest} expects the rule to report this dependency. Test-only; never used by
 * anything.
 */
public final class BadInternalUser {
    private BadInternalUser() {
    }

    /** A stream internal used from outside io.nowcast.stream (forbidden). */
    static int entries(BatchResult result) {
        return result.size();
    }
}
