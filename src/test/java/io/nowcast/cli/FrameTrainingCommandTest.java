package io.nowcast.cli;

import io.nowcast.data.GreyImage;
import io.nowcast.data.Images;
import io.nowcast.data.synthetic.MovingShapes;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** nowcast train --kind frame-denoiser|super-resolver: short runs write models that record how they were made; wrong options are refused. */
class FrameTrainingCommandTest {
    @TempDir
    Path dir;

    private Path images(int n) throws Exception {
        Path d = Files.createDirectories(dir.resolve("imgs"));
        float[] f = new float[48 * 48];
        for (int i = 0; i < n; i++) {
            new MovingShapes(48, i).frame(i, f);
            Images.writePng(new GreyImage(48, 48, f.clone()), d.resolve(String.format("img%02d.png", i)));
        }
        return d;
    }

    @Test
    void trainsADenoiserAndRecordsItsProvenance() throws Exception {
        Path data = images(10);
        Path out = dir.resolve("d.safetensors");
        Path log = dir.resolve("log.jsonl");
        int exit = Main.run("train", "--kind", "frame-denoiser", "--data", data.toString(), "--layers", "3",
                "--channels", "4", "--patch", "16", "--batch", "4", "--iterations", "40", "--eval-every", "20",
                "--val-fraction", "0.2", "--seed", "3", "--log", log.toString(), "--out", out.toString(), "--quiet");
        assertEquals(0, exit);
        FrameModel m = FrameModels.load(out);
        Map<String, Object> p = m.spec().provenance;
        assertTrue(String.valueOf(p.get("command")).startsWith("nowcast train --kind frame-denoiser"), p.toString());
        assertEquals(40, ((Number) p.get("iterations")).intValue());
        assertEquals(160, ((Number) p.get("patches_seen")).intValue());
        assertTrue(p.containsKey("val_psnr") && p.containsKey("minutes") && p.containsKey("nowcast_version"), p.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> data0 = (Map<String, Object>) p.get("data");
        assertEquals(64, String.valueOf(data0.get("sha256")).length());
        assertEquals(2, ((java.util.List<?>) data0.get("validation_held_out")).size());
        assertEquals(25f, m.spec().noiseSigma);
        assertEquals(2, Files.readAllLines(log).size());
    }

    @Test
    void trainsARecurrentDenoiserOnVideoAndASuperResolver() throws Exception {
        Path out = dir.resolve("r.safetensors");
        CliRun r = CliRun.main("train", "--kind", "frame-denoiser", "--recurrent", "--data", "synthetic:moving-shapes",
                "--layers", "2", "--channels", "4", "--batch", "2", "--iterations", "6", "--eval-every", "3",
                "--clip-noise", "--sigma", "25.5", "--out", out.toString(), "--quiet");
        assertEquals(0, r.exit(), r.err());
        FrameModel m = FrameModels.load(out);
        assertTrue(m.recurrent() && m.spec().noiseClip);

        Path dl = dir.resolve("dl.safetensors");
        r = CliRun.main("train", "--kind", "frame-denoiser", "--data", images(6).toString(), "--layers", "3",
                "--dilations", "1,2,1", "--channels", "4", "--patch", "16", "--batch", "2", "--iterations", "4",
                "--eval-every", "2", "--out", dl.toString(), "--quiet");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(new int[] {1, 2, 1}, FrameModels.load(dl).spec().dilations);

        Path sr = dir.resolve("s.safetensors");
        r = CliRun.main("train", "--kind", "super-resolver", "--scale", "3", "--upsampling", "pixel-shuffle",
                "--data", images(6).toString(), "--layers", "2", "--channels", "4", "--patch", "18", "--batch", "2",
                "--iterations", "4", "--eval-every", "2", "--out", sr.toString(), "--quiet");
        assertEquals(0, r.exit(), r.err());
        assertEquals(3, FrameModels.load(sr).scale());
    }

    @Test
    void refusesOptionsThatDoNotApplyAndTheTestSet() {
        CliRun r = CliRun.main("train", "--kind", "frame-denoiser", "--data", "x", "--hidden", "5");
        assertTrue(r.exit() != 0 && r.err().contains("--hidden does not apply"), r.err());
        r = CliRun.main("train", "--kind", "char", "--data", "x", "--patch", "5");
        assertTrue(r.exit() != 0 && r.err().contains("--patch is for --kind frame-denoiser"), r.err());
        r = CliRun.main("train", "--kind", "super-resolver", "--data", "x", "--recurrent");
        assertTrue(r.exit() != 0 && r.err().contains("--recurrent"), r.err());
        r = CliRun.main("train", "--kind", "frame-denoiser", "--data", "x", "--scale", "2");
        assertTrue(r.exit() != 0 && r.err().contains("--scale"), r.err());
        r = CliRun.main("train", "--kind", "frame-denoiser", "--data", "/data/images/Set12");
        assertTrue(r.exit() != 0 && r.err().contains("Set12 is the test set"), r.err());
        r = CliRun.main("train", "--kind", "frame-denoiser", "--data", "x", "--recurrent");
        assertTrue(r.exit() != 0 && r.err().contains("synthetic:moving-shapes"), r.err());
        r = CliRun.main("train", "--kind", "frame-denoiser", "--data", "x", "--layers", "3", "--dilations", "1,2");
        assertTrue(r.exit() != 0 && r.err().contains("--dilations (for --layers 3): expected one per layer (3), found 2"), r.err());
        r = CliRun.main("train", "--kind", "frame-denoiser", "--data", "x", "--layers", "2", "--dilations", "1,0");
        assertTrue(r.exit() != 0 && r.err().contains("--dilations") && r.err().contains("found 0"), r.err());
        r = CliRun.main("train", "--kind", "frame-denoiser", "--data", "x", "--columns", "a");
        assertTrue(r.exit() != 0 && r.err().contains("--columns"), r.err());
    }
}
