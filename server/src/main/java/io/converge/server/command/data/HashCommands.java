package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.CounterException;
import io.converge.crdt.HashValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.RedisNumbers;
import io.converge.crdt.ValueType;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandHandler;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.util.ArrayList;
import java.util.List;

/**
 * Hash commands (HSET, HGET, HINCRBY, HSCAN, HRANDFIELD ...) on {@link HashValue}: each field
 * is an LWW register that is also a counter, and HDEL leaves a field tombstone (DESIGN §1).
 *
 * <p>Writes take the key with {@link StorageEngine#withKey}, stamp every field write with a
 * fresh HLC (two writes of one field in one HSET must be ordered) and report one delta per
 * command: the field deltas joined into one {@code HashValue}. A hash whose last field is
 * deleted stops existing, TTL included, as in Redis (the engine adds the TTL clear for a key its
 * write left empty: see {@link io.converge.server.store.KeyAccess#written}).
 * Reads use the live state and write their reply while the key is held, so no copy of the
 * hash is made.
 */
public final class HashCommands {
    private static final CommandException HASH_NOT_INTEGER = new CommandException(
            "ERR " + CounterException.Reason.NOT_AN_INTEGER.hashMessage());
    private static final CommandException HASH_NOT_FLOAT = new CommandException(
            "ERR " + CounterException.Reason.NOT_A_FLOAT.hashMessage());
    private static final CommandException OVERFLOW = new CommandException(
            "ERR " + CounterException.Reason.OVERFLOW.hashMessage());
    private static final CommandException RESULT_NAN_OR_INFINITY = new CommandException(
            "ERR " + CounterException.Reason.NAN_OR_INFINITY.hashMessage());
    private static final CommandException INCREMENT_NAN_OR_INFINITY = new CommandException(
            "ERR value is NaN or Infinity");
    private static final CommandException WITHVALUES_OUT_OF_RANGE = new CommandException(
            "ERR value is out of range");

    private final StorageEngine engine;

    private HashCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers the hash commands in the node's command table, served by {@code engine}. */
    public static void register(NodeServices services, StorageEngine engine) {
        HashCommands h = new HashCommands(engine);
        add(services, "hset", -4, h::hset, "RW update", "2.0.0", "O(1) for each field/value pair added",
                "Creates or modifies the value of a field in a hash.", WRITE, DENYOOM, FAST);
        add(services, "hsetnx", 4, h::hsetnx, "RW insert", "2.0.0", "O(1)",
                "Sets the value of a field in a hash only when the field doesn't exist.", WRITE, DENYOOM, FAST);
        add(services, "hget", 3, h::hget, "RO access", "2.0.0", "O(1)",
                "Returns the value of a field in a hash.", READONLY, FAST);
        add(services, "hmget", -3, h::hmget, "RO access", "2.0.0", "O(N) where N is the number of fields being requested.",
                "Returns the values of all fields in a hash.", READONLY, FAST);
        add(services, "hmset", -4, h::hmset, "RW update", "2.0.0", "O(N) where N is the number of fields being set.",
                "Sets the values of multiple fields.", WRITE, DENYOOM, FAST);
        add(services, "hdel", -3, h::hdel, "RW delete", "2.0.0", "O(N) where N is the number of fields to be removed.",
                "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
                WRITE, FAST);
        add(services, "hgetall", 2, h::hgetall, "RO access", "2.0.0", "O(N) where N is the size of the hash.",
                "Returns all fields and values in a hash.", READONLY);
        add(services, "hkeys", 2, h::hkeys, "RO access", "2.0.0", "O(N) where N is the size of the hash.",
                "Returns all fields in a hash.", READONLY);
        add(services, "hvals", 2, h::hvals, "RO access", "2.0.0", "O(N) where N is the size of the hash.",
                "Returns all values in a hash.", READONLY);
        add(services, "hlen", 2, h::hlen, "RO", "2.0.0", "O(1)",
                "Returns the number of fields in a hash.", READONLY, FAST);
        add(services, "hexists", 3, h::hexists, "RO", "2.0.0", "O(1)",
                "Determines whether a field exists in a hash.", READONLY, FAST);
        add(services, "hincrby", 4, h::hincrby, "RW access update", "2.0.0", "O(1)",
                "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field "
                        + "doesn't exist.", WRITE, DENYOOM, FAST);
        add(services, "hincrbyfloat", 4, h::hincrbyfloat, "RW access update", "2.6.0", "O(1)",
                "Increments the floating point value of a field by a number. Uses 0 as initial value if the field "
                        + "doesn't exist.", WRITE, DENYOOM, FAST);
        add(services, "hstrlen", 3, h::hstrlen, "RO", "3.2.0", "O(1)",
                "Returns the length of the value of a field.", READONLY, FAST);
        add(services, "hscan", -3, h::hscan, "RO access", "2.8.0",
                "O(1) for every call. O(N) for a complete iteration.",
                "Iterates over fields and values of a hash.", READONLY);
        add(services, "hrandfield", -2, h::hrandfield, "RO access", "6.2.0",
                "O(N) where N is the number of fields returned",
                "Returns one or more random fields from a hash.", READONLY);
    }

    private static void add(NodeServices services, String name, int arity, CommandHandler handler, String keySpec,
            String since, String complexity, String summary, io.converge.server.command.CommandFlag... flags) {
        CommandSpec.Builder b = CommandSpec.builder(name).arity(arity).flags(flags).keys(1, 1, 1)
                .keySpecFlags(keySpec.split(" ")).acl(AclCategory.HASH).group("hash").since(since)
                .complexity(complexity).summary(summary).handler(handler);
        switch (name) {
            case "hgetall", "hkeys", "hvals" -> b.tips("nondeterministic_output_order");
            case "hscan", "hrandfield" -> b.tips("nondeterministic_output");
            default -> { }
        }
        services.commands().register(b.build());
    }

    // ------------------------------------------------------------------ state helpers

    /** The live hash of the key, null if the key does not exist; WRONGTYPE if it holds another type. */
    static HashValue liveHash(KeyAccess access) {
        KeyState state = DataArgs.live(access, ValueType.HASH);
        return state == null ? null : state.hash();
    }

    /** The hash to write to, created if the key does not exist; WRONGTYPE if it holds another type. */
    static HashValue hashForWrite(KeyAccess access) {
        return DataArgs.forWrite(access, ValueType.HASH).hashForWrite();
    }

    /** Reports a command's delta group, if it wrote anything. */
    private static void report(KeyAccess access, HashValue group) {
        if (group != null) {
            access.written(KeyState.wrap(group));
        }
    }

    // ------------------------------------------------------------------ writes

    private void hset(CommandContext ctx) {
        ctx.reply().integer(setFields(ctx));
    }

    private void hmset(CommandContext ctx) {
        setFields(ctx);
        ctx.reply().ok();
    }

    /** HSET/HMSET: writes every field/value pair; returns how many fields were new. */
    private long setFields(CommandContext ctx) {
        if (ctx.argc() % 2 != 0) {
            throw new CommandException(Errors.wrongArity(ctx.command().fullName()));
        }
        byte[][] args = ctx.args();
        return engine.withKey(args[1], access -> {
            HashValue hash = hashForWrite(access);
            int before = hash.size();
            HashValue group = null;
            for (int i = 2; i < args.length; i += 2) {
                group = DataArgs.join(group, hash.hset(args[i], args[i + 1], access.stamp(), access.node()));
            }
            report(access, group);
            ctx.notify(NotifyFlags.HASH, "hset", args[1]);
            return (long) (hash.size() - before);
        });
    }

    private void hsetnx(CommandContext ctx) {
        byte[] field = ctx.arg(2);
        byte[] value = ctx.arg(3);
        boolean set = engine.withKey(ctx.arg(1), access -> {
            HashValue current = liveHash(access);
            if (current != null && current.containsField(field)) {
                return false;
            }
            HashValue hash = hashForWrite(access);
            report(access, hash.hset(field, value, access.stamp(), access.node()));
            ctx.notify(NotifyFlags.HASH, "hset", ctx.arg(1));
            return true;
        });
        ctx.reply().integer(set ? 1 : 0);
    }

    private void hdel(CommandContext ctx) {
        byte[][] args = ctx.args();
        long deleted = engine.withKey(args[1], access -> {
            HashValue current = liveHash(access);
            if (current == null) {
                return 0L;
            }
            KeyState state = access.forWrite();
            HashValue hash = state.hashForWrite();
            HashValue group = null;
            long n = 0;
            for (int i = 2; i < args.length; i++) {
                HashValue delta = hash.hdel(args[i], access.stamp(), access.node());
                if (delta != null) {
                    n++;
                    group = DataArgs.join(group, delta);
                }
            }
            report(access, group);
            if (n > 0) {
                ctx.notify(NotifyFlags.HASH, "hdel", args[1]);
                DataArgs.notifyIfDeleted(ctx, access);
            }
            return n;
        });
        ctx.reply().integer(deleted);
    }

    private void hincrby(CommandContext ctx) {
        long increment = ctx.argLong(3);
        byte[] field = ctx.arg(2);
        long result = engine.withKey(ctx.arg(1), access -> {
            HashValue hash = hashForWrite(access);
            HashValue delta;
            try {
                delta = hash.hincrBy(field, increment, access.stamp(), access.node());
            } catch (CounterException e) {
                throw e.reason() == CounterException.Reason.OVERFLOW ? OVERFLOW : HASH_NOT_INTEGER;
            }
            report(access, delta);
            ctx.notify(NotifyFlags.HASH, "hincrby", ctx.arg(1));
            return hash.field(field).longValue();
        });
        ctx.reply().integer(result);
    }

    private void hincrbyfloat(CommandContext ctx) {
        byte[] increment = ctx.arg(3);
        try {
            RedisNumbers.parseFloat(increment);
        } catch (CounterException e) {
            // Redis parses the increment as a long double first: "inf" parses, then is refused.
            throw e.reason() == CounterException.Reason.NAN_OR_INFINITY ? INCREMENT_NAN_OR_INFINITY : Errors.NOT_FLOAT_ERROR;
        }
        byte[] field = ctx.arg(2);
        byte[] result = engine.withKey(ctx.arg(1), access -> {
            HashValue hash = hashForWrite(access);
            HashValue delta;
            try {
                delta = hash.hincrByFloat(field, increment, access.stamp(), access.node());
            } catch (CounterException e) {
                throw e.reason() == CounterException.Reason.NAN_OR_INFINITY ? RESULT_NAN_OR_INFINITY : HASH_NOT_FLOAT;
            }
            report(access, delta);
            ctx.notify(NotifyFlags.HASH, "hincrbyfloat", ctx.arg(1));
            return hash.get(field);
        });
        ctx.reply().bulk(result);
    }

    // ------------------------------------------------------------------ reads

    private void hget(CommandContext ctx) {
        byte[] field = ctx.arg(2);
        byte[] value = engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            return hash == null ? null : hash.get(field);
        });
        if (value == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(value);
        }
    }

    private void hmget(CommandContext ctx) {
        byte[][] args = ctx.args();
        ReplyWriter reply = ctx.reply();
        engine.withKey(args[1], access -> {
            HashValue hash = liveHash(access);
            reply.arrayHeader(args.length - 2);
            for (int i = 2; i < args.length; i++) {
                byte[] value = hash == null ? null : hash.get(args[i]);
                if (value == null) {
                    reply.nullBulk();
                } else {
                    reply.bulk(value);
                }
            }
            return null;
        });
    }

    private void hgetall(CommandContext ctx) {
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            if (hash == null) {
                reply.mapHeader(0);
                return null;
            }
            reply.mapHeader(hash.size());
            hash.forEach((field, value) -> {
                reply.bulk(field);
                reply.bulk(value);
            });
            return null;
        });
    }

    private void hkeys(CommandContext ctx) {
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            if (hash == null) {
                reply.emptyArray();
                return null;
            }
            reply.arrayHeader(hash.size());
            hash.forEach((field, value) -> reply.bulk(field));
            return null;
        });
    }

    private void hvals(CommandContext ctx) {
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            if (hash == null) {
                reply.emptyArray();
                return null;
            }
            reply.arrayHeader(hash.size());
            hash.forEach((field, value) -> reply.bulk(value));
            return null;
        });
    }

    private void hlen(CommandContext ctx) {
        long size = engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            return hash == null ? 0L : (long) hash.size();
        });
        ctx.reply().integer(size);
    }

    private void hexists(CommandContext ctx) {
        byte[] field = ctx.arg(2);
        boolean exists = engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            return hash != null && hash.containsField(field);
        });
        ctx.reply().integer(exists ? 1 : 0);
    }

    private void hstrlen(CommandContext ctx) {
        byte[] field = ctx.arg(2);
        long length = engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            byte[] value = hash == null ? null : hash.get(field);
            return value == null ? 0L : (long) value.length;
        });
        ctx.reply().integer(length);
    }

    // ------------------------------------------------------------------ HSCAN

    private void hscan(CommandContext ctx) {
        long cursor = DataArgs.parseCursor(ctx.arg(2));
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            if (hash == null) {
                CollectionScan.writeReply(reply, 0, List.of());
                return null;
            }
            CollectionScan.Options options = CollectionScan.parseOptions(ctx, 3, true);
            boolean whole = CollectionScan.allAtOnce(cursor, options.count(), hash.size());
            long start = whole ? 0 : CollectionScan.rangeStart(cursor);
            long end = whole ? CollectionScan.POSITIONS : CollectionScan.rangeEnd(start, options.count(), hash.size());
            List<byte[]> items = new ArrayList<>();
            hash.forEach((field, value) -> {
                if ((whole || CollectionScan.inRange(field, start, end)) && options.matches(field)) {
                    items.add(field);
                    if (!options.noValues()) {
                        items.add(value);
                    }
                }
            });
            CollectionScan.writeReply(reply, CollectionScan.nextCursor(end), items);
            return null;
        });
    }

    // ------------------------------------------------------------------ HRANDFIELD

    private void hrandfield(CommandContext ctx) {
        if (ctx.argc() == 2) {
            randomField(ctx);
            return;
        }
        long count = RandomIndices.parseCount(ctx, 2);
        boolean withValues = false;
        if (ctx.argc() > 4 || (ctx.argc() == 4 && !ctx.argIs(3, "withvalues"))) {
            throw Errors.SYNTAX_ERROR;
        } else if (ctx.argc() == 4) {
            withValues = true;
            if (count < -Long.MAX_VALUE / 2 || count > Long.MAX_VALUE / 2) {
                throw WITHVALUES_OUT_OF_RANGE;
            }
        }
        boolean pairs = withValues;
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            if (hash == null || count == 0) {
                reply.emptyArray();
                return null;
            }
            int size = hash.size();
            byte[][] fields = new byte[size][];
            byte[][] values = new byte[size][];
            int[] n = {0};
            hash.forEach((field, value) -> {
                fields[n[0]] = field;
                values[n[0]] = value;
                n[0]++;
            });
            if (count < 0) {
                long picks = -count;
                RandomIndices.checkRepeatedPicks(picks);
                writeFieldsHeader(reply, (int) picks, pairs);
                for (long i = 0; i < picks; i++) {
                    int k = RandomIndices.any(size);
                    writeField(reply, fields[k], values[k], pairs);
                }
            } else if (count >= size) {
                writeFieldsHeader(reply, size, pairs);
                for (int k = 0; k < size; k++) {
                    writeField(reply, fields[k], values[k], pairs);
                }
            } else {
                int[] picked = RandomIndices.distinct(size, (int) count);
                writeFieldsHeader(reply, picked.length, pairs);
                for (int k : picked) {
                    writeField(reply, fields[k], values[k], pairs);
                }
            }
            return null;
        });
    }

    /** HRANDFIELD without a count: one random field, or null. */
    private void randomField(CommandContext ctx) {
        byte[] field = engine.withKey(ctx.arg(1), access -> {
            HashValue hash = liveHash(access);
            if (hash == null) {
                return null;
            }
            int target = RandomIndices.any(hash.size());
            byte[][] found = new byte[1][];
            int[] seen = {0};
            hash.forEach((f, v) -> {
                if (seen[0]++ == target) {
                    found[0] = f;
                }
            });
            return found[0];
        });
        if (field == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(field);
        }
    }

    /**
     * Header of a HRANDFIELD reply of {@code n} fields: with values, RESP3 answers an array of
     * [field, value] pairs and RESP2 a flat array, as Redis 7 does.
     */
    private static void writeFieldsHeader(ReplyWriter reply, int n, boolean withValues) {
        reply.arrayHeader(withValues && !reply.isResp3() ? n * 2 : n);
    }

    private static void writeField(ReplyWriter reply, byte[] field, byte[] value, boolean withValues) {
        if (!withValues) {
            reply.bulk(field);
            return;
        }
        if (reply.isResp3()) {
            reply.arrayHeader(2);
        }
        reply.bulk(field);
        reply.bulk(value);
    }
}
