package io.nowcast.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The endpoints alone: the probes follow their suppliers, /metrics is the registry, other requests are refused. */
class EndpointsTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void probesFollowTheProcessorAndMetricsShowTheRegistry() throws Exception {
        PrometheusMeterRegistry registry = Endpoints.prometheusRegistry();
        Counter.builder("test.things").baseUnit("things").description("things counted").register(registry).increment(3);
        AtomicBoolean alive = new AtomicBoolean(false);
        AtomicBoolean ready = new AtomicBoolean(false);
        try (Endpoints web = Endpoints.start("127.0.0.1", 0, registry, alive::get, ready::get)) {
            URI base = web.uri();
            assertEquals(503, send(base, "/health", "GET").statusCode());
            assertEquals(503, send(base, "/ready", "GET").statusCode());
            alive.set(true);
            assertEquals(200, send(base, "/health", "GET").statusCode());
            assertEquals(503, send(base, "/ready", "GET").statusCode());
            ready.set(true);
            assertEquals(200, send(base, "/ready", "GET").statusCode());

            HttpResponse<String> m = send(base, "/metrics", "GET");
            assertEquals(200, m.statusCode());
            assertEquals(Endpoints.PROMETHEUS_TEXT, m.headers().firstValue("Content-Type").orElse(""));
            assertTrue(m.body().contains("# HELP test_things_total things counted"), m.body());
            assertTrue(m.body().contains("test_things_total 3.0"), m.body());
            assertTrue(m.body().contains("jvm_memory_used_bytes"), "JVM binders are bound");

            HttpResponse<String> head = send(base, "/metrics", "HEAD");
            assertEquals(200, head.statusCode());
            assertEquals("", head.body());
            assertEquals(405, send(base, "/metrics", "POST").statusCode());
            assertEquals(404, send(base, "/metrics/x", "GET").statusCode());
            assertEquals(404, send(base, "/", "GET").statusCode());
        }
    }

    private static HttpResponse<String> send(URI base, String path, String method) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
