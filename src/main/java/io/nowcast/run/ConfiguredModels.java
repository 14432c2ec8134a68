package io.nowcast.run;

import io.nowcast.model.FrameModels;
import io.nowcast.model.ModelFiles;
import io.nowcast.stream.ProcessorConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The models of a processor configuration's pipelines, loaded and checked against the pipelines by
 * the processor's own check ({@link io.nowcast.stream.PipelineModels#check}), so that run, demo and
 * bench refuse a misfit before they start anything, with the same message.
 */
public final class ConfiguredModels {
    private ConfiguredModels() {
    }

    /**
     * Each pipeline's model (pass-through pipelines have none): a forecaster or a series denoiser
     * ({@code Model}), or a frame denoiser or super-resolver ({@code FrameModel}: a frame pipeline).
     *
     * @throws IllegalArgumentException naming the file, the pipeline and the setting that does not fit
     */
    public static Map<String, Object> load(ProcessorConfig c) throws Exception {
        Map<String, Object> models = new LinkedHashMap<>();
        for (ProcessorConfig.Pipeline p : c.pipelines) {
            if (!p.passThrough()) {
                models.put(p.name(), FrameModels.isFrameModel(p.model()) ? FrameModels.load(p.model())
                        : ModelFiles.load(p.model()));
            }
        }
        io.nowcast.stream.PipelineModels.check(c, models);
        return models;
    }
}
