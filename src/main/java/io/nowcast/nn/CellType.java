package io.nowcast.nn;

/**
 * The recurrent cells. Gate blocks are stacked in PyTorch's order along the rows of the
 * weight matrices: LSTM (i, f, g, o), GRU (r, z, n), Elman RNN a single block.
 */
public enum CellType {
    /** h = tanh(W_ih x + b_ih + W_hh h + b_hh). */
    RNN_TANH("rnn_tanh", 1),
    /** h = relu(W_ih x + b_ih + W_hh h + b_hh). */
    RNN_RELU("rnn_relu", 1),
    /** Long short-term memory, gates i, f, g, o. */
    LSTM("lstm", 4),
    /** Gated recurrent unit, gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). */
    GRU("gru", 3);

    public final String id;
    public final int gates;

    CellType(String id, int gates) {
        this.id = id;
        this.gates = gates;
    }

    public boolean hasCell() {
        return this == LSTM;
    }

    /** Parses {@code rnn}, {@code rnn_tanh}, {@code rnn_relu}, {@code lstm} or {@code gru}. */
    public static CellType parse(String s) {
        String v = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("rnn")) {
            return RNN_TANH;
        }
        for (CellType c : values()) {
            if (c.id.equals(v)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown cell '" + s + "': expected rnn, rnn_tanh, rnn_relu, lstm or gru");
    }
}
