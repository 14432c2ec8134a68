package io.nowcast.run;

import io.nowcast.model.Forecaster;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameModels;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.stream.ProcessorConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** The models of a processor configuration's pipelines, loaded and checked against the pipelines. */
public final class PipelineModels {
    private PipelineModels() {
    }

    /**
     * Each pipeline's model (pass-through pipelines have none): a forecaster or a series denoiser
     * ({@link Model}), or a frame denoiser or super-resolver ({@link FrameModel}: a frame pipeline).
     */
    public static Map<String, Object> load(ProcessorConfig c) throws Exception {
        Map<String, Object> models = new LinkedHashMap<>();
        for (ProcessorConfig.Pipeline p : c.pipelines) {
            if (p.passThrough()) {
                continue;
            }
            if (FrameModels.isFrameModel(p.model())) {
                if (p.inputSize() != 0) {
                    throw new IllegalArgumentException(c.source + ": pipeline '" + p.name() + "': input.size does not"
                            + " apply to a frame pipeline (" + p.model() + " is a frame model); frame.size fixes the"
                            + " frames' size");
                }
                models.put(p.name(), FrameModels.load(p.model()));
                continue;
            }
            if (p.frameKeys()) {
                throw new IllegalArgumentException(c.source + ": pipeline '" + p.name() + "': frame.size, frame.max.pixels"
                        + " and frame.batch.max apply to frame pipelines only; " + p.model() + " is not a frame model");
            }
            Model m = ModelFiles.load(p.model());
            if (!(m instanceof Forecaster) && !(m instanceof SeriesDenoiser)) {
                throw new IllegalArgumentException(c.source + ": pipeline '" + p.name() + "': " + p.model() + " is a "
                        + m.spec().kind.id + " model; a pipeline runs a forecaster or a series-denoiser model");
            }
            if (p.inputSize() != 0 && p.inputSize() != m.spec().inputSize) {
                throw new IllegalArgumentException(c.source + ": pipeline '" + p.name() + "': input.size is "
                        + p.inputSize() + ", the model " + p.model() + " takes " + m.spec().inputSize + " values");
            }
            models.put(p.name(), m);
        }
        return models;
    }
}
