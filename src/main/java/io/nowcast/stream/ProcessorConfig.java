package io.nowcast.stream;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The processor's configuration: a Java properties file with process-wide keys, one block of
 * {@code pipeline.NAME.*} keys per pipeline listed in {@code pipelines}, and Kafka client settings
 * passed through ({@code kafka.*} to every client, {@code consumer.*} / {@code producer.*} to one
 * side). Every Nowcast key is defined here once, with type, default, check and documentation;
 * {@code docs/configuration.md} is generated from these definitions. An unknown key, a missing
 * required key or a bad value refuses the whole file, naming the file, the key and the problem.
 */
public final class ProcessorConfig {
    public static final ConfigKey BOOTSTRAP = ConfigKey.string("bootstrap.servers", "",
            "Kafka bootstrap servers. Empty: start an embedded single-node broker in this process.");
    public static final ConfigKey APPLICATION_ID = ConfigKey.string("application.id", "nowcast",
            "Consumer group id of the processor; instances with the same id share the input partitions.");
    public static final ConfigKey PIPELINES = ConfigKey.list("pipelines", null,
            "Names of the pipelines to run; each has its own pipeline.NAME.* keys.");
    public static final ConfigKey DEAD_LETTER_TOPIC = ConfigKey.topic("dead.letter.topic", "nowcast.dead-letters", false,
            "Topic receiving every record that cannot be processed: its original key, value and headers, plus"
                    + " headers nowcast.reason, nowcast.error, nowcast.source.topic, nowcast.source.partition,"
                    + " nowcast.source.offset and nowcast.pipeline.");
    public static final ConfigKey MAX_STREAMS = ConfigKey.integer("state.max.streams", "100000", 1, Integer.MAX_VALUE,
            "Most streams whose state is kept per pipeline; the least recently used is evicted first.");
    public static final ConfigKey IDLE_TTL = ConfigKey.longValue("state.idle.ttl.ms", "3600000", 0, Long.MAX_VALUE,
            "A stream with no sample for this long (processing time) is evicted; 0 keeps states until capacity evicts them.");
    public static final ConfigKey EVICTIONS_TOPIC = ConfigKey.topic("state.evictions.topic", "", true,
            "If set, every eviction is announced on this topic (key = stream id, value = JSON with the pipeline and"
                    + " the cause, capacity or idle).");
    public static final String REFUSE = "refuse";
    public static final String CREATE = "create";
    public static final ConfigKey TOPICS_MISSING = ConfigKey.choice("topics.missing", REFUSE,
            "What the processor does at start when a topic it writes to (a pipeline's output.topic, dead.letter.topic,"
                    + " state.evictions.topic) does not exist: " + REFUSE + " stops it with the topic's name; " + CREATE
                    + " makes it with the partition count of the pipeline's input (the largest input's for the dead-letter"
                    + " and evictions topics) and the broker's default replication.", REFUSE, CREATE);
    public static final ConfigKey POLL_MAX_RECORDS = ConfigKey.integer("poll.max.records", "2000", 1, 1_000_000,
            "Most records taken in one poll (the consumer's max.poll.records).");
    public static final ConfigKey POLL_TIMEOUT = ConfigKey.longValue("poll.timeout.ms", "100", 1, 60_000,
            "How long one poll waits for records.");
    public static final ConfigKey EMBEDDED_PARTITIONS = ConfigKey.integer("embedded.topic.partitions", "4", 1, 1000,
            "With the embedded broker (bootstrap.servers empty): partitions of each input and output topic it creates.");
    public static final String EXACTLY_ONCE = "exactly_once";
    public static final String AT_LEAST_ONCE = "at_least_once";
    public static final ConfigKey GUARANTEE = ConfigKey.choice("processing.guarantee", EXACTLY_ONCE,
            EXACTLY_ONCE + ": predictions, dead letters, eviction announcements, the per-stream state changelog"
                    + " (topic <application.id>-<pipeline>-state, schemas/state-changelog.md) and the input offsets are"
                    + " written in one Kafka transaction every commit.interval.ms; a crash, restart or rebalance"
                    + " resumes every stream from its committed state, and a read_committed reader sees each"
                    + " prediction once. It costs a transaction per commit interval and outputs become visible to"
                    + " read_committed readers only when their transaction commits (up to commit.interval.ms later)."
                    + " " + AT_LEAST_ONCE + ": outputs are written as soon as they are made and offsets committed"
                    + " once they are acknowledged (lowest latency); after a crash the records since the last commit"
                    + " are processed again (duplicate outputs), and stream states are not kept anywhere but in"
                    + " memory (a restarted instance starts every stream afresh).", EXACTLY_ONCE, AT_LEAST_ONCE);
    public static final ConfigKey COMMIT_INTERVAL = ConfigKey.longValue("commit.interval.ms", "100", 1, 600_000,
            "With exactly_once: how long one transaction stays open (several polls share it); the state changelog is"
                    + " written once per stream per transaction. Longer: fewer transactions and state records, more"
                    + " latency for read_committed readers and more to process again after a crash. Unused with"
                    + " at_least_once.");
    public static final ConfigKey INSTANCE_ID = ConfigKey.string("instance.id", "",
            "A name for this instance that stays the same across its restarts (a StatefulSet pod name), unique in"
                    + " the group. It makes the consumer's group.instance.id (<application.id>-<instance.id>, static"
                    + " membership: a restart within consumer session.timeout.ms keeps the instance's partitions"
                    + " without a rebalance; a stop leaves the group at once) and, with exactly_once, the producer's"
                    + " transactional.id (the same name), so a restarted instance aborts its predecessor's open"
                    + " transaction at once. Empty: a dynamic member and a random transactional.id per start; after a"
                    + " crash the partitions the dead instance wrote to then wait for its session to expire and for"
                    + " its open transaction to time out (producer transaction.timeout.ms, 10000 unless set).");
    public static final ConfigKey HTTP_HOST = ConfigKey.string("http.host", "127.0.0.1",
            "Address the HTTP endpoints (/metrics, /health, /ready, the dashboard at /) listen on; 0.0.0.0 for every interface"
                    + " (in a container).");
    public static final ConfigKey HTTP_PORT = ConfigKey.integer("http.port", "8080", 0, 65535,
            "Port of the HTTP endpoints; 0 picks a free port (printed at start).");

    public static final ConfigKey DASHBOARD_FRAME_TOPICS = ConfigKey.optionalTopics("dashboard.frame.topics", "",
            "Topics of camera frames (schemas/frame.md, key = camera id) the dashboard shows side by side for a picked"
                    + " camera, in this order: for example a frame pipeline's input (noisy), its output (cleaned) and a"
                    + " reference (clean). Only the picked camera's frames are decoded; empty: no frame panel.");

    /** Keys of one pipeline, under {@code pipeline.NAME.}. */
    public static final ConfigKey P_INPUTS = ConfigKey.topics("input.topics", null,
            "Topics this pipeline reads samples from (key = stream id); a topic belongs to one pipeline.");
    public static final ConfigKey P_OUTPUT = ConfigKey.topic("output.topic", null, false,
            "Topic this pipeline writes predictions to (key = stream id).");
    /** The value of {@code pipeline.NAME.model} that runs no model. */
    public static final String PASS_THROUGH = "pass-through";
    public static final ConfigKey P_MODEL = ConfigKey.path("model", null,
            "Model file (.safetensors) run on every sample, a forecaster or a series-denoiser (the prediction is"
                    + " then the sample cleaned); relative paths are resolved against the config file's folder."
                    + " The value " + PASS_THROUGH + " runs no model: each prediction echoes its sample's values (model"
                    + " \"" + PASS_THROUGH + "\"), everything else (decoding, per-stream state and order, dead letters,"
                    + " writing, commits) as with a model; it measures the Kafka path alone and needs input.size."
                    + " A file of that name is written ./" + PASS_THROUGH + ".", PASS_THROUGH);
    public static final ConfigKey P_INPUT_SIZE = ConfigKey.integer("input.size", "0", 0, 1 << 20,
            "Values per sample. 0: the model's input size. Required with model=" + PASS_THROUGH + "; with a model file,"
                    + " if set, it must equal the model's input size.");
    public static final ConfigKey P_LATE = ConfigKey.choice("late.policy", "dead-letter",
            "What happens to a sample older than its stream's last one.", "dead-letter", "drop");
    public static final ConfigKey P_GAP = ConfigKey.longValue("gap.ms", "0", 0, Long.MAX_VALUE,
            "A stream silent for longer than this (event time) restarts from a fresh state; 0 never restarts.");
    public static final ConfigKey P_MAX_BYTES = ConfigKey.integer("max.record.bytes", "65536", 16, 64 << 20,
            "Largest input record value accepted; larger ones are dead-lettered as oversized.");

    public static final ConfigKey P_MODEL_DIR = ConfigKey.path("model.dir", "",
            "Folder watched for new versions of the pipeline's model; empty: none (relative paths are resolved against"
                    + " the config file's folder). Every *.safetensors file in it is a version, the one whose name is"
                    + " greatest in version order (runs of digits compared as numbers, so v10 is after v9) is the one"
                    + " to serve; write a new one under another name (such as NAME.safetensors.tmp) and rename it, so"
                    + " that it appears whole. A new greatest file is loaded and checked (a forecaster, the pipeline's"
                    + " input size and feature names, a model name and version other than the serving one) and swapped"
                    + " in between two batches; a file that fails is refused (logged, counted) and the old model goes"
                    + " on. Stream states are kept if the new model has the same cell type, layers and hidden size, and"
                    + " reset otherwise (counted). At start, a greatest file other than pipeline.NAME.model is swapped"
                    + " in before the first batch.");
    public static final ConfigKey P_MODEL_CHECK = ConfigKey.longValue("model.check.ms", "1000", 1, 3_600_000,
            "How often model.dir is listed (processing time).");

    /** Keys of frame pipelines only (the model is a frame-denoiser or super-resolver). */
    public static final ConfigKey P_FRAME_SIZE = ConfigKey.string("frame.size", "",
            "Frame pipelines: the only input frame size accepted, WIDTHxHEIGHT (such as 64x64); a frame of another size"
                    + " is dead-lettered as wrong-dimension. Empty: any size (frames of equal size share a model call).");
    public static final ConfigKey P_FRAME_MAX_PIXELS = ConfigKey.integer("frame.max.pixels", "1048576", 1,
            4096 * 4096, "Frame pipelines: largest width x height of an input frame; a larger one is dead-lettered as"
                    + " oversized before its pixels are decoded (a PNG's size is read from its header). The record's"
                    + " bytes are limited by max.record.bytes as well (a raw u8 frame is 20 bytes + width x height).");
    public static final ConfigKey P_FRAME_BATCH = ConfigKey.integer("frame.batch.max", "64", 1, 65536,
            "Frame pipelines: most frames in one model call. The frames of one size that a poll brings (one per"
                    + " camera and round, for a recurrent model) go through one call, in chunks of at most this many;"
                    + " the model's work memory grows with it.");

    public static final List<ConfigKey> PROCESS_KEYS = List.of(BOOTSTRAP, APPLICATION_ID, PIPELINES, DEAD_LETTER_TOPIC,
            MAX_STREAMS, IDLE_TTL, EVICTIONS_TOPIC, TOPICS_MISSING, POLL_MAX_RECORDS, POLL_TIMEOUT, EMBEDDED_PARTITIONS, HTTP_HOST, HTTP_PORT,
            DASHBOARD_FRAME_TOPICS, GUARANTEE, COMMIT_INTERVAL, INSTANCE_ID);
    public static final List<ConfigKey> PIPELINE_KEYS = List.of(P_INPUTS, P_OUTPUT, P_MODEL, P_INPUT_SIZE, P_LATE, P_GAP,
            P_MAX_BYTES, P_MODEL_DIR, P_MODEL_CHECK, P_FRAME_SIZE, P_FRAME_MAX_PIXELS, P_FRAME_BATCH);

    /**
     * One pipeline's settings. {@code model} is null for a pass-through pipeline; {@code inputSize}
     * is 0 when the model's input size is to be used; {@code modelDir} is null when no folder is
     * watched for new model versions. The frame settings apply to frame pipelines only: {@code frameWidth}
     * and {@code frameHeight} are 0 when any size is taken; {@code frameKeys} says whether any
     * {@code frame.*} key was set (a pipeline of samples refuses them).
     */
    public record Pipeline(String name, List<String> inputTopics, String outputTopic, Path model, int inputSize,
                           boolean dropLate, long gapMs, int maxRecordBytes, Path modelDir, long modelCheckMs,
                           int frameWidth, int frameHeight, int frameMaxPixels, int frameBatch, boolean frameKeys) {
        /** Whether the pipeline runs no model ({@code model=pass-through}): predictions echo the samples. */
        public boolean passThrough() {
            return model == null;
        }
    }

    public final String source;
    public final String bootstrapServers;
    public final String applicationId;
    public final String deadLetterTopic;
    public final int maxStreams;
    public final long idleTtlMs;
    public final String evictionsTopic;
    /** {@code topics.missing=create}: make the output topics that do not exist at start. */
    public final boolean createMissingTopics;
    public final int pollMaxRecords;
    public final long pollTimeoutMs;
    public final int embeddedPartitions;
    public final String httpHost;
    /** {@code processing.guarantee=exactly_once}. */
    public final boolean exactlyOnce;
    public final long commitIntervalMs;
    public final String instanceId;
    public final int httpPort;
    /** Topics of frames the dashboard shows ({@code dashboard.frame.topics}), possibly none. */
    public final List<String> dashboardFrameTopics;
    public final List<Pipeline> pipelines;
    /** kafka.* settings for every client, consumer.* and producer.* for one side, prefixes removed. */
    public final Map<String, String> kafkaCommon;
    public final Map<String, String> kafkaConsumer;
    public final Map<String, String> kafkaProducer;

    private ProcessorConfig(String source, Map<String, Object> v, List<Pipeline> pipelines, Map<String, String> common,
                            Map<String, String> consumer, Map<String, String> producer) {
        this.source = source;
        this.bootstrapServers = (String) v.get(BOOTSTRAP.name);
        this.applicationId = (String) v.get(APPLICATION_ID.name);
        this.deadLetterTopic = (String) v.get(DEAD_LETTER_TOPIC.name);
        this.maxStreams = (Integer) v.get(MAX_STREAMS.name);
        this.idleTtlMs = (Long) v.get(IDLE_TTL.name);
        this.evictionsTopic = (String) v.get(EVICTIONS_TOPIC.name);
        this.createMissingTopics = CREATE.equals(v.get(TOPICS_MISSING.name));
        this.pollMaxRecords = (Integer) v.get(POLL_MAX_RECORDS.name);
        this.pollTimeoutMs = (Long) v.get(POLL_TIMEOUT.name);
        this.embeddedPartitions = (Integer) v.get(EMBEDDED_PARTITIONS.name);
        this.httpHost = (String) v.get(HTTP_HOST.name);
        this.exactlyOnce = EXACTLY_ONCE.equals(v.get(GUARANTEE.name));
        this.commitIntervalMs = (Long) v.get(COMMIT_INTERVAL.name);
        this.instanceId = (String) v.get(INSTANCE_ID.name);
        this.httpPort = (Integer) v.get(HTTP_PORT.name);
        @SuppressWarnings("unchecked")
        List<String> frameTopics = (List<String>) v.get(DASHBOARD_FRAME_TOPICS.name);
        this.dashboardFrameTopics = frameTopics;
        this.pipelines = List.copyOf(pipelines);
        this.kafkaCommon = Map.copyOf(common);
        this.kafkaConsumer = Map.copyOf(consumer);
        this.kafkaProducer = Map.copyOf(producer);
        this.values = Map.copyOf(v);
    }

    private final Map<String, Object> values;

    /** This configuration with other bootstrap servers (those of an embedded broker started for it). */
    public ProcessorConfig withBootstrapServers(String servers) {
        Map<String, Object> v = new LinkedHashMap<>(values);
        v.put(BOOTSTRAP.name, servers);
        return new ProcessorConfig(source, v, pipelines, kafkaCommon, kafkaConsumer, kafkaProducer);
    }

    /**
     * The compacted topic holding a pipeline's per-stream states (exactly_once):
     * {@code <application.id>-<pipeline>-state}.
     */
    public String changelogTopic(Pipeline p) {
        return applicationId + "-" + p.name() + "-state";
    }

    /** The pipeline of that name, or null. */
    public Pipeline pipeline(String name) {
        for (Pipeline p : pipelines) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Kafka client settings the processor sets itself, with what to do instead. Setting one of them
     * under kafka., consumer. or producer. is refused rather than silently overridden.
     */
    static final Map<String, String> MANAGED_CLIENT_KEYS = Map.ofEntries(
            Map.entry("bootstrap.servers", "set bootstrap.servers instead"),
            Map.entry("key.serializer", "the processor writes bytes"),
            Map.entry("value.serializer", "the processor writes bytes"),
            Map.entry("key.deserializer", "the processor reads bytes"),
            Map.entry("value.deserializer", "the processor reads bytes"),
            Map.entry("group.id", "set application.id instead"),
            Map.entry("enable.auto.commit", "the processor commits offsets itself, after its outputs are written"),
            Map.entry("isolation.level", "the processor reads committed records only (read_committed)"),
            Map.entry("max.poll.records", "set poll.max.records instead"),
            Map.entry("enable.idempotence", "the processor's producer is always idempotent"),
            Map.entry("acks", "the processor's producer always waits for all in-sync replicas (acks=all)"),
            Map.entry("transactional.id", "set instance.id instead (the processor manages its transactions itself)"),
            Map.entry("group.instance.id", "set instance.id instead"));

    public static ProcessorConfig load(Path file) throws ConfigException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(file + ": cannot read the config file: " + e.getMessage());
        }
        Map<String, String> m = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            m.put(k, p.getProperty(k));
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(m, file.toString(), base);
    }

    /** Parses settings (key to raw value); {@code base} resolves relative model paths. */
    public static ProcessorConfig parse(Map<String, String> raw, String source, Path base) throws ConfigException {
        Map<String, String> common = new LinkedHashMap<>();
        Map<String, String> consumer = new LinkedHashMap<>();
        Map<String, String> producer = new LinkedHashMap<>();
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, Map<String, String>> pipelineRaw = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("kafka.")) {
                common.put(k.substring(6), e.getValue());
            } else if (k.startsWith("consumer.")) {
                consumer.put(k.substring(9), e.getValue());
            } else if (k.startsWith("producer.")) {
                producer.put(k.substring(9), e.getValue());
            } else if (k.startsWith("pipeline.")) {
                int dot = k.indexOf('.', 9);
                if (dot < 0) {
                    throw new ConfigException(source + ": key '" + k + "': expected pipeline.NAME.KEY");
                }
                pipelineRaw.computeIfAbsent(k.substring(9, dot), x -> new LinkedHashMap<>()).put(k.substring(dot + 1), e.getValue());
            } else {
                ConfigKey key = find(PROCESS_KEYS, k);
                if (key == null) {
                    throw new ConfigException(source + ": unknown key '" + k + "'" + suggest(k, PROCESS_KEYS, "")
                            + " (Kafka client settings go under kafka., consumer. or producer.)");
                }
                values.put(k, key.parse(e.getValue(), source + ": key '" + k + "'"));
            }
        }
        for (ConfigKey key : PROCESS_KEYS) {
            if (!values.containsKey(key.name)) {
                if (key.required()) {
                    throw new ConfigException(source + ": key '" + key.name + "' is required: " + key.doc);
                }
                values.put(key.name, key.parse(key.defaultValue, "default of " + key.name));
            }
        }
        for (Map.Entry<String, Map<String, String>> side : List.of(Map.entry("kafka.", common),
                Map.entry("consumer.", consumer), Map.entry("producer.", producer))) {
            for (String k : side.getValue().keySet()) {
                if (k.isEmpty()) {
                    throw new ConfigException(source + ": key '" + side.getKey() + "': expected " + side.getKey()
                            + "SETTING (a Kafka client setting)");
                }
                String instead = MANAGED_CLIENT_KEYS.get(k);
                if (instead != null) {
                    throw new ConfigException(source + ": key '" + side.getKey() + k + "': managed by the processor; "
                            + instead);
                }
            }
        }
        String instance = (String) values.get(INSTANCE_ID.name);
        if (!instance.isEmpty() && !instance.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new ConfigException(source + ": key '" + INSTANCE_ID.name + "': expected letters, digits, '.', '_' or"
                    + " '-' (at most 200), found '" + instance + "'");
        }
        @SuppressWarnings("unchecked")
        List<String> names = (List<String>) values.get(PIPELINES.name);
        for (Map.Entry<String, Map<String, String>> e : pipelineRaw.entrySet()) {
            if (!names.contains(e.getKey())) {
                throw new ConfigException(source + ": key 'pipeline." + e.getKey() + "." + e.getValue().keySet().iterator().next()
                        + "': no pipeline '" + e.getKey() + "' in 'pipelines' " + names
                        + " (add it there, or remove the pipeline." + e.getKey() + ".* keys)");
            }
        }
        List<Pipeline> pipelines = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        for (String n : names) {
            if (!n.matches("[A-Za-z0-9_-]+")) {
                throw new ConfigException(source + ": key 'pipelines': pipeline name '" + n
                        + "' may only use letters, digits, '_' and '-'");
            }
            if (pipelines.stream().anyMatch(x -> x.name().equals(n))) {
                throw new ConfigException(source + ": key 'pipelines': pipeline '" + n + "' is listed twice");
            }
            Map<String, String> pr = pipelineRaw.getOrDefault(n, Map.of());
            Map<String, Object> pv = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : pr.entrySet()) {
                ConfigKey key = find(PIPELINE_KEYS, e.getKey());
                String full = "pipeline." + n + "." + e.getKey();
                if (key == null) {
                    throw new ConfigException(source + ": unknown key '" + full + "'" + suggest(e.getKey(), PIPELINE_KEYS, "pipeline." + n + "."));
                }
                pv.put(key.name, key.parse(e.getValue(), source + ": key '" + full + "'"));
            }
            for (ConfigKey key : PIPELINE_KEYS) {
                if (!pv.containsKey(key.name)) {
                    if (key.required()) {
                        throw new ConfigException(source + ": key 'pipeline." + n + "." + key.name + "' is required: " + key.doc);
                    }
                    pv.put(key.name, key.parse(key.defaultValue, "default"));
                }
            }
            String modelValue = (String) pv.get(P_MODEL.name);
            int inputSize = (Integer) pv.get(P_INPUT_SIZE.name);
            Path model = null;
            if (modelValue.equals(PASS_THROUGH)) {
                if (inputSize == 0) {
                    throw new ConfigException(source + ": key 'pipeline." + n + "." + P_INPUT_SIZE.name
                            + "' is required with model=" + PASS_THROUGH + ": the number of values per sample");
                }
            } else {
                model = Path.of(modelValue);
                if (!model.isAbsolute() && base != null) {
                    model = base.resolve(model).normalize();
                }
                if (!Files.isRegularFile(model)) {
                    throw new ConfigException(source + ": key 'pipeline." + n + ".model': no such file " + model);
                }
            }
            String dirValue = (String) pv.get(P_MODEL_DIR.name);
            Path modelDir = null;
            if (!dirValue.isEmpty()) {
                if (model == null) {
                    throw new ConfigException(source + ": key 'pipeline." + n + "." + P_MODEL_DIR.name
                            + "': a pass-through pipeline runs no model, so it has no new versions to watch for");
                }
                modelDir = Path.of(dirValue);
                if (!modelDir.isAbsolute() && base != null) {
                    modelDir = base.resolve(modelDir).normalize();
                }
                if (!Files.isDirectory(modelDir)) {
                    throw new ConfigException(source + ": key 'pipeline." + n + "." + P_MODEL_DIR.name + "': no such folder "
                            + modelDir);
                }
            }
            String out = (String) pv.get(P_OUTPUT.name);
            @SuppressWarnings("unchecked")
            List<String> ins = (List<String>) pv.get(P_INPUTS.name);
            if (ins.contains(out)) {
                throw new ConfigException(source + ": key 'pipeline." + n + ".output.topic': '" + out
                        + "' is also an input topic of the pipeline");
            }
            for (ConfigKey side : List.of(DEAD_LETTER_TOPIC, EVICTIONS_TOPIC)) {
                String t = (String) values.get(side.name);
                if (ins.contains(t)) {
                    throw new ConfigException(source + ": key 'pipeline." + n + ".input.topics': '" + t + "' is the "
                            + side.name + " (the processor would read what it writes there)");
                }
                if (out.equals(t)) {
                    throw new ConfigException(source + ": key 'pipeline." + n + ".output.topic': '" + t + "' is the "
                            + side.name);
                }
            }
            String changelog = values.get(APPLICATION_ID.name) + "-" + n + "-state";
            if (EXACTLY_ONCE.equals(values.get(GUARANTEE.name))
                    && (changelog.length() > ConfigKey.MAX_TOPIC || !changelog.matches("[A-Za-z0-9._-]+"))) {
                throw new ConfigException(source + ": key '" + APPLICATION_ID.name + "': with exactly_once the state"
                        + " changelog of pipeline '" + n + "' is the topic '" + changelog + "', which is not a valid topic"
                        + " name (letters, digits, '.', '_', '-'; at most " + ConfigKey.MAX_TOPIC + ")");
            }
            String size = ((String) pv.get(P_FRAME_SIZE.name)).trim();
            int fw = 0;
            int fh = 0;
            if (!size.isEmpty()) {
                java.util.regex.Matcher mt = java.util.regex.Pattern.compile("(\\d{1,4})\\s*[xX]\\s*(\\d{1,4})").matcher(size);
                if (mt.matches()) {
                    fw = Integer.parseInt(mt.group(1));
                    fh = Integer.parseInt(mt.group(2));
                }
                if (fw < 1 || fh < 1 || fw > 4096 || fh > 4096) {
                    throw new ConfigException(source + ": key 'pipeline." + n + "." + P_FRAME_SIZE.name
                            + "': expected WIDTHxHEIGHT with sides in 1..4096 (such as 64x64), found '" + size + "'");
                }
            }
            int maxPixels = (Integer) pv.get(P_FRAME_MAX_PIXELS.name);
            if (fw > 0 && (long) fw * fh > maxPixels) {
                throw new ConfigException(source + ": key 'pipeline." + n + "." + P_FRAME_SIZE.name + "': " + size
                        + " has more pixels than " + P_FRAME_MAX_PIXELS.name + " (" + maxPixels + ") allows");
            }
            boolean frameKeys = pr.containsKey(P_FRAME_SIZE.name) || pr.containsKey(P_FRAME_MAX_PIXELS.name)
                    || pr.containsKey(P_FRAME_BATCH.name);
            outputs.add(out);
            pipelines.add(new Pipeline(n, ins, out, model, inputSize, "drop".equals(pv.get(P_LATE.name)),
                    (Long) pv.get(P_GAP.name), (Integer) pv.get(P_MAX_BYTES.name), modelDir,
                    (Long) pv.get(P_MODEL_CHECK.name), fw, fh, maxPixels, (Integer) pv.get(P_FRAME_BATCH.name), frameKeys));
        }
        for (Pipeline pl : pipelines) {
            for (String in : pl.inputTopics()) {
                for (Pipeline other : pipelines) {
                    if (other != pl && other.inputTopics().contains(in)) {
                        throw new ConfigException(source + ": key 'pipeline." + pl.name() + ".input.topics': topic '" + in
                                + "' is read by pipeline '" + other.name() + "' too");
                    }
                }
            }
        }
        return new ProcessorConfig(source, values, pipelines, common, consumer, producer);
    }

    private static ConfigKey find(List<ConfigKey> keys, String name) {
        for (ConfigKey k : keys) {
            if (k.name.equals(name)) {
                return k;
            }
        }
        return null;
    }

    /** "; did you mean 'x'?" for the closest key within edit distance 3, else "". */
    private static String suggest(String name, List<ConfigKey> keys, String prefix) {
        String best = null;
        int bestD = 4;
        for (ConfigKey k : keys) {
            int d = distance(name, k.name);
            if (d < bestD) {
                bestD = d;
                best = k.name;
            }
        }
        return best == null ? "" : "; did you mean '" + prefix + best + "'?";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The reference of every key, as Markdown: the content of docs/configuration.md. */
    public static String documentation() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Processor configuration\n\n");
        sb.append("`nowcast run --config FILE` reads a Java properties file. This page is generated from the key\n");
        sb.append("definitions in `io.nowcast.stream.ProcessorConfig` (a test keeps it in step). An unknown key, a\n");
        sb.append("missing required key or a bad value stops the processor at start with the file, the key and the\n");
        sb.append("problem.\n\n");
        sb.append("Kafka client settings pass through unchanged: `kafka.X` goes to every client (the security\n");
        sb.append("settings, for example `kafka.security.protocol=SASL_SSL`), `consumer.X` only to the consumer,\n");
        sb.append("`producer.X` only to the producers. The processor's producer has `batch.size=262144` unless\n");
        sb.append("`producer.batch.size` says otherwise (Kafka's 16384 makes the broker append a small batch per\n");
        sb.append("hundred predictions).\n\n");
        table(sb, "## Process keys\n\n", "", PROCESS_KEYS);
        table(sb, "## Pipeline keys\n\nOne block per name listed in `pipelines`, each key prefixed `pipeline.NAME.`.\n\n",
                "pipeline.NAME.", PIPELINE_KEYS);
        return sb.toString();
    }

    private static void table(StringBuilder sb, String head, String prefix, List<ConfigKey> keys) {
        sb.append(head);
        sb.append("| key | type | default | accepts | meaning |\n|---|---|---|---|---|\n");
        for (ConfigKey k : keys) {
            sb.append("| `").append(prefix).append(k.name).append("` | ").append(k.type.name().toLowerCase(java.util.Locale.ROOT))
                    .append(" | ").append(k.required() ? "required" : k.defaultValue.isEmpty() ? "(empty)" : "`" + k.defaultValue + "`")
                    .append(" | ").append(k.check()).append(" | ").append(k.doc).append(" |\n");
        }
        sb.append('\n');
    }
}
