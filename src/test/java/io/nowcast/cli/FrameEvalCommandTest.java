package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameModels;
import io.nowcast.model.FrameSpec;
import io.nowcast.model.SuperResolver;
import io.nowcast.nn.Param;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nowcast eval --task denoise|superres|video-denoise}: options, errors and the baselines on real files. */
class FrameEvalCommandTest {
    @TempDir
    Path dir;

    /** Three smooth 8-bit grey PNGs of different sizes in a folder. */
    private Path images() throws Exception {
        Path folder = dir.resolve("images");
        Files.createDirectories(folder);
        for (int k = 0; k < 3; k++) {
            int w = 40 + 8 * k;
            int h = 36;
            BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v = 0.5 + 0.3 * Math.sin(x / (4.0 + k)) * Math.cos(y / 6.0) + (x > w / 2 ? 0.1 : -0.1);
                    b.getRaster().setSample(x, y, 0, (int) Math.round(255 * Math.min(1, Math.max(0, v))));
                }
            }
            ImageIO.write(b, "png", folder.resolve("img" + k + ".png").toFile());
        }
        return folder;
    }

    private static void refused(String expected, String... args) {
        CliRun r = CliRun.main(args);
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.err().contains(expected), r.err());
    }

    @Test
    void optionsThatDoNotApplyAreRefused() throws Exception {
        String d = images().toString();
        refused("--scale is for --task superres, not --task denoise", "eval", "--task", "denoise", "--data", d, "--scale", "2");
        refused("--frames is for --task video-denoise, not --task denoise", "eval", "--task", "denoise", "--data", d,
                "--frames", "3");
        refused("--self-ensemble is for --task denoise or superres, not --task video-denoise", "eval", "--task",
                "video-denoise", "--data", "synthetic:moving-shapes", "--self-ensemble");
        refused("--frames is for --data synthetic:moving-shapes", "eval", "--task", "video-denoise", "--data", d,
                "--frames", "3");
        refused("are for --task denoise, superres or video-denoise, not forecast", "eval", "--task", "forecast",
                "--data", d, "--clip-noise");
        refused("are for --task denoise, superres or video-denoise, not series-denoise", "eval", "--task",
                "series-denoise", "--data", d, "--seed", "3");
        refused("--noise-seed are for --task series-denoise, not denoise", "eval", "--task", "denoise", "--data", d,
                "--columns", "a");
        refused("--part are for --task forecast (and --part for series-denoise), not superres", "eval", "--task",
                "superres", "--data", d, "--part", "val");
        refused("--sigma 300.0: expected a noise sd in [0, 255]", "eval", "--task", "denoise", "--data", d, "--sigma", "300");
    }

    @Test
    void aMissingOrEmptyDataPathIsNamed() throws Exception {
        Path missing = dir.resolve("no-such-folder");
        refused("--data " + missing + ": no such file or folder", "eval", "--task", "denoise", "--data", missing.toString());
        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        Files.writeString(empty.resolve("notes.txt"), "not an image");
        refused("--data " + empty + ": no image files", "eval", "--task", "denoise", "--data", empty.toString());
        Path bad = dir.resolve("bad.png");
        Files.writeString(bad, "not a png");
        refused(bad + ": not", "eval", "--task", "denoise", "--data", bad.toString());
    }

    @Test
    void theBaselinesBeatTheNoisyInputOnAGeneratedFolder() throws Exception {
        String d = images().toString();
        CliRun r = CliRun.main("eval", "--task", "denoise", "--data", d, "--sigma", "30", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(3, j.get("images").size());
        assertEquals("img0.png", j.get("images").get(0).asText());
        double noisy = j.at("/results/noisy_input/psnr").asDouble();
        // sigma 30/255: about 18.6 dB unclipped, a little more once clipped
        assertTrue(noisy > 17.5 && noisy < 20.5, "noisy " + noisy);
        double gauss = j.at("/results/gaussian_blur/psnr").asDouble();
        double median = j.at("/results/median_filter/psnr").asDouble();
        assertTrue(gauss > noisy + 3, gauss + " vs " + noisy);
        assertTrue(median > noisy + 2, median + " vs " + noisy);
        assertTrue(j.at("/results/gaussian_blur/ssim").asDouble() > j.at("/results/noisy_input/ssim").asDouble());
        assertTrue(j.at("/results/gaussian_blur/setting").asText().startsWith("sigma="), r.out());
        assertTrue(j.at("/results/median_filter/setting").asText().matches("\\d+x\\d+"), r.out());
        assertEquals(3, j.at("/results/median_filter/psnr_per_image").size());
        // the same seed gives the same figures; another seed others
        CliRun again = CliRun.main("eval", "--task", "denoise", "--data", d, "--sigma", "30", "--json");
        assertEquals(r.out(), again.out());
        CliRun other = CliRun.main("eval", "--task", "denoise", "--data", d, "--sigma", "30", "--json", "--seed", "5");
        assertTrue(!r.out().equals(other.out()));
        // the table: a line per image and the average
        CliRun t = CliRun.main("eval", "--task", "denoise", "--data", d);
        assertEquals(0, t.exit(), t.err());
        String out = t.out();
        assertTrue(out.contains("img2.png") && out.contains("average") && out.contains("Gaussian blur (sigma="), out);
    }

    @Test
    void theSyntheticVideoIsScoredFrameByFrame() throws Exception {
        CliRun r = CliRun.main("eval", "--task", "video-denoise", "--data", "synthetic:moving-shapes", "--frames", "4", "--side",
                "32", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(4, j.get("frames").asInt());
        assertEquals(4, j.at("/results/noisy_input/psnr_per_image").size());
        assertTrue(j.at("/results/gaussian_blur/psnr").asDouble() > j.at("/results/noisy_input/psnr").asDouble());
    }

    /** A model file; with {@code passThrough} its last convolution is zeroed, so it adds nothing. */
    private Path model(String name, FrameModel m, boolean passThrough) throws Exception {
        if (passThrough) {
            List<Param> ps = m.body().params();
            Arrays.fill(ps.get(ps.size() - 2).w(), 0f);
            Arrays.fill(ps.get(ps.size() - 1).w(), 0f);
        }
        Path f = dir.resolve(name + ".safetensors");
        FrameModels.save(m, f);
        return f;
    }

    @Test
    void aModelIsScoredBesideTheBaselinesAndItsSelfEnsembleApart() throws Exception {
        String d = images().toString();
        // a denoiser that passes the noisy frame through scores exactly the (clipped) noisy input
        Path still = model("still", FrameDenoiser.random(FrameSpec.denoiser(3, 4, false), 1), true);
        CliRun r = CliRun.main("eval", "--task", "denoise", "--data", d, "--model", still.toString(), "--self-ensemble", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(j.at("/results/noisy_input/psnr").asDouble(), j.at("/results/model/psnr").asDouble(), 1e-9);
        assertEquals(j.at("/results/noisy_input/psnr").asDouble(),
                j.at("/results/model_self_ensemble/psnr").asDouble(), 1e-4);
        assertEquals("frame-denoiser", j.at("/model/name").asText());
        // a random one differs, and its ensemble is a row of its own
        Path random = model("random", FrameDenoiser.random(FrameSpec.denoiser(3, 4, false), 2), false);
        r = CliRun.main("eval", "--task", "denoise", "--data", d, "--model", random.toString(), "--self-ensemble");
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("[1] model frame-denoiser (random.safetensors)"), out);
        assertTrue(out.contains("[2] model frame-denoiser, self-ensemble"), out);
        refused("--self-ensemble averages a model", "eval", "--task", "denoise", "--data", d, "--self-ensemble");
        refused("needs a frame denoiser; this file holds a super-resolver", "eval", "--task", "denoise", "--data", d,
                "--model", model("sr", SuperResolver.random(FrameSpec.superResolver(3, 4, 2, "bicubic"), 1), true).toString());
        refused("--model " + dir.resolve("none.safetensors") + ": no such file", "eval", "--task", "denoise", "--data", d,
                "--model", dir.resolve("none.safetensors").toString());
    }

    @Test
    void superResolutionAgainstBicubic() throws Exception {
        String d = images().toString();
        CliRun r = CliRun.main("eval", "--task", "superres", "--data", d, "--scale", "3", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(3, j.get("border").asInt());
        double bicubic = j.at("/results/bicubic/psnr").asDouble();
        assertTrue(bicubic > 20 && bicubic < 60, r.out());
        // a bicubic-upsampling super-resolver whose residual is zero is bicubic itself
        Path sr = model("sr2", SuperResolver.random(FrameSpec.superResolver(3, 4, 2, "bicubic"), 1), true);
        r = CliRun.main("eval", "--task", "superres", "--data", d, "--model", sr.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        j = new ObjectMapper().readTree(r.out());
        assertEquals(2, j.get("scale").asInt());
        assertEquals(j.at("/results/bicubic/psnr").asDouble(), j.at("/results/model/psnr").asDouble(), 1e-4);
        assertEquals(j.at("/results/bicubic/ssim").asDouble(), j.at("/results/model/ssim").asDouble(), 1e-4);
        refused("--scale 3: the model " + sr + " upscales x2", "eval", "--task", "superres", "--data", d, "--model",
                sr.toString(), "--scale", "3");
        refused("--scale 5: expected 2, 3 or 4", "eval", "--task", "superres", "--data", d, "--scale", "5");
        refused("--sigma is for --task denoise", "eval", "--task", "superres", "--data", d, "--sigma", "10");
        refused("--clip-noise is for", "eval", "--task", "superres", "--data", d, "--clip-noise");
    }

    @Test
    void aRecurrentModelAndTheSameWithoutStateOnTheSyntheticVideo() throws Exception {
        Path rec = model("rec", FrameDenoiser.random(FrameSpec.denoiser(3, 4, true), 3), false);
        Path plain = model("plain", FrameDenoiser.random(FrameSpec.denoiser(3, 4, false), 3), true);
        CliRun r = CliRun.main("eval", "--task", "video-denoise", "--data", "synthetic:moving-shapes", "--frames", "5", "--side",
                "24", "--model", rec.toString(), "--baseline-model", plain.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.at("/model/recurrent").asBoolean());
        assertEquals(5, j.at("/results/model/psnr_per_image").size());
        // the pass-through one is the noisy input frame by frame
        assertEquals(j.at("/results/noisy_input/psnr").asDouble(), j.at("/results/baseline_model/psnr").asDouble(), 1e-9);
        assertTrue(Math.abs(j.at("/results/model/psnr").asDouble() - j.at("/results/noisy_input/psnr").asDouble()) > 1e-3);
        // a folder of frames is one stream, in name order; frames of another size are refused
        Path frames = dir.resolve("frames");
        Files.createDirectories(frames);
        for (int t = 0; t < 3; t++) {
            BufferedImage b = new BufferedImage(20, 16, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 20; x++) {
                    b.getRaster().setSample(x, y, 0, (x + t) % 20 < 10 ? 60 : 190);
                }
            }
            ImageIO.write(b, "png", frames.resolve("f" + t + ".png").toFile());
        }
        r = CliRun.main("eval", "--task", "video-denoise", "--data", frames.toString(), "--model", rec.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        j = new ObjectMapper().readTree(r.out());
        assertEquals("f2.png", j.get("images").get(2).asText());
        ImageIO.write(new BufferedImage(24, 16, BufferedImage.TYPE_BYTE_GRAY), "png", frames.resolve("f3.png").toFile());
        refused("f3.png is 24 x 16, f0.png 20 x 16", "eval", "--task", "video-denoise", "--data", frames.toString());
        ImageIO.write(new BufferedImage(8, 16, BufferedImage.TYPE_BYTE_GRAY), "png", frames.resolve("f4.png").toFile());
        refused("f4.png: 8 x 16 is smaller than SSIM's 11 x 11 window", "eval", "--task", "denoise", "--data",
                frames.toString());
        refused("--baseline-model is scored beside --model", "eval", "--task", "video-denoise", "--data",
                "synthetic:moving-shapes", "--baseline-model", plain.toString());
    }

    @Test
    void set12BaselinesWhenTheDataIsThere() {
        Path set12 = Path.of("..", "shared", "data", "images", "Set12");
        Assumptions.assumeTrue(Files.isDirectory(set12), "../shared/data/images/Set12 is not here");
        CliRun r = CliRun.main("eval", "--task", "denoise", "--data", set12.toString(), "--sigma", "25");
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("12 image(s)") && out.contains("12.png"), out);
    }
}
