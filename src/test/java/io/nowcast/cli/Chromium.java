package io.nowcast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A headless Chromium driven through the DevTools protocol (a WebSocket of JSON messages, on the
 * JDK's own client): navigate, evaluate JavaScript in the page, take a screenshot. For tests.
 */
final class Chromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://[^\\s]+)");

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    /** The Chromium binary: $NOWCAST_CHROMIUM, else chromium, chromium-browser or google-chrome on the PATH; or null. */
    static Path find() {
        String env = System.getenv("NOWCAST_CHROMIUM");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            return Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String d : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(d, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /**
     * Starts a headless Chromium with an empty profile in {@code work}, a window of the given size,
     * and connects to its blank page.
     */
    static Chromium start(Path binary, Path work, int width, int height) throws Exception {
        Path profile = Files.createTempDirectory(Files.createDirectories(work), "chromium-profile");
        Path log = work.resolve("chromium.log");
        Process p = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--user-data-dir=" + profile, "--remote-debugging-port=0", "--remote-allow-origins=*",
                "--window-size=" + width + "," + height, "about:blank")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String browserUrl = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (browserUrl == null) {
                if (!p.isAlive()) {
                    throw new IOException("chromium exited with " + p.exitValue() + ": " + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("chromium did not open its DevTools port in 60 s: " + Files.readString(log));
                }
                Matcher m = LISTENING.matcher(Files.readString(log));
                if (m.find()) {
                    browserUrl = m.group(1);
                } else {
                    Thread.sleep(100);
                }
            }
            URI ws = URI.create(browserUrl);
            HttpClient http = HttpClient.newHttpClient();
            String pageUrl = null;
            while (pageUrl == null) {
                JsonNode list = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://" + ws.getAuthority()
                        + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
                for (JsonNode t : list) {
                    if (t.get("type").asText().equals("page")) {
                        pageUrl = t.get("webSocketDebuggerUrl").asText();
                        break;
                    }
                }
                if (pageUrl == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("chromium has no page to drive: " + list);
                    }
                    Thread.sleep(100);
                }
            }
            return new Chromium(p, profile, http, URI.create(pageUrl));
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    private Chromium(Process process, Path profile, HttpClient http, URI page) throws Exception {
        this.process = process;
        this.profile = profile;
        this.socket = http.newWebSocketBuilder().buildAsync(page, new WebSocket.Listener() {
            private final StringBuilder message = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                message.append(data);
                if (last) {
                    receive(message.toString());
                    message.setLength(0);
                }
                ws.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        call("Page.enable", JSON.createObjectNode());
        call("Runtime.enable", JSON.createObjectNode());
    }

    private void receive(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(n.get("id").asInt());
                if (f != null) {
                    f.complete(n);
                }
            }
        } catch (IOException e) {
            // not a reply: ignored
        }
    }

    /** One DevTools command; its result, or an IOException with the protocol's error. */
    JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", params);
        socket.sendText(JSON.writeValueAsString(msg), true).get(30, TimeUnit.SECONDS);
        JsonNode n = reply.get(60, TimeUnit.SECONDS);
        if (n.has("error")) {
            throw new IOException(method + ": " + n.get("error"));
        }
        return n.get("result");
    }

    void navigate(URI url) throws Exception {
        call("Page.navigate", JSON.createObjectNode().put("url", url.toString()));
    }

    /** The value of a JavaScript expression in the page (a promise is awaited); an exception in it fails. */
    JsonNode evaluate(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IOException("the page threw: " + r.get("exceptionDetails"));
        }
        return r.get("result").get("value");
    }

    /** The page as a PNG. */
    byte[] screenshot() throws Exception {
        JsonNode r = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png")
                .put("captureBeyondViewport", false));
        return Base64.getDecoder().decode(r.get("data").asText());
    }

    @Override
    public void close() throws Exception {
        try {
            socket.abort();
        } finally {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // a left-over profile in target/ does no harm
            }
        }
    }
}
