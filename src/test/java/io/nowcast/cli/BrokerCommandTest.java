package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nowcast broker}: starts, prints its address, answers a client, stops cleanly. */
class BrokerCommandTest {
    @Test
    void startsPrintsTheAddressAndStopsCleanly(@TempDir Path dir) throws Exception {
        BrokerCommand cmd = new BrokerCommand();
        StringWriter buf = new StringWriter();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() ->
                CliRun.writingTo(cmd, buf).execute("--port", "0", "--dir", dir.resolve("b").toString()));
        assertTrue(cmd.started.await(60, TimeUnit.SECONDS), "started");
        String out = buf.toString();
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
