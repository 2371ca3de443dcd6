package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.BLOCKING;
import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.ON_PRIMARY;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.crdt.ListValue;
import io.converge.crdt.ValueType;
import io.converge.server.command.AclCategory;
import io.converge.server.command.BlockingArgs;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandHandler;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.KeyFinder;
import io.converge.server.command.KeySpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * List commands (LPUSH, RPUSH, LPOP, LRANGE, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, LMPOP ...)
 * on {@link ListValue}, a sequence CRDT (docs/semantics.md, "Lists").
 *
 * <p>Indices are resolved against the list as this replica holds it; what replicates is the
 * positions they resolved to. Every list command carries the {@link CommandFlag#ON_PRIMARY}
 * flag: the cluster runs it on the key's first live replica, so that a queue hands out each
 * element once, and a client reads its own pushes whatever node it is connected to. A list whose last element goes stops existing,
 * TTL included, as in Redis. Replies, errors and the order of their checks are Redis 7.0's.
 */
public final class ListCommands {

    private static final CommandException POP_COUNT_ERROR =
            new CommandException("ERR value is out of range, must be positive");
    private static final CommandException NO_SUCH_KEY = new CommandException(Errors.NO_SUCH_KEY);
    private static final CommandException INDEX_OUT_OF_RANGE = new CommandException("ERR index out of range");
    private static final CommandException RANK_ZERO = new CommandException("ERR RANK can't be zero: use 1 to start "
            + "from the first match, 2 from the second ... or use negative to start from the end of the list");
    private static final CommandException COUNT_NEGATIVE = new CommandException("ERR COUNT can't be negative");
    private static final CommandException MAXLEN_NEGATIVE = new CommandException("ERR MAXLEN can't be negative");

    private final StorageEngine engine;

    private ListCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers the list commands in the node's command table, served by {@code engine}. */
    public static void register(NodeServices services, StorageEngine engine) {
        ListCommands l = new ListCommands(engine);
        add(services, "lpush", -3, 1, 1, l::lpush, "RW insert", "1.0.0",
                "O(1) for each element added, so O(N) to add N elements when the command is called with multiple "
                        + "arguments.", "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
                WRITE, DENYOOM, FAST, ON_PRIMARY);
        add(services, "rpush", -3, 1, 1, l::rpush, "RW insert", "1.0.0",
                "O(1) for each element added, so O(N) to add N elements when the command is called with multiple "
                        + "arguments.", "Appends one or more elements to a list. Creates the key if it doesn't exist.",
                WRITE, DENYOOM, FAST, ON_PRIMARY);
        add(services, "lpushx", -3, 1, 1, l::lpushx, "RW insert", "2.2.0",
                "O(1) for each element added, so O(N) to add N elements when the command is called with multiple "
                        + "arguments.", "Prepends one or more elements to a list only when the list exists.",
                WRITE, DENYOOM, FAST, ON_PRIMARY);
        add(services, "rpushx", -3, 1, 1, l::rpushx, "RW insert", "2.2.0",
                "O(1) for each element added, so O(N) to add N elements when the command is called with multiple "
                        + "arguments.", "Appends an element to a list only when the list exists.",
                WRITE, DENYOOM, FAST, ON_PRIMARY);
        add(services, "lpop", -2, 1, 1, l::lpop, "RW access delete", "1.0.0",
                "O(N) where N is the number of elements returned",
                "Returns the first elements in a list after removing it. Deletes the list if the last element was "
                        + "popped.", WRITE, FAST, ON_PRIMARY);
        add(services, "rpop", -2, 1, 1, l::rpop, "RW access delete", "1.0.0",
                "O(N) where N is the number of elements returned",
                "Returns and removes the last elements of the list. Deletes the list if the last element was popped.",
                WRITE, FAST, ON_PRIMARY);
        add(services, "llen", 2, 1, 1, l::llen, "RO", "1.0.0", "O(1)", "Returns the length of a list.",
                READONLY, FAST, ON_PRIMARY);
        add(services, "lrange", 4, 1, 1, l::lrange, "RO access", "1.0.0",
                "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or "
                        + "TAIL) for large lists; and N is the number of elements in the specified range.",
                "Returns a range of elements from a list.", READONLY, ON_PRIMARY);
        add(services, "lindex", 3, 1, 1, l::lindex, "RO access", "1.0.0",
                "O(N) where N is the number of elements to traverse to get to the element at index. This makes "
                        + "asking for the first or the last element of the list O(1).",
                "Returns an element from a list by its index.", READONLY, ON_PRIMARY);
        add(services, "lset", 4, 1, 1, l::lset, "RW update", "1.0.0",
                "O(N) where N is the length of the list. Setting either the first or the last element of the list "
                        + "is O(1).", "Sets the value of an element in a list by its index.",
                WRITE, DENYOOM, ON_PRIMARY);
        add(services, "linsert", 5, 1, 1, l::linsert, "RW insert", "2.2.0",
                "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that "
                        + "inserting somewhere on the left end on the list (head) can be considered O(1) and inserting "
                        + "somewhere on the right end (tail) is O(N).",
                "Inserts an element before or after another element in a list.", WRITE, DENYOOM, ON_PRIMARY);
        add(services, "lrem", 4, 1, 1, l::lrem, "RW delete", "1.0.0",
                "O(N+M) where N is the length of the list and M is the number of elements removed.",
                "Removes elements from a list. Deletes the list if the last element was removed.", WRITE, ON_PRIMARY);
        add(services, "ltrim", 4, 1, 1, l::ltrim, "RW delete", "1.0.0",
                "O(N) where N is the number of elements to be removed by the operation.",
                "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
                WRITE, ON_PRIMARY);
        add(services, "lpos", -3, 1, 1, l::lpos, "RO access", "6.0.6",
                "O(N) where N is the number of elements in the list, for the average case. When searching for "
                        + "elements near the head or the tail of the list, or when the MAXLEN option is provided, the "
                        + "command may run in constant time.", "Returns the index of matching elements in a list.",
                READONLY, ON_PRIMARY);
        services.commands().register(builder("lmove", 5, 1, 2, l::lmove, "", "6.2.0", "O(1)",
                "Returns an element after popping it from one list and pushing it to another. Deletes the list if "
                        + "the last element was moved.", WRITE, DENYOOM, ON_PRIMARY)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "delete"), KeySpec.range(2, 0, 1, "RW", "insert"))
                .build());
        services.commands().register(builder("rpoplpush", 3, 1, 2, l::rpoplpush, "", "1.2.0", "O(1)",
                "Returns the last element of a list after removing and pushing it to another list. Deletes the list "
                        + "if the last element was popped.", WRITE, DENYOOM, ON_PRIMARY)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "delete"), KeySpec.range(2, 0, 1, "RW", "insert"))
                .build());
        services.commands().register(builder("lmpop", -4, 0, 0, l::lmpop, "", "7.0.0",
                "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
                "Returns multiple elements from a list after removing them. Deletes the list if the last element was "
                        + "popped.", WRITE, ON_PRIMARY)
                .keySpecs(KeySpec.keyNum(1, 0, 1, 1, "RW", "access", "delete")).keyFinder(KeyFinder.numKeys(0, 1))
                .build());
        services.commands().register(builder("blpop", -3, 1, -2, l::blpop, "RW access delete", "2.0.0",
                "O(N) where N is the number of provided keys.",
                "Removes and returns the first element in a list. Blocks until an element is available otherwise. "
                        + "Deletes the list if the last element was popped.", WRITE, NOSCRIPT, BLOCKING, ON_PRIMARY).build());
        services.commands().register(builder("brpop", -3, 1, -2, l::brpop, "RW access delete", "2.0.0",
                "O(N) where N is the number of provided keys.",
                "Removes and returns the last element in a list. Blocks until an element is available otherwise. "
                        + "Deletes the list if the last element was popped.", WRITE, NOSCRIPT, BLOCKING, ON_PRIMARY).build());
        services.commands().register(builder("blmove", 6, 1, 2, l::blmove, "", "6.2.0", "O(1)",
                "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is "
                        + "available otherwise. Deletes the list if the last element was moved.",
                WRITE, DENYOOM, NOSCRIPT, BLOCKING, ON_PRIMARY)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "delete"), KeySpec.range(2, 0, 1, "RW", "insert"))
                .build());
        services.commands().register(builder("brpoplpush", 4, 1, 2, l::brpoplpush, "", "2.2.0", "O(1)",
                "Pops an element from a list, pushes it to another list and returns it. Block until an element is "
                        + "available otherwise. Deletes the list if the last element was popped.",
                WRITE, DENYOOM, NOSCRIPT, BLOCKING, ON_PRIMARY)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "delete"), KeySpec.range(2, 0, 1, "RW", "insert"))
                .build());
        services.commands().register(builder("blmpop", -5, 0, 0, l::blmpop, "", "7.0.0",
                "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
                "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. "
                        + "Deletes the list if the last element was popped.", WRITE, BLOCKING, ON_PRIMARY)
                .keySpecs(KeySpec.keyNum(2, 0, 1, 1, "RW", "access", "delete")).keyFinder(KeyFinder.numKeys(0, 2))
                .build());
    }

    private static void add(NodeServices services, String name, int arity, int firstKey, int lastKey,
            CommandHandler handler, String keySpec, String since, String complexity, String summary,
            CommandFlag... flags) {
        services.commands().register(
                builder(name, arity, firstKey, lastKey, handler, keySpec, since, complexity, summary, flags).build());
    }

    /** The table entry of a list command; {@code keySpec}: its key-spec flags, space separated. */
    private static CommandSpec.Builder builder(String name, int arity, int firstKey, int lastKey,
            CommandHandler handler, String keySpec, String since, String complexity, String summary,
            CommandFlag... flags) {
        CommandSpec.Builder b = CommandSpec.builder(name).arity(arity).flags(flags)
                .keys(firstKey, lastKey, firstKey == 0 ? 0 : 1).acl(AclCategory.LIST).group("list").since(since)
                .complexity(complexity).summary(summary).handler(handler);
        if (firstKey > 0 && !keySpec.isEmpty()) {
            b.keySpecFlags(keySpec.split(" "));
        }
        return b;
    }

    // ------------------------------------------------------------------ state helpers

    /** The live list of the key, null if the key does not exist; WRONGTYPE if it holds another type. */
    static ListValue liveList(KeyAccess access) {
        KeyState state = DataArgs.live(access, ValueType.LIST);
        return state == null ? null : state.list();
    }

    /**
     * For a command that changes an existing list: the list to write to, or null if the key does
     * not exist; WRONGTYPE if it holds another type. A write's lookup (no keyspace hit or miss).
     */
    static ListValue existingForWrite(KeyAccess access) {
        KeyState state = access.forWrite();
        if (!state.exists()) {
            return null;
        }
        if (state.type() != ValueType.LIST) {
            throw Errors.WRONGTYPE_ERROR;
        }
        return state.listForWrite();
    }

    private static void report(KeyAccess access, ListValue delta) {
        if (delta != null) {
            access.written(KeyState.wrap(delta));
        }
    }

    /** Redis's index of a possibly negative index in a list of {@code size}: may stay out of range. */
    private static long normalize(long index, int size) {
        return index < 0 ? index + size : index;
    }

    // ------------------------------------------------------------------ pushes

    private void lpush(CommandContext ctx) {
        push(ctx, true, false);
    }

    private void rpush(CommandContext ctx) {
        push(ctx, false, false);
    }

    private void lpushx(CommandContext ctx) {
        push(ctx, true, true);
    }

    private void rpushx(CommandContext ctx) {
        push(ctx, false, true);
    }

    private void push(CommandContext ctx, boolean left, boolean onlyIfExists) {
        byte[][] args = ctx.args();
        long length = engine.withKey(args[1], access -> {
            ListValue list;
            if (onlyIfExists) {
                list = existingForWrite(access);
                if (list == null) {
                    return 0L;
                }
            } else {
                list = DataArgs.forWrite(access, ValueType.LIST).listForWrite();
            }
            report(access, pushAll(list, left, args, 2, access));
            ctx.notify(NotifyFlags.LIST, left ? "lpush" : "rpush", args[1]);
            return (long) list.size();
        });
        ctx.reply().integer(length);
    }

    private static ListValue pushAll(ListValue list, boolean left, byte[][] values, int from, KeyAccess access) {
        try {
            return list.push(left, values, from, values.length, access.stamp(), access.node());
        } catch (IllegalStateException e) {
            throw new CommandException("ERR " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ pops

    private void lpop(CommandContext ctx) {
        pop(ctx, true);
    }

    private void rpop(CommandContext ctx) {
        pop(ctx, false);
    }

    private void pop(CommandContext ctx, boolean left) {
        if (ctx.argc() > 3) {
            throw new CommandException("ERR wrong number of arguments for '" + ctx.command().name() + "' command");
        }
        boolean hasCount = ctx.argc() == 3;
        long count = 1;
        if (hasCount) {
            try {
                count = ctx.argLong(2);
            } catch (CommandException e) {
                throw POP_COUNT_ERROR;
            }
            if (count < 0) {
                throw POP_COUNT_ERROR;
            }
        }
        long n = count;
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            ListValue list = existingForWrite(access);
            if (list == null) {
                if (hasCount) {
                    reply.nullArray();
                } else {
                    reply.nullBulk();
                }
                return null;
            }
            if (hasCount && n == 0) {
                reply.emptyArray();
                return null;
            }
            byte[][] popped = popFrom(list, left, n, access);
            ctx.notify(NotifyFlags.LIST, left ? "lpop" : "rpop", ctx.arg(1));
            DataArgs.notifyIfDeleted(ctx, access);
            if (hasCount) {
                reply.bulkArray(popped);
            } else {
                reply.bulk(popped[0]);
            }
            return null;
        });
    }

    /** Removes up to {@code count} elements from one end and reports the delta; returns them in pop order. */
    private static byte[][] popFrom(ListValue list, boolean left, long count, KeyAccess access) {
        int size = list.size();
        int n = (int) Math.min(count, size);
        byte[][] out = new byte[n][];
        if (left) {
            list.forEach(0, n, (i, v) -> {
                out[i] = v;
                return true;
            });
            report(access, list.removeRange(0, n, access.stamp(), access.node()));
        } else {
            list.forEachReverse(size - n, size, (i, v) -> {
                out[size - 1 - i] = v;
                return true;
            });
            report(access, list.removeRange(size - n, size, access.stamp(), access.node()));
        }
        return out;
    }

    private void lmpop(CommandContext ctx) {
        MultiPopArgs m = MultiPopArgs.parse(ctx, 1, "left", "right");
        Popped p = engine.withKeys(m.keys(), access -> popFirst(access, m.first(), m.count(), ctx::notify, false));
        writeMultiPop(ctx.reply(), p);
    }

    /** LMPOP's and BLMPOP's reply: the key and its elements, or a null array. */
    private static void writeMultiPop(ReplyWriter reply, Popped p) {
        if (p == null) {
            reply.nullArray();
            return;
        }
        reply.arrayHeader(2);
        reply.bulk(p.key);
        reply.bulkArray(p.values);
    }

    /** What a pop of a blocking (or multi-key) command took: the key and its elements in pop order. */
    private record Popped(byte[] key, byte[][] values) {}

    /**
     * Pops up to {@code count} elements from the first of {@code access} holding a list. A key of
     * another type is WRONGTYPE, except for a blocked client served later ({@code skipOtherTypes}),
     * which Redis serves from its lists only.
     */
    private static Popped popFirst(KeyAccess[] access, boolean left, long count, BlockingPops.Notifier notifier,
            boolean skipOtherTypes) {
        for (KeyAccess a : access) {
            ListValue list;
            try {
                list = existingForWrite(a);
            } catch (CommandException wrongType) {
                if (skipOtherTypes) {
                    continue;
                }
                throw wrongType;
            }
            if (list == null) {
                continue;
            }
            byte[][] popped = popFrom(list, left, count, a);
            notifier.notify(NotifyFlags.LIST, left ? "lpop" : "rpop", a.key());
            if (a.live() == null) {
                notifier.notify(NotifyFlags.GENERIC, "del", a.key());
            }
            return new Popped(a.key(), popped);
        }
        return null;
    }
    /** LEFT or RIGHT (any case): true for LEFT; a syntax error otherwise. */
    private static boolean parseEnd(byte[] arg) {
        if (CommandContext.equalsIgnoreCase(arg, "left")) {
            return true;
        }
        if (CommandContext.equalsIgnoreCase(arg, "right")) {
            return false;
        }
        throw Errors.SYNTAX_ERROR;
    }

    // ------------------------------------------------------------------ moves

    private void lmove(CommandContext ctx) {
        boolean fromLeft = parseEnd(ctx.arg(3));
        boolean toLeft = parseEnd(ctx.arg(4));
        move(ctx, fromLeft, toLeft);
    }

    private void rpoplpush(CommandContext ctx) {
        move(ctx, false, true);
    }

    private void move(CommandContext ctx, boolean fromLeft, boolean toLeft) {
        byte[][] keys = {ctx.arg(1), ctx.arg(2)};
        Popped moved = engine.withKeys(keys, access -> moveOne(access, fromLeft, toLeft, ctx::notify, false));
        if (moved == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(moved.values[0]);
        }
    }

    /**
     * Moves one element from {@code access[0]}'s list to {@code access[1]}'s; null if the source
     * holds no list. WRONGTYPE for a destination of another type (checked before anything
     * changes); for a source of another type too, except for a blocked client served later
     * ({@code skipOtherTypes}: it stays blocked, as in Redis).
     */
    private static Popped moveOne(KeyAccess[] access, boolean fromLeft, boolean toLeft,
            BlockingPops.Notifier notifier, boolean skipOtherTypes) {
        KeyAccess source = access[0];
        KeyAccess destination = access[1];
        ListValue from;
        try {
            from = existingForWrite(source);
        } catch (CommandException wrongType) {
            if (skipOtherTypes) {
                return null;
            }
            throw wrongType;
        }
        if (from == null) {
            return null;
        }
        if (source != destination) {
            KeyState d = destination.forWrite();
            if (d.exists() && d.type() != ValueType.LIST) {
                throw Errors.WRONGTYPE_ERROR;
            }
        }
        byte[] element = popFrom(from, fromLeft, 1, source)[0];
        notifier.notify(NotifyFlags.LIST, fromLeft ? "lpop" : "rpop", source.key());
        ListValue to = DataArgs.forWrite(destination, ValueType.LIST).listForWrite();
        report(destination, pushAll(to, toLeft, new byte[][] {element}, 0, destination));
        notifier.notify(NotifyFlags.LIST, toLeft ? "lpush" : "rpush", destination.key());
        if (source != destination && source.live() == null) {
            notifier.notify(NotifyFlags.GENERIC, "del", source.key());
        }
        return new Popped(source.key(), new byte[][] {element});
    }

    // ------------------------------------------------------------------ blocking

    private void blpop(CommandContext ctx) {
        blockingPop(ctx, true);
    }

    private void brpop(CommandContext ctx) {
        blockingPop(ctx, false);
    }

    private void blockingPop(CommandContext ctx, boolean left) {
        byte[][] args = ctx.args();
        long timeout = BlockingArgs.timeoutMillis(args[args.length - 1], System.currentTimeMillis());
        byte[][] keys = Arrays.copyOfRange(args, 1, args.length - 1);
        BlockingPops.popOrBlock(engine, ctx, keys, timeout, false,
                (access, notifier, later) -> popFirst(access, left, 1, notifier, later), (reply, p) -> {
                    reply.arrayHeader(2);
                    reply.bulk(p.key);
                    reply.bulk(p.values[0]);
                });
    }

    private void blmove(CommandContext ctx) {
        boolean fromLeft = parseEnd(ctx.arg(3));
        boolean toLeft = parseEnd(ctx.arg(4));
        blockingMove(ctx, fromLeft, toLeft, ctx.arg(5));
    }

    private void brpoplpush(CommandContext ctx) {
        blockingMove(ctx, false, true, ctx.arg(3));
    }

    private void blockingMove(CommandContext ctx, boolean fromLeft, boolean toLeft, byte[] timeoutArg) {
        long timeout = BlockingArgs.timeoutMillis(timeoutArg, System.currentTimeMillis());
        byte[][] keys = {ctx.arg(1), ctx.arg(2)};
        BlockingPops.popOrBlock(engine, ctx, keys, timeout, true,
                (access, notifier, later) -> moveOne(access, fromLeft, toLeft, notifier, later),
                (reply, p) -> reply.bulk(p.values[0]));
    }

    private void blmpop(CommandContext ctx) {
        long timeout = BlockingArgs.timeoutMillis(ctx.arg(1), System.currentTimeMillis());
        MultiPopArgs m = MultiPopArgs.parse(ctx, 2, "left", "right");
        BlockingPops.popOrBlock(engine, ctx, m.keys(), timeout, false,
                (access, notifier, later) -> popFirst(access, m.first(), m.count(), notifier, later),
                ListCommands::writeMultiPop);
    }

    // ------------------------------------------------------------------ reads

    private void llen(CommandContext ctx) {
        long n = engine.withKey(ctx.arg(1), access -> {
            ListValue list = liveList(access);
            return list == null ? 0L : (long) list.size();
        });
        ctx.reply().integer(n);
    }

    private void lrange(CommandContext ctx) {
        long start = ctx.argLong(2);
        long stop = ctx.argLong(3);
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            ListValue list = liveList(access);
            if (list == null) {
                reply.emptyArray();
                return null;
            }
            int size = list.size();
            long from = Math.max(0, normalize(start, size));
            long to = normalize(stop, size);
            if (from > to || from >= size) {
                reply.emptyArray();
                return null;
            }
            int end = (int) Math.min(to, size - 1L) + 1;
            reply.arrayHeader(end - (int) from);
            list.forEach((int) from, end, (i, v) -> {
                reply.bulk(v);
                return true;
            });
            return null;
        });
    }

    private void lindex(CommandContext ctx) {
        long index = ctx.argLong(2);
        byte[] value = engine.withKey(ctx.arg(1), access -> {
            ListValue list = liveList(access);
            if (list == null) {
                return null;
            }
            long i = normalize(index, list.size());
            return i < 0 || i >= list.size() ? null : list.get((int) i);
        });
        if (value == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(value);
        }
    }

    private void lpos(CommandContext ctx) {
        byte[][] args = ctx.args();
        byte[] element = args[2];
        long rank = 1;
        long count = -1;
        long maxLen = 0;
        for (int j = 3; j < args.length; j++) {
            boolean more = j + 1 < args.length;
            if (CommandContext.equalsIgnoreCase(args[j], "rank") && more) {
                rank = ctx.argLong(++j);
                if (rank == 0) {
                    throw RANK_ZERO;
                }
            } else if (CommandContext.equalsIgnoreCase(args[j], "count") && more) {
                count = nonNegative(ctx, ++j, COUNT_NEGATIVE);
            } else if (CommandContext.equalsIgnoreCase(args[j], "maxlen") && more) {
                maxLen = nonNegative(ctx, ++j, MAXLEN_NEGATIVE);
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        // Redis negates a negative rank to walk from the tail; LONG_MIN stays negative there
        // and then matches the first element found from the head, as here.
        boolean fromHead = rank > 0 || rank == Long.MIN_VALUE;
        long skip = (rank == Long.MIN_VALUE ? 1 : Math.abs(rank)) - 1;
        long wanted = count;
        long limit = maxLen;
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            ListValue list = liveList(access);
            if (list == null) {
                if (wanted >= 0) {
                    reply.emptyArray();
                } else {
                    reply.nullBulk();
                }
                return null;
            }
            int size = list.size();
            List<Long> found = new ArrayList<>();
            long[] state = {0, 0}; // elements looked at, matches seen
            ListValue.ElementVisitor match = (i, v) -> {
                if (limit != 0 && state[0] >= limit) {
                    return false;
                }
                state[0]++;
                if (Arrays.equals(v, element) && state[1]++ >= skip) {
                    found.add((long) i);
                    return wanted > 0 && found.size() < wanted || wanted == 0;
                }
                return true;
            };
            if (fromHead) {
                list.forEach(0, size, match);
            } else {
                list.forEachReverse(0, size, match);
            }
            if (wanted >= 0) {
                reply.arrayHeader(found.size());
                for (long i : found) {
                    reply.integer(i);
                }
            } else if (found.isEmpty()) {
                reply.nullBulk();
            } else {
                reply.integer(found.get(0));
            }
            return null;
        });
    }

    private static long nonNegative(CommandContext ctx, int index, CommandException negative) {
        long v = ctx.argLong(index);
        if (v < 0) {
            throw negative;
        }
        return v;
    }

    // ------------------------------------------------------------------ changes by position

    private void lset(CommandContext ctx) {
        long index = ctx.argLong(2);
        byte[] value = ctx.arg(3);
        engine.withKey(ctx.arg(1), access -> {
            ListValue list = existingForWrite(access);
            if (list == null) {
                throw NO_SUCH_KEY;
            }
            long i = normalize(index, list.size());
            if (i < 0 || i >= list.size()) {
                throw INDEX_OUT_OF_RANGE;
            }
            report(access, list.set((int) i, value, access.stamp(), access.node()));
            ctx.notify(NotifyFlags.LIST, "lset", ctx.arg(1));
            return null;
        });
        ctx.reply().ok();
    }

    private void linsert(CommandContext ctx) {
        boolean before;
        if (ctx.argIs(2, "before")) {
            before = true;
        } else if (ctx.argIs(2, "after")) {
            before = false;
        } else {
            throw Errors.SYNTAX_ERROR;
        }
        byte[] pivot = ctx.arg(3);
        byte[] value = ctx.arg(4);
        long result = engine.withKey(ctx.arg(1), access -> {
            ListValue list = existingForWrite(access);
            if (list == null) {
                return 0L;
            }
            int[] at = {-1};
            list.forEach(0, list.size(), (i, v) -> {
                if (Arrays.equals(v, pivot)) {
                    at[0] = i;
                    return false;
                }
                return true;
            });
            if (at[0] < 0) {
                return -1L;
            }
            try {
                report(access, list.insert(at[0], before, value, access.stamp(), access.node()));
            } catch (IllegalStateException e) {
                throw new CommandException("ERR " + e.getMessage());
            }
            ctx.notify(NotifyFlags.LIST, "linsert", ctx.arg(1));
            return (long) list.size();
        });
        ctx.reply().integer(result);
    }

    private void lrem(CommandContext ctx) {
        long count = ctx.argLong(2);
        byte[] element = ctx.arg(3);
        long removed = engine.withKey(ctx.arg(1), access -> {
            ListValue list = existingForWrite(access);
            if (list == null) {
                return 0L;
            }
            int size = list.size();
            long limit = count == 0 ? Long.MAX_VALUE : Math.abs(count == Long.MIN_VALUE ? Long.MAX_VALUE : count);
            int[] indices = new int[Math.min(size, (int) Math.min(limit, Integer.MAX_VALUE))];
            int[] n = {0};
            ListValue.ElementVisitor match = (i, v) -> {
                if (Arrays.equals(v, element)) {
                    indices[n[0]++] = i;
                    return n[0] < indices.length;
                }
                return true;
            };
            if (indices.length == 0) {
                return 0L;
            }
            if (count >= 0) {
                list.forEach(0, size, match);
            } else {
                list.forEachReverse(0, size, match);
                reverse(indices, n[0]);
            }
            if (n[0] == 0) {
                return 0L;
            }
            report(access, list.removeAt(indices, n[0], access.stamp(), access.node()));
            ctx.notify(NotifyFlags.LIST, "lrem", ctx.arg(1));
            DataArgs.notifyIfDeleted(ctx, access);
            return (long) n[0];
        });
        ctx.reply().integer(removed);
    }

    private static void reverse(int[] a, int n) {
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private void ltrim(CommandContext ctx) {
        long start = ctx.argLong(2);
        long stop = ctx.argLong(3);
        engine.withKey(ctx.arg(1), access -> {
            ListValue list = existingForWrite(access);
            if (list == null) {
                return null;
            }
            int size = list.size();
            long from = Math.max(0, normalize(start, size));
            long to = normalize(stop, size);
            int keepFrom;
            int keepTo;
            if (from > to || from >= size) {
                keepFrom = 0;
                keepTo = 0;
            } else {
                keepFrom = (int) from;
                keepTo = (int) Math.min(to, size - 1L) + 1;
            }
            ListValue group = DataArgs.join(list.removeRange(keepTo, size, access.stamp(), access.node()),
                    list.removeRange(0, keepFrom, access.stamp(), access.node()));
            report(access, group);
            ctx.notify(NotifyFlags.LIST, "ltrim", ctx.arg(1));
            DataArgs.notifyIfDeleted(ctx, access);
            return null;
        });
        ctx.reply().ok();
    }
}
