package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandHandler;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import io.converge.server.command.Errors;
import io.converge.server.command.KeySpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import io.converge.server.util.Glob;
import java.util.ArrayList;
import java.util.List;

/**
 * Generic key commands: DEL, UNLINK, EXISTS, TYPE, TOUCH, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT,
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX — with
 * Redis 7.0's options, replies and errors.
 *
 * <p>CRDT meaning: DEL/UNLINK are key-level deletes (they remove what this replica observed;
 * concurrent writes elsewhere that it did not observe survive); EXPIRE* and PERSIST write the
 * key's LWW expiry register; an expire time already past deletes the key at once, as Redis does.
 * RENAME is "delete the source, write a copy of its visible value and TTL at the destination"
 * as new writes: atomic on this node (both keys locked together) but not across replicas — a
 * replica may briefly see the source gone before the copy arrives, or both, and a concurrent
 * write to the source on another replica survives at the source.
 */
public final class KeyCommands {
    private static final CommandException NO_SUCH_KEY = new CommandException(Errors.NO_SUCH_KEY);
    private static final CommandException NX_INCOMPATIBLE =
            new CommandException("ERR NX and XX, GT or LT options at the same time are not compatible");
    private static final CommandException GT_LT_INCOMPATIBLE =
            new CommandException("ERR GT and LT options at the same time are not compatible");

    private final StorageEngine engine;

    private KeyCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers the family. */
    public static void register(NodeServices services, StorageEngine engine) {
        KeyCommands c = new KeyCommands(engine);
        CommandTable t = services.commands();
        t.register(spec("del", -2, c::del, "Deletes one or more keys.", "1.0.0", 1, -1, 1, WRITE)
                .keySpecFlags("RM", "delete").tips("request_policy:multi_shard", "response_policy:agg_sum").build());
        t.register(spec("unlink", -2, c::del, "Asynchronously deletes one or more keys.", "4.0.0", 1, -1, 1, WRITE, FAST)
                .keySpecFlags("RM", "delete").tips("request_policy:multi_shard", "response_policy:agg_sum").build());
        t.register(spec("exists", -2, c::exists, "Determines whether one or more keys exist.", "1.0.0", 1, -1, 1, READONLY, FAST)
                .keySpecFlags("RO").tips("request_policy:multi_shard", "response_policy:agg_sum").build());
        t.register(spec("type", 2, c::type, "Determines the type of value stored at a key.", "1.0.0", 1, 1, 1, READONLY, FAST)
                .keySpecFlags("RO").build());
        t.register(spec("touch", -2, c::exists, "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
                "3.2.1", 1, -1, 1, READONLY, FAST).keySpecFlags("RO")
                .tips("request_policy:multi_shard", "response_policy:agg_sum").build());
        t.register(spec("expire", -3, ctx -> c.expire(ctx, true, true), "Sets the expiration time of a key in seconds.",
                "1.0.0", 1, 1, 1, WRITE, FAST).keySpecFlags("RW", "update").build());
        t.register(spec("pexpire", -3, ctx -> c.expire(ctx, true, false), "Sets the expiration time of a key in milliseconds.",
                "2.6.0", 1, 1, 1, WRITE, FAST).keySpecFlags("RW", "update").build());
        t.register(spec("expireat", -3, ctx -> c.expire(ctx, false, true), "Sets the expiration time of a key to a Unix timestamp.",
                "1.2.0", 1, 1, 1, WRITE, FAST).keySpecFlags("RW", "update").build());
        t.register(spec("pexpireat", -3, ctx -> c.expire(ctx, false, false), "Sets the expiration time of a key to a Unix milliseconds timestamp.",
                "2.6.0", 1, 1, 1, WRITE, FAST).keySpecFlags("RW", "update").build());
        t.register(spec("ttl", 2, ctx -> c.ttl(ctx, false, false), "Returns the expiration time in seconds of a key.",
                "1.0.0", 1, 1, 1, READONLY, FAST).keySpecFlags("RO", "access").tips("nondeterministic_output").build());
        t.register(spec("pttl", 2, ctx -> c.ttl(ctx, true, false), "Returns the expiration time in milliseconds of a key.",
                "2.6.0", 1, 1, 1, READONLY, FAST).keySpecFlags("RO", "access").tips("nondeterministic_output").build());
        t.register(spec("expiretime", 2, ctx -> c.ttl(ctx, false, true), "Returns the expiration time of a key as a Unix timestamp.",
                "7.0.0", 1, 1, 1, READONLY, FAST).keySpecFlags("RO", "access").build());
        t.register(spec("pexpiretime", 2, ctx -> c.ttl(ctx, true, true), "Returns the expiration time of a key as a Unix milliseconds timestamp.",
                "7.0.0", 1, 1, 1, READONLY, FAST).keySpecFlags("RO", "access").build());
        t.register(spec("persist", 2, c::persist, "Removes the expiration time of a key.", "2.2.0", 1, 1, 1, WRITE, FAST)
                .keySpecFlags("RW", "update").build());
        t.register(spec("keys", 2, c::keys, "Returns all key names that match a pattern.", "1.0.0", 0, 0, 0, READONLY)
                .acl(AclCategory.DANGEROUS).tips("request_policy:all_shards", "nondeterministic_output_order").build());
        t.register(spec("scan", -2, c::scan, "Iterates over the key names in the database.", "2.8.0", 0, 0, 0, READONLY)
                .tips("nondeterministic_output", "request_policy:special").build());
        t.register(spec("randomkey", 1, c::randomkey, "Returns a random key name from the database.", "1.0.0", 0, 0, 0, READONLY)
                .tips("request_policy:all_shards", "nondeterministic_output").build());
        t.register(spec("rename", 3, ctx -> c.rename(ctx, false), "Renames a key and overwrites the destination.",
                "1.0.0", 1, 2, 1, WRITE)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "delete"), KeySpec.range(2, 0, 1, "OW", "update"))
                .build());
        t.register(spec("renamenx", 3, ctx -> c.rename(ctx, true), "Renames a key only when the target key name doesn't exist.",
                "1.0.0", 1, 2, 1, WRITE, FAST)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "delete"), KeySpec.range(2, 0, 1, "OW", "insert"))
                .build());
        t.register(spec("copy", -3, c::copy, "Copies the value of a key to a new key.", "6.2.0", 1, 2, 1, WRITE, DENYOOM)
                .keySpecs(KeySpec.range(1, 0, 1, "RO", "access"), KeySpec.range(2, 0, 1, "OW", "update"))
                .build());
    }

    private static CommandSpec.Builder spec(String name, int arity, CommandHandler handler, String summary, String since,
                                            int first, int last, int step, CommandFlag... flags) {
        return CommandSpec.builder(name).arity(arity).flags(flags).keys(first, last, step).acl(AclCategory.KEYSPACE)
                .group("generic").since(since).summary(summary).handler(handler);
    }

    // ------------------------------------------------------------------ existence

    /** DEL and UNLINK (UNLINK frees nothing asynchronously here: a delete is a small delta). */
    private void del(CommandContext ctx) {
        if (ctx.argc() == 2) {
            engine.withKey(ctx.arg(1), a -> {
                ctx.reply().integer(deleteIfLive(ctx, a) ? 1 : 0);
                return null;
            });
            return;
        }
        engine.withKeys(StringCommands.keysFrom(ctx, 1, 1), access -> {
            int deleted = 0;
            for (KeyAccess a : access) {
                if (deleteIfLive(ctx, a)) {
                    deleted++;
                }
            }
            ctx.reply().integer(deleted);
            return null;
        });
    }

    private static boolean deleteIfLive(CommandContext ctx, KeyAccess a) {
        if (a.live() == null) {
            return false;
        }
        a.written(a.forWrite().delete(a.stamp(), a.node()));
        ctx.notify(NotifyFlags.GENERIC, "del", a.key());
        return true;
    }

    /** EXISTS and TOUCH: the number of existing keys, a key named twice counting twice. */
    private void exists(CommandContext ctx) {
        if (ctx.argc() == 2) {
            engine.withKey(ctx.arg(1), a -> {
                ctx.reply().integer(a.live() != null ? 1 : 0);
                return null;
            });
            return;
        }
        engine.withKeys(StringCommands.keysFrom(ctx, 1, 1), access -> {
            int n = 0;
            for (KeyAccess a : access) {
                if (a.live() != null) {
                    n++;
                }
            }
            ctx.reply().integer(n);
            return null;
        });
    }

    private void type(CommandContext ctx) {
        engine.withKey(ctx.arg(1), a -> {
            KeyState s = a.live();
            ctx.reply().simple(s == null ? "none" : s.type().redisName());
            return null;
        });
    }

    // ------------------------------------------------------------------ expiry

    private static final int EXPIRE_NX = 1;
    private static final int EXPIRE_XX = 2;
    private static final int EXPIRE_GT = 4;
    private static final int EXPIRE_LT = 8;

    /** Parses NX/XX/GT/LT as Redis's {@code parseExtendedExpireArgumentsOrReply}. */
    private static int parseExpireFlags(CommandContext ctx) {
        int flags = 0;
        for (int j = 3; j < ctx.argc(); j++) {
            if (ctx.argIs(j, "nx")) {
                flags |= EXPIRE_NX;
            } else if (ctx.argIs(j, "xx")) {
                flags |= EXPIRE_XX;
            } else if (ctx.argIs(j, "gt")) {
                flags |= EXPIRE_GT;
            } else if (ctx.argIs(j, "lt")) {
                flags |= EXPIRE_LT;
            } else {
                throw new CommandException("ERR Unsupported option " + cString(ctx.arg(j)));
            }
        }
        if ((flags & EXPIRE_NX) != 0 && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) != 0) {
            throw NX_INCOMPATIBLE;
        }
        if ((flags & EXPIRE_GT) != 0 && (flags & EXPIRE_LT) != 0) {
            throw GT_LT_INCOMPATIBLE;
        }
        return flags;
    }

    /** The argument as C's %s prints it (up to the first NUL). */
    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8).replace('\r', ' ').replace('\n', ' ');
    }

    /**
     * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: Redis's {@code expireGenericCommand}. A time already
     * past deletes the key (reply 1).
     */
    private void expire(CommandContext ctx, boolean relative, boolean seconds) {
        int flags = parseExpireFlags(ctx);
        long when0 = ctx.argLong(2);
        engine.withKey(ctx.arg(1), a -> {
            long when = when0;
            long now = a.nowMs();
            long basetime = relative ? now : 0;
            if (seconds) {
                if (when > Long.MAX_VALUE / 1000 || when < Long.MIN_VALUE / 1000) {
                    throw DataArgs.invalidExpireTime(ctx);
                }
                when *= 1000;
            }
            if (when > Long.MAX_VALUE - basetime) {
                throw DataArgs.invalidExpireTime(ctx);
            }
            when += basetime;
            KeyState live = a.live();
            ReplyWriter r = ctx.reply();
            if (live == null) {
                r.integer(0);
                return null;
            }
            if (flags != 0) {
                long at = live.expireAtMs();
                long current = at == 0 ? -1 : at;
                if ((flags & EXPIRE_NX) != 0 && current != -1
                        || (flags & EXPIRE_XX) != 0 && current == -1
                        || (flags & EXPIRE_GT) != 0 && (when <= current || current == -1)
                        || (flags & EXPIRE_LT) != 0 && current != -1 && when >= current) {
                    r.integer(0);
                    return null;
                }
            }
            KeyState st = a.forWrite();
            if (when <= now) {
                a.written(st.delete(a.stamp(), a.node()));
                ctx.notify(NotifyFlags.GENERIC, "del", ctx.arg(1));
            } else {
                a.written(st.expire(when, a.stamp(), a.node()));
                ctx.notify(NotifyFlags.GENERIC, "expire", ctx.arg(1));
            }
            r.integer(1);
            return null;
        });
    }

    /** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without TTL. */
    private void ttl(CommandContext ctx, boolean millis, boolean absolute) {
        engine.withKey(ctx.arg(1), a -> {
            KeyState live = a.live();
            ReplyWriter r = ctx.reply();
            if (live == null) {
                r.integer(-2);
                return null;
            }
            long at = live.expireAtMs();
            if (at == 0) {
                r.integer(-1);
                return null;
            }
            long t = absolute ? at : Math.max(0, at - a.nowMs());
            r.integer(millis ? t : (t + 500) / 1000);
            return null;
        });
    }

    private void persist(CommandContext ctx) {
        engine.withKey(ctx.arg(1), a -> {
            KeyState live = a.live();
            KeyState delta = live == null ? null : a.forWrite().persist(a.stamp(), a.node());
            a.written(delta);
            if (delta != null) {
                ctx.notify(NotifyFlags.GENERIC, "persist", ctx.arg(1));
            }
            ctx.reply().integer(delta != null ? 1 : 0);
            return null;
        });
    }

    // ------------------------------------------------------------------ iteration

    private void keys(CommandContext ctx) {
        byte[] pattern = ctx.arg(1);
        boolean all = pattern.length == 1 && pattern[0] == '*';
        List<byte[]> found = new ArrayList<>();
        long cursor = 0;
        do {
            cursor = engine.scan(cursor, 1024, (key, state) -> {
                if (all || Glob.matches(pattern, key, false)) {
                    found.add(key);
                }
            });
        } while (cursor != 0);
        ReplyWriter r = ctx.reply();
        r.arrayHeader(found.size());
        for (byte[] k : found) {
            r.bulk(k);
        }
    }

    private void scan(CommandContext ctx) {
        long cursor = DataArgs.parseCursor(ctx.arg(1));
        DataArgs.ScanOptions o = DataArgs.parseScanOptions(ctx, 2, true);
        List<byte[]> found = new ArrayList<>();
        long next = engine.scan(cursor, o.count(), (key, state) -> {
            if (o.matches(key) && o.typeMatches(state.type())) {
                found.add(key);
            }
        });
        ReplyWriter r = ctx.reply();
        r.arrayHeader(2);
        DataArgs.replyCursor(ctx, next);
        r.arrayHeader(found.size());
        for (byte[] k : found) {
            r.bulk(k);
        }
    }

    private void randomkey(CommandContext ctx) {
        byte[] key = engine.randomKey();
        if (key == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(key);
        }
    }

    // ------------------------------------------------------------------ rename

    /**
     * COPY source destination [DB db] [REPLACE], as Redis's {@code copyCommand}; only database 0
     * exists (as for SELECT). The destination is written as its own new value (fresh stamps), so
     * later writes to either key are independent.
     */
    private void copy(CommandContext ctx) {
        boolean replace = false;
        for (int j = 3; j < ctx.argc(); j++) {
            if (ctx.argIs(j, "replace")) {
                replace = true;
            } else if (ctx.argIs(j, "db") && j + 1 < ctx.argc()) {
                long db = ctx.argLong(++j);
                if (db != 0) {
                    throw new CommandException("ERR DB index is out of range");
                }
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        byte[][] keys = {ctx.arg(1), ctx.arg(2)};
        boolean overwrite = replace;
        boolean copied = engine.withKeys(keys, access -> {
            KeyAccess src = access[0];
            KeyAccess dst = access[1];
            if (src == dst) {
                throw new CommandException("ERR source and destination objects are the same");
            }
            KeyState value = src.live();
            if (value == null) {
                return false;
            }
            if (dst.live() != null) {
                if (!overwrite) {
                    return false;
                }
                dst.written(dst.forWrite().delete(dst.stamp(), dst.node()));
            }
            ValueCopy.copyInto(value, dst);
            ctx.notify(NotifyFlags.GENERIC, "copy_to", keys[1]);
            return true;
        });
        ctx.reply().integer(copied ? 1 : 0);
    }

    /** RENAME and RENAMENX, as Redis's {@code renameGenericCommand}. */
    private void rename(CommandContext ctx, boolean nx) {
        byte[][] keys = {ctx.arg(1), ctx.arg(2)};
        engine.withKeys(keys, access -> {
            KeyAccess src = access[0];
            KeyAccess dst = access[1];
            KeyState value = src.live();
            ReplyWriter r = ctx.reply();
            if (value == null) {
                throw NO_SUCH_KEY;
            }
            if (src == dst) {
                if (nx) {
                    r.integer(0);
                } else {
                    r.ok();
                }
                return null;
            }
            if (dst.live() != null) {
                if (nx) {
                    r.integer(0);
                    return null;
                }
                dst.written(dst.forWrite().delete(dst.stamp(), dst.node()));
            }
            ValueCopy.copyInto(value, dst);
            src.written(src.forWrite().delete(src.stamp(), src.node()));
            ctx.notify(NotifyFlags.GENERIC, "rename_from", keys[0]);
            ctx.notify(NotifyFlags.GENERIC, "rename_to", keys[1]);
            if (nx) {
                r.integer(1);
            } else {
                r.ok();
            }
            return null;
        });
    }
}
