package io.nowcast.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A serving-kernel setting that names no kernel is refused before any command runs, naming it. */
class KernelSettingTest {

    @Test
    void aKernelOtherThanVectorOrScalarIsRefusedNamingTheSettingAndTheChoices() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setProperty("nowcast.kernel", "fast");
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            assertEquals(1, Main.run("--version"));
        } finally {
            System.setErr(err);
            System.clearProperty("nowcast.kernel");
        }
        String said = captured.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("nowcast: NOWCAST_KERNEL (or -Dnowcast.kernel) is 'fast': expected vector or scalar"), said);
        assertEquals(0, Main.run("--version"), "with the setting gone the same command runs");
    }
}
