package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.HllValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.RedisHll;
import io.converge.crdt.ValueType;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.KeySpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;

/**
 * PFADD, PFCOUNT and PFMERGE with Redis 7.0's replies, errors, events and counts, on {@link
 * HllValue} (per-replica register contributions, so concurrent adds on different replicas all
 * count; see docs/semantics.md). PFDEBUG and PFSELFTEST are not provided.
 *
 * <p><b>Strings holding an HLL.</b> In Redis an HLL is a string, so a client may SET the bytes a
 * GET of an HLL returned (dense or sparse). The three commands accept such a string as Redis
 * does: PFCOUNT reads it (answering the cardinality its header caches when that is valid, as
 * Redis does); PFADD and PFMERGE turn it into an {@link HllValue}: the string is overwritten as
 * by a write of another type (its TTL kept) and this replica's contribution starts with its
 * registers. A string that is not an HLL answers {@code WRONGTYPE Key is not a valid HyperLogLog
 * string value.}; a sparse one whose opcodes do not cover exactly 16384 registers is corrupt
 * ({@code INVALIDOBJ Corrupted HLL object detected}) for PFCOUNT (unless its cache is valid),
 * PFMERGE, and PFADD with elements. Unlike Redis, PFCOUNT never writes the computed cardinality
 * back into such a string (a read stays a read), and PFADD refuses every corrupt string, where
 * Redis may still add to one when the opcodes it walks happen to be sound.
 */
public final class HyperLogLogCommands {
    private static final CommandException NOT_AN_HLL =
            new CommandException("WRONGTYPE Key is not a valid HyperLogLog string value.");
    private static final CommandException CORRUPT = new CommandException("INVALIDOBJ Corrupted HLL object detected");

    private final StorageEngine engine;

    private HyperLogLogCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers PFADD, PFCOUNT and PFMERGE. */
    public static void register(NodeServices services, StorageEngine engine) {
        HyperLogLogCommands c = new HyperLogLogCommands(engine);
        var t = services.commands();
        t.register(spec("pfadd", "Adds the specified elements to the specified HyperLogLog.", "O(1) to add every element.")
                .flags(WRITE, DENYOOM, FAST).keys(1, 1, 1).keySpecFlags("RW", "insert").handler(c::pfadd).build());
        t.register(spec("pfcount", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
                "O(1) with a very small average constant time when called with a single key. O(N) with N being the "
                        + "number of keys, and much bigger constant times, when called with multiple keys.")
                .flags(READONLY).keys(1, -1, 1)
                .keySpecs(KeySpec.range(1, -1, 1, "RW", "access").withNotes(
                        "RW because it may change the internal representation of the key, and propagate to replicas"))
                .handler(c::pfcount).build());
        t.register(spec("pfmerge", "Merge N different HyperLogLogs into a single one.",
                "O(N) to merge N HyperLogLogs, but with high constant times.")
                .flags(WRITE, DENYOOM).keys(1, -1, 1)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "insert"), KeySpec.range(2, -1, 1, "RO", "access"))
                .handler(c::pfmerge).build());
    }

    private static CommandSpec.Builder spec(String name, String summary, String complexity) {
        return CommandSpec.builder(name).arity(-2).acl(AclCategory.HYPERLOGLOG).group("hyperloglog").since("2.8.9")
                .summary(summary).complexity(complexity);
    }

    // ------------------------------------------------------------------ reading a key

    /**
     * What a key holds for these commands: an {@link HllValue}, or a string read as a Redis HLL.
     *
     * @param hll    the HyperLogLog, or null
     * @param string the string's registers, or null
     */
    private record Source(HllValue hll, RedisHll.Parsed string) {
        /** Raises {@code max}'s registers to this source's; INVALIDOBJ for a corrupt string. */
        void maxInto(byte[] max) {
            if (hll != null) {
                hll.maxInto(max);
                return;
            }
            byte[] registers = registers();
            for (int i = 0; i < max.length; i++) {
                if (registers[i] > max[i]) {
                    max[i] = registers[i];
                }
            }
        }

        /** The string's registers; INVALIDOBJ for a corrupt string. */
        byte[] registers() {
            if (string.corrupt()) {
                throw CORRUPT;
            }
            return string.registers();
        }
    }

    /**
     * The key's HLL (null for a missing key); Redis's errors for another type ({@code WRONGTYPE
     * Operation against...}) and for a string that is not an HLL.
     */
    private static Source source(KeyState live) {
        if (live == null) {
            return null;
        }
        ValueType type = live.type();
        if (type == ValueType.HLL) {
            return new Source(live.hll(), null);
        }
        if (type != ValueType.STRING) {
            throw Errors.WRONGTYPE_ERROR;
        }
        RedisHll.Parsed parsed = RedisHll.parse(live.stringBytes());
        if (parsed == null) {
            throw NOT_AN_HLL;
        }
        return new Source(null, parsed);
    }

    /**
     * Overwrites a string holding an HLL with {@code registers} as this replica's contribution
     * (keeping the TTL) and returns that HLL; {@code delta} receives the two writes' deltas.
     */
    private static HllValue convert(KeyAccess a, byte[] registers, KeyState[] delta) {
        KeyState st = a.forWrite();
        KeyState d = st.replaceValue(a.stamp(), a.node());
        HllValue h = st.hllForWrite();
        d.merge(KeyState.wrap(h.mergeRegisters(registers, a.stamp(), a.node()).delta()));
        delta[0] = d;
        return h;
    }

    /** Joins a change's delta (if any) into {@code delta[0]}. */
    private static void join(KeyState[] delta, HllValue.Change change) {
        if (change.delta() == null) {
            return;
        }
        KeyState d = KeyState.wrap(change.delta());
        if (delta[0] == null) {
            delta[0] = d;
        } else {
            delta[0].merge(d);
        }
    }

    // ------------------------------------------------------------------ commands

    /** PFADD key [element ...]: 1 if the key was created or a visible register rose, else 0. */
    private void pfadd(CommandContext ctx) {
        byte[][] args = ctx.args();
        byte[] key = args[1];
        boolean updated = engine.withKey(key, a -> {
            Source src = source(a.live());
            boolean noElements = args.length == 2;
            if (src != null && noElements) {
                return false; // Redis adds nothing and answers 0, even for a corrupt string
            }
            KeyState[] delta = new KeyState[1];
            HllValue h;
            if (src != null && src.string() != null) {
                h = convert(a, src.registers(), delta);
            } else {
                h = a.forWrite().hllForWrite();
            }
            HllValue.Change c = h.add(args, 2, args.length, a.stamp(), a.node());
            join(delta, c);
            a.written(delta[0]);
            boolean changed = src == null || c.raisedVisible();
            if (changed) {
                ctx.notify(NotifyFlags.STRING, "pfadd", key);
            }
            return changed;
        });
        ctx.reply().integer(updated ? 1 : 0);
    }

    /**
     * The key's live state, with the {@code keymiss} event Redis's read lookup gives a missing
     * key: these commands read keys their key specs mark RW (PFCOUNT's, PFMERGE's destination),
     * for which the engine reports no miss.
     */
    private static KeyState lookupRead(CommandContext ctx, KeyAccess a) {
        KeyState live = a.live();
        if (live == null) {
            ctx.notify(NotifyFlags.KEY_MISS, "keymiss", a.key());
        }
        return live;
    }

    /** PFCOUNT key [key ...]: the estimate of one key, or of the union of several. */
    private void pfcount(CommandContext ctx) {
        byte[][] keys = StringCommands.keysFrom(ctx, 1, 1);
        long count;
        if (keys.length == 1) {
            count = engine.withKey(keys[0], a -> {
                Source src = source(lookupRead(ctx, a));
                if (src == null) {
                    return 0L;
                }
                if (src.hll() != null) {
                    return src.hll().count();
                }
                long cached = src.string().cached();
                return cached >= 0 ? cached : RedisHll.count(src.registers());
            });
        } else {
            // Redis unions in key order and stops at the first key in error.
            count = engine.withKeys(keys, access -> {
                byte[] max = new byte[RedisHll.REGISTERS];
                for (KeyAccess a : access) {
                    Source src = source(lookupRead(ctx, a));
                    if (src != null) {
                        src.maxInto(max);
                    }
                }
                return RedisHll.count(max);
            });
        }
        ctx.reply().integer(count);
    }

    /**
     * PFMERGE destkey [sourcekey ...]: the destination becomes the register-wise maximum of
     * itself and the sources (missing ones count as empty), created if absent; always OK and a
     * "pfadd" event, as Redis. This replica's contribution records the sources' registers.
     */
    private void pfmerge(CommandContext ctx) {
        byte[][] keys = StringCommands.keysFrom(ctx, 1, 1);
        engine.withKeys(keys, access -> {
            // Redis reads the destination first, then the sources, and stops at the first error.
            Source dest = source(lookupRead(ctx, access[0]));
            byte[] destRegisters = dest != null && dest.string() != null ? dest.registers() : null;
            byte[] union = new byte[RedisHll.REGISTERS];
            boolean any = false;
            for (int i = 1; i < access.length; i++) {
                Source src = source(access[i].live());
                if (src != null) {
                    src.maxInto(union);
                    any = true;
                }
            }
            KeyAccess a = access[0];
            KeyState[] delta = new KeyState[1];
            HllValue h;
            if (destRegisters != null) {
                h = convert(a, destRegisters, delta);
            } else {
                h = a.forWrite().hllForWrite();
            }
            if (dest == null || (any && nonZero(union))) {
                join(delta, h.mergeRegisters(union, a.stamp(), a.node()));
            }
            if (delta[0] != null) {
                a.written(delta[0]);
            }
            return null;
        });
        // After the operation, so it follows the sources' keymiss events the engine reports at its end.
        ctx.notify(NotifyFlags.STRING, "pfadd", keys[0]);
        ctx.reply().ok();
    }

    private static boolean nonZero(byte[] registers) {
        for (byte r : registers) {
            if (r != 0) {
                return true;
            }
        }
        return false;
    }
}
