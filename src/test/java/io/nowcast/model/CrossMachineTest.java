package io.nowcast.model;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the docs claim across machines: the step's bits do not depend on the vector width the
 * kernel runs at (AVX-512's 16 lanes, AVX2's 8, SSE's 4) nor on whether the Vector API is there
 * at all (the scalar form), nor on the JIT (C1 only). Each is a JVM of its own with the width
 * capped ({@code -XX:MaxVectorSize}), as a restore on another x86-64 machine with FMA would run;
 * all must print this JVM's digest of every output and state bit.
 */
class CrossMachineTest {

    @Test
    void theStepGivesTheSameBitsAtEveryVectorWidthWithOrWithoutTheVectorApi() throws Exception {
        String here = StepDigest.digest();
        List<List<String>> variants = List.of(
                List.of("--add-modules=jdk.incubator.vector", "-XX:MaxVectorSize=32"),
                List.of("--add-modules=jdk.incubator.vector", "-XX:MaxVectorSize=16"),
                List.of("-XX:TieredStopAtLevel=1"),
                List.of());
        for (List<String> jvm : variants) {
            String[] out = run(jvm).trim().split(" ");
            String digest = out[out.length - 1];
            assertEquals(here, digest, "JVM options " + jvm + " (kernel " + String.join(" ", out) + ")");
        }
    }

    private static String run(List<String> jvmOptions) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(StepDigest.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        p.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the digest JVM did not finish");
        assertEquals(0, p.exitValue(), "digest JVM " + jvmOptions + ": " + out);
        return out.lines().reduce((a, b) -> b).orElse("");
    }
}
