package io.converge.server.command.data;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/**
 * Parses numbers the way Redis does for sorted-set scores and SORT weights, which is C's
 * {@code strtod} under three different sets of rules:
 * <ul>
 *   <li>{@link #parseScore}: scores, increments and weights ({@code string2d}): the whole argument
 *       must be a number, no leading space, {@code inf}/{@code infinity} accepted, hexadecimal
 *       floats ({@code 0x10}, {@code 0x1.8p1}) accepted, NaN refused, and a decimal that overflows
 *       to infinity or underflows to zero refused (strtod's ERANGE); subnormals are kept.
 *   <li>{@link #parseBound}: the ends of a ZRANGEBYSCORE/ZCOUNT interval ({@code zslParseRange}),
 *       plain {@code strtod} on a C string: leading white space allowed, overflow gives
 *       ±infinity, the string ends at its first NUL byte, and an empty string is 0.
 *   <li>{@link #parseSortWeight}: what SORT compares numerically (the elements, or the values BY
 *       names): plain {@code strtod} on a C string as for bounds, but any ERANGE is refused: an
 *       overflow to infinity, an underflow to zero, and an inexact result below the smallest
 *       normal double (glibc reports those too; an exact one such as {@code 0x1p-1074} passes).
 * </ul>
 * Both return NaN for "not a valid float" (NaN itself is never valid), so callers choose their
 * error text and nothing is allocated on failure. Plain integers, the common case, are parsed
 * without allocation.
 */
final class ZScoreParser {
    private ZScoreParser() {}

    /** Largest number of digits parsed on the integer fast path (below 2^53, so exact). */
    private static final int FAST_DIGITS = 15;

    /** strtod's ERANGE results are accepted (interval bounds). */
    private static final int ERANGE_ACCEPTED = 0;
    /** An ERANGE result that overflowed to infinity or underflowed to zero is refused (string2d). */
    private static final int ERANGE_TO_ZERO_OR_INFINITY_REFUSED = 1;
    /** Every ERANGE result is refused, an inexact one below the smallest normal double too (SORT). */
    private static final int ERANGE_REFUSED = 2;

    /** A score, increment or weight as Redis's {@code string2d} accepts it; NaN if invalid. */
    static double parseScore(byte[] s) {
        int len = s.length;
        if (len == 0 || isSpace(s[0])) {
            return Double.NaN;
        }
        double fast = parseSmallInteger(s, 0, len);
        if (fast == fast) {
            return fast;
        }
        return parse(s, 0, len, ERANGE_TO_ZERO_OR_INFINITY_REFUSED);
    }

    /**
     * One end of a score interval, {@code s[from..]} read as a C string, as Redis's
     * {@code zslParseRange} does; NaN if invalid.
     */
    static double parseBound(byte[] s, int from) {
        return parseCString(s, from, ERANGE_ACCEPTED);
    }

    /**
     * A number SORT sorts by, {@code s} read as a C string with every strtod ERANGE refused, as
     * Redis's SORT checks it; NaN if invalid.
     */
    static double parseSortWeight(byte[] s) {
        return parseCString(s, 0, ERANGE_REFUSED);
    }

    /** strtod over the C string at {@code s[from..]} (leading space allowed), the whole of it consumed. */
    private static double parseCString(byte[] s, int from, int range) {
        int to = from;
        while (to < s.length && s[to] != 0) {
            to++;
        }
        double fast = parseSmallInteger(s, from, to);
        if (fast == fast) {
            return fast;
        }
        int i = from;
        while (i < to && isSpace(s[i])) {
            i++;
        }
        if (i == to) {
            // No conversion: strtod leaves the end pointer at the start, which is the terminating
            // NUL only for an empty string.
            return from == to ? 0.0 : Double.NaN;
        }
        return parse(s, i, to, range);
    }

    /** {@code [-]digits} of at most {@link #FAST_DIGITS} digits as an exact double, else NaN. */
    private static double parseSmallInteger(byte[] s, int from, int to) {
        int i = from;
        boolean negative = false;
        if (i < to && s[i] == '-') {
            negative = true;
            i++;
        }
        int digits = to - i;
        if (digits <= 0 || digits > FAST_DIGITS) {
            return Double.NaN;
        }
        long v = 0;
        for (; i < to; i++) {
            int d = s[i] - '0';
            if (d < 0 || d > 9) {
                return Double.NaN;
            }
            v = v * 10 + d;
        }
        return negative ? -(double) v : (double) v;
    }

    /**
     * strtod over {@code s[from, to)} (no leading space left), requiring the whole range to be
     * consumed; {@code range} says which ERANGE results are refused (the {@code ERANGE_} constants).
     */
    private static double parse(byte[] s, int from, int to, int range) {
        int i = from;
        boolean negative = false;
        if (s[i] == '+' || s[i] == '-') {
            negative = s[i] == '-';
            i++;
        }
        if (i == to) {
            return Double.NaN;
        }
        byte c = s[i];
        if (c == 'i' || c == 'I') {
            int end = matchInfinity(s, i, to);
            if (end != to) {
                return Double.NaN;
            }
            return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (c == '0' && i + 1 < to && (s[i + 1] == 'x' || s[i + 1] == 'X') && startsHexDigits(s, i + 2, to)) {
            return parseHex(s, i + 2, to, negative, range);
        }
        return parseDecimal(s, from, i, to, range);
    }

    /** End of "inf" or "infinity" (any case) at {@code i}, or -1. */
    private static int matchInfinity(byte[] s, int i, int to) {
        if (!matchesIgnoreCase(s, i, to, "inf")) {
            return -1;
        }
        return matchesIgnoreCase(s, i + 3, to, "inity") ? i + 8 : i + 3;
    }

    private static boolean matchesIgnoreCase(byte[] s, int i, int to, String word) {
        if (to - i < word.length()) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            int b = s[i + k] | 0x20;
            if (b != word.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Whether a hex significand starts at {@code i}: a hex digit, or '.' then a hex digit. */
    private static boolean startsHexDigits(byte[] s, int i, int to) {
        if (i < to && hexValue(s[i]) >= 0) {
            return true;
        }
        return i + 1 < to && s[i] == '.' && hexValue(s[i + 1]) >= 0;
    }

    private static double parseDecimal(byte[] s, int signStart, int i, int to, int range) {
        boolean nonZero = false;
        int digits = 0;
        while (i < to && isDigit(s[i])) {
            nonZero |= s[i] != '0';
            digits++;
            i++;
        }
        if (i < to && s[i] == '.') {
            i++;
            while (i < to && isDigit(s[i])) {
                nonZero |= s[i] != '0';
                digits++;
                i++;
            }
        }
        if (digits == 0) {
            return Double.NaN;
        }
        if (i < to && (s[i] == 'e' || s[i] == 'E')) {
            int j = i + 1;
            if (j < to && (s[j] == '+' || s[j] == '-')) {
                j++;
            }
            int expStart = j;
            while (j < to && isDigit(s[j])) {
                j++;
            }
            if (j > expStart) {
                i = j;
            }
        }
        if (i != to) {
            return Double.NaN;
        }
        String text = new String(s, signStart, to - signStart, StandardCharsets.ISO_8859_1);
        double v = Double.parseDouble(text);
        if (range == ERANGE_REFUSED && isSubnormal(v) && !exactDecimal(text, v)) {
            return Double.NaN;
        }
        return checkRange(v, nonZero, range);
    }

    private static double parseHex(byte[] s, int i, int to, boolean negative, int range) {
        StringBuilder java = new StringBuilder(to - i + 8);
        if (negative) {
            java.append('-');
        }
        java.append("0x");
        boolean nonZero = false;
        // Trailing zero bits of the significand read as an integer, and its fraction digits: the
        // value is exact below the smallest normal double iff its last set bit is at 2^-1074 or above.
        long trailingZeroBits = 0;
        long fractionDigits = 0;
        while (i < to && hexValue(s[i]) >= 0) {
            trailingZeroBits = trailingZeroBits(trailingZeroBits, s[i]);
            nonZero |= s[i] != '0';
            java.append((char) s[i++]);
        }
        if (i < to && s[i] == '.') {
            java.append('.');
            i++;
            while (i < to && hexValue(s[i]) >= 0) {
                trailingZeroBits = trailingZeroBits(trailingZeroBits, s[i]);
                nonZero |= s[i] != '0';
                fractionDigits++;
                java.append((char) s[i++]);
            }
        }
        java.append('p');
        long exponent = 0;
        if (i < to && (s[i] == 'p' || s[i] == 'P')) {
            int j = i + 1;
            boolean expNegative = false;
            if (j < to && (s[j] == '+' || s[j] == '-')) {
                expNegative = s[j] == '-';
                j++;
            }
            int expStart = j;
            while (j < to && isDigit(s[j])) {
                if (exponent < 100_000) {
                    exponent = exponent * 10 + (s[j] - '0');
                }
                j++;
            }
            if (j > expStart) {
                i = j;
                exponent = expNegative ? -exponent : exponent;
            }
        }
        if (i != to) {
            return Double.NaN;
        }
        java.append(exponent);
        double v = Double.parseDouble(java.toString());
        if (range == ERANGE_REFUSED && isSubnormal(v) && trailingZeroBits + exponent - 4 * fractionDigits < -1074) {
            return Double.NaN; // rounded below the smallest normal double
        }
        return checkRange(v, nonZero, range);
    }

    /** The trailing zero bits of a hex significand after one more digit {@code digit} (0 counts as 4 more). */
    private static long trailingZeroBits(long sofar, byte digit) {
        int d = hexValue(digit);
        return d == 0 ? sofar + 4 : Integer.numberOfTrailingZeros(d);
    }

    private static boolean isSubnormal(double v) {
        return v != 0 && Math.abs(v) < Double.MIN_NORMAL;
    }

    /** Whether decimal {@code text} is exactly the double {@code v} (no rounding happened). */
    private static boolean exactDecimal(String text, double v) {
        try {
            return new BigDecimal(text).compareTo(new BigDecimal(v)) == 0;
        } catch (NumberFormatException | ArithmeticException e) {
            return false; // an exponent beyond BigDecimal's: far from exact
        }
    }

    /** Applies strtod's ERANGE outcome: refused, unless {@code range} accepts it, when infinite or flushed to zero. */
    private static double checkRange(double v, boolean nonZeroDigits, int range) {
        if (range != ERANGE_ACCEPTED && (Double.isInfinite(v) || (v == 0 && nonZeroDigits))) {
            return Double.NaN;
        }
        return v;
    }

    private static int hexValue(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        int l = b | 0x20;
        return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** C's isspace in the C locale. */
    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
    }
}
