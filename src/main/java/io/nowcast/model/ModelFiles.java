package io.nowcast.model;

import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Model files: safetensors with PyTorch tensor names, Nowcast's {@link ModelSpec} as JSON under the
 * {@code __metadata__} key {@code nowcast}, and the SHA-256 of the tensor data under
 * {@code nowcast_data_sha256}, checked on load when present (a file that changed after it was
 * written is refused).
 *
 * <p>A plain PyTorch state_dict saved with safetensors (tensors {@code rnn.*} or bare
 * {@code weight_ih_l0 ...}, optionally {@code head.weight}/{@code head.bias}, no Nowcast metadata)
 * loads too: the cell type follows from the shapes (4 gate blocks LSTM, 3 GRU, 1 Elman RNN with
 * tanh), the layer count from the names, and the model is a forecaster. Missing biases load as
 * zeros. Every tensor's presence and shape is checked against the architecture; anything else is
 * refused with the file, the tensor and what was expected.
 */
public final class ModelFiles {
    public static final String METADATA_KEY = "nowcast";

    /**
     * The {@code __metadata__} key of the SHA-256 of the data section (64 lowercase hex digits),
     * beside {@link #METADATA_KEY} rather than in its document: the document describes the model
     * and stays as it was, and readers that do not know the key still load the file.
     */
    public static final String DATA_SHA256_KEY = "nowcast_data_sha256";

    private ModelFiles() {
    }

    public static void save(Path file, Model model) throws IOException {
        save(file, model.spec(), model.net());
    }

    public static void save(Path file, ModelSpec spec, RecurrentNet net) throws IOException {
        TensorBinder.write(file, spec.toJson(), net.params());
    }

    public static Model load(Path file) throws ModelFileException {
        return load(file, Gemms.create());
    }

    public static Model load(Path file, Gemm gemm) throws ModelFileException {
        SafeTensors.Contents c = TensorBinder.read(file);
        String name = file.toString();
        String json = c.metadata().get(METADATA_KEY);
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        ModelSpec spec;
        if (json != null) {
            spec = ModelSpec.parse(json, name);
            tensors.putAll(c.tensors());
        } else {
            // a PyTorch state_dict: accept bare nn.LSTM names by adding the rnn. prefix
            for (Map.Entry<String, SafeTensors.Tensor> e : c.tensors().entrySet()) {
                String k = e.getKey();
                String key = k.matches("(weight|bias)_(ih|hh)_l\\d+") ? "rnn." + k : k;
                if (tensors.put(key, e.getValue()) != null) {
                    throw new ModelFileException(name + ": tensor " + k + " appears both with and without the 'rnn.' prefix");
                }
            }
            spec = inferSpec(name, tensors);
        }
        RecurrentNet net = new RecurrentNet(spec.cell, spec.inputSize, spec.hiddenSize, spec.numLayers, spec.headOutputs(), gemm);
        // a PyTorch state_dict saved with bias=False has no biases: they stay zeros
        TensorBinder.bind(name, tensors, net.params(), describe(spec), p -> json == null && p.name.contains(".bias"));
        try {
            return Model.of(spec, net);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(name + ": " + e.getMessage());
        }
    }

    private static String describe(ModelSpec s) {
        return "a " + s.numLayers + "-layer " + s.cell.id + " of input " + s.inputSize + ", hidden " + s.hiddenSize
                + (s.head == ModelSpec.Head.NONE ? "" : ", " + s.head.id() + " head of " + s.outputSize);
    }

    /** Architecture of a PyTorch state_dict from its tensor names and shapes. */
    static ModelSpec inferSpec(String file, Map<String, SafeTensors.Tensor> t) throws ModelFileException {
        SafeTensors.Tensor ih = t.get("rnn.weight_ih_l0");
        SafeTensors.Tensor hh = t.get("rnn.weight_hh_l0");
        if (ih == null || hh == null) {
            throw new ModelFileException(file + ": tensor rnn.weight_ih_l0: missing (a file without Nowcast metadata must be"
                    + " a PyTorch state_dict of an RNN/LSTM/GRU named rnn.* or weight_ih_l0 ...); found "
                    + t.keySet());
        }
        if (hh.shape().length != 2 || ih.shape().length != 2) {
            throw new ModelFileException(file + ": tensor rnn.weight_hh_l0: expected a 2-D shape [gates*hidden, hidden], found "
                    + Arrays.toString(hh.shape()) + " and rnn.weight_ih_l0 " + Arrays.toString(ih.shape()));
        }
        int H = hh.shape()[1];
        int rows = hh.shape()[0];
        if (H < 1 || rows % H != 0) {
            throw new ModelFileException(file + ": tensor rnn.weight_hh_l0: expected [gates*hidden, hidden], found "
                    + Arrays.toString(hh.shape()));
        }
        ModelSpec s = new ModelSpec();
        switch (rows / H) {
            case 4:
                s.cell = CellType.LSTM;
                break;
            case 3:
                s.cell = CellType.GRU;
                break;
            case 1:
                s.cell = CellType.RNN_TANH;
                break;
            default:
                throw new ModelFileException(file + ": tensor rnn.weight_hh_l0: " + rows / H
                        + " gate blocks of " + H + " rows; expected 4 (LSTM), 3 (GRU) or 1 (RNN)");
        }
        s.kind = ModelKind.FORECASTER;
        s.name = "pytorch";
        s.hiddenSize = H;
        s.inputSize = ih.shape()[1];
        int layers = 0;
        while (t.containsKey("rnn.weight_ih_l" + layers)) {
            layers++;
        }
        s.numLayers = layers;
        SafeTensors.Tensor hw = t.get("head.weight");
        if (hw != null) {
            if (hw.shape().length != 2) {
                throw new ModelFileException(file + ": tensor head.weight: expected [outputs, " + H + "], found "
                        + Arrays.toString(hw.shape()));
            }
            s.head = ModelSpec.Head.LINEAR;
            s.outputSize = hw.shape()[0];
        } else {
            s.head = ModelSpec.Head.NONE;
            s.outputSize = 0;
        }
        for (int j = 0; j < s.inputSize; j++) {
            s.inputFeatures.add("x" + j);
        }
        s.provenance.put("source", "PyTorch state_dict without Nowcast metadata");
        return s;
    }
}
