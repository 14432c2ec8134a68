package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code nowcast broker}: starts, prints its address, answers a client, stops cleanly. */
class BrokerCommandTest {
    @Test
    void startsPrintsTheAddressAndStopsCleanly(@TempDir Path dir) throws Exception {
        BrokerCommand cmd = new BrokerCommand();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        CompletableFuture<Integer> exit;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            exit = CompletableFuture.supplyAsync(() ->
                    new CommandLine(cmd).execute("--port", "0", "--dir", dir.resolve("b").toString()));
            assertTrue(cmd.started.await(60, TimeUnit.SECONDS), "started");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        String bootstrap = cmd.broker().bootstrapServers();
        assertTrue(out.contains("bootstrap servers: " + bootstrap), out);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertEquals(1, admin.describeCluster().nodes().get(20, TimeUnit.SECONDS).size());
        }
        cmd.requestStop();
        assertEquals(0, exit.get(30, TimeUnit.SECONDS));
        assertFalse(cmd.broker().isRunning());
        assertTrue(Files.exists(dir.resolve("b").resolve("broker.properties")), "a given directory is kept");
    }

    @Test
    void aBadPortIsRefused() {
        assertEquals(1, Main.run("broker", "--port", "70000"));
    }
}
