package io.nowcast.cli;

import io.nowcast.run.demo.DemoTopics;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** nowcast demo end to end: a real embedded broker, producers, the processor, the live display. */
class DemoCommandTest {
    @Test
    void demoShowsLivePredictionsThatBeatTheLastValue() {
        CliRun r = CliRun.main("demo", "--seconds", "12", "--pedestrians", "50", "--sensors", "5", "--speedup", "4",
                "--http-port", "0");
        String out = r.out();
        assertEquals(0, r.exit(), out);
        // the last report of each pipeline
        Matcher ped = last(Pattern.compile("pedestrians +(\\d+) samples in, +(\\d+) predictions out \\| next-step RMSE: "
                + "model ([0-9.]+) m, last value ([0-9.]+) m \\((\\d+) scored\\)"), out);
        Matcher sen = last(Pattern.compile("sensors +(\\d+) samples in, +(\\d+) predictions out \\| next-step RMSE: "
                + "model ([0-9.]+), last value ([0-9.]+) \\((\\d+) scored\\)"), out);
        assertTrue(Long.parseLong(ped.group(2)) > 1000, out);
        assertTrue(Long.parseLong(sen.group(2)) > 100, out);
        assertTrue(Long.parseLong(ped.group(5)) > 500, "predictions were scored against the next sample: " + out);
        assertTrue(Double.parseDouble(ped.group(3)) < Double.parseDouble(ped.group(4)),
                "the bundled track model beats carrying the last displacement forward: " + ped.group());
        assertTrue(Double.parseDouble(sen.group(3)) < Double.parseDouble(sen.group(4)),
                "the bundled sensor model beats the last value: " + sen.group());
        assertTrue(out.contains(", 0 dead letters"), out);
        assertTrue(out.contains("predicted next dx="), out);
        if (DemoCommand.class.getResource("/io/nowcast/models/" + DemoTopics.CAMERA_MODEL) != null) {
            // the cameras pipeline: the bundled recurrent denoiser's frames are closer to the clean ones
            Matcher cam = last(Pattern.compile("cameras +(\\d+) frames in, +(\\d+) frames out \\| PSNR against the clean"
                    + " frame: noisy ([0-9.]+) dB, cleaned ([0-9.]+) dB \\((\\d+) scored\\)"), out);
            assertTrue(Long.parseLong(cam.group(5)) > 20, "cleaned frames scored: " + cam.group());
            assertTrue(Double.parseDouble(cam.group(4)) > Double.parseDouble(cam.group(3)),
                    "the bundled camera denoiser cleans the noisy frames: " + cam.group());
        }
    }

    private static Matcher last(Pattern p, String s) {
        Matcher m = p.matcher(s);
        Matcher found = null;
        int at = 0;
        while (m.find(at)) {
            found = p.matcher(s);
            found.find(m.start());
            at = m.end();
        }
        assertTrue(found != null, "no line matching " + p + " in:\n" + s);
        return found;
    }
}
