package io.nowcast.broker;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A real single-node Apache Kafka broker, run inside this JVM: one KRaft node that is both broker
 * and controller, listening on 127.0.0.1 only.
 *
 * <h2>What it is set up for</h2>
 * One node, so every replication factor is 1 and every minimum in-sync replica count is 1
 * ({@code __consumer_offsets}, {@code __transaction_state}, share-group state and new topics).
 * Transactions and exactly-once work (the transaction coordinator is on), compacted topics work
 * (the log cleaner is on, with a small 8 MiB de-duplication buffer instead of Kafka's 128 MiB).
 * {@code group.initial.rebalance.delay.ms=0}, so a consumer group's first member gets its
 * partitions at once. The internal topics have one partition each (the defaults are 50), which
 * makes the first group or transaction on a fresh broker start in well under a second.
 * <b>Automatic topic creation is off</b>: a producer or consumer that names a topic that does not
 * exist gets {@code UNKNOWN_TOPIC_OR_PARTITION} until its timeout, instead of a topic with a
 * default partition count and default configs. Streams in Nowcast need a chosen partition count
 * and, for state topics, {@code cleanup.policy=compact}, so topics are made with
 * {@link #createTopic}, or by an admin client; {@link Builder#autoCreateTopics(boolean)} turns it on.
 * Anything else can be set with {@link Builder#property(String, String)}.
 *
 * <h2>Directory</h2>
 * The broker owns one directory: Kafka's data ({@code meta.properties}, the metadata log, the
 * partitions) is in {@code kafka-logs/} inside it, and {@code broker.properties} beside that keeps
 * the two ports. With no directory given, a temporary one is made and {@link #close()} deletes it;
 * a given directory is kept. The first start formats {@code kafka-logs/} the way
 * {@code kafka-storage format} does (a new random cluster id, node id 1, a static one-voter
 * controller quorum); a directory that is already formatted is used as it is.
 *
 * <h2>Lifecycle</h2>
 * {@link #start()} (or {@link Builder#start()}) formats if needed and starts the node; it returns
 * once the broker has caught up with its metadata and been unfenced by its controller, so clients
 * can be used at once. Measured on the 2-core development machine: the first start in a JVM takes
 * about 4-4.5 s, nearly all of it loading and warming up Kafka's and Scala's classes (there is no
 * idle wait in it); later starts in the same JVM take about 0.6-0.7 s on a new directory and
 * 0.4-1 s on an existing one, and stopping takes about 0.4-0.5 s. {@link #stop()} shuts the node
 * down cleanly (controlled shutdown, logs flushed, clean-shutdown markers written) and keeps the
 * data; {@link #start()} then starts it again on
 * the same directory and <b>the same port</b>, so clients that were connected reconnect by
 * themselves (their calls fail or retry while it is down). A new {@code EmbeddedBroker} on a
 * directory used before also takes the ports remembered in its {@code broker.properties}, unless
 * a port is given. {@link #close()} stops the node and deletes a temporary directory; a closed
 * broker cannot be started again. Start, stop and close may be called any number of times, in
 * any order, except start after close.
 *
 * <h2>Threads</h2>
 * The lifecycle methods ({@code start}, {@code stop}, {@code restart}, {@code close}) are
 * synchronized and may be called from any thread, also from a shutdown hook; {@link
 * #bootstrapServers()}, {@link #port()}, {@link #dir()} and {@link #isRunning()} may be read from
 * any thread at any time. {@link #createTopic} is safe to call from several threads at once (each
 * call uses its own admin client) while the broker runs. Kafka's own threads (network, request
 * handlers, log cleaner, raft) are created by start and ended by stop.
 *
 * <h2>Logging</h2>
 * Kafka logs through slf4j-simple with the levels of {@code simplelogger.properties}, WARN by
 * default. The logger {@code kafka.server.ReplicaManager} is off there: with exactly-once it logs
 * a retried, harmless {@code OutOfOrderSequenceException} at ERROR after commits (KAFKA-18202;
 * docs/operations.md explains it), and slf4j-simple cannot drop that one message alone.
 *
 * <h2>Limits</h2>
 * As in a real broker, a fatal fault inside Kafka (a corrupt metadata log, an I/O error on the
 * log directory) halts the whole JVM. Plaintext only, no authentication: it binds 127.0.0.1, never
 * another address. Two brokers in one JVM work but share Kafka's JMX names (node id 1 each) and
 * Kafka logs a warning about it.
 */
public final class EmbeddedBroker implements AutoCloseable {
    /** The node id in {@code meta.properties}. */
    public static final int NODE_ID = 1;
    static final String HOST = "127.0.0.1";
    static final String LOGS = "kafka-logs";
    static final String PORTS_FILE = "broker.properties";
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;
    private final boolean temporary;
    private final boolean autoCreateTopics;
    private final Map<String, String> overrides;

    private volatile int port;
    private volatile int controllerPort;
    private volatile KafkaRaftServer server;
    private volatile boolean closed;

    private EmbeddedBroker(Builder b) throws IOException {
        if (b.dir == null) {
            this.dir = Files.createTempDirectory("nowcast-broker-");
            this.temporary = true;
        } else {
            this.dir = b.dir.toAbsolutePath();
            Files.createDirectories(this.dir);
            this.temporary = false;
        }
        this.autoCreateTopics = b.autoCreateTopics;
        this.overrides = Map.copyOf(b.overrides);
        Properties remembered = readPorts();
        this.port = b.port > 0 ? b.port : intOr(remembered, "port", 0);
        this.controllerPort = intOr(remembered, "controller.port", 0);
    }

    /** A broker on a temporary directory and a free port, started. */
    public static EmbeddedBroker startTemporary() throws IOException {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options of a broker; {@link #start()} makes and starts it. */
    public static final class Builder {
        private Path dir;
        private int port;
        private boolean autoCreateTopics;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder() {}

        /** The broker's directory, made if missing and kept on close; null (the default) for a temporary one. */
        public Builder dir(Path dir) {
            this.dir = dir;
            return this;
        }

        /**
         * The client port on 127.0.0.1; 0 (the default) for the port remembered in the directory,
         * or else a free one.
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** Whether producing to or fetching from an unknown topic creates it (default false). */
        public Builder autoCreateTopics(boolean on) {
            this.autoCreateTopics = on;
            return this;
        }

        /** Any Kafka server setting, applied last (it wins over the ones chosen here). */
        public Builder property(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        /** Makes the broker and starts it; see {@link EmbeddedBroker#start()}. */
        public EmbeddedBroker start() throws IOException {
            EmbeddedBroker b = new EmbeddedBroker(this);
            try {
                b.start();
            } catch (RuntimeException | Error e) {
                b.close();
                throw e;
            }
            return b;
        }
    }

    /**
     * Starts the node if it is not running: formats the directory if it is new, binds the ports,
     * and returns once the broker is unfenced and takes requests.
     *
     * @throws IllegalStateException after {@link #close()}
     * @throws BrokerException if Kafka fails to start (a port in use, a directory of another
     *     cluster); the node is shut down again before this is thrown
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("the broker on " + dir + " is closed");
        }
        if (server != null) {
            return;
        }
        if (port == 0) {
            port = freePort();
        }
        if (controllerPort == 0 || controllerPort == port || !isFree(controllerPort)) {
            // the controller port is only used inside this node: a new one does no harm
            do {
                controllerPort = freePort();
            } while (controllerPort == port);
        }
        KafkaConfig config = KafkaConfig.fromProps(serverProperties(), false);
        try {
            formatIfNew();
            writePorts();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new BrokerException("cannot format " + logDir() + ": " + e.getMessage(), e);
        }
        KafkaRaftServer s = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            s.startup();
        } catch (RuntimeException | Error e) {
            try {
                s.shutdown();
                s.awaitShutdown();
            } catch (RuntimeException | Error suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new BrokerException("the broker on " + HOST + ":" + port + " (dir " + dir + ") failed to start: "
                    + e.getMessage(), e);
        }
        server = s;
    }

    /** Shuts the node down cleanly and keeps its data; does nothing if it is not running. */
    public synchronized void stop() {
        KafkaRaftServer s = server;
        if (s == null) {
            return;
        }
        server = null;
        s.shutdown();
        s.awaitShutdown();
    }

    /** {@link #stop()}, then {@link #start()}: same directory, same ports, same data. */
    public synchronized void restart() {
        stop();
        start();
    }

    /** Stops the node and deletes the directory if it was a temporary one. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            if (temporary) {
                deleteRecursively(dir);
            }
        }
    }

    /** {@code 127.0.0.1:port}, for the clients' {@code bootstrap.servers}; the same across restarts. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The client port (0 only before the first start of a broker made without one). */
    public int port() {
        return port;
    }

    /** The broker's directory: {@code kafka-logs/} and {@code broker.properties} are in it. */
    public Path dir() {
        return dir;
    }

    /** Whether the node has been started and not stopped since. */
    public boolean isRunning() {
        return server != null;
    }

    /**
     * Creates a topic with replication factor 1 and the given topic configs (for instance
     * {@code cleanup.policy=compact}), and waits until every partition has a leader, so that it can
     * be produced to at once.
     *
     * @throws org.apache.kafka.common.errors.TopicExistsException if it exists
     * @throws org.apache.kafka.common.errors.InvalidConfigurationException for a bad config
     * @throws BrokerException if the broker does not answer within 30 s
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        if (!isRunning()) {
            throw new IllegalStateException("the broker is not running");
        }
        long deadline = System.nanoTime() + TOPIC_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TOPIC_TIMEOUT.toMillis()))) {
            NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(configs == null ? Map.of() : configs);
            get(admin.createTopics(List.of(topic)).all(), deadline);
            while (true) {
                TopicDescription d;
                try {
                    d = get(admin.describeTopics(List.of(name)).topicNameValues().get(name), deadline);
                } catch (UnknownTopicOrPartitionException notYet) {
                    // the controller has made the topic; the broker's metadata has not caught up yet
                    d = null;
                }
                if (d != null && d.partitions().size() == partitions
                        && d.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty())) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new BrokerException("topic " + name + " has no leader for every partition after "
                            + TOPIC_TIMEOUT.toSeconds() + " s");
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while creating topic " + name, e);
        }
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f, long deadline) throws InterruptedException {
        try {
            return f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new BrokerException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new BrokerException("the broker did not answer in time", e);
        }
    }

    // ------------------------------------------------------------------------------------------

    Path logDir() {
        return dir.resolve(LOGS);
    }

    /** The Kafka server settings of this node. */
    Properties serverProperties() {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir().toString());

        // one node: nothing can be replicated
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", Boolean.toString(autoCreateTopics));
        p.put("num.partitions", "1");

        // small and quick on a small machine
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 << 20));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("num.recovery.threads.per.data.dir", "2");
        p.put("log.initial.task.delay.ms", "1000");
        p.putAll(overrides);
        return p;
    }

    private void formatIfNew() throws Exception {
        if (Files.exists(logDir().resolve("meta.properties"))) {
            return;
        }
        Files.createDirectories(logDir());
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setControllerListenerName("CONTROLLER")
                .setMetadataLogDirectory(logDir().toString())
                .addDirectory(logDir().toString())
                .run();
    }

    private Properties readPorts() throws IOException {
        Properties p = new Properties();
        Path f = dir.resolve(PORTS_FILE);
        if (Files.exists(f)) {
            try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                p.load(r);
            }
        }
        return p;
    }

    private void writePorts() throws IOException {
        Properties p = new Properties();
        p.setProperty("port", Integer.toString(port));
        p.setProperty("controller.port", Integer.toString(controllerPort));
        Path tmp = dir.resolve(PORTS_FILE + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "ports of the Nowcast embedded broker; a restart on this directory takes them again");
        }
        Files.move(tmp, dir.resolve(PORTS_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static int intOr(Properties p, String key, int fallback) {
        String v = p.getProperty(key);
        if (v == null) {
            return fallback;
        }
        try {
            int i = Integer.parseInt(v.trim());
            return i > 0 && i <= 65535 ? i : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
