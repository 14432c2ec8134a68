package io.nowcast.stream.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.stream.PipelineModels;
import io.nowcast.stream.ProcessorConfig;

import java.util.function.LongSupplier;

/**
 * A pipeline of frames: records decoded by a {@link FrameCodec} (at most {@code max.record.bytes}
 * and {@code frame.max.pixels}), run by a {@link FrameRunner} of a frame model, one output frame
 * record per frame, its headers naming the model, its version and the stream's step. The model is
 * checked against the configuration beforehand ({@link PipelineModels#check}). Not thread-safe: the
 * processor's loop thread only.
 */
public final class FramePipeline extends Pipeline<Frame> {
    private final FrameRunner runner;

    public FramePipeline(ProcessorConfig processor, ProcessorConfig.Pipeline config, FrameRunner.Served model,
                  OutputCommitter out, Sources sources, LongSupplier clockMs, MeterRegistry registry) {
        this(processor, config, model, new PipelineMeters(registry, config.name(), model.name(), model.version()),
                out, sources, clockMs);
    }

    private FramePipeline(ProcessorConfig processor, ProcessorConfig.Pipeline config, FrameRunner.Served model,
                          PipelineMeters meters, OutputCommitter out, Sources sources, LongSupplier clockMs) {
        super(config, meters, new OutputRecords(processor, config, meters, out, sources, true, model.name(),
                        model.version()), sources,
                new FrameCodec(config.maxRecordBytes(), config.frameMaxPixels())::decode, "the frame decoder");
        this.runner = FrameRunner.of(config, model, FrameRunner.store(processor.maxStreams, processor.idleTtlMs, result),
                clockMs, meters);
        runner.limitOutput(ClientSettings.maxRequestSize(processor), outputs.changelog != null);
    }

    @Override
    public StreamRunner runner() {
        return runner;
    }

    @Override
    StreamBatcher<Frame> batcher() {
        return runner.batcher();
    }
}
