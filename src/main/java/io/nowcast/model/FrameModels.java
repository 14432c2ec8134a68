package io.nowcast.model;

import io.nowcast.nn.Sequential;
import io.nowcast.tensor.Gemm;
import io.nowcast.tensor.Gemms;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Frame model files: safetensors with PyTorch-like tensor names ({@code body.0.weight} (C, in, 3, 3),
 * {@code body.0.bias} (C), ...) and the {@link FrameSpec} as JSON under the {@code __metadata__}
 * key {@code nowcast} (schemas/model-file.md), and the digest of the tensor data under
 * {@link ModelFiles#DATA_SHA256_KEY}. Loading checks the digest when there is one, the metadata
 * field by field and every tensor's presence, shape and finiteness against the architecture;
 * anything else is refused naming the file, the tensor or field, and what was expected.
 */
public final class FrameModels {
    private FrameModels() {
    }

    public static FrameModel load(Path file) throws ModelFileException {
        return load(file, Gemms.create());
    }

    public static FrameModel load(Path file, Gemm gemm) throws ModelFileException {
        SafeTensors.Contents c = TensorBinder.read(file);
        String name = file.toString();
        String json = c.metadata().get(ModelFiles.METADATA_KEY);
        if (json == null) {
            throw new ModelFileException(name + ": metadata 'nowcast': missing (a frame model file names its kind and"
                    + " architecture there)");
        }
        FrameSpec spec = FrameSpec.parse(json, name);
        Sequential body = spec.kind == ModelKind.FRAME_DENOISER
                ? FrameDenoiser.network(spec, gemm) : SuperResolver.network(spec, gemm);
        TensorBinder.bind(name, c.tensors(), body.params(), describe(spec), p -> false);
        return spec.kind == ModelKind.FRAME_DENOISER ? new FrameDenoiser(spec, body) : new SuperResolver(spec, body);
    }

    public static void save(FrameModel m, Path file) throws IOException {
        TensorBinder.write(file, m.spec().toJson(), m.body().params());
    }

    /** True when the file is a readable safetensors file whose metadata names a frame kind. */
    public static boolean isFrameModel(Path file) {
        try {
            String json = SafeTensors.read(file).metadata().get(ModelFiles.METADATA_KEY);
            ModelKind k = json == null ? null : MetadataReader.sniffKind(json);
            return k != null && k.isFrame();
        } catch (ModelFileException e) {
            return false;
        }
    }

    static String describe(FrameSpec s) {
        return "a " + s.kind.id + " of " + s.layers + " layers x " + s.channels + " channels, kernel " + s.kernel
                + (s.dilated() ? ", dilations " + java.util.Arrays.toString(s.dilations) : "")
                + ", " + s.inChannels + " input channel" + (s.inChannels == 1 ? "" : "s")
                + (s.kind == ModelKind.SUPER_RESOLVER ? ", x" + s.scale + " " + s.upsampling : "");
    }
}
