package io.nowcast.archfixture;

import com.sun.net.httpserver.HttpServer;
import io.nowcast.cli.Main;
import io.nowcast.nn.Param;

/**
 * Deliberately breaks the architecture rules: {@code ArchitectureTest} treats this package as if
 * it were a core package and expects the rules to report each of these dependencies. Test-only;
 * never used by anything.
 */
public final class BadModelUser {
    /** A web-server type in a core class (forbidden). */
    private HttpServer server;

    private BadModelUser() {
    }

    /** A call into the command line from a core class (forbidden). */
    static int runCli(String... args) {
        return Main.run(args);
    }

    /** A layer below nn reaching up into it (forbidden for tensor). */
    static int size(Param p) {
        return p.size();
    }

    HttpServer server() {
        return server;
    }
}
