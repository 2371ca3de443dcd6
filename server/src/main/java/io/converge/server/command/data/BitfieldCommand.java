package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.KeySpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.StorageEngine;
import io.converge.server.util.RedisNumbers;
import java.util.ArrayList;
import java.util.List;

/**
 * BITFIELD and BITFIELD_RO with Redis 7.0's parsing, errors, overflow rules (WRAP, SAT, FAIL),
 * {@code #} offsets, u1..u63 and i1..i64. Each SET or INCRBY that changes its field writes every
 * bit of the field with one stamp ({@code KeyState.writeBits}), so concurrent writes of one field
 * leave the value one of them wrote (the latest), and writes of other fields survive; the string
 * grows to the highest bit a write names before the operations run, as in Redis, even when an
 * operation then fails on overflow.
 */
final class BitfieldCommand {
    private static final CommandException BAD_TYPE = new CommandException(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
    private static final CommandException BAD_OVERFLOW = new CommandException("ERR Invalid OVERFLOW type specified");
    private static final CommandException RO_ONLY_GET =
            new CommandException("ERR BITFIELD_RO only supports the GET subcommand");

    private enum Kind { GET, SET, INCRBY }

    private enum Overflow { WRAP, SAT, FAIL }

    /** One parsed operation. */
    private record Op(Kind kind, boolean signed, int bits, long offset, long value, Overflow overflow) {}

    /** A value after an overflow check: whether it overflowed, and the wrapped or saturated result. */
    private record Checked(boolean overflow, long value) {}

    private final StorageEngine engine;

    private BitfieldCommand(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers BITFIELD and BITFIELD_RO. */
    static void register(NodeServices services, StorageEngine engine) {
        BitfieldCommand c = new BitfieldCommand(engine);
        var t = services.commands();
        t.register(CommandSpec.builder("bitfield").arity(-2).flags(WRITE, DENYOOM).keys(1, 1, 1).acl(AclCategory.BITMAP)
                .group("bitmap").since("3.2.0").summary("Perform arbitrary bitfield integer operations on strings")
                .complexity("O(1) for each subcommand specified")
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "update", "variable_flags")
                        .withNotes("This command allows both access and modification of the key"))
                .handler(ctx -> c.bitfield(ctx, false)).build());
        t.register(CommandSpec.builder("bitfield_ro").arity(-2).flags(READONLY, FAST).keys(1, 1, 1)
                .acl(AclCategory.BITMAP).group("bitmap").since("6.0.0")
                .summary("Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD")
                .complexity("O(1) for each subcommand specified").keySpecFlags("RO", "access")
                .handler(ctx -> c.bitfield(ctx, true)).build());
    }

    // ------------------------------------------------------------------ parsing

    private static List<Op> parse(CommandContext ctx) {
        List<Op> ops = new ArrayList<>();
        Overflow overflow = Overflow.WRAP;
        int argc = ctx.argc();
        for (int j = 2; j < argc; j++) {
            int remaining = argc - j - 1;
            Kind kind;
            if (ctx.argIs(j, "get") && remaining >= 2) {
                kind = Kind.GET;
            } else if (ctx.argIs(j, "set") && remaining >= 3) {
                kind = Kind.SET;
            } else if (ctx.argIs(j, "incrby") && remaining >= 3) {
                kind = Kind.INCRBY;
            } else if (ctx.argIs(j, "overflow") && remaining >= 1) {
                j++;
                if (ctx.argIs(j, "wrap")) {
                    overflow = Overflow.WRAP;
                } else if (ctx.argIs(j, "sat")) {
                    overflow = Overflow.SAT;
                } else if (ctx.argIs(j, "fail")) {
                    overflow = Overflow.FAIL;
                } else {
                    throw BAD_OVERFLOW;
                }
                continue;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
            byte[] type = ctx.arg(j + 1);
            boolean signed = type.length > 0 && type[0] == 'i';
            if (type.length == 0 || (!signed && type[0] != 'u')) {
                throw BAD_TYPE;
            }
            byte[] width = cString(type, 1);
            if (!RedisNumbers.isLong(width)) {
                throw BAD_TYPE;
            }
            long bits = RedisNumbers.parseLong(width);
            if (bits < 1 || bits > (signed ? 64 : 63)) {
                throw BAD_TYPE;
            }
            long offset = BitmapCommands.bitOffset(ctx, ctx.arg(j + 2), true, (int) bits);
            long value = 0;
            if (kind != Kind.GET) {
                value = ctx.argLong(j + 3);
            }
            ops.add(new Op(kind, signed, (int) bits, offset, value, overflow));
            j += kind == Kind.GET ? 2 : 3;
        }
        return ops;
    }

    /** The bytes of {@code arg} from {@code from} up to its first NUL (Redis reads the width as a C string). */
    private static byte[] cString(byte[] arg, int from) {
        int end = from;
        while (end < arg.length && arg[end] != 0) {
            end++;
        }
        return java.util.Arrays.copyOfRange(arg, from, end);
    }

    // ------------------------------------------------------------------ command

    private void bitfield(CommandContext ctx, boolean readOnlyCommand) {
        List<Op> ops = parse(ctx);
        boolean readOnly = true;
        long highest = -1;
        for (Op op : ops) {
            if (op.kind() != Kind.GET) {
                readOnly = false;
                highest = Math.max(highest, op.offset() + op.bits() - 1);
            }
        }
        if (!readOnly && readOnlyCommand) {
            throw RO_ONLY_GET;
        }
        byte[] key = ctx.arg(1);
        long top = highest;
        boolean writes = !readOnly;
        Long[] replies = engine.withKey(key, a -> {
            KeyState live = a.live();
            if (live != null && live.stringLength() < 0) {
                throw Errors.WRONGTYPE_ERROR;
            }
            Long[] out = new Long[ops.size()];
            if (!writes) {
                for (int i = 0; i < out.length; i++) {
                    Op op = ops.get(i);
                    out[i] = live == null ? 0 : read(live, op.offset(), op.bits(), op.signed());
                }
                return out;
            }
            KeyState state = BitmapCommands.bitTarget(a, live);
            boolean changed = false;
            boolean grew = live == null || (top >>> 3) >= live.stringLength();
            if (grew) {
                // Redis grows the string to the highest bit written before running the operations.
                a.written(state.writeBits(top, 1, 0, a.stamp(), a.node()));
            }
            for (int i = 0; i < out.length; i++) {
                Op op = ops.get(i);
                long old = read(state, op.offset(), op.bits(), op.signed());
                if (op.kind() == Kind.GET) {
                    out[i] = old;
                    continue;
                }
                long next;
                Checked c;
                if (op.kind() == Kind.INCRBY) {
                    c = op.signed() ? signed(old, op.value(), op.bits(), op.overflow())
                            : unsigned(old, op.value(), op.bits(), op.overflow());
                    next = c.overflow() ? c.value() : old + op.value();
                } else {
                    c = op.signed() ? signed(op.value(), 0, op.bits(), op.overflow())
                            : unsigned(op.value(), 0, op.bits(), op.overflow());
                    next = c.overflow() ? c.value() : op.value();
                }
                if (c.overflow() && op.overflow() == Overflow.FAIL) {
                    out[i] = null;
                    continue;
                }
                out[i] = op.kind() == Kind.INCRBY ? next : old;
                if (next != old) {
                    a.written(state.writeBits(op.offset(), op.bits(), next, a.stamp(), a.node()));
                }
                changed |= grew || next != old; // Redis's count of changes (events only then)
            }
            if (changed) {
                ctx.notify(NotifyFlags.STRING, "setbit", key);
            }
            return out;
        });
        ReplyWriter reply = ctx.reply();
        reply.arrayHeader(replies.length);
        for (Long r : replies) {
            if (r == null) {
                reply.nullBulk();
            } else {
                reply.integer(r);
            }
        }
    }

    /** The field of {@code bits} bits at {@code offset} of the key's string (0 beyond its end). */
    private static long read(KeyState state, long offset, int bits, boolean signed) {
        long v = 0;
        for (int i = 0; i < bits; i++) {
            v = v << 1 | state.stringBit(offset + i);
        }
        if (signed && bits < 64 && ((v >>> (bits - 1)) & 1) != 0) {
            v |= -1L << bits;
        }
        return v;
    }

    // ------------------------------------------------------------------ overflow (Redis's rules)

    /**
     * Adding {@code incr} to the unsigned {@code value} (for SET: the new value, incr 0) in a
     * field of {@code bits} bits: whether it leaves {@code [0, 2^bits - 1]} and, if so, the
     * wrapped or saturated result.
     */
    private static Checked unsigned(long value, long incr, int bits, Overflow overflow) {
        long max = (1L << bits) - 1;
        long maxIncr = max - value;
        long minIncr = -value;
        if (Long.compareUnsigned(value, max) > 0 || (incr > 0 && incr > maxIncr)) {
            return new Checked(true, overflow == Overflow.SAT ? max : (value + incr) & max);
        }
        if (incr < 0 && incr < minIncr) {
            return new Checked(true, overflow == Overflow.SAT ? 0 : (value + incr) & max);
        }
        return new Checked(false, 0);
    }

    /** Like {@link #unsigned} for a signed field: the range is {@code [-2^(bits-1), 2^(bits-1) - 1]}. */
    private static Checked signed(long value, long incr, int bits, Overflow overflow) {
        long max = bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        long maxIncr = max - value;
        long minIncr = min - value;
        if (value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr)) {
            return new Checked(true, overflow == Overflow.SAT ? max : wrapSigned(value + incr, bits));
        }
        if (value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr)) {
            return new Checked(true, overflow == Overflow.SAT ? min : wrapSigned(value + incr, bits));
        }
        return new Checked(false, 0);
    }

    /** The low {@code bits} bits of {@code v}, sign-extended. */
    private static long wrapSigned(long v, int bits) {
        if (bits == 64) {
            return v;
        }
        return (v << (64 - bits)) >> (64 - bits);
    }
}
