package io.nowcast.archfixture;

import picocli.CommandLine;

/**
 * Deliberately breaks the rule that only the commands use picocli: {@code ArchitectureTest}
 * expects the rule to report this dependency. Test-only; never used by anything.
 */
public final class BadPicocliUser {
    private BadPicocliUser() {
    }

    /** A command-line type outside io.nowcast.cli (forbidden). */
    static String usage(CommandLine cl) {
        return cl.getUsageMessage();
    }
}
