package io.nowcast.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.function.BooleanSupplier;

/**
 * The processor's HTTP endpoints, on the JDK's {@link HttpServer}:
 * <ul>
 * <li>{@code GET /metrics}: every meter of the registry in the Prometheus text format;</li>
 * <li>{@code GET /health}: 200 while the poll loop is alive, else 503 (a liveness probe);</li>
 * <li>{@code GET /ready}: 200 once the processor owns input partitions and their states are ready,
 *     else 503 (a readiness probe);</li>
 * <li>with a {@link Dashboard}: the live dashboard at {@code /} and its API under {@code /api/}.</li>
 * </ul>
 * Requests are served by two daemon threads; the probes only read volatile fields, a scrape reads
 * the registry and the dashboard reads its own copies, so the processor's loop is never blocked by
 * them. {@link #close()} stops the server (and the dashboard).
 */
public final class Endpoints implements AutoCloseable {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final Dashboard dashboard;

    private Endpoints(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry, JvmGcMetrics gc,
                      Dashboard dashboard) {
        this.server = server;
        this.executor = executor;
        this.registry = registry;
        this.gc = gc;
        this.dashboard = dashboard;
    }

    /** A registry for the processor's meters, to pass to {@link #start}. */
    public static PrometheusMeterRegistry prometheusRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /**
     * Binds Micrometer's JVM binders to the registry (memory, garbage collection, threads, class
     * loading, processor, uptime) and starts serving it.
     *
     * @param host  address to listen on (127.0.0.1: this machine only)
     * @param port  port; 0 picks a free one ({@link #uri()} tells which)
     * @param alive the health probe's answer
     * @param ready the readiness probe's answer
     * @throws IOException if the address cannot be bound
     */
    public static Endpoints start(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier alive,
                                  BooleanSupplier ready) throws IOException {
        return start(host, port, registry, alive, ready, null);
    }

    /**
     * As {@link #start(String, int, PrometheusMeterRegistry, BooleanSupplier, BooleanSupplier)}, and
     * serves the dashboard (null: none), which {@link #close()} then closes (or this method, if the
     * address cannot be bound).
     */
    public static Endpoints start(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier alive,
                                  BooleanSupplier ready, Dashboard dashboard) throws IOException {
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (java.net.BindException e) {
            if (dashboard != null) {
                dashboard.close();
            }
            throw new java.net.BindException("cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "); set http.host and http.port (0: any free port)");
        }
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        ExecutorService ex = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "nowcast-http");
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(ex);
        s.createContext("/metrics", x -> {
            if (refused(x)) {
                return;
            }
            respond(x, 200, PROMETHEUS_TEXT, registry.scrape());
        });
        s.createContext("/health", x -> probe(x, alive, "alive\n", "the poll loop is not running\n"));
        s.createContext("/ready", x -> probe(x, ready, "ready\n",
                "not ready: no input partitions assigned yet, or their states are being restored\n"));
        if (dashboard != null) {
            dashboard.bind(s, alive, ready);
        }
        s.start();
        return new Endpoints(s, ex, registry, gc, dashboard);
    }

    private static void probe(HttpExchange x, BooleanSupplier check, String ok, String notOk) throws IOException {
        if (refused(x)) {
            return;
        }
        boolean good = check.getAsBoolean();
        respond(x, good ? 200 : 503, "text/plain; charset=utf-8", good ? ok : notOk);
    }

    /** 404 for a path below the context, 405 for anything but GET and HEAD; true if answered. */
    private static boolean refused(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        if (!path.equals(x.getHttpContext().getPath())) {
            respond(x, 404, "text/plain; charset=utf-8", "not found\n");
            return true;
        }
        String m = x.getRequestMethod();
        if (!m.equals("GET") && !m.equals("HEAD")) {
            x.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(x, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return true;
        }
        return false;
    }

    static void respond(HttpExchange x, int status, String type, String body) throws IOException {
        respond(x, status, type, body.getBytes(StandardCharsets.UTF_8));
    }

    static void respond(HttpExchange x, int status, String type, byte[] b) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, head ? -1 : b.length);
        try (OutputStream o = x.getResponseBody()) {
            if (!head) {
                o.write(b);
            }
        }
    }

    /** The registry served at /metrics. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Where the server listens, e.g. {@code http://127.0.0.1:8080}. */
    public URI uri() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "localhost" : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + a.getPort());
    }

    /** Stops the server at once (requests in progress are cut). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        gc.close();
        if (dashboard != null) {
            dashboard.close();
        }
    }
}
