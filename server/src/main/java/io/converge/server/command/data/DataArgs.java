package io.converge.server.command.data;

import io.converge.crdt.CounterException;
import io.converge.crdt.CrdtValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.ValueType;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.Errors;
import io.converge.server.config.NotifyFlags;
import io.converge.server.store.KeyAccess;
import io.converge.server.util.Glob;
import io.converge.server.util.RedisNumbers;

/**
 * Argument parsing and checks shared by the data-command families, with Redis 7.0's exact error
 * texts: type checks (WRONGTYPE), expire times, string size limits, SCAN cursors and options,
 * counter errors. Family-neutral only; a family's own parsing stays in its class.
 */
public final class DataArgs {
    private DataArgs() {}

    /** {@code ERR string exceeds maximum allowed size (proto-max-bulk-len)}. */
    public static final String STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    /** {@code ERR invalid cursor}. */
    public static final String INVALID_CURSOR = "ERR invalid cursor";

    private static final CommandException INVALID_CURSOR_ERROR = new CommandException(INVALID_CURSOR);
    private static final CommandException STRING_TOO_LONG_ERROR = new CommandException(STRING_TOO_LONG);

    // ------------------------------------------------------------------ types

    /**
     * Throws WRONGTYPE if {@code state} (a live state, or null for a missing key) holds a type
     * other than {@code expected}; returns whether the key exists.
     */
    public static boolean checkType(KeyState state, ValueType expected) {
        if (state == null) {
            return false;
        }
        if (state.type() != expected) {
            throw Errors.WRONGTYPE_ERROR;
        }
        return true;
    }

    /** The key's live state if it holds {@code type}, null if the key does not exist; WRONGTYPE otherwise. */
    public static KeyState live(KeyAccess access, ValueType type) {
        KeyState state = access.live();
        return checkType(state, type) ? state : null;
    }

    /**
     * The state to apply a write of a {@code type} value to (installed if the key does not exist);
     * WRONGTYPE if the key holds another type.
     */
    public static KeyState forWrite(KeyAccess access, ValueType type) {
        KeyState state = access.forWrite();
        ValueType held = state.type();
        if (held != null && held != type) {
            throw Errors.WRONGTYPE_ERROR;
        }
        return state;
    }

    /** Joins {@code delta} into a command's delta group (null = none yet); returns the group. */
    public static <T extends CrdtValue<T>> T join(T group, T delta) {
        if (delta == null) {
            return group;
        }
        if (group == null) {
            return delta;
        }
        group.merge(delta);
        return group;
    }

    /** The error reply for a refused counter operation on a string key (Redis's texts). */
    public static CommandException counterError(CounterException e) {
        return new CommandException("ERR " + e.reason().message());
    }

    /** The error reply for a refused counter operation on a hash field (Redis's texts). */
    public static CommandException hashCounterError(CounterException e) {
        return new CommandException("ERR " + e.reason().hashMessage());
    }

    // ------------------------------------------------------------------ expire times

    /** How an expire argument is expressed. */
    public enum ExpireUnit {
        /** Relative seconds (EX, SETEX, EXPIRE). */
        EX(true, true),
        /** Relative milliseconds (PX, PSETEX, PEXPIRE). */
        PX(false, true),
        /** Absolute Unix seconds (EXAT, EXPIREAT). */
        EXAT(true, false),
        /** Absolute Unix milliseconds (PXAT, PEXPIREAT). */
        PXAT(false, false);

        final boolean seconds;
        final boolean relative;

        ExpireUnit(boolean seconds, boolean relative) {
            this.seconds = seconds;
            this.relative = relative;
        }

        /** Whether the argument counts seconds (else milliseconds). */
        public boolean seconds() {
            return seconds;
        }

        /** Whether the argument is relative to now (else absolute). */
        public boolean relative() {
            return relative;
        }
    }

    /** {@code ERR invalid expire time in 'set' command} for the command being run. */
    public static CommandException invalidExpireTime(CommandContext ctx) {
        return new CommandException("ERR invalid expire time in '" + ctx.command().fullName() + "' command");
    }

    /**
     * The absolute expiry instant (ms) of a SET/GETEX/SETEX-style argument, validated as Redis's
     * {@code getExpireMillisecondsOrReply}: the number must be positive, must not overflow when
     * converted to ms or made absolute.
     */
    public static long expireAtMillis(CommandContext ctx, byte[] arg, ExpireUnit unit, long nowMs) {
        long v = RedisNumbers.parseLong(arg);
        if (v <= 0 || (unit.seconds && v > Long.MAX_VALUE / 1000)) {
            throw invalidExpireTime(ctx);
        }
        if (unit.seconds) {
            v *= 1000;
        }
        if (unit.relative) {
            v += nowMs; // wraps negative on overflow, as Redis's check expects
        }
        if (v <= 0) {
            throw invalidExpireTime(ctx);
        }
        return v;
    }

    // ------------------------------------------------------------------ strings

    /**
     * Checks that a string of {@code size + append} bytes is allowed ({@code proto-max-bulk-len},
     * as Redis's {@code checkStringLength}); throws {@link #STRING_TOO_LONG} otherwise.
     */
    public static void checkStringLength(CommandContext ctx, long size, long append) {
        long total = size + append;
        if (total > ctx.node().config().current().protoMaxBulkLen() || total < size || total < append) {
            throw STRING_TOO_LONG_ERROR;
        }
    }

    // ------------------------------------------------------------------ scan

    /**
     * Parses a SCAN-family cursor as Redis does ({@code strtoul}): optional sign, decimal digits,
     * no leading space, nothing after, no overflow; a negative number wraps as unsigned. The
     * empty string is cursor 0. Redis reads the argument as a C string, so the cursor ends at the
     * first NUL byte and what follows is ignored ({@code "5\0x"} is cursor 5, {@code "\0"} is 0).
     */
    public static long parseCursor(byte[] arg) {
        int i = 0;
        int n = 0;
        while (n < arg.length && arg[n] != 0) {
            n++;
        }
        if (n > 0 && isSpace(arg[0])) {
            throw INVALID_CURSOR_ERROR;
        }
        boolean negative = false;
        if (i < n && (arg[i] == '+' || arg[i] == '-')) {
            negative = arg[i] == '-';
            i++;
        }
        if (i == n) {
            if (n == 0) {
                return 0;
            }
            throw INVALID_CURSOR_ERROR; // a lone sign: strtoul parses nothing, eptr is the sign
        }
        long v = 0;
        for (; i < n; i++) {
            int d = arg[i] - '0';
            if (d < 0 || d > 9) {
                throw INVALID_CURSOR_ERROR;
            }
            // unsigned overflow check: v * 10 + d must fit 64 unsigned bits
            if (Long.compareUnsigned(v, Long.divideUnsigned(-1L, 10)) > 0) {
                throw INVALID_CURSOR_ERROR;
            }
            long next = v * 10 + d;
            if (Long.compareUnsigned(next, v * 10) < 0) {
                throw INVALID_CURSOR_ERROR;
            }
            v = next;
        }
        return negative ? -v : v;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }

    /**
     * Options of SCAN, HSCAN, SSCAN, ZSCAN: MATCH pattern (null: everything), COUNT (default 10),
     * TYPE (SCAN only; null: any).
     */
    public record ScanOptions(byte[] pattern, int count, byte[] type) {
        /** Whether {@code element} passes the MATCH filter. */
        public boolean matches(byte[] element) {
            return pattern == null || Glob.matches(pattern, element, false);
        }

        /** Whether a key of type {@code t} passes the TYPE filter (case-insensitive, as Redis 7.0). */
        public boolean typeMatches(ValueType t) {
            if (type == null) {
                return true;
            }
            return CommandContext.equalsIgnoreCase(type, t == null ? "none" : t.redisName());
        }
    }

    /**
     * Parses SCAN-family options from argument {@code from} on, as Redis's
     * {@code scanGenericCommand}: {@code COUNT n} (n >= 1, else syntax error), {@code MATCH p}
     * ({@code *} means no filter), {@code TYPE t} when {@code allowType}; anything else is a
     * syntax error.
     */
    public static ScanOptions parseScanOptions(CommandContext ctx, int from, boolean allowType) {
        return parseScanOptions(ctx.args(), ctx.argc(), from, allowType);
    }

    /**
     * {@link #parseScanOptions(CommandContext, int, boolean)} over the first {@code argc} of a
     * command's {@code args} (the cluster-wide SCAN parses before anything runs).
     */
    public static ScanOptions parseScanOptions(byte[][] args, int argc, int from, boolean allowType) {
        byte[] pattern = null;
        long count = 10;
        byte[] type = null;
        int i = from;
        while (i < argc) {
            int left = argc - i;
            if (CommandContext.equalsIgnoreCase(args[i], "count") && left >= 2) {
                count = RedisNumbers.parseLong(args[i + 1]);
                if (count < 1) {
                    throw Errors.SYNTAX_ERROR;
                }
                i += 2;
            } else if (CommandContext.equalsIgnoreCase(args[i], "match") && left >= 2) {
                byte[] p = args[i + 1];
                pattern = p.length == 1 && p[0] == '*' ? null : p;
                i += 2;
            } else if (allowType && CommandContext.equalsIgnoreCase(args[i], "type") && left >= 2) {
                type = args[i + 1];
                i += 2;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        return new ScanOptions(pattern, (int) Math.min(count, Integer.MAX_VALUE), type);
    }

    /** Writes a cursor as Redis does: the unsigned decimal in a bulk string. */
    public static void replyCursor(CommandContext ctx, long cursor) {
        ctx.reply().bulk(Long.toUnsignedString(cursor));
    }

    /** Reports the generic {@code del} event when the command's writes left the key without a value (an emptied collection). */
    static void notifyIfDeleted(CommandContext ctx, KeyAccess access) {
        if (access.live() == null) {
            ctx.notify(NotifyFlags.GENERIC, "del", access.key());
        }
    }
}
