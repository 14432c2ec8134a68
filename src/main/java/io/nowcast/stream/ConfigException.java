package io.nowcast.stream;

/** A configuration the processor refuses to start with; the message names the file, the key and the problem. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
