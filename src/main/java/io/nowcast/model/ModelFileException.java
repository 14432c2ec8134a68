package io.nowcast.model;

import java.io.IOException;

/**
 * A model file could not be read: it is missing, unreadable, damaged or not in the expected format.
 *
 * <p>The message always names the file (or the source name given for in-memory bytes) and, where
 * the problem concerns one tensor or header field, that tensor or field, together with what was
 * expected and what was found.
 */
public final class ModelFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelFileException(String message) {
        super(message);
    }

    public ModelFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
