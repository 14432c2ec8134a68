package io.nowcast.stream;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One configuration key: name, type, default, check and documentation, defined once (in
 * {@link ProcessorConfig}) and used both to parse a config file and to generate
 * {@code docs/configuration.md}.
 */
public final class ConfigKey {
    /** Value types. */
    public enum Type { STRING, INT, LONG, LIST, PATH, CHOICE, TOPIC, TOPICS }

    /** Longest topic name Kafka accepts. */
    static final int MAX_TOPIC = 249;

    public final String name;
    public final Type type;
    /** Null: required. */
    public final String defaultValue;
    public final String doc;
    private final long min;
    private final long max;
    private final List<String> choices;

    private ConfigKey(String name, Type type, String defaultValue, long min, long max, List<String> choices, String doc) {
        this.name = name;
        this.type = type;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.choices = choices;
        this.doc = doc;
    }

    public static ConfigKey string(String name, String dflt, String doc) {
        return new ConfigKey(name, Type.STRING, dflt, 0, 0, List.of(), doc);
    }

    /** A file path; {@code words}: values that are not paths but name something else (such as pass-through). */
    public static ConfigKey path(String name, String dflt, String doc, String... words) {
        return new ConfigKey(name, Type.PATH, dflt, 0, 0, Arrays.asList(words), doc);
    }

    public static ConfigKey list(String name, String dflt, String doc) {
        return new ConfigKey(name, Type.LIST, dflt, 0, 0, List.of(), doc);
    }

    public static ConfigKey integer(String name, String dflt, long min, long max, String doc) {
        return new ConfigKey(name, Type.INT, dflt, min, max, List.of(), doc);
    }

    public static ConfigKey longValue(String name, String dflt, long min, long max, String doc) {
        return new ConfigKey(name, Type.LONG, dflt, min, max, List.of(), doc);
    }

    /** A Kafka topic name; {@code optional}: the empty string (for "none") is accepted too. */
    public static ConfigKey topic(String name, String dflt, boolean optional, String doc) {
        return new ConfigKey(name, Type.TOPIC, dflt, optional ? 0 : 1, 0, List.of(), doc);
    }

    /** A comma-separated, non-empty list of distinct Kafka topic names. */
    public static ConfigKey topics(String name, String dflt, String doc) {
        return new ConfigKey(name, Type.TOPICS, dflt, 1, 0, List.of(), doc);
    }

    /** A comma-separated list of distinct Kafka topic names, which may be empty (for "none"). */
    public static ConfigKey optionalTopics(String name, String dflt, String doc) {
        return new ConfigKey(name, Type.TOPICS, dflt, 0, 0, List.of(), doc);
    }

    public static ConfigKey choice(String name, String dflt, String doc, String... choices) {
        return new ConfigKey(name, Type.CHOICE, dflt, 0, 0, Arrays.asList(choices), doc);
    }

    public boolean required() {
        return defaultValue == null;
    }

    /** A readable statement of what the key accepts, for errors and docs. */
    public String check() {
        switch (type) {
            case INT:
            case LONG:
                return "an integer in [" + min + ", " + (max == Long.MAX_VALUE || max == Integer.MAX_VALUE ? "max" : max) + "]";
            case CHOICE:
                return "one of " + String.join(", ", choices);
            case LIST:
                return "a comma-separated list, not empty";
            case PATH:
                return choices.isEmpty() ? "a file path" : "a file path, or " + String.join(", ", choices);
            case TOPIC:
                return "a topic name (letters, digits, '.', '_', '-'; at most " + MAX_TOPIC + ")"
                        + (min == 0 ? ", or empty for none" : "");
            case TOPICS:
                return "a comma-separated list of distinct topic names, " + (min == 0 ? "or empty for none" : "not empty");
            default:
                return "a string";
        }
    }

    private void checkTopic(String t, String where) throws ConfigException {
        if (t.isEmpty() || t.length() > MAX_TOPIC || !t.matches("[A-Za-z0-9._-]+") || t.equals(".") || t.equals("..")) {
            throw new ConfigException(where + ": expected " + check() + ", found '" + t + "'");
        }
    }

    /** Parses and checks a raw value; {@code where} names the file and key for the message. */
    Object parse(String raw, String where) throws ConfigException {
        String v = raw.trim();
        switch (type) {
            case INT:
            case LONG: {
                long x;
                try {
                    x = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    throw new ConfigException(where + ": expected " + check() + ", found '" + raw + "'");
                }
                if (x < min || x > max) {
                    throw new ConfigException(where + ": expected " + check() + ", found " + x);
                }
                return type == Type.INT ? (Object) (int) x : (Object) x;
            }
            case CHOICE:
                String c = v.toLowerCase(Locale.ROOT);
                if (!choices.contains(c)) {
                    throw new ConfigException(where + ": expected " + check() + ", found '" + raw + "'");
                }
                return c;
            case LIST: {
                List<String> out = new ArrayList<>();
                for (String s : v.split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
                if (out.isEmpty()) {
                    throw new ConfigException(where + ": expected " + check() + ", found '" + raw + "'");
                }
                return List.copyOf(out);
            }
            case TOPIC:
                if (v.isEmpty() && min == 0) {
                    return v;
                }
                checkTopic(v, where);
                return v;
            case TOPICS: {
                List<String> out = new ArrayList<>();
                for (String s : v.split(",")) {
                    if (!s.isBlank()) {
                        String t = s.trim();
                        checkTopic(t, where);
                        if (out.contains(t)) {
                            throw new ConfigException(where + ": topic '" + t + "' is listed twice");
                        }
                        out.add(t);
                    }
                }
                if (out.isEmpty() && min > 0) {
                    throw new ConfigException(where + ": expected " + check() + ", found '" + raw + "'");
                }
                return List.copyOf(out);
            }
            default:
                return v;
        }
    }
}
