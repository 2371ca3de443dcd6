package io.converge.server.command.data;

import java.nio.charset.StandardCharsets;

/**
 * Parses sorted-set scores the way Redis does, which is C's {@code strtod} under two different
 * sets of rules:
 * <ul>
 *   <li>{@link #parseScore}: scores, increments and weights ({@code string2d}): the whole argument
 *       must be a number, no leading space, {@code inf}/{@code infinity} accepted, hexadecimal
 *       floats ({@code 0x10}, {@code 0x1.8p1}) accepted, NaN refused, and a decimal that overflows
 *       to infinity or underflows to zero refused (strtod's ERANGE); subnormals are kept.
 *   <li>{@link #parseBound}: the ends of a ZRANGEBYSCORE/ZCOUNT interval ({@code zslParseRange}),
 *       plain {@code strtod} on a C string: leading white space allowed, overflow gives
 *       ±infinity, the string ends at its first NUL byte, and an empty string is 0.
 * </ul>
 * Both return NaN for "not a valid float" (NaN itself is never valid), so callers choose their
 * error text and nothing is allocated on failure. Plain integers, the common case, are parsed
 * without allocation.
 */
final class ZScoreParser {
    private ZScoreParser() {}

    /** Largest number of digits parsed on the integer fast path (below 2^53, so exact). */
    private static final int FAST_DIGITS = 15;

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
        return parse(s, 0, len, true);
    }

    /**
     * One end of a score interval, {@code s[from..]} read as a C string, as Redis's
     * {@code zslParseRange} does; NaN if invalid.
     */
    static double parseBound(byte[] s, int from) {
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
        return parse(s, i, to, false);
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
     * consumed. {@code strict}: refuse ERANGE results that overflow or underflow to zero.
     */
    private static double parse(byte[] s, int from, int to, boolean strict) {
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
            return parseHex(s, i + 2, to, negative, strict);
        }
        return parseDecimal(s, from, i, to, strict);
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

    private static double parseDecimal(byte[] s, int signStart, int i, int to, boolean strict) {
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
        double v = Double.parseDouble(new String(s, signStart, to - signStart, StandardCharsets.ISO_8859_1));
        return checkRange(v, nonZero, strict);
    }

    private static double parseHex(byte[] s, int i, int to, boolean negative, boolean strict) {
        StringBuilder java = new StringBuilder(to - i + 8);
        if (negative) {
            java.append('-');
        }
        java.append("0x");
        boolean nonZero = false;
        while (i < to && hexValue(s[i]) >= 0) {
            nonZero |= s[i] != '0';
            java.append((char) s[i++]);
        }
        if (i < to && s[i] == '.') {
            java.append('.');
            i++;
            while (i < to && hexValue(s[i]) >= 0) {
                nonZero |= s[i] != '0';
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
        return checkRange(v, nonZero, strict);
    }

    /** Applies strtod's ERANGE outcome: refused in strict mode when infinite or flushed to zero. */
    private static double checkRange(double v, boolean nonZeroDigits, boolean strict) {
        if (strict && (Double.isInfinite(v) || (v == 0 && nonZeroDigits))) {
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
