package io.nowcast.codec;

/** A record that cannot be processed, with the reason and a message saying what was wrong. */
public final class RejectedException extends Exception {
    private static final long serialVersionUID = 1L;
    public final RejectReason reason;

    public RejectedException(RejectReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }
}
