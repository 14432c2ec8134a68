package io.nowcast.nn;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes a one-node ONNX model (LSTM, GRU or RNN) from weights in PyTorch layout, encoding the
 * protobuf by hand. A port of {@code shared/anchors/onnxruntime-lstm/make_model.py}: for the same
 * weights it produces the same bytes, so tests need neither Python nor the onnx package.
 *
 * <p>Graph inputs X [T, N, D], h0 [1, N, H] (and c0 for LSTM); outputs Y [T, 1, N, H], Yh [1, N, H]
 * (and Yc). The gate blocks are reordered from PyTorch's (LSTM i, f, g, o; GRU r, z, n) to ONNX's
 * (LSTM i, o, f, c; GRU z, r, h); the GRU uses {@code linear_before_reset=1}, PyTorch's formula.
 * RNN_RELU adds {@code activations=["Relu"]} (not in the Python original).
 */
final class OnnxRnnModel {
    private static final int FLOAT = 1;        // TensorProto.DataType.FLOAT
    private static final int ATTR_INT = 2;     // AttributeProto.AttributeType.INT
    private static final int ATTR_STRINGS = 8; // AttributeProto.AttributeType.STRINGS

    private OnnxRnnModel() {
    }

    /**
     * @param wIh (G*H, D) row-major, PyTorch gate order
     * @param wHh (G*H, H)
     * @param bIh (G*H)
     * @param bHh (G*H)
     */
    static byte[] build(CellType cell, int D, int H, float[] wIh, float[] wHh, float[] bIh, float[] bHh) {
        int gates = cell.gates;
        int gh = gates * H;
        check("weight_ih", wIh, gh * D);
        check("weight_hh", wHh, gh * H);
        check("bias_ih", bIh, gh);
        check("bias_hh", bHh, gh);
        float[] w = onnxOrder(cell, wIh, H * D);
        float[] r = onnxOrder(cell, wHh, H * H);
        float[] b = new float[2 * gh];
        System.arraycopy(onnxOrder(cell, bIh, H), 0, b, 0, gh);
        System.arraycopy(onnxOrder(cell, bHh, H), 0, b, gh, gh);

        boolean lstm = cell == CellType.LSTM;
        String op = switch (cell) {
            case LSTM -> "LSTM";
            case GRU -> "GRU";
            case RNN_TANH, RNN_RELU -> "RNN";
        };
        String[] ins = lstm ? new String[] {"X", "W", "R", "B", "", "h0", "c0"} : new String[] {"X", "W", "R", "B", "", "h0"};
        String[] outs = lstm ? new String[] {"Y", "Yh", "Yc"} : new String[] {"Y", "Yh"};
        Bytes attrs = new Bytes().ld(5, new Bytes().text(1, "hidden_size").vint(3, H).vint(20, ATTR_INT));
        if (cell == CellType.GRU) {
            attrs.ld(5, new Bytes().text(1, "linear_before_reset").vint(3, 1).vint(20, ATTR_INT));
        }
        if (cell == CellType.RNN_RELU) {
            attrs.ld(5, new Bytes().text(1, "activations").text(9, "Relu").vint(20, ATTR_STRINGS));
        }
        Bytes node = new Bytes();
        for (String i : ins) {
            node.text(1, i);
        }
        for (String o : outs) {
            node.text(2, o);
        }
        node.text(3, "cell").text(4, op).raw(attrs);

        Bytes graph = new Bytes().ld(1, node).text(2, "g")
                .ld(5, tensor("W", new int[] {1, gh, D}, w))
                .ld(5, tensor("R", new int[] {1, gh, H}, r))
                .ld(5, tensor("B", new int[] {1, 2 * gh}, b));
        graph.ld(11, valueInfo("X", "T", "N", D)).ld(11, valueInfo("h0", 1, "N", H));
        if (lstm) {
            graph.ld(11, valueInfo("c0", 1, "N", H));
        }
        graph.ld(12, valueInfo("Y", "T", 1, "N", H)).ld(12, valueInfo("Yh", 1, "N", H));
        if (lstm) {
            graph.ld(12, valueInfo("Yc", 1, "N", H));
        }
        // ir_version 8, opset_import {domain "", version 17}, graph
        return new Bytes().vint(1, 8).ld(8, new Bytes().text(1, "").vint(2, 17)).ld(7, graph).toArray();
    }

    private static void check(String name, float[] a, int n) {
        if (a.length != n) {
            throw new IllegalArgumentException(name + ": expected " + n + " values, got " + a.length);
        }
    }

    /** Reorders the gate blocks (each {@code block} values) from PyTorch's order to ONNX's. */
    static float[] onnxOrder(CellType cell, float[] m, int block) {
        int[] from = switch (cell) {
            case LSTM -> new int[] {0, 3, 1, 2};   // ONNX (i, o, f, c) from PyTorch (i, f, g, o)
            case GRU -> new int[] {1, 0, 2};       // ONNX (z, r, h) from PyTorch (r, z, n)
            case RNN_TANH, RNN_RELU -> new int[] {0};
        };
        float[] out = new float[m.length];
        for (int k = 0; k < from.length; k++) {
            System.arraycopy(m, from[k] * block, out, k * block, block);
        }
        return out;
    }

    private static Bytes tensor(String name, int[] dims, float[] data) {
        Bytes t = new Bytes();
        for (int d : dims) {
            t.vint(1, d);
        }
        ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        return t.vint(2, FLOAT).text(8, name).ld(9, raw.array());
    }

    /** A float tensor ValueInfoProto; each dimension an Integer (dim_value) or a String (dim_param). */
    private static Bytes valueInfo(String name, Object... shape) {
        Bytes dims = new Bytes();
        for (Object d : shape) {
            dims.ld(1, d instanceof Integer v ? new Bytes().vint(1, v) : new Bytes().text(2, (String) d));
        }
        Bytes tensorType = new Bytes().ld(1, new Bytes().vint(1, FLOAT).ld(2, dims));
        return new Bytes().text(1, name).ld(2, tensorType);
    }

    /** Protobuf wire encoding, appended in order. */
    static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes varint(long n) {
            if (n < 0) {
                throw new IllegalArgumentException("negative varint " + n);
            }
            while (true) {
                int b = (int) (n & 0x7f);
                n >>>= 7;
                if (n != 0) {
                    out.write(b | 0x80);
                } else {
                    out.write(b);
                    return this;
                }
            }
        }

        Bytes key(int field, int wire) {
            return varint(((long) field << 3) | wire);
        }

        /** A length-delimited field. */
        Bytes ld(int field, byte[] payload) {
            key(field, 2).varint(payload.length);
            out.writeBytes(payload);
            return this;
        }

        Bytes ld(int field, Bytes payload) {
            return ld(field, payload.toArray());
        }

        /** A varint field. */
        Bytes vint(int field, long n) {
            return key(field, 0).varint(n);
        }

        Bytes text(int field, String s) {
            return ld(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Bytes raw(Bytes b) {
            out.writeBytes(b.toArray());
            return this;
        }

        byte[] toArray() {
            return out.toByteArray();
        }
    }
}
