package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.CounterException;
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
import io.converge.server.command.data.DataArgs.ExpireUnit;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.KeyOperation;
import io.converge.server.store.StorageEngine;

/**
 * Strings and counters: GET, SET (EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), SETNX, SETEX, PSETEX,
 * GETSET, GETDEL, GETEX, MGET, MSET, MSETNX, APPEND, STRLEN, GETRANGE, SETRANGE, INCR, DECR,
 * INCRBY, DECRBY, INCRBYFLOAT — with Redis 7.0's options, reply shapes and error texts, and the
 * same order of checks (so the same error wins when several apply).
 *
 * <p>Every string write is a {@code KeyState.setString} (an LWW register write: APPEND and
 * SETRANGE compute the new bytes here and write them as a SET that keeps the TTL); INCR* and
 * INCRBYFLOAT are counter operations, so concurrent increments on different replicas add up.
 */
public final class StringCommands {
    private static final CommandException OFFSET_OUT_OF_RANGE = new CommandException("ERR offset is out of range");
    private static final CommandException DECREMENT_OVERFLOW = new CommandException("ERR decrement would overflow");

    /** Marks a GET of a key holding another type (WRONGTYPE), without allocating. */
    private static final byte[] WRONG_TYPE = new byte[0];
    /** GET's operation: the visible bytes, null, or {@link #WRONG_TYPE}; non-capturing (no allocation). */
    private static final KeyOperation<byte[]> GET = a -> {
        KeyState s = a.live();
        if (s == null) {
            return null;
        }
        byte[] b = s.stringBytes();
        return b != null ? b : WRONG_TYPE;
    };

    private static final byte[] EMPTY = new byte[0];

    private final StorageEngine engine;

    private StringCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers the family. */
    public static void register(NodeServices services, StorageEngine engine) {
        StringCommands c = new StringCommands(engine);
        var t = services.commands();
        t.register(spec("get", 2, c::get, "Returns the string value of a key.", "1.0.0", 1, 1, 1, READONLY, FAST)
                .keySpecFlags("RO", "access").build());
        t.register(spec("set", -3, c::set, "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
                "1.0.0", 1, 1, 1, WRITE, DENYOOM)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "update", "variable_flags")
                        .withNotes("RW and ACCESS due to the optional `GET` argument"))
                .build());
        t.register(spec("setnx", 3, c::setnx, "Set the string value of a key only when the key doesn't exist.", "1.0.0",
                1, 1, 1, WRITE, DENYOOM, FAST).keySpecFlags("OW", "insert").build());
        t.register(spec("setex", 4, c::setex, "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
                "2.0.0", 1, 1, 1, WRITE, DENYOOM).keySpecFlags("OW", "update").build());
        t.register(spec("psetex", 4, c::psetex, "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
                "2.6.0", 1, 1, 1, WRITE, DENYOOM).keySpecFlags("OW", "update").build());
        t.register(spec("getset", 3, c::getset, "Returns the previous string value of a key after setting it to a new value.",
                "1.0.0", 1, 1, 1, WRITE, DENYOOM, FAST).keySpecFlags("RW", "access", "update").build());
        t.register(spec("getdel", 2, c::getdel, "Returns the string value of a key after deleting the key.", "6.2.0",
                1, 1, 1, WRITE, FAST).keySpecFlags("RW", "access", "delete").build());
        t.register(spec("getex", -2, c::getex, "Returns the string value of a key after setting its expiration time.", "6.2.0",
                1, 1, 1, WRITE, FAST)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "update")
                        .withNotes("RW and UPDATE because it changes the TTL"))
                .build());
        t.register(spec("mget", -2, c::mget, "Atomically returns the string values of one or more keys.", "1.0.0",
                1, -1, 1, READONLY, FAST).keySpecFlags("RO", "access").tips("request_policy:multi_shard").build());
        t.register(spec("mset", -3, c::mset, "Atomically creates or modifies the string values of one or more keys.", "1.0.1",
                1, -1, 2, WRITE, DENYOOM).keySpecFlags("OW", "update")
                .tips("request_policy:multi_shard", "response_policy:all_succeeded").build());
        t.register(spec("msetnx", -3, c::msetnx, "Atomically modifies the string values of one or more keys only when all keys don't exist.",
                "1.0.1", 1, -1, 2, WRITE, DENYOOM).keySpecFlags("OW", "insert")
                .tips("request_policy:multi_shard", "response_policy:agg_min").build());
        t.register(spec("append", 3, c::append, "Appends a string to the value of a key. Creates the key if it doesn't exist.",
                "2.0.0", 1, 1, 1, WRITE, DENYOOM, FAST).keySpecFlags("RW", "insert").build());
        t.register(spec("strlen", 2, c::strlen, "Returns the length of a string value.", "2.2.0", 1, 1, 1, READONLY, FAST)
                .keySpecFlags("RO").build());
        t.register(spec("getrange", 4, c::getrange, "Returns a substring of the string stored at a key.", "2.4.0",
                1, 1, 1, READONLY).keySpecFlags("RO", "access").build());
        t.register(spec("setrange", 4, c::setrange, "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
                "2.2.0", 1, 1, 1, WRITE, DENYOOM).keySpecFlags("RW", "update").build());
        t.register(spec("incr", 2, c::incr, "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
                "1.0.0", 1, 1, 1, WRITE, DENYOOM, FAST).keySpecFlags("RW", "access", "update").build());
        t.register(spec("decr", 2, c::decr, "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
                "1.0.0", 1, 1, 1, WRITE, DENYOOM, FAST).keySpecFlags("RW", "access", "update").build());
        t.register(spec("incrby", 3, c::incrby, "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
                "1.0.0", 1, 1, 1, WRITE, DENYOOM, FAST).keySpecFlags("RW", "access", "update").build());
        t.register(spec("decrby", 3, c::decrby, "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
                "1.0.0", 1, 1, 1, WRITE, DENYOOM, FAST).keySpecFlags("RW", "access", "update").build());
        t.register(spec("incrbyfloat", 3, c::incrbyfloat, "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
                "2.6.0", 1, 1, 1, WRITE, DENYOOM, FAST).keySpecFlags("RW", "access", "update").build());
    }

    private static CommandSpec.Builder spec(String name, int arity, CommandHandler handler, String summary, String since,
                                            int first, int last, int step, CommandFlag... flags) {
        return CommandSpec.builder(name).arity(arity).flags(flags).keys(first, last, step).acl(AclCategory.STRING)
                .group("string").since(since).summary(summary).handler(handler);
    }

    // ------------------------------------------------------------------ reads

    private void get(CommandContext ctx) {
        byte[] v = engine.withKey(ctx.arg(1), GET);
        if (v == null) {
            ctx.reply().nullBulk();
        } else if (v == WRONG_TYPE) {
            throw Errors.WRONGTYPE_ERROR;
        } else {
            ctx.reply().bulk(v);
        }
    }

    private void mget(CommandContext ctx) {
        byte[][] keys = keysFrom(ctx, 1, 1);
        byte[][] values = engine.withKeys(keys, access -> {
            byte[][] out = new byte[access.length][];
            for (int i = 0; i < access.length; i++) {
                KeyState s = access[i].live();
                out[i] = s == null ? null : s.stringBytes(); // other types read as nil
            }
            return out;
        });
        ctx.reply().bulkArray(values);
    }

    private void strlen(CommandContext ctx) {
        byte[] v = engine.withKey(ctx.arg(1), GET);
        if (v == WRONG_TYPE) {
            throw Errors.WRONGTYPE_ERROR;
        }
        ctx.reply().integer(v == null ? 0 : v.length);
    }

    private void getrange(CommandContext ctx) {
        long start = ctx.argLong(2);
        long end = ctx.argLong(3);
        byte[] v = engine.withKey(ctx.arg(1), GET);
        if (v == WRONG_TYPE) {
            throw Errors.WRONGTYPE_ERROR;
        }
        ReplyWriter r = ctx.reply();
        if (v == null) {
            r.bulk(EMPTY);
            return;
        }
        long len = v.length;
        if (start < 0 && end < 0 && start > end) {
            r.bulk(EMPTY);
            return;
        }
        if (start < 0) {
            start = len + start;
        }
        if (end < 0) {
            end = len + end;
        }
        if (start < 0) {
            start = 0;
        }
        if (end < 0) {
            end = 0;
        }
        if (end >= len) {
            end = len - 1;
        }
        if (start > end || len == 0) {
            r.bulk(EMPTY);
        } else {
            r.bulk(v, (int) start, (int) (end - start + 1));
        }
    }

    // ------------------------------------------------------------------ SET family

    private static final int NX = 1;
    private static final int XX = 1 << 1;
    private static final int GET_FLAG = 1 << 2;
    private static final int KEEPTTL = 1 << 3;
    private static final int PERSIST = 1 << 4;
    private static final int EX = 1 << 5;
    private static final int PX = 1 << 6;
    private static final int EXAT = 1 << 7;
    private static final int PXAT = 1 << 8;
    private static final int ANY_EXPIRE = EX | PX | EXAT | PXAT;

    /** Parsed SET/GETEX options: flag bits, the expire argument (or null) and its unit. */
    private record SetOptions(int flags, byte[] expire, ExpireUnit unit) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    /**
     * Parses SET (or GETEX when {@code getex}) options from argument {@code from} exactly as
     * Redis's {@code parseExtendedStringArgumentsOrReply}: each option is accepted only if it is
     * compatible with those seen so far, otherwise (or if unknown) {@code ERR syntax error}.
     */
    private static SetOptions parseSetOptions(CommandContext ctx, int from, boolean getex) {
        int flags = 0;
        byte[] expire = null;
        ExpireUnit unit = null;
        int argc = ctx.argc();
        for (int j = from; j < argc; j++) {
            boolean hasNext = j < argc - 1;
            if (!getex && ctx.argIs(j, "nx") && (flags & XX) == 0) {
                flags |= NX;
            } else if (!getex && ctx.argIs(j, "xx") && (flags & NX) == 0) {
                flags |= XX;
            } else if (!getex && ctx.argIs(j, "get")) {
                flags |= GET_FLAG;
            } else if (!getex && ctx.argIs(j, "keepttl") && (flags & (PERSIST | ANY_EXPIRE)) == 0) {
                flags |= KEEPTTL;
            } else if (getex && ctx.argIs(j, "persist") && (flags & (ANY_EXPIRE | KEEPTTL)) == 0) {
                flags |= PERSIST;
            } else if (ctx.argIs(j, "ex") && (flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT)) == 0 && hasNext) {
                flags |= EX;
                unit = ExpireUnit.EX;
                expire = ctx.arg(++j);
            } else if (ctx.argIs(j, "px") && (flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT)) == 0 && hasNext) {
                flags |= PX;
                unit = ExpireUnit.PX;
                expire = ctx.arg(++j);
            } else if (ctx.argIs(j, "exat") && (flags & (KEEPTTL | PERSIST | EX | PX | PXAT)) == 0 && hasNext) {
                flags |= EXAT;
                unit = ExpireUnit.EXAT;
                expire = ctx.arg(++j);
            } else if (ctx.argIs(j, "pxat") && (flags & (KEEPTTL | PERSIST | EX | EXAT | PX)) == 0 && hasNext) {
                flags |= PXAT;
                unit = ExpireUnit.PXAT;
                expire = ctx.arg(++j);
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        return new SetOptions(flags, expire, unit);
    }

    private void set(CommandContext ctx) {
        SetOptions o = ctx.argc() == 3 ? PLAIN_SET : parseSetOptions(ctx, 3, false);
        setGeneric(ctx, o, ctx.arg(1), ctx.arg(2), false);
    }

    private static final SetOptions PLAIN_SET = new SetOptions(0, null, null);

    /**
     * Redis's {@code setGenericCommand}: validate the expire time, answer GET's old value, honour
     * NX/XX, write. {@code integerReply}: SETNX's 1/0 instead of OK/nil.
     */
    private void setGeneric(CommandContext ctx, SetOptions o, byte[] key, byte[] value, boolean integerReply) {
        engine.withKey(key, a -> {
            long at = 0;
            if (o.expire() != null) {
                at = DataArgs.expireAtMillis(ctx, o.expire(), o.unit(), a.nowMs());
            } else if (o.has(KEEPTTL)) {
                at = KeyState.KEEP_TTL;
            }
            KeyState live = a.live();
            ReplyWriter r = ctx.reply();
            if (o.has(GET_FLAG)) {
                replyStringOrNil(r, live);
            }
            boolean found = live != null;
            if ((o.has(NX) && found) || (o.has(XX) && !found)) {
                if (integerReply) {
                    r.integer(0);
                } else if (!o.has(GET_FLAG)) {
                    r.nullBulk();
                }
                return null;
            }
            KeyState st = a.forWrite();
            a.written(st.setString(value, at, a.stamp(), a.node()));
            ctx.notify(NotifyFlags.STRING, "set", key);
            if (o.expire() != null) {
                ctx.notify(NotifyFlags.GENERIC, "expire", key);
            }
            if (integerReply) {
                r.integer(1);
            } else if (!o.has(GET_FLAG)) {
                r.ok();
            }
            return null;
        });
    }

    /** Writes a string state's value, nil for a missing key, or throws WRONGTYPE. */
    private static void replyStringOrNil(ReplyWriter r, KeyState live) {
        if (live == null) {
            r.nullBulk();
            return;
        }
        byte[] b = live.stringBytes();
        if (b == null) {
            throw Errors.WRONGTYPE_ERROR;
        }
        r.bulk(b);
    }

    private void setnx(CommandContext ctx) {
        setGeneric(ctx, new SetOptions(NX, null, null), ctx.arg(1), ctx.arg(2), true);
    }

    private void setex(CommandContext ctx) {
        setGeneric(ctx, new SetOptions(EX, ctx.arg(2), ExpireUnit.EX), ctx.arg(1), ctx.arg(3), false);
    }

    private void psetex(CommandContext ctx) {
        setGeneric(ctx, new SetOptions(PX, ctx.arg(2), ExpireUnit.PX), ctx.arg(1), ctx.arg(3), false);
    }

    private void getset(CommandContext ctx) {
        setGeneric(ctx, new SetOptions(GET_FLAG, null, null), ctx.arg(1), ctx.arg(2), false);
    }

    private void getdel(CommandContext ctx) {
        engine.withKey(ctx.arg(1), a -> {
            KeyState live = a.live();
            replyStringOrNil(ctx.reply(), live);
            if (live != null) {
                a.written(a.forWrite().delete(a.stamp(), a.node()));
                ctx.notify(NotifyFlags.GENERIC, "del", ctx.arg(1));
            }
            return null;
        });
    }

    private void getex(CommandContext ctx) {
        SetOptions o = parseSetOptions(ctx, 2, true);
        engine.withKey(ctx.arg(1), a -> {
            KeyState live = a.live();
            if (live == null) {
                ctx.reply().nullBulk();
                return null;
            }
            byte[] value = live.stringBytes();
            if (value == null) {
                throw Errors.WRONGTYPE_ERROR;
            }
            long at = o.expire() == null ? 0 : DataArgs.expireAtMillis(ctx, o.expire(), o.unit(), a.nowMs());
            ctx.reply().bulk(value);
            KeyState st = a.forWrite();
            if (o.has(EXAT | PXAT) && at <= a.nowMs()) {
                a.written(st.delete(a.stamp(), a.node()));
                ctx.notify(NotifyFlags.GENERIC, "del", ctx.arg(1));
            } else if (o.expire() != null) {
                a.written(st.expire(at, a.stamp(), a.node()));
                ctx.notify(NotifyFlags.GENERIC, "expire", ctx.arg(1));
            } else if (o.has(PERSIST)) {
                KeyState persisted = st.persist(a.stamp(), a.node());
                a.written(persisted);
                if (persisted != null) {
                    ctx.notify(NotifyFlags.GENERIC, "persist", ctx.arg(1));
                }
            }
            return null;
        });
    }

    private void mset(CommandContext ctx) {
        if (ctx.argc() % 2 == 0) {
            throw new CommandException(Errors.wrongArity(ctx.command().fullName()));
        }
        byte[][] keys = keysFrom(ctx, 1, 2);
        engine.withKeys(keys, access -> {
            for (int i = 0; i < access.length; i++) {
                KeyAccess a = access[i];
                a.written(a.forWrite().setString(ctx.arg(2 + 2 * i), 0, a.stamp(), a.node()));
                ctx.notify(NotifyFlags.STRING, "set", keys[i]);
            }
            return null;
        });
        ctx.reply().ok();
    }

    private void msetnx(CommandContext ctx) {
        if (ctx.argc() % 2 == 0) {
            throw new CommandException(Errors.wrongArity(ctx.command().fullName()));
        }
        byte[][] keys = keysFrom(ctx, 1, 2);
        boolean set = engine.withKeys(keys, access -> {
            for (KeyAccess a : access) {
                if (a.live() != null) {
                    return false;
                }
            }
            for (int i = 0; i < access.length; i++) {
                KeyAccess a = access[i];
                a.written(a.forWrite().setString(ctx.arg(2 + 2 * i), 0, a.stamp(), a.node()));
                ctx.notify(NotifyFlags.STRING, "set", keys[i]);
            }
            return true;
        });
        ctx.reply().integer(set ? 1 : 0);
    }

    private void append(CommandContext ctx) {
        byte[] suffix = ctx.arg(2);
        engine.withKey(ctx.arg(1), a -> {
            KeyState live = a.live();
            byte[] next;
            if (live == null) {
                next = suffix;
            } else {
                byte[] current = live.stringBytes();
                if (current == null) {
                    throw Errors.WRONGTYPE_ERROR;
                }
                DataArgs.checkStringLength(ctx, current.length, suffix.length);
                next = new byte[current.length + suffix.length];
                System.arraycopy(current, 0, next, 0, current.length);
                System.arraycopy(suffix, 0, next, current.length, suffix.length);
            }
            a.written(a.forWrite().setString(next, KeyState.KEEP_TTL, a.stamp(), a.node()));
            ctx.notify(NotifyFlags.STRING, "append", ctx.arg(1));
            ctx.reply().integer(next.length);
            return null;
        });
    }

    private void setrange(CommandContext ctx) {
        long offset = ctx.argLong(2);
        if (offset < 0) {
            throw OFFSET_OUT_OF_RANGE;
        }
        byte[] patch = ctx.arg(3);
        engine.withKey(ctx.arg(1), a -> {
            KeyState live = a.live();
            byte[] current;
            if (live == null) {
                if (patch.length == 0) {
                    ctx.reply().integer(0);
                    return null;
                }
                DataArgs.checkStringLength(ctx, offset, patch.length);
                current = new byte[0];
            } else {
                current = live.stringBytes();
                if (current == null) {
                    throw Errors.WRONGTYPE_ERROR;
                }
                if (patch.length == 0) {
                    ctx.reply().integer(current.length);
                    return null;
                }
                DataArgs.checkStringLength(ctx, offset, patch.length);
            }
            int end = (int) offset + patch.length;
            byte[] next = new byte[Math.max(current.length, end)];
            System.arraycopy(current, 0, next, 0, current.length);
            System.arraycopy(patch, 0, next, (int) offset, patch.length);
            a.written(a.forWrite().setString(next, KeyState.KEEP_TTL, a.stamp(), a.node()));
            ctx.notify(NotifyFlags.STRING, "setrange", ctx.arg(1));
            ctx.reply().integer(next.length);
            return null;
        });
    }

    // ------------------------------------------------------------------ counters

    private void incr(CommandContext ctx) {
        incrBy(ctx, 1);
    }

    private void decr(CommandContext ctx) {
        incrBy(ctx, -1);
    }

    private void incrby(CommandContext ctx) {
        incrBy(ctx, ctx.argLong(2));
    }

    private void decrby(CommandContext ctx) {
        long by = ctx.argLong(2);
        if (by == Long.MIN_VALUE) {
            throw DECREMENT_OVERFLOW;
        }
        incrBy(ctx, -by);
    }

    private void incrBy(CommandContext ctx, long by) {
        engine.withKey(ctx.arg(1), a -> {
            if (isHll(a.live())) {
                throw DataArgs.counterError(CounterException.NOT_AN_INTEGER); // Redis reads "HYLL..."
            }
            DataArgs.checkType(a.live(), ValueType.STRING);
            KeyState st = a.forWrite();
            KeyState delta;
            try {
                delta = st.incrBy(by, a.stamp(), a.node());
            } catch (CounterException e) {
                throw DataArgs.counterError(e);
            }
            a.written(delta);
            ctx.notify(NotifyFlags.STRING, "incrby", ctx.arg(1));
            ctx.reply().integer(st.string().longValue());
            return null;
        });
    }

    private void incrbyfloat(CommandContext ctx) {
        byte[] increment = ctx.arg(2);
        engine.withKey(ctx.arg(1), a -> {
            KeyState live = a.live();
            if (isHll(live)) {
                throw DataArgs.counterError(CounterException.NOT_A_FLOAT); // Redis reads "HYLL..."
            }
            DataArgs.checkType(live, ValueType.STRING);
            try {
                // Redis checks the current value before the increment.
                if (live != null) {
                    io.converge.crdt.RedisNumbers.parseFloat(live.stringBytes());
                }
                io.converge.crdt.RedisNumbers.parseFloat(increment);
            } catch (CounterException e) {
                throw DataArgs.counterError(e);
            }
            KeyState st = a.forWrite();
            KeyState delta;
            try {
                delta = st.incrByFloat(increment, a.stamp(), a.node());
            } catch (CounterException e) {
                throw DataArgs.counterError(e);
            }
            a.written(delta);
            ctx.notify(NotifyFlags.STRING, "incrbyfloat", ctx.arg(1));
            ctx.reply().bulk(st.stringBytes());
            return null;
        });
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Whether the key holds a HyperLogLog: a string in Redis, so GET, STRLEN, GETRANGE, APPEND
     * and SETRANGE see its dense encoding (the last two then write it as a plain string), and
     * INCR* fail as on any string that is not a number.
     */
    private static boolean isHll(KeyState live) {
        return live != null && live.type() == ValueType.HLL;
    }

    /** The key arguments from {@code first} to the end, every {@code step}. */
    static byte[][] keysFrom(CommandContext ctx, int first, int step) {
        int n = (ctx.argc() - first + step - 1) / step;
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = ctx.arg(first + i * step);
        }
        return keys;
    }
}
