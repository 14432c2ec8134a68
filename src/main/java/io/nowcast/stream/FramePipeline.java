package io.nowcast.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * A pipeline of frames: records decoded by a {@link FrameCodec} (at most {@code max.record.bytes}
 * and {@code frame.max.pixels}), run by a {@link FrameRunner} of a frame model, one output frame
 * record per frame, its headers naming the model, its version and the stream's step. The model is
 * checked against the configuration beforehand ({@link PipelineModels#check}). Not thread-safe: the
 * processor's loop thread only.
 */
final class FramePipeline extends Pipeline<Frame> {
    private final FrameCodec codec;
    private final FrameRunner runner;

    FramePipeline(ProcessorConfig processor, ProcessorConfig.Pipeline config, FrameRunner.Served model,
                  OutputCommitter out, Sources sources, LongSupplier clockMs, MeterRegistry registry) {
        super(processor, config, new Meters.PipelineMeters(registry, config.name(), model.name(), model.version()), out,
                sources, model.name(), model.version());
        this.codec = new FrameCodec(config.maxRecordBytes(), config.frameMaxPixels());
        this.runner = FrameRunner.of(config, model, FrameRunner.store(processor.maxStreams, processor.idleTtlMs, result),
                clockMs, meters);
        runner.limitOutput(ClientSettings.maxRequestSize(processor), changelog != null);
    }

    @Override
    StreamRunner runner() {
        return runner;
    }

    @Override
    Frame decode(ConsumerRecord<byte[], byte[]> r) throws RejectedException {
        return codec.decode(r.key(), r.value(), r.timestamp());
    }

    @Override
    String decoder() {
        return "the frame decoder";
    }

    @Override
    String stream(Frame f) {
        return f.stream();
    }

    @Override
    long eventTime(Frame f) {
        return f.eventTime();
    }

    @Override
    void run(List<Frame> frames, int[] sources, BatchResult into) {
        runner.process(frames, sources, into);
    }

    @Override
    ProducerRecord<byte[], byte[]> output(ConsumerRecord<byte[], byte[]> in, String stream, long step, byte[] value) {
        return OutputRecords.frame(config.outputTopic(), in, stream, step, value, modelName, modelVersion);
    }
}
