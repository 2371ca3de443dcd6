package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.crdt.ValueType;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandHandler;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.KeySpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import io.converge.server.util.RedisNumbers;

/**
 * SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP with Redis 7.0's replies, errors and order of
 * checks (BITFIELD is {@link BitfieldCommand}). Bit writes are per-bit last-writer-wins registers
 * over the string ({@code KeyState.writeBits}), so concurrent SETBITs of different bits of one
 * key all survive (docs/semantics.md, "Bitmaps"); BITOP writes its destination as a SET does.
 */
public final class BitmapCommands {
    static final CommandException BAD_OFFSET = new CommandException("ERR bit offset is not an integer or out of range");
    private static final CommandException BAD_BIT = new CommandException("ERR bit is not an integer or out of range");
    private static final CommandException BIT_ARGUMENT = new CommandException("ERR The bit argument must be 1 or 0.");
    private static final CommandException NOT_SINGLE_SOURCE =
            new CommandException("ERR BITOP NOT must be called with a single source key.");
    /** Bit offsets stop here whatever proto-max-bulk-len says: strings of bit writes are at most 512 MB. */
    private static final long MAX_BYTES = 1L << 29;

    private final StorageEngine engine;

    private BitmapCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP (and BITFIELD, BITFIELD_RO). */
    public static void register(NodeServices services, StorageEngine engine) {
        BitmapCommands c = new BitmapCommands(engine);
        var t = services.commands();
        t.register(spec("setbit", 4, c::setbit, "Sets or clears the bit at offset in the string value stored at key",
                "2.2.0", "O(1)", WRITE, DENYOOM).keySpecFlags("RW", "access", "update").build());
        t.register(spec("getbit", 3, c::getbit, "Returns the bit value at offset in the string value stored at key",
                "2.2.0", "O(1)", READONLY, FAST).keySpecFlags("RO", "access").build());
        t.register(spec("bitcount", -2, c::bitcount, "Count set bits in a string", "2.6.0", "O(N)", READONLY)
                .keySpecFlags("RO", "access").build());
        t.register(spec("bitpos", -3, c::bitpos, "Find first bit set or clear in a string", "2.8.7", "O(N)", READONLY)
                .keySpecFlags("RO", "access").build());
        t.register(CommandSpec.builder("bitop").arity(-4).flags(WRITE, DENYOOM).keys(2, -1, 1).acl(AclCategory.BITMAP)
                .group("bitmap").since("2.6.0").summary("Perform bitwise operations between strings").complexity("O(N)")
                .keySpecs(KeySpec.range(2, 0, 1, "OW", "update"), KeySpec.range(3, -1, 1, "RO", "access"))
                .handler(c::bitop).build());
        BitfieldCommand.register(services, engine);
    }

    private static CommandSpec.Builder spec(String name, int arity, CommandHandler handler, String summary,
                                            String since, String complexity, CommandFlag... flags) {
        return CommandSpec.builder(name).arity(arity).flags(flags).keys(1, 1, 1).acl(AclCategory.BITMAP)
                .group("bitmap").since(since).summary(summary).complexity(complexity).handler(handler);
    }

    // ------------------------------------------------------------------ shared with BITFIELD

    /**
     * Parses a bit offset as Redis does ({@code getBitOffsetFromArgument}): an integer, or with
     * {@code hash} and {@code bits > 0} also {@code #n} meaning {@code n * bits}; refused when
     * negative or when its byte is past proto-max-bulk-len (or past 512 MB, the most a string of
     * bit writes holds here).
     */
    static long bitOffset(CommandContext ctx, byte[] arg, boolean hash, int bits) {
        boolean useHash = hash && bits > 0 && arg.length > 0 && arg[0] == '#';
        byte[] digits = useHash ? java.util.Arrays.copyOfRange(arg, 1, arg.length) : arg;
        if (!RedisNumbers.isLong(digits)) {
            throw BAD_OFFSET;
        }
        long offset = RedisNumbers.parseLong(digits);
        if (useHash) {
            offset *= bits; // wraps as Redis's does
        }
        long limit = Math.min(ctx.node().config().current().protoMaxBulkLen(), MAX_BYTES);
        if (offset < 0 || (offset >>> 3) >= limit) {
            throw BAD_OFFSET;
        }
        return offset;
    }

    /**
     * The state to write bits to, for a key whose live state is {@code live}: WRONGTYPE unless it
     * holds a string (or nothing); a HyperLogLog (a string to Redis) is first rewritten as the
     * string of its bytes, keeping its TTL, as APPEND does.
     */
    static KeyState bitTarget(KeyAccess a, KeyState live) {
        if (live != null) {
            ValueType type = live.type();
            if (type == ValueType.HLL) {
                a.written(a.forWrite().setString(live.stringBytes(), KeyState.KEEP_TTL, a.stamp(), a.node()));
            } else if (type != ValueType.STRING) {
                throw Errors.WRONGTYPE_ERROR;
            }
        }
        return a.forWrite();
    }

    // ------------------------------------------------------------------ commands

    /** SETBIT key offset value: the bit's previous value; grows the string as Redis does. */
    private void setbit(CommandContext ctx) {
        long offset = bitOffset(ctx, ctx.arg(2), false, 0);
        byte[] bitArg = ctx.arg(3);
        if (!RedisNumbers.isLong(bitArg)) {
            throw BAD_BIT;
        }
        long on = RedisNumbers.parseLong(bitArg);
        if ((on & ~1L) != 0) {
            throw BAD_BIT;
        }
        byte[] key = ctx.arg(1);
        int old = engine.withKey(key, a -> {
            KeyState live = a.live();
            int previous = 0;
            boolean grows = true;
            if (live != null) {
                long length = live.stringLength();
                if (length < 0) {
                    throw Errors.WRONGTYPE_ERROR;
                }
                previous = live.stringBit(offset);
                grows = (offset >>> 3) >= length;
            }
            if (grows || previous != on) {
                KeyState target = bitTarget(a, live);
                a.written(target.writeBits(offset, 1, on, a.stamp(), a.node()));
                ctx.notify(NotifyFlags.STRING, "setbit", key);
            }
            return previous;
        });
        ctx.reply().integer(old);
    }

    /** GETBIT key offset: the bit, 0 beyond the string or for a missing key. */
    private void getbit(CommandContext ctx) {
        long offset = bitOffset(ctx, ctx.arg(2), false, 0);
        int bit = engine.withKey(ctx.arg(1), a -> {
            KeyState live = a.live();
            if (live == null) {
                return 0;
            }
            int b = live.stringBit(offset);
            if (b < 0) {
                throw Errors.WRONGTYPE_ERROR;
            }
            return b;
        });
        ctx.reply().integer(bit);
    }

    /** The visible string of a key for a bit read: null when missing, WRONGTYPE for another type. */
    private static byte[] stringOf(KeyAccess a) {
        KeyState live = a.live();
        if (live == null) {
            return null;
        }
        byte[] bytes = live.stringBytes();
        if (bytes == null) {
            throw Errors.WRONGTYPE_ERROR;
        }
        return bytes;
    }

    /** Whether argument {@code i} is BIT (true) or BYTE (false); a syntax error otherwise. */
    private static boolean bitUnit(CommandContext ctx, int i) {
        if (ctx.argIs(i, "bit")) {
            return true;
        }
        if (ctx.argIs(i, "byte")) {
            return false;
        }
        throw Errors.SYNTAX_ERROR;
    }

    /** BITCOUNT key [start end [BYTE|BIT]]: the number of set bits in the range. */
    private void bitcount(CommandContext ctx) {
        byte[] bytes = engine.withKey(ctx.arg(1), BitmapCommands::stringOf);
        if (bytes == null) {
            ctx.reply().integer(0); // Redis answers 0 for a missing key before looking at the range
            return;
        }
        int argc = ctx.argc();
        long first;
        long last;
        if (argc == 4 || argc == 5) {
            long start = ctx.argLong(2);
            long end = ctx.argLong(3);
            if (start < 0 && end < 0 && start > end) {
                ctx.reply().integer(0);
                return;
            }
            boolean isBit = argc == 5 && bitUnit(ctx, 4);
            long[] range = clamp(start, end, bytes.length, isBit);
            first = range[0];
            last = range[1];
        } else if (argc == 2) {
            first = 0;
            last = 8L * bytes.length - 1;
        } else {
            throw Errors.SYNTAX_ERROR;
        }
        ctx.reply().integer(first > last ? 0 : BitScan.count(bytes, first, last));
    }

    /**
     * Redis's range arithmetic for BITCOUNT and BITPOS: negative indexes from the end, clamped to
     * the string; returns the first and last bit of the range (first > last when empty).
     */
    private static long[] clamp(long start, long end, long length, boolean isBit) {
        long total = isBit ? length << 3 : length;
        if (start < 0) {
            start = total + start;
        }
        if (end < 0) {
            end = total + end;
        }
        if (start < 0) {
            start = 0;
        }
        if (end < 0) {
            end = 0;
        }
        if (end >= total) {
            end = total - 1;
        }
        if (start > end) {
            return new long[] {1, 0};
        }
        return isBit ? new long[] {start, end} : new long[] {start << 3, (end << 3) + 7};
    }

    /** BITPOS key bit [start [end [BYTE|BIT]]]: the first bit set (or clear) in the range, or -1. */
    private void bitpos(CommandContext ctx) {
        long bitArg = ctx.argLong(2);
        if (bitArg != 0 && bitArg != 1) {
            throw BIT_ARGUMENT;
        }
        int bit = (int) bitArg;
        byte[] bytes = engine.withKey(ctx.arg(1), BitmapCommands::stringOf);
        if (bytes == null) {
            ctx.reply().integer(bit == 1 ? -1 : 0); // a missing key is an endless run of zeros
            return;
        }
        int argc = ctx.argc();
        long first;
        long last;
        boolean endGiven = false;
        if (argc >= 4 && argc <= 6) {
            long start = ctx.argLong(3);
            boolean isBit = argc == 6 && bitUnit(ctx, 5);
            long end;
            if (argc >= 5) {
                end = ctx.argLong(4);
                endGiven = true;
            } else {
                end = isBit ? ((long) bytes.length << 3) + 7 : bytes.length - 1L;
            }
            long[] range = clamp(start, end, bytes.length, isBit);
            first = range[0];
            last = range[1];
        } else if (argc == 3) {
            first = 0;
            last = 8L * bytes.length - 1;
        } else {
            throw Errors.SYNTAX_ERROR;
        }
        if (first > last) {
            ctx.reply().integer(-1);
            return;
        }
        long found = BitScan.find(bytes, bit, first, last);
        if (found < 0 && bit == 0 && !endGiven) {
            // Looking for a clear bit with no explicit end: the string continues with zeros.
            found = ((last >>> 3) + 1) << 3;
        }
        ctx.reply().integer(found);
    }

    /** BITOP AND|OR|XOR|NOT destkey key [key ...]: the destination's length; it is written as a SET. */
    private void bitop(CommandContext ctx) {
        BitScan.Op op;
        if (ctx.argIs(1, "and")) {
            op = BitScan.Op.AND;
        } else if (ctx.argIs(1, "or")) {
            op = BitScan.Op.OR;
        } else if (ctx.argIs(1, "xor")) {
            op = BitScan.Op.XOR;
        } else if (ctx.argIs(1, "not")) {
            op = BitScan.Op.NOT;
        } else {
            throw Errors.SYNTAX_ERROR;
        }
        if (op == BitScan.Op.NOT && ctx.argc() != 4) {
            throw NOT_SINGLE_SOURCE;
        }
        byte[][] keys = java.util.Arrays.copyOfRange(ctx.args(), 2, ctx.argc());
        long length = engine.withKeys(keys, access -> {
            byte[][] sources = new byte[access.length - 1][];
            for (int i = 1; i < access.length; i++) {
                sources[i - 1] = stringOf(access[i]);
            }
            byte[] result = BitScan.combine(op, sources);
            KeyAccess dest = access[0];
            if (result.length == 0) {
                if (dest.live() != null) {
                    dest.written(dest.forWrite().delete(dest.stamp(), dest.node()));
                    ctx.notify(NotifyFlags.GENERIC, "del", keys[0]);
                }
                return 0L;
            }
            dest.written(dest.forWrite().setString(result, 0, dest.stamp(), dest.node()));
            ctx.notify(NotifyFlags.STRING, "set", keys[0]);
            return (long) result.length;
        });
        ctx.reply().integer(length);
    }
}
