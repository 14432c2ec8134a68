package io.nowcast.data.synthetic;

/** Fixed-point number formatting for the CSV writers (locale-independent, no exponent). */
final class Fmt {
    private static final long[] POW10 = {1, 10, 100, 1000, 10000, 100000, 1000000};

    private Fmt() {
    }

    /** Appends v rounded to {@code decimals} (0..6) places, e.g. -0.5 with 3 places as "-0.500". */
    static StringBuilder fixed(StringBuilder sb, double v, int decimals) {
        long scaled = Math.round(Math.abs(v) * POW10[decimals]);
        if (v < 0 && scaled != 0) {
            sb.append('-');
        }
        sb.append(scaled / POW10[decimals]);
        if (decimals > 0) {
            String frac = Long.toString(scaled % POW10[decimals]);
            sb.append('.');
            for (int i = frac.length(); i < decimals; i++) {
                sb.append('0');
            }
            sb.append(frac);
        }
        return sb;
    }
}
