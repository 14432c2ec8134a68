package io.nowcast;

import io.nowcast.broker.EmbeddedBroker;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One embedded broker for the whole test JVM, for the test classes that neither stop, restart nor
 * reconfigure their broker: started on first use, closed when the JVM exits. A class on it names
 * its own topics, groups and transactional ids (each test's name is in them), so that classes do
 * not see each other's records. The tests that stop or restart a broker, or need its settings,
 * start their own.
 */
public final class SharedBroker {
    private static EmbeddedBroker broker;

    private SharedBroker() {
    }

    /** The JVM's broker, started by the first caller. */
    public static synchronized EmbeddedBroker get() {
        if (broker == null) {
            try {
                broker = EmbeddedBroker.startTemporary();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the shared test broker", e);
            }
            EmbeddedBroker b = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(b::close, "shared-broker-close"));
        }
        return broker;
    }
}
