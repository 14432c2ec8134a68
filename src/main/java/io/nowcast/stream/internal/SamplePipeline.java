package io.nowcast.stream.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.nowcast.codec.Sample;
import io.nowcast.codec.SampleCodec;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.SeriesDenoiser;
import io.nowcast.stream.PipelineModels;
import io.nowcast.stream.PredictionTap;
import io.nowcast.stream.ProcessorConfig;

import java.util.function.LongSupplier;

/**
 * A pipeline of samples: records decoded by a {@link SampleCodec} (dimension = the model's input
 * size, at most {@code max.record.bytes}), run by a {@link PipelineRunner} of a forecaster, a series
 * denoiser or none (pass-through), one prediction record per sample. A forecaster's pipeline with a
 * {@code model.dir} swaps in new model versions between batches ({@link ModelWatcher}). The
 * models are checked against the configuration beforehand ({@link PipelineModels#check}).
 * Not thread-safe: the processor's loop thread only.
 */
public final class SamplePipeline extends Pipeline<Sample> {
    /** Replaced by a model swap between batches. */
    private PipelineRunner runner;
    /** Null if the pipeline has no model.dir. */
    private final ModelWatcher watcher;

    /**
     * @param model null for a pass-through pipeline; else a forecaster or a series denoiser
     */
    public SamplePipeline(ProcessorConfig processor, ProcessorConfig.Pipeline config, Model model, OutputCommitter out,
                   Sources sources, LongSupplier clockMs, MeterRegistry registry) {
        this(processor, config, model, new PipelineMeters(registry, config.name(), modelName(model),
                model == null ? "1" : model.spec().version), out, sources, clockMs);
    }

    private SamplePipeline(ProcessorConfig processor, ProcessorConfig.Pipeline config, Model model,
                           PipelineMeters meters, OutputCommitter out, Sources sources, LongSupplier clockMs) {
        super(config, meters, new OutputRecords(processor, config, meters, out, sources, false, modelName(model),
                        model == null ? "1" : String.valueOf(model.spec().version)), sources,
                new SampleCodec(model == null ? config.inputSize() : model.spec().inputSize, config.maxRecordBytes())::decode,
                "the decoder");
        int maxStreams = processor.maxStreams;
        long ttl = processor.idleTtlMs;
        if (model == null) {
            this.runner = PipelineRunner.passThrough(config.name(), config.inputSize(),
                    PipelineRunner.passThroughStore(maxStreams, ttl, result), config.dropLate(), config.gapMs(), clockMs,
                    meters);
            this.watcher = null;
            return;
        }
        StreamStateStore store = new StreamStateStore(model.net().numLayers(), model.net().hiddenSize,
                model.net().cell.hasCell(), model instanceof SeriesDenoiser d ? d.extraWidth() : 0, maxStreams, ttl,
                result);
        if (model instanceof SeriesDenoiser d) {
            this.runner = PipelineRunner.seriesDenoiser(config.name(), d, store, config.dropLate(), config.gapMs(),
                    clockMs, meters);
            this.watcher = null;
        } else {
            Forecaster f = (Forecaster) model;
            this.runner = new PipelineRunner(config.name(), f, store, config.dropLate(), config.gapMs(), clockMs, meters);
            this.watcher = config.modelDir() == null ? null : new ModelWatcher(config.name(), config.modelDir(),
                    config.modelCheckMs(), model.spec().inputSize, config.model(), model.spec(), meters);
        }
    }

    private static String modelName(Model model) {
        return model == null ? ProcessorConfig.PASS_THROUGH : model.spec().name;
    }

    /** The runner serving the pipeline now. */
    public PipelineRunner sampleRunner() {
        return runner;
    }

    @Override
    public StreamRunner runner() {
        return runner;
    }

    @Override
    StreamBatcher<Sample> batcher() {
        return runner.batcher();
    }

    @Override
    public void swapModel(long nowMs, PredictionTap.Factory taps) {
        if (watcher == null) {
            return;
        }
        PipelineRunner before = runner;
        runner = watcher.update(before, nowMs);
        if (runner != before) {
            outputs.model(runner.spec().name, String.valueOf(runner.spec().version));
            if (taps != null) {
                // the new model's outputs may mean something else: its tap is made afresh
                runner.tap(taps.forPipeline(config.name(), runner.spec()));
            }
        }
    }

    @Override
    public void tap(PredictionTap.Factory taps) {
        runner.tap(taps.forPipeline(config.name(), runner.spec()));
    }
}
