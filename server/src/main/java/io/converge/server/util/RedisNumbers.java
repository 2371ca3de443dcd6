package io.converge.server.util;

import io.converge.crdt.CounterException;
import io.converge.server.command.Errors;

/**
 * Number parsing with Redis's exact rules, for command arguments.
 *
 * <p>Integers follow {@code string2ll}: optional '-', no '+', no leading zeros, no spaces, must
 * fit 64 bits. Doubles follow {@code strtod} as Redis uses it: no leading space, nothing after the
 * number, {@code inf}/{@code infinity} accepted with any sign and case, NaN and overflow refused.
 */
public final class RedisNumbers {
    private RedisNumbers() {}

    /** Whether {@code s} is a canonical 64-bit integer. */
    public static boolean isLong(byte[] s) {
        return io.converge.crdt.RedisNumbers.isLong(s);
    }

    /**
     * Parses a canonical 64-bit integer (Redis's {@code string2ll}, implemented once in the crdt
     * library); throws the preallocated CommandException
     * {@code ERR value is not an integer or out of range} otherwise.
     */
    public static long parseLong(byte[] s) {
        try {
            return io.converge.crdt.RedisNumbers.parseLong(s);
        } catch (CounterException e) {
            throw Errors.NOT_INTEGER_ERROR;
        }
    }

    /**
     * Parses a double as Redis does ({@code getDoubleFromObject}); returns NaN when the text is not
     * a valid float (NaN itself is never valid), so callers test {@code Double.isNaN}.
     */
    public static double parseDouble(byte[] s) {
        int len = s.length;
        if (len == 0 || isSpace(s[0])) {
            return Double.NaN;
        }
        String text = new String(s, java.nio.charset.StandardCharsets.ISO_8859_1);
        int i = 0;
        boolean negative = false;
        if (s[0] == '+' || s[0] == '-') {
            negative = s[0] == '-';
            i++;
        }
        String body = text.substring(i).toLowerCase(java.util.Locale.ROOT);
        if (body.equals("inf") || body.equals("infinity")) {
            return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (!isDecimalFloat(body)) {
            return Double.NaN;
        }
        double v;
        try {
            v = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
        if (Double.isInfinite(v)) {
            return Double.NaN; // ERANGE overflow
        }
        if (v == 0 && hasNonZeroDigit(body)) {
            return Double.NaN; // ERANGE underflow to zero
        }
        return v;
    }

    /** digits [. digits] [e [sign] digits], at least one digit in the mantissa. */
    private static boolean isDecimalFloat(String b) {
        int i = 0;
        int n = b.length();
        int mantissaDigits = 0;
        while (i < n && Character.isDigit(b.charAt(i))) {
            i++;
            mantissaDigits++;
        }
        if (i < n && b.charAt(i) == '.') {
            i++;
            while (i < n && Character.isDigit(b.charAt(i))) {
                i++;
                mantissaDigits++;
            }
        }
        if (mantissaDigits == 0) {
            return false;
        }
        if (i < n && b.charAt(i) == 'e') {
            i++;
            if (i < n && (b.charAt(i) == '+' || b.charAt(i) == '-')) {
                i++;
            }
            int expDigits = 0;
            while (i < n && Character.isDigit(b.charAt(i))) {
                i++;
                expDigits++;
            }
            if (expDigits == 0) {
                return false;
            }
        }
        return i == n;
    }

    private static boolean hasNonZeroDigit(String b) {
        for (int i = 0; i < b.length(); i++) {
            char c = b.charAt(i);
            if (c == 'e') {
                return false;
            }
            if (c >= '1' && c <= '9') {
                return true;
            }
        }
        return false;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }
}
