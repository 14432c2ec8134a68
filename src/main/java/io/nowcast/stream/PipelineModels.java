package io.nowcast.stream;

import io.nowcast.model.Forecaster;
import io.nowcast.model.FrameModel;
import io.nowcast.model.Model;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.stream.internal.FrameRunner;

import java.util.Map;

/**
 * Whether the models given for a configuration's pipelines fit it: one model per pipeline that is
 * not a pass-through, of a kind the processor serves (a forecaster or a series denoiser for a
 * pipeline of samples, a frame model for a frame pipeline), with the pipeline's settings that
 * apply to it only ({@code input.size} the model's input size, {@code model.dir} for forecasters,
 * the {@code frame.*} settings for frame models). The processor checks this before it makes
 * anything; the commands that load the models may check it first. Stateless.
 */
public final class PipelineModels {
    private PipelineModels() {
    }

    /**
     * @param models each pipeline's model by pipeline name, as {@link Processor#Processor(ProcessorConfig, Map)} takes them
     * @throws IllegalArgumentException naming the first pipeline whose model does not fit, and why
     */
    public static void check(ProcessorConfig config, Map<String, ?> models) {
        for (ProcessorConfig.Pipeline p : config.pipelines) {
            String where = config.source + ": pipeline '" + p.name() + "': ";
            Object given = p.passThrough() ? null : models.get(p.name());
            if (!p.passThrough() && given == null) {
                throw new IllegalArgumentException(where + "no model given");
            }
            FrameRunner.Served frames = served(given);
            if (frames != null) {
                checkFrames(where, p);
            } else {
                checkSamples(where, p, given);
            }
        }
    }

    /** The frame model to serve if {@code model} is one (a {@link FrameModel}, or already served), else null. */
    static FrameRunner.Served served(Object model) {
        if (model instanceof FrameModel m) {
            return new FrameRunner.Served(m.spec().name, m.spec().version, m.scale(), m.recurrent(), m::apply);
        }
        if (model instanceof FrameRunner.Served s) {
            return s;
        }
        return null;
    }

    private static void checkFrames(String where, ProcessorConfig.Pipeline p) {
        if (p.modelDir() != null) {
            throw new IllegalArgumentException(where + "model.dir swaps new versions of forecaster models; "
                    + p.model() + " is a frame model");
        }
        if (p.inputSize() != 0) {
            throw new IllegalArgumentException(where + "input.size does not apply to a frame pipeline (" + p.model()
                    + " is a frame model); frame.size fixes the frames' size");
        }
    }

    /** {@code given} is null for a pass-through pipeline. */
    private static void checkSamples(String where, ProcessorConfig.Pipeline p, Object given) {
        if (given != null && !(given instanceof Model)) {
            throw new IllegalArgumentException(where + "a " + given.getClass().getSimpleName()
                    + " is not a model the processor serves");
        }
        Model model = (Model) given;
        if (model != null && !(model instanceof SeriesDenoiser) && !(model instanceof Forecaster)) {
            throw new IllegalArgumentException(where + p.model() + " is a " + model.spec().kind.id
                    + " model; a pipeline runs a forecaster or a series-denoiser model");
        }
        if (model != null && p.inputSize() != 0 && p.inputSize() != model.spec().inputSize) {
            throw new IllegalArgumentException(where + "input.size is " + p.inputSize() + ", the model " + p.model()
                    + " takes " + model.spec().inputSize + " values");
        }
        if (p.frameKeys()) {
            throw new IllegalArgumentException(where + "frame.size, frame.max.pixels and frame.batch.max apply to"
                    + " frame pipelines only; " + (model == null ? "a pass-through pipeline runs on samples"
                    : p.model() + " is not a frame model"));
        }
        if (model instanceof SeriesDenoiser && p.modelDir() != null) {
            throw new IllegalArgumentException(where + "model.dir swaps new versions of forecaster models; "
                    + p.model() + " is a series-denoiser");
        }
    }
}
