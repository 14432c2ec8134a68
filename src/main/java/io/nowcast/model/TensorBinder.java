package io.nowcast.model;

import io.nowcast.nn.Param;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Moves a network's parameters to and from the tensors of a model file, for {@link ModelFiles} and
 * {@link FrameModels}: a parameter is stored as the F32 tensor of its name and shape.
 *
 * <p>{@link #write} records the SHA-256 of the tensor data under the metadata key
 * {@link ModelFiles#DATA_SHA256_KEY}, and {@link #read} refuses a file whose data no longer has the
 * digest it records; a file without one (PyTorch's, or Nowcast's from before the digest) is read
 * as it is. {@link #bind} checks every tensor's presence, shape and finiteness against the
 * parameters before it copies it in, and refuses tensors no parameter takes, naming the file, the
 * tensor and the architecture expected.
 */
final class TensorBinder {
    private TensorBinder() {
    }

    /**
     * Reads a model file and, when it records the digest of its tensor data, checks it.
     *
     * @throws ModelFileException as {@link SafeTensors#read(Path)}, or if the recorded digest is not
     *     64 lowercase hex digits or differs from the data section's
     */
    static SafeTensors.Contents read(Path file) throws ModelFileException {
        SafeTensors.Contents c = SafeTensors.read(file);
        String recorded = c.metadata().get(ModelFiles.DATA_SHA256_KEY);
        if (recorded == null) {
            return c;
        }
        String field = file + ": metadata '" + ModelFiles.DATA_SHA256_KEY + "': ";
        if (!recorded.matches("[0-9a-f]{64}")) {
            throw new ModelFileException(field + "expected the SHA-256 of the tensor data as 64 lowercase hex digits,"
                    + " found " + SafeTensors.quote(recorded));
        }
        if (!recorded.equals(c.dataSha256())) {
            throw new ModelFileException(field + "tensor data digest does not match: the file is damaged (expected"
                    + " SHA-256 " + recorded + " as recorded when it was written, the data section has "
                    + c.dataSha256() + ")");
        }
        return c;
    }

    /**
     * Copies each parameter's tensor into it.
     *
     * @param file names the file in messages
     * @param architecture the network the parameters make up, as messages name it
     *     ("a 2-layer lstm of input 3, hidden 5")
     * @param mayBeAbsent the parameters kept as they are (zeros) when the file has no tensor for them
     * @throws ModelFileException if a tensor is missing, of another shape than its parameter, holds a
     *     value that is not finite, or belongs to no parameter
     */
    static void bind(String file, Map<String, SafeTensors.Tensor> tensors, List<Param> params, String architecture,
                     Predicate<Param> mayBeAbsent) throws ModelFileException {
        Set<String> unused = new LinkedHashSet<>(tensors.keySet());
        for (Param p : params) {
            SafeTensors.Tensor t = tensors.get(p.name);
            if (t == null) {
                if (mayBeAbsent.test(p)) {
                    continue;
                }
                throw new ModelFileException(file + ": tensor " + p.name + ": missing (expected shape "
                        + Arrays.toString(p.shape()) + " for " + architecture + ")");
            }
            if (!Arrays.equals(t.shape(), p.shape())) {
                throw new ModelFileException(file + ": tensor " + p.name + ": expected shape " + Arrays.toString(p.shape())
                        + " for " + architecture + ", found " + Arrays.toString(t.shape()));
            }
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i])) {
                    throw new ModelFileException(file + ": tensor " + p.name + ": expected finite values, found "
                            + d[i] + " at index " + i);
                }
            }
            p.set(d);
            unused.remove(p.name);
        }
        if (!unused.isEmpty()) {
            throw new ModelFileException(file + ": tensor " + unused.iterator().next() + ": not part of "
                    + architecture + " (unexpected tensors: " + unused + ")");
        }
    }

    /**
     * Writes the parameters as F32 tensors, in order, with {@code specJson} under the metadata key
     * {@link ModelFiles#METADATA_KEY} and the digest of their data under
     * {@link ModelFiles#DATA_SHA256_KEY}.
     */
    static void write(Path file, String specJson, List<Param> params) throws IOException {
        List<SafeTensors.Tensor> tensors = new ArrayList<>();
        for (Param p : params) {
            tensors.add(new SafeTensors.Tensor(p.name, p.shape(), Arrays.copyOf(p.w(), p.size())));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelFiles.METADATA_KEY, specJson);
        meta.put(ModelFiles.DATA_SHA256_KEY, SafeTensors.dataSha256(tensors));
        SafeTensors.write(file, meta, tensors);
    }
}
