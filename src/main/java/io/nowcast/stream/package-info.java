/**
 * The stream processor: Kafka in, each pipeline's model batched across streams, Kafka out.
 *
 * <h2>Public surface</h2>
 * What the commands and the dashboard use, and all they may use (ArchitectureTest keeps everything
 * outside this package off {@code io.nowcast.stream.internal}):
 * <ul>
 * <li>{@link io.nowcast.stream.ProcessorConfig} (with {@link io.nowcast.stream.ConfigKey} and
 *     {@link io.nowcast.stream.ConfigException}): the configuration file, its keys and their
 *     documentation;</li>
 * <li>{@link io.nowcast.stream.PipelineModels#check}: whether the models loaded for a configuration
 *     fit it;</li>
 * <li>{@link io.nowcast.stream.Processor}: the loop, its guarantees, its lifecycle, its
 *     {@link io.nowcast.stream.Processor.Stats stats} and probes;</li>
 * <li>{@link io.nowcast.stream.PredictionTap}: the listener that sees each prediction as it is made;</li>
 * <li>{@link io.nowcast.stream.Meters} and {@link io.nowcast.stream.OutputHeaders}: the names of the
 *     meters the processor registers and of the headers it writes.</li>
 * </ul>
 *
 * <h2>One sample's path, from poll to commit</h2>
 * <ol>
 * <li>{@code Processor.java}: the loop polls the record and gives it to the pipeline of its topic.</li>
 * <li>{@code internal/Pipeline.java}: the record is decoded (the {@code SampleCodec} its
 *     {@code SamplePipeline} gave it) and kept with its partition's number; once the poll is
 *     spread, the pipeline's samples go to its runner's batcher.</li>
 * <li>{@code internal/StreamBatcher.java}: grouped by stream, checked for event-time order, the
 *     stream restarted after a gap, taken into a round of one model call across streams (stepped
 *     again alone if the call fails) and checked for finite results.</li>
 * <li>{@code internal/PipelineRunner.java}: the sample's row of the call: the stream's state
 *     gathered, the model stepped, the state kept, the prediction encoded (live error, tap).</li>
 * <li>{@code internal/BatchResult.java}: the prediction, in the order the batch made its outputs,
 *     rejections and evictions, returned to the pipeline.</li>
 * <li>{@code internal/OutputRecords.java}: the prediction record (key, timestamp) sent, the stream
 *     marked as changed for the changelog.</li>
 * <li>{@code internal/ExactlyOnceCommitter.java} (or {@code AtLeastOnceCommitter.java}): the
 *     record, the stream's state record ({@code Changelog}) and the batch's offsets committed.</li>
 * </ol>
 * A frame takes the same path with {@code FramePipeline}'s {@code FrameCodec} and
 * {@code FrameRunner} in place of step 4's runner.
 */
package io.nowcast.stream;
