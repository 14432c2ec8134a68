package io.nowcast.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "tail", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Print the committed records of a topic, one JSON object per line.",
                "  {\"topic\":..,\"partition\":..,\"offset\":..,\"timestamp\":..,\"key\":..,",
                "   \"headers\":{..},\"value\":..}",
                "The value is embedded as JSON when it is one JSON value, else given as a string when it is UTF-8,"
                        + " else as base64 in \"value_base64\"; a null value (a tombstone) is null. The key is a"
                        + " string, null, or \"key_base64\" when it is not UTF-8; header values are strings, null,"
                        + " or in \"headers_base64\" when not UTF-8, and of a header name given twice the last wins."
                        + " Text outside ASCII is written as \\u escapes.",
                "Only committed records are read (read_committed). Every partition is read directly, without a"
                        + " consumer group, so nothing is committed and no group is left behind.",
                "Stops after --count records, after --timeout-ms, or on Ctrl-C."})
final class TailCommand implements Callable<Integer> {
    @Option(names = "--topic", required = true, description = "topic to read")
    String topic;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers")
    String bootstrap;

    @Option(names = "--count", defaultValue = "0", paramLabel = "N",
            description = "stop after N records; 0 for no limit (default: ${DEFAULT-VALUE})")
    long count;

    @Option(names = "--from-beginning",
            description = "start at the first record of every partition (default: only records written from now on)")
    boolean fromBeginning;

    @Option(names = "--timeout-ms", defaultValue = "0", paramLabel = "MS",
            description = "stop this long after starting, however many records were printed; 0 for no timeout"
                    + " (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Spec
    CommandSpec spec;

    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(15);
    private static final JsonFactory JSON = JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    /** Counted down once every partition is assigned and positioned (for tests). */
    final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean stopRequested;

    @Override
    public Integer call() throws Exception {
        try {
            return tail();
        } finally {
            finished.countDown();
        }
    }

    private int tail() {
        if (count < 0) {
            throw new IllegalArgumentException("--count must be >= 0, got " + count);
        }
        if (timeoutMs < 0) {
            throw new IllegalArgumentException("--timeout-ms must be >= 0, got " + timeoutMs);
        }
        long deadline = timeoutMs > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs) : Long.MAX_VALUE;
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) METADATA_TIMEOUT.toMillis());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "nowcast-tail");
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long printed = 0;
        boolean timedOut = false;
        Thread hook = new Thread(() -> {
            stopRequested = true;
            KafkaConsumer<byte[], byte[]> k = consumer;
            if (k != null) {
                k.wakeup();
            }
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "nowcast-tail-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (KafkaConsumer<byte[], byte[]> k = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer = k;
            List<PartitionInfo> infos = k.partitionsFor(topic, METADATA_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic '" + topic + "' does not exist on " + bootstrap);
            }
            List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            k.assign(parts);
            if (fromBeginning) {
                k.seekToBeginning(parts);
            } else {
                k.seekToEnd(parts);
            }
            for (TopicPartition tp : parts) {
                k.position(tp); // resolve the lazy seek now, so that "from now on" means now
            }
            ready.countDown();
            read:
            while (!stopRequested && (count == 0 || printed < count)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    timedOut = true;
                    break;
                }
                ConsumerRecords<byte[], byte[]> batch = k.poll(Duration.ofNanos(Math.min(left, 200_000_000L)));
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    out.println(line(r));
                    printed++;
                    if (count > 0 && printed >= count) {
                        break read;
                    }
                }
                out.flush();
            }
        } catch (WakeupException stopped) {
            // Ctrl-C
        } finally {
            consumer = null;
            out.flush();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for this method to end
            }
        }
        if (timedOut || stopRequested) {
            err.println(printed + (printed == 1 ? " record" : " records")
                    + (timedOut ? " (stopped by --timeout-ms " + timeoutMs + ")" : " (stopped)")
                    + (count > 0 ? " of the " + count + " asked" : ""));
            err.flush();
        }
        return 0;
    }

    /** Stops as Ctrl-C would (for tests). */
    void requestStop() {
        stopRequested = true;
        KafkaConsumer<byte[], byte[]> k = consumer;
        if (k != null) {
            k.wakeup();
        }
    }

    /** One record as one line of JSON (ASCII only). */
    static String line(ConsumerRecord<byte[], byte[]> r) {
        StringWriter w = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("topic", r.topic());
            g.writeNumberField("partition", r.partition());
            g.writeNumberField("offset", r.offset());
            g.writeNumberField("timestamp", r.timestamp());
            bytesField(g, "key", r.key());
            Map<String, byte[]> headers = new LinkedHashMap<>();
            for (Header h : r.headers()) {
                headers.remove(h.key()); // the last of a repeated name wins, in its place
                headers.put(h.key(), h.value());
            }
            Map<String, byte[]> binary = new LinkedHashMap<>();
            g.writeObjectFieldStart("headers");
            for (Map.Entry<String, byte[]> h : headers.entrySet()) {
                String text = h.getValue() == null ? null : utf8(h.getValue());
                if (h.getValue() != null && text == null) {
                    binary.put(h.getKey(), h.getValue());
                } else {
                    g.writeStringField(h.getKey(), text);
                }
            }
            g.writeEndObject();
            if (!binary.isEmpty()) {
                g.writeObjectFieldStart("headers_base64");
                for (Map.Entry<String, byte[]> h : binary.entrySet()) {
                    g.writeStringField(h.getKey(), Base64.getEncoder().encodeToString(h.getValue()));
                }
                g.writeEndObject();
            }
            byte[] v = r.value();
            String text = v == null ? null : utf8(v);
            String json = text == null ? null : asJson(text);
            if (v == null) {
                g.writeNullField("value");
            } else if (json != null) {
                g.writeFieldName("value");
                g.writeRawValue(json);
            } else if (text != null) {
                g.writeStringField("value", text);
            } else {
                g.writeStringField("value_base64", Base64.getEncoder().encodeToString(v));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return w.toString();
    }

    private static void bytesField(JsonGenerator g, String name, byte[] b) throws IOException {
        if (b == null) {
            g.writeNullField(name);
            return;
        }
        String s = utf8(b);
        if (s != null) {
            g.writeStringField(name, s);
        } else {
            g.writeStringField(name + "_base64", Base64.getEncoder().encodeToString(b));
        }
    }

    /** The bytes as text when they are valid UTF-8, else null. */
    static String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * The text re-written as compact JSON (numbers exactly as written) when it is exactly one JSON
     * value (surrounding white space allowed), else null.
     */
    static String asJson(String text) {
        StringWriter w = new StringWriter(text.length());
        try (JsonParser p = JSON.createParser(text); JsonGenerator g = JSON.createGenerator(w)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return null;
            }
            int depth = 0;
            do {
                if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    g.writeNumber(p.getText()); // the number's text as written: no rounding, no reformatting
                } else {
                    g.copyCurrentEvent(p);
                }
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                }
            } while (depth > 0 && (t = p.nextToken()) != null);
            if (depth != 0 || p.nextToken() != null) {
                return null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return w.toString();
    }
}
