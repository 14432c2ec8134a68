package io.nowcast.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nowcast.nn.CellType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Nowcast's description of a model, stored as one JSON document under the safetensors
 * {@code __metadata__} key {@code nowcast} (documented in {@code schemas/model-file.md}):
 * kind, architecture, feature names, normalisation, vocabulary and provenance. Parsing checks
 * every field and names the one that is wrong.
 */
public final class ModelSpec {
    public static final String FORMAT = "nowcast-model";
    public static final int FORMAT_VERSION = 1;
    /** Largest accepted {@code horizon}. */
    public static final int MAX_HORIZON = 1 << 16;

    /** How the head's outputs are read. */
    public enum Head {
        /** No head: the output is the top layer's hidden state. */
        NONE,
        /** One value per output feature (logits for a character model). */
        LINEAR,
        /** Mean then log-variance per output feature: predictions with an uncertainty. */
        GAUSSIAN;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ModelKind kind = ModelKind.FORECASTER;
    public String name = "model";
    public String version = "1";
    public CellType cell = CellType.LSTM;
    public int inputSize;
    public int hiddenSize;
    public int numLayers = 1;
    public Head head = Head.LINEAR;
    /** Number of predicted values per step (a Gaussian head has twice as many outputs). */
    public int outputSize;
    public List<String> inputFeatures = new ArrayList<>();
    public List<String> outputFeatures = new ArrayList<>();
    /**
     * Forecasters: the data columns predicted ({@code targets}) and how many steps ahead
     * ({@code horizon}). The outputs are, target by target, the values 1..horizon steps ahead
     * (named {@code c+1 .. c+H}), so outputSize = targets.size() * horizon when targets are named.
     */
    public List<String> targets = new ArrayList<>();
    public int horizon = 1;
    /**
     * Forecasters: the head predicts changes from the present. Each output {@code c+k} is the
     * current value of the input feature named c plus the de-standardised head output (for a
     * trajectory model reading and predicting displacements: constant velocity plus a learnt
     * correction). Every target must then be an input feature.
     */
    public boolean relativeToInput;
    /**
     * Series denoisers: the noise model the network was trained to remove ({@code gaussian},
     * {@code salt-pepper} or {@code mask}), the Gaussian standard deviation in units of each
     * column's {@code input_std}, and for salt-and-pepper and masking the share of samples hit.
     */
    public String noiseModel;
    public float noiseSigma;
    public float noiseAmount;
    /**
     * Series denoisers: output j is the noisy input j plus the de-standardised head output j
     * (true), or the de-standardised head output alone (false).
     */
    public boolean residual = true;
    /**
     * Series denoisers, optional: the output is this base, a bank of exponential smoothings of the
     * noisy input kept per stream, plus the network's correction, and the network reads the
     * innovations instead of the values ({@link SmoothingBase}). Null: the output is relative to the
     * noisy input ({@link #residual}). Written as {@code "smoothing_base": {"alphas": [...],
     * "time_constant": T}}.
     */
    public SmoothingBase smoothingBase;
    /** Standardisation: x' = (x - mean) / std on the way in, y = y' std + mean on the way out. Null = none. */
    public float[] inputMean;
    public float[] inputStd;
    public float[] outputMean;
    public float[] outputStd;
    /** Character models: the sorted distinct characters. */
    public String vocabulary;
    /** How the model was made: command, data file and hash, seed, iterations, losses, versions, time. */
    public Map<String, Object> provenance = new LinkedHashMap<>();

    /** Width of the head's output rows. */
    public int headOutputs() {
        switch (head) {
            case NONE:
                return 0;
            case GAUSSIAN:
                return 2 * outputSize;
            default:
                return outputSize;
        }
    }

    public String toJson() {
        ObjectNode o = MetadataWriter.begin(kind, name, version);
        ObjectNode a = o.putObject("architecture");
        a.put("cell", cell.id);
        a.put("input_size", inputSize);
        a.put("hidden_size", hiddenSize);
        a.put("num_layers", numLayers);
        a.put("head", head.id());
        a.put("output_size", outputSize);
        strings(o.putArray("input_features"), inputFeatures);
        strings(o.putArray("output_features"), outputFeatures);
        if (kind == ModelKind.FORECASTER) {
            strings(o.putArray("targets"), targets);
            o.put("horizon", horizon);
            if (relativeToInput) {
                o.put("relative_to_input", true);
            }
        }
        if (kind == ModelKind.SERIES_DENOISER && noiseModel != null) {
            ObjectNode z = o.putObject("noise");
            z.put("model", noiseModel);
            z.put("sigma", noiseSigma);
            z.put("amount", noiseAmount);
            o.put("residual", residual);
            if (smoothingBase != null) {
                ObjectNode b = o.putObject("smoothing_base");
                floats(b, "alphas", smoothingBase.alphas());
                b.put("time_constant", smoothingBase.timeConstant());
            }
        }
        if (inputMean != null || outputMean != null) {
            ObjectNode n = o.putObject("normalization");
            floats(n, "input_mean", inputMean);
            floats(n, "input_std", inputStd);
            floats(n, "output_mean", outputMean);
            floats(n, "output_std", outputStd);
        }
        if (vocabulary != null) {
            o.put("vocabulary", vocabulary);
        }
        return MetadataWriter.finish(o, provenance);
    }

    private static void strings(ArrayNode a, List<String> s) {
        s.forEach(a::add);
    }

    private static void floats(ObjectNode n, String key, float[] v) {
        if (v != null) {
            ArrayNode a = n.putArray(key);
            for (float f : v) {
                a.add(f);
            }
        }
    }

    /** Parses and checks the {@code nowcast} metadata document of {@code file}. */
    public static ModelSpec parse(String json, String file) throws ModelFileException {
        MetadataReader f = MetadataReader.read(json, file);
        JsonNode o = f.root();
        ModelSpec s = new ModelSpec();
        String kind = f.text(o, "kind");
        s.kind = ModelKind.parse(kind);
        if (s.kind == null) {
            throw f.error("kind", "expected one of " + ModelKind.ids() + ", found \"" + kind + "\"");
        }
        if (s.kind.isFrame()) {
            throw f.error("kind", "\"" + kind + "\" is a frame model: load it with FrameModels.load"
                    + " (this loader serves the recurrent kinds char, forecaster and series-denoiser)");
        }
        s.name = f.optText(o, "name", "model");
        s.version = f.optText(o, "version", "1");
        JsonNode a = f.object(o, "architecture");
        try {
            s.cell = CellType.parse(f.text(a, "architecture.cell"));
        } catch (IllegalArgumentException e) {
            throw f.error("architecture.cell", e.getMessage());
        }
        s.inputSize = f.integer(a, "architecture.input_size", 1, 1 << 20);
        s.hiddenSize = f.integer(a, "architecture.hidden_size", 1, 1 << 16);
        s.numLayers = f.integer(a, "architecture.num_layers", 1, 64);
        String head = f.text(a, "architecture.head");
        try {
            s.head = Head.valueOf(head.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw f.error("architecture.head", "expected none, linear or gaussian, found \"" + head + "\"");
        }
        s.outputSize = f.integer(a, "architecture.output_size", 0, 1 << 20);
        if (s.head != Head.NONE && s.outputSize < 1) {
            throw f.error("architecture.output_size", "expected at least 1 with a " + head + " head");
        }
        s.inputFeatures = f.stringList(o, "input_features");
        s.outputFeatures = f.stringList(o, "output_features");
        if (!s.inputFeatures.isEmpty() && s.inputFeatures.size() != s.inputSize && s.kind != ModelKind.CHAR) {
            throw f.error("input_features", "expected " + s.inputSize + " names (architecture.input_size), found "
                    + s.inputFeatures.size());
        }
        s.targets = f.stringList(o, "targets");
        JsonNode hz = o.get("horizon");
        s.horizon = hz == null || hz.isNull() ? 1 : f.integer(o, "horizon", 1, MAX_HORIZON);
        if (s.kind == ModelKind.CHAR && s.horizon != 1) {
            throw f.error("horizon", "a character model predicts the next character: expected 1, found " + s.horizon);
        }
        if (!s.targets.isEmpty() && (long) s.targets.size() * s.horizon != s.outputSize) {
            throw f.error("targets", "expected " + s.targets.size() + " targets x horizon " + s.horizon + " = "
                    + (long) s.targets.size() * s.horizon + " outputs (architecture.output_size), found " + s.outputSize);
        }
        if (s.targets.isEmpty() && s.horizon > 1 && s.outputSize % s.horizon != 0) {
            throw f.error("horizon", "architecture.output_size " + s.outputSize + " is not a multiple of the horizon "
                    + s.horizon);
        }
        s.relativeToInput = f.optBoolean(o, "relative_to_input", false);
        if (s.relativeToInput) {
            if (s.kind != ModelKind.FORECASTER || s.head == Head.NONE || s.targets.isEmpty()) {
                throw f.error("relative_to_input", "only a forecaster with a head and named targets predicts"
                        + " relative to its inputs");
            }
            for (String t : s.targets) {
                if (!s.inputFeatures.contains(t)) {
                    throw f.error("relative_to_input", "the target \"" + t + "\" is not an input feature "
                            + s.inputFeatures + ", so it has no current value to be relative to");
                }
            }
        }
        JsonNode n = o.get("normalization");
        if (n != null && !n.isNull()) {
            if (!n.isObject()) {
                throw f.error("normalization", "expected an object");
            }
            s.inputMean = f.floats(n, "normalization.input_mean", s.inputSize);
            s.inputStd = f.floats(n, "normalization.input_std", s.inputSize);
            s.outputMean = f.floats(n, "normalization.output_mean", s.outputSize);
            s.outputStd = f.floats(n, "normalization.output_std", s.outputSize);
            if ((s.inputMean == null) != (s.inputStd == null) || (s.outputMean == null) != (s.outputStd == null)) {
                throw f.error("normalization", "a mean needs its std and a std its mean");
            }
            checkPositive(f, "normalization.input_std", s.inputStd);
            checkPositive(f, "normalization.output_std", s.outputStd);
        }
        JsonNode v = o.get("vocabulary");
        if (s.kind == ModelKind.CHAR) {
            if (v == null || !v.isTextual()) {
                throw f.error("vocabulary", "a character model needs its vocabulary as a string");
            }
            s.vocabulary = v.asText();
            int size = (int) s.vocabulary.codePoints().count();
            if (size != s.inputSize || size != s.outputSize) {
                throw f.error("vocabulary", "expected " + s.inputSize + " characters (the input and output size), found " + size);
            }
            int[] cps = s.vocabulary.codePoints().toArray();
            for (int i = 1; i < cps.length; i++) {
                if (cps[i] <= cps[i - 1]) {
                    throw f.error("vocabulary", "expected distinct characters in sorted order");
                }
            }
        }
        if (s.kind == ModelKind.SERIES_DENOISER) {
            checkSeriesDenoiser(f, o, s);
        }
        JsonNode p = o.get("provenance");
        if (p != null && p.isObject()) {
            s.provenance = MetadataReader.toMap(p);
        }
        return s;
    }

    /**
     * A series denoiser cleans every column it reads: a linear head with one output per input,
     * named columns, the standardisation (the noise level is in its units) and the noise model.
     */
    private static void checkSeriesDenoiser(MetadataReader f, JsonNode o, ModelSpec s) throws ModelFileException {
        if (s.head != Head.LINEAR) {
            throw f.error("architecture.head", "a series denoiser has a linear head, found " + s.head.id());
        }
        if (s.outputSize != s.inputSize) {
            throw f.error("architecture.output_size", "a series denoiser outputs each input column cleaned: expected "
                    + s.inputSize + " (architecture.input_size), found " + s.outputSize);
        }
        if (s.inputFeatures.size() != s.inputSize) {
            throw f.error("input_features", "a series denoiser names its " + s.inputSize + " columns, found "
                    + s.inputFeatures.size() + " names");
        }
        if (s.outputFeatures.size() != s.outputSize) {
            throw f.error("output_features", "expected " + s.outputSize + " names, found " + s.outputFeatures.size());
        }
        if (s.inputMean == null || s.outputMean == null) {
            throw f.error("normalization", "a series denoiser needs input_mean/input_std and output_mean/output_std");
        }
        JsonNode z = f.object(o, "noise");
        s.noiseModel = f.text(z, "noise.model");
        if (!io.nowcast.data.SeriesNoise.MODELS.contains(s.noiseModel)) {
            throw f.error("noise.model", "expected one of " + io.nowcast.data.SeriesNoise.MODELS + ", found \"" + s.noiseModel + "\"");
        }
        s.noiseSigma = f.number(z, "noise.sigma", 0, 1e6);
        s.noiseAmount = f.number(z, "noise.amount", 0, 1);
        s.residual = f.optBoolean(o, "residual", s.residual);
        JsonNode b = f.optObject(o, "smoothing_base");
        if (b != null) {
            if (!s.residual) {
                throw f.error("smoothing_base", "a smoothing base is the base of a residual output; residual is false");
            }
            JsonNode a = b.get("alphas");
            if (a == null || !a.isArray() || a.size() < 1 || a.size() > 64) {
                throw f.error("smoothing_base.alphas", "expected an array of 1 to 64 smoothing factors, found " + a);
            }
            float[] alphas = f.floats(b, "smoothing_base.alphas", a.size());
            float timeConstant = f.number(b, "smoothing_base.time_constant", 1, 1e6);
            try {
                s.smoothingBase = new SmoothingBase(alphas, timeConstant);
            } catch (IllegalArgumentException e) {
                throw f.error("smoothing_base.alphas", e.getMessage());
            }
            if (!"gaussian".equals(s.noiseModel) || !(s.noiseSigma > 0)) {
                throw f.error("smoothing_base", "the base estimates its error from the variance of Gaussian noise:"
                        + " expected noise.model gaussian with sigma > 0, found " + s.noiseModel + " of sigma "
                        + s.noiseSigma);
            }
        }
    }

    private static void checkPositive(MetadataReader f, String field, float[] v) throws ModelFileException {
        if (v != null) {
            for (int i = 0; i < v.length; i++) {
                if (!(v[i] > 0f) || !Float.isFinite(v[i])) {
                    throw f.error(field, "expected positive finite values, found " + v[i] + " at index " + i);
                }
            }
        }
    }
}
