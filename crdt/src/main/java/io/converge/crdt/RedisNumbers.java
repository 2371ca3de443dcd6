package io.converge.crdt;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;

/**
 * Redis's rules for numbers stored in strings: which byte strings are integers (the strict
 * canonical form of {@code string2ll}), which are floats ({@code string2ld}), and how
 * INCRBYFLOAT prints its result ({@code %.17Lf} with trailing zeros removed).
 *
 * <p>Floats are handled as exact decimals ({@link BigDecimal}) rather than C {@code long double}:
 * the sum of exact contributions does not depend on the order they are added in, so every
 * replica renders the same bytes. Results therefore agree with Redis for the values people
 * use (for example {@code 10.5 + 0.1 = "10.6"}, {@code 0.1 + 0.2 = "0.3"}); they differ only
 * beyond about 19 significant digits, where Redis shows binary rounding noise and we stay exact.
 * Hexadecimal floats ({@code 0x1p3}), which {@code strtold} would accept, are refused.
 */
public final class RedisNumbers {

    /** Decimal places INCRBYFLOAT keeps ({@code %.17Lf}). */
    public static final int FLOAT_DECIMALS = 17;
    /** Longest string Redis accepts as a float ({@code MAX_LONG_DOUBLE_CHARS}). */
    static final int MAX_FLOAT_CHARS = 5 * 1024;
    /**
     * Bound on the scale (decimal places) of any value {@link #parseFloat} returns: its precision
     * is below {@link #MAX_FLOAT_CHARS} (one digit per character at most) and its leading digit
     * sits at 10^-4951 or above (smaller magnitudes underflow), so its scale, precision - 1 minus
     * the leading digit's exponent, is below {@code MAX_FLOAT_CHARS + 4950}.
     */
    static final int MAX_FLOAT_SCALE = MAX_FLOAT_CHARS + 4951;
    /**
     * Magnitudes at or above this round to infinity as an x86 {@code long double}: the largest
     * finite one, {@code (2 - 2^-63) * 2^16383}, plus half a unit in its last place, exactly
     * {@code 2^16384 - 2^16319} (about 1.18973149535723176505e4932). Every smaller magnitude
     * rounds to a finite value, so Redis accepts it.
     */
    static final BigDecimal LONG_DOUBLE_OVERFLOW =
            new BigDecimal(BigInteger.TWO.pow(16384).subtract(BigInteger.TWO.pow(16319)));
    /**
     * Non-zero magnitudes at or below this round to zero as a {@code long double} (half the
     * smallest subnormal, exactly {@code 2^-16446}, about 1.8226e-4951), which Redis refuses.
     */
    static final BigDecimal LONG_DOUBLE_UNDERFLOW = new BigDecimal(BigInteger.valueOf(5).pow(16446), 16446);
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private RedisNumbers() {}

    /**
     * Parses a canonical 64-bit integer exactly as Redis's {@code string2ll}: optional '-', no
     * '+', no leading zeros, no spaces, at most 20 characters, in range.
     *
     * @throws CounterException {@link CounterException#NOT_AN_INTEGER} otherwise
     */
    public static long parseLong(byte[] b) {
        int len = b.length;
        if (len == 0 || len > 20) {
            throw CounterException.NOT_AN_INTEGER;
        }
        if (len == 1 && b[0] == '0') {
            return 0;
        }
        int i = 0;
        boolean negative = false;
        if (b[0] == '-') {
            negative = true;
            i = 1;
            if (len == 1) {
                throw CounterException.NOT_AN_INTEGER;
            }
        }
        if (b[i] < '1' || b[i] > '9') {
            throw CounterException.NOT_AN_INTEGER;
        }
        // Accumulate negatively (as Long.parseLong does): the negative range is one larger.
        long limit = negative ? Long.MIN_VALUE : -Long.MAX_VALUE;
        long multMin = limit / 10;
        long v = 0;
        for (; i < len; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9 || v < multMin) {
                throw CounterException.NOT_AN_INTEGER;
            }
            v *= 10;
            if (v < limit + d) {
                throw CounterException.NOT_AN_INTEGER;
            }
            v -= d;
        }
        return negative ? v : -v;
    }

    /** Whether {@code b} is a canonical 64-bit integer (see {@link #parseLong}). */
    public static boolean isLong(byte[] b) {
        try {
            parseLong(b);
            return true;
        } catch (CounterException e) {
            return false;
        }
    }

    /** The decimal ASCII form of {@code v}. */
    public static byte[] formatLong(long v) {
        return Long.toString(v).getBytes(StandardCharsets.US_ASCII);
    }

    /** The decimal ASCII form of an integer that may exceed 64 bits. */
    static byte[] formatInteger(BigInteger v) {
        return v.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether {@code v} fits in a long. */
    static boolean fitsLong(BigInteger v) {
        return v.compareTo(LONG_MIN) >= 0 && v.compareTo(LONG_MAX) <= 0;
    }

    /**
     * Parses a float as Redis's {@code string2ld} accepts it, as an exact decimal: optional sign,
     * digits with an optional point and exponent, no surrounding spaces, magnitude within the
     * {@code long double} range.
     *
     * @throws CounterException {@link CounterException#NAN_OR_INFINITY} for "inf"/"infinity"
     *     (Redis parses it, then refuses the infinite result); {@link CounterException#NOT_A_FLOAT}
     *     for anything else that is not a valid float (including "nan")
     */
    public static BigDecimal parseFloat(byte[] b) {
        int len = b.length;
        if (len == 0 || len >= MAX_FLOAT_CHARS) {
            throw CounterException.NOT_A_FLOAT;
        }
        char[] chars = new char[len];
        boolean letters = false;
        for (int i = 0; i < len; i++) {
            int c = b[i] & 0xFF;
            if ((c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E') {
                chars[i] = (char) c;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                chars[i] = (char) c;
                letters = true;
            } else {
                throw CounterException.NOT_A_FLOAT;
            }
        }
        if (letters) {
            String s = new String(chars);
            String unsigned = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
            if (unsigned.equalsIgnoreCase("inf") || unsigned.equalsIgnoreCase("infinity")) {
                throw CounterException.NAN_OR_INFINITY;
            }
            throw CounterException.NOT_A_FLOAT;
        }
        BigDecimal v;
        try {
            v = new BigDecimal(chars);
        } catch (NumberFormatException | ArithmeticException e) {
            throw CounterException.NOT_A_FLOAT;
        }
        if (!inLongDoubleRange(v)) {
            throw CounterException.NOT_A_FLOAT;
        }
        return v;
    }

    /**
     * Whether {@code v} reads as a finite long double that is zero only if {@code v} is (what
     * {@code strtold} accepts without overflow or underflow to zero).
     */
    static boolean inLongDoubleRange(BigDecimal v) {
        if (v.signum() == 0) {
            return true;
        }
        long exponent = (long) v.precision() - v.scale() - 1; // position of the leading digit
        if (exponent > 4932 || exponent < -4952) {
            return false;
        }
        BigDecimal abs = v.abs();
        return abs.compareTo(LONG_DOUBLE_OVERFLOW) < 0 && abs.compareTo(LONG_DOUBLE_UNDERFLOW) > 0;
    }

    /** Whether {@code v} would be infinite as a long double. */
    static boolean overflowsLongDouble(BigDecimal v) {
        if (v.signum() == 0) {
            return false;
        }
        long exponent = (long) v.precision() - v.scale() - 1;
        return exponent > 4932 || (exponent == 4932 && v.abs().compareTo(LONG_DOUBLE_OVERFLOW) >= 0);
    }

    /** Rounds a value the way INCRBYFLOAT stores it: 17 decimal places, trailing zeros dropped. */
    public static BigDecimal roundFloat(BigDecimal v) {
        // Only round when there are more decimals than kept: scaling a short decimal up to 17
        // places first would make stripTrailingZeros do a big-integer division per added zero.
        BigDecimal r = (v.scale() > FLOAT_DECIMALS ? v.setScale(FLOAT_DECIMALS, RoundingMode.HALF_EVEN) : v)
                .stripTrailingZeros();
        return r.scale() < 0 ? r.setScale(0) : r;
    }

    /** The bytes INCRBYFLOAT answers and stores for {@code v}: rounded, plain notation. */
    public static byte[] formatFloat(BigDecimal v) {
        return roundFloat(v).toPlainString().getBytes(StandardCharsets.US_ASCII);
    }
}
