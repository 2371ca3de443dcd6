package io.converge.server.config;

import java.util.Locale;

/**
 * Memory sizes as Redis writes them: a non-negative integer with an optional unit, {@code b},
 * {@code k} (1000), {@code kb} (1024), {@code m}, {@code mb}, {@code g}, {@code gb}, any case.
 */
public final class MemorySize {
    private MemorySize() {}

    /** Parses a size; throws ConfigException "argument must be a memory value" otherwise. */
    public static long parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 18) {
            throw new ConfigException("argument must be a memory value");
        }
        long multiplier = switch (t.substring(i)) {
            case "", "b" -> 1L;
            case "k" -> 1000L;
            case "kb" -> 1024L;
            case "m" -> 1000L * 1000;
            case "mb" -> 1024L * 1024;
            case "g" -> 1000L * 1000 * 1000;
            case "gb" -> 1024L * 1024 * 1024;
            default -> throw new ConfigException("argument must be a memory value");
        };
        long value = Long.parseLong(t.substring(0, i));
        try {
            return Math.multiplyExact(value, multiplier);
        } catch (ArithmeticException e) {
            throw new ConfigException("argument must be a memory value");
        }
    }
}
