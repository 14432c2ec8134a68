package io.nowcast.stream.internal;

import io.nowcast.stream.Processor;

/**
 * An error the processor cannot go on from, raised below its loop (a changelog topic it cannot use,
 * a state record it cannot read); the loop ends with a {@link Processor.ProcessorException} of the
 * same message and cause.
 */
public final class FatalException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FatalException(String message, Throwable cause) {
        super(message, cause);
    }
}
