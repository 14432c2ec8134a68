package io.nowcast.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nowcast.data.ImageNoise;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The description of a frame model, stored as JSON under {@code __metadata__.nowcast} of its
 * safetensors file (schemas/model-file.md):
 * <pre>
 * {"format": "nowcast-model", "format_version": 1, "kind": "frame-denoiser" | "super-resolver",
 *  "name": ..., "version": ...,
 *  "architecture": {"layers": L, "channels": C, "kernel": 3, "in_channels": 1 | 2, "scale": 1..4,
 *                   "upsampling": "none" | "bicubic" | "pixel-shuffle", "dilations": [d_1, ..., d_L]},
 *  "noise": {"model": ..., "sigma": ..., "amount": ..., "clip": false},
 *  "provenance": {...}}
 * </pre>
 * A frame denoiser has scale 1 and upsampling "none", and 2 input channels when recurrent (the
 * noisy frame and the stream's previous output). A super-resolver has scale 2, 3 or 4, one input
 * channel and upsampling "bicubic" (a residual network over the bicubic upscale) or
 * "pixel-shuffle" (layers at the low resolution, then a pixel shuffle, added to the bicubic
 * upscale); its noise model may be "none". {@code dilations} (optional; all 1 when absent) gives each
 * convolution's dilation: its taps d pixels apart, padded by d * (kernel / 2) to keep the size, so
 * that 1, 2, 3, 4, 4, 3, 2, 1 sees a 41x41 window at the cost of a 17x17 one. {@link #parse} checks
 * every field and names the wrong one.
 */
public final class FrameSpec {
    public static final List<String> UPSAMPLING = List.of("none", "bicubic", "pixel-shuffle");
    public static final int MAX_LAYERS = 64;
    public static final int MAX_CHANNELS = 1024;
    public static final int MAX_DILATION = 64;

    public ModelKind kind = ModelKind.FRAME_DENOISER;
    public String name = "frame-model";
    public String version = "1";
    /** Convolution layers, at least 2 (first and last). */
    public int layers = 8;
    /** Channels of the hidden feature maps. */
    public int channels = 32;
    /** Kernel side (odd; padding kernel / 2 keeps the frame size). */
    public int kernel = 3;
    /** 1, or 2 for a recurrent denoiser (noisy frame, previous output frame). */
    public int inChannels = 1;
    public int scale = 1;
    public String upsampling = "none";
    /** Per convolution, its dilation; null means 1 everywhere. */
    public int[] dilations = null;
    /** The noise the model was trained on: one of {@link ImageNoise#MODELS}, or "none" (super-resolver). */
    public String noiseModel = "gaussian";
    /** Gaussian: sigma on the 0-255 scale; Poisson: photons at white. */
    public float noiseSigma = 25f;
    /** Share of pixels for salt-pepper and mask. */
    public float noiseAmount = 0f;
    /** Whether the training noisy input was clipped to [0, 1] (camera-like data). */
    public boolean noiseClip = false;
    public Map<String, Object> provenance = new LinkedHashMap<>();

    /** A denoiser description (recurrent: two input channels). */
    public static FrameSpec denoiser(int layers, int channels, boolean recurrent) {
        FrameSpec s = new FrameSpec();
        s.kind = ModelKind.FRAME_DENOISER;
        s.name = "frame-denoiser";
        s.layers = layers;
        s.channels = channels;
        s.inChannels = recurrent ? 2 : 1;
        return s;
    }

    /** A super-resolver description, trained without noise. */
    public static FrameSpec superResolver(int layers, int channels, int scale, String upsampling) {
        FrameSpec s = new FrameSpec();
        s.kind = ModelKind.SUPER_RESOLVER;
        s.name = "super-resolver";
        s.layers = layers;
        s.channels = channels;
        s.scale = scale;
        s.upsampling = upsampling;
        s.noiseModel = "none";
        s.noiseSigma = 0f;
        return s;
    }

    public boolean recurrent() {
        return inChannels == 2;
    }

    /** The dilation of each convolution (all 1 unless {@link #dilations} says otherwise). */
    public int[] dilationsOrOnes() {
        if (dilations != null) {
            return dilations.clone();
        }
        int[] d = new int[layers];
        java.util.Arrays.fill(d, 1);
        return d;
    }

    /** Whether any convolution is dilated. */
    public boolean dilated() {
        if (dilations != null) {
            for (int d : dilations) {
                if (d != 1) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The side of the window of input pixels one output pixel depends on. */
    public int receptiveField() {
        int r = 1;
        for (int d : dilationsOrOnes()) {
            r += d * (kernel - 1);
        }
        return r;
    }

    /** Checks the fields against each other; returns null when consistent, else "field: problem". */
    public String problem() {
        if (kind == null || !kind.isFrame()) {
            return "kind: expected frame-denoiser or super-resolver, found " + (kind == null ? "nothing" : kind.id);
        }
        if (layers < 2 || layers > MAX_LAYERS) {
            return "architecture.layers: expected an integer in [2, " + MAX_LAYERS + "], found " + layers;
        }
        if (channels < 1 || channels > MAX_CHANNELS) {
            return "architecture.channels: expected an integer in [1, " + MAX_CHANNELS + "], found " + channels;
        }
        if (kernel < 1 || kernel > 15 || kernel % 2 == 0) {
            return "architecture.kernel: expected an odd integer in [1, 15], found " + kernel;
        }
        if (dilations != null) {
            if (dilations.length != layers) {
                return "architecture.dilations: expected one per layer (" + layers + "), found " + dilations.length;
            }
            for (int d : dilations) {
                if (d < 1 || d > MAX_DILATION) {
                    return "architecture.dilations: expected integers in [1, " + MAX_DILATION + "], found " + d;
                }
            }
        }
        if (kind == ModelKind.FRAME_DENOISER) {
            if (inChannels != 1 && inChannels != 2) {
                return "architecture.in_channels: a frame denoiser reads 1 channel (or 2 when recurrent), found " + inChannels;
            }
            if (scale != 1) {
                return "architecture.scale: a frame denoiser keeps the size: expected 1, found " + scale;
            }
            if (!upsampling.equals("none")) {
                return "architecture.upsampling: a frame denoiser does not upsample: expected \"none\", found \"" + upsampling + "\"";
            }
        } else {
            if (inChannels != 1) {
                return "architecture.in_channels: a super-resolver reads 1 channel, found " + inChannels;
            }
            if (scale < 2 || scale > 4) {
                return "architecture.scale: a super-resolver scales by 2, 3 or 4, found " + scale;
            }
            if (!upsampling.equals("bicubic") && !upsampling.equals("pixel-shuffle")) {
                return "architecture.upsampling: expected \"bicubic\" or \"pixel-shuffle\", found \"" + upsampling + "\"";
            }
        }
        if (noiseModel == null) {
            return "noise.model: missing";
        }
        if (!(noiseModel.equals("none") && kind == ModelKind.SUPER_RESOLVER)) {
            String p = ImageNoise.check(noiseModel, noiseSigma, noiseAmount);
            if (p != null) {
                return "noise.model: " + p;
            }
        }
        if (!(noiseSigma >= 0 && noiseSigma < 1e6)) {
            return "noise.sigma: expected a number in [0, 1e6), found " + noiseSigma;
        }
        if (!(noiseAmount >= 0 && noiseAmount <= 1)) {
            return "noise.amount: expected a number in [0, 1], found " + noiseAmount;
        }
        return null;
    }

    public String toJson() {
        ObjectNode o = MetadataWriter.begin(kind, name, version);
        ObjectNode a = o.putObject("architecture");
        a.put("layers", layers);
        a.put("channels", channels);
        a.put("kernel", kernel);
        a.put("in_channels", inChannels);
        a.put("scale", scale);
        a.put("upsampling", upsampling);
        if (dilated()) {
            var arr = a.putArray("dilations");
            for (int d : dilations) {
                arr.add(d);
            }
        }
        ObjectNode z = o.putObject("noise");
        z.put("model", noiseModel);
        z.put("sigma", noiseSigma);
        z.put("amount", noiseAmount);
        z.put("clip", noiseClip);
        return MetadataWriter.finish(o, provenance);
    }

    /** Parses and checks the {@code nowcast} metadata of a frame model file; errors name the file and the field. */
    public static FrameSpec parse(String json, String file) throws ModelFileException {
        MetadataReader f = MetadataReader.read(json, file);
        JsonNode o = f.root();
        FrameSpec s = new FrameSpec();
        String kind = f.text(o, "kind");
        s.kind = ModelKind.parse(kind);
        if (s.kind == null || !s.kind.isFrame()) {
            throw f.error("kind", "expected frame-denoiser or super-resolver, found \"" + kind + "\""
                    + (s.kind != null ? " (load it with ModelFiles.load)" : ""));
        }
        s.name = f.optText(o, "name", s.kind.id);
        s.version = f.optText(o, "version", "1");
        JsonNode a = f.object(o, "architecture");
        s.layers = f.integer(a, "architecture.layers", 2, MAX_LAYERS);
        s.channels = f.integer(a, "architecture.channels", 1, MAX_CHANNELS);
        s.kernel = f.integer(a, "architecture.kernel", 1, 15);
        s.inChannels = f.integer(a, "architecture.in_channels", 1, 2);
        s.scale = f.integer(a, "architecture.scale", 1, 4);
        s.upsampling = f.text(a, "architecture.upsampling");
        if (!UPSAMPLING.contains(s.upsampling)) {
            throw f.error("architecture.upsampling", "expected one of " + UPSAMPLING + ", found \"" + s.upsampling + "\"");
        }
        JsonNode dl = a.get("dilations");
        if (dl != null && !dl.isNull()) {
            if (!dl.isArray()) {
                throw f.error("architecture.dilations", "expected an array of " + s.layers + " integers, found " + dl);
            }
            s.dilations = new int[dl.size()];
            for (int i = 0; i < dl.size(); i++) {
                JsonNode v = dl.get(i);
                if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                    throw f.error("architecture.dilations", "expected integers, found " + v + " at index " + i);
                }
                s.dilations[i] = v.asInt();
            }
        }
        JsonNode z = f.object(o, "noise");
        s.noiseModel = f.text(z, "noise.model");
        s.noiseSigma = f.number(z, "noise.sigma", 0, 1e6);
        s.noiseAmount = f.number(z, "noise.amount", 0, 1);
        s.noiseClip = f.optBoolean(z, "noise.clip", s.noiseClip);
        String p = s.problem();
        if (p != null) {
            int colon = p.indexOf(": ");
            throw f.error(p.substring(0, colon), p.substring(colon + 2));
        }
        JsonNode pv = f.optObject(o, "provenance");
        if (pv != null) {
            s.provenance = MetadataReader.toMap(pv);
        }
        return s;
    }
}
