package io.converge.server.command;

import io.converge.server.util.RedisNumbers;

/** Arguments of the blocking commands (BLPOP, BLMOVE, BZPOPMIN ...): where the timeout is, and its value. */
public final class BlockingArgs {
    private static final CommandException NOT_A_FLOAT =
            new CommandException("ERR timeout is not a float or out of range");
    private static final CommandException NEGATIVE = new CommandException("ERR timeout is negative");
    private static final CommandException OUT_OF_RANGE = new CommandException("ERR timeout is out of range");
    /** 2^63 as a double: a product at least this large does not fit a long. */
    private static final double LONG_LIMIT = 9.223372036854775807E18;

    private BlockingArgs() {}

    /**
     * The timeout in milliseconds (0: wait forever) of a timeout argument in seconds, as Redis 7.0
     * reads it: a float; {@code timeout is negative} for a negative one and for one too large to
     * count in milliseconds (Redis's conversion overflows to a negative number there); {@code
     * timeout is out of range} when the deadline would pass the largest time.
     */
    public static long timeoutMillis(byte[] arg, long nowMillis) {
        double seconds = RedisNumbers.parseDouble(arg);
        if (Double.isNaN(seconds)) {
            throw NOT_A_FLOAT;
        }
        double ms = seconds * 1000.0;
        if (ms >= LONG_LIMIT || ms <= -LONG_LIMIT) {
            throw NEGATIVE;
        }
        long millis = (long) ms;
        if (millis < 0) {
            throw NEGATIVE;
        }
        if (millis > 0 && millis > Long.MAX_VALUE - nowMillis) {
            throw OUT_OF_RANGE;
        }
        return millis;
    }

    /**
     * Index of the timeout argument of blocking command {@code name} with {@code argc}
     * arguments (name included), or -1 for a command that does not block.
     */
    public static int timeoutIndex(String name, int argc) {
        return switch (name) {
            case "blpop", "brpop", "bzpopmin", "bzpopmax" -> argc - 1;
            case "blmove" -> 5;
            case "brpoplpush" -> 3;
            case "blmpop", "bzmpop" -> 1;
            default -> -1;
        };
    }
}
