package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.ValueType;
import io.converge.server.command.AclCategory;
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
 * Set commands (SADD, SREM, SPOP, SMOVE, SINTER..., SINTERCARD ...) on {@link SetValue}, an
 * add-wins observed-remove set (DESIGN §1).
 *
 * <p>Every SADD is an add with a fresh dot, even of a member already present, so that it wins
 * over a concurrent SREM elsewhere; SREM, SPOP and the source side of SMOVE are observed
 * removes. The member deltas of one command are joined and reported as one key delta. The
 * *STORE commands write the destination as a key delete of everything it held (whatever its
 * type) followed by fresh adds of the result (two deltas), so replicas that merge them end with
 * exactly the result, while adds made concurrently elsewhere survive (add wins). Multi-key
 * commands hold all their keys at once through {@link StorageEngine#withKeys}. A set whose last
 * member goes stops existing, TTL included, as in Redis (the engine drops the TTL of a key its
 * write left empty: see {@link KeyAccess#written}). Reads write their reply while the key is
 * held, so no copy of the set is made.
 */
public final class SetCommands {
    private static final CommandException POP_COUNT_NOT_POSITIVE =
            new CommandException("ERR value is out of range, must be positive");
    private static final CommandException NUMKEYS_NOT_POSITIVE =
            new CommandException("ERR numkeys should be greater than 0");
    private static final CommandException TOO_MANY_NUMKEYS =
            new CommandException("ERR Number of keys can't be greater than number of args");
    private static final CommandException NEGATIVE_LIMIT = new CommandException("ERR LIMIT can't be negative");

    /** Which set algebra a multi-key command computes. */
    private enum Algebra {
        INTER("sinterstore"), UNION("sunionstore"), DIFF("sdiffstore");

        /** The keyspace event of the STORE form. */
        final String storeEvent;

        Algebra(String storeEvent) {
            this.storeEvent = storeEvent;
        }
    }

    private final StorageEngine engine;

    private SetCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers the set commands in the node's command table, served by {@code engine}. */
    public static void register(NodeServices services, StorageEngine engine) {
        SetCommands s = new SetCommands(engine);
        add(services, "sadd", -3, 1, 1, s::sadd, "RW insert", "1.0.0", "O(1) for each element added",
                "Adds one or more members to a set. Creates the key if it doesn't exist.", WRITE, DENYOOM, FAST);
        add(services, "srem", -3, 1, 1, s::srem, "RW delete", "1.0.0", "O(N) where N is the number of members to be removed.",
                "Removes one or more members from a set. Deletes the set if the last member was removed.", WRITE, FAST);
        add(services, "smembers", 2, 1, 1, s::smembers, "RO access", "1.0.0", "O(N) where N is the set cardinality.",
                "Returns all members of a set.", READONLY);
        add(services, "sismember", 3, 1, 1, s::sismember, "RO", "1.0.0", "O(1)",
                "Determines whether a member belongs to a set.", READONLY, FAST);
        add(services, "smismember", -3, 1, 1, s::smismember, "RO access", "6.2.0",
                "O(N) where N is the number of elements being checked for membership",
                "Determines whether multiple members belong to a set.", READONLY, FAST);
        add(services, "scard", 2, 1, 1, s::scard, "RO", "1.0.0", "O(1)",
                "Returns the number of members in a set.", READONLY, FAST);
        add(services, "spop", -2, 1, 1, s::spop, "RW access delete", "1.0.0",
                "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
                "Returns one or more random members from a set after removing them. Deletes the set if the last "
                        + "member was popped.", WRITE, FAST);
        add(services, "srandmember", -2, 1, 1, s::srandmember, "RO access", "1.0.0",
                "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
                "Get one or multiple random members from a set", READONLY);
        add(services, "sscan", -3, 1, 1, s::sscan, "RO access", "2.8.0",
                "O(1) for every call. O(N) for a complete iteration.", "Iterates over members of a set.", READONLY);
        services.commands().register(builder("smove", 4, 1, 2, s::smove, "", "1.0.0", "O(1)",
                "Moves a member from one set to another.", WRITE, FAST)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "access", "delete"), KeySpec.range(2, 0, 1, "RW", "insert"))
                .build());
        add(services, "sinter", -2, 1, -1, s::sinter, "RO access", "1.0.0",
                "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
                "Returns the intersect of multiple sets.", READONLY);
        add(services, "sunion", -2, 1, -1, s::sunion, "RO access", "1.0.0",
                "O(N) where N is the total number of elements in all given sets.",
                "Returns the union of multiple sets.", READONLY);
        add(services, "sdiff", -2, 1, -1, s::sdiff, "RO access", "1.0.0",
                "O(N) where N is the total number of elements in all given sets.",
                "Returns the difference of multiple sets.", READONLY);
        services.commands().register(builder("sinterstore", -3, 1, -1, s::sinterstore, "", "1.0.0",
                "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
                "Stores the intersect of multiple sets in a key.", WRITE, DENYOOM)
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "update"), KeySpec.range(2, -1, 1, "RO", "access"))
                .build());
        services.commands().register(builder("sunionstore", -3, 1, -1, s::sunionstore, "", "1.0.0",
                "O(N) where N is the total number of elements in all given sets.",
                "Stores the union of multiple sets in a key.", WRITE, DENYOOM)
                .keySpecs(KeySpec.range(1, 0, 1, "OW", "update"), KeySpec.range(2, -1, 1, "RO", "access"))
                .build());
        services.commands().register(builder("sdiffstore", -3, 1, -1, s::sdiffstore, "", "1.0.0",
                "O(N) where N is the total number of elements in all given sets.",
                "Stores the difference of multiple sets in a key.", WRITE, DENYOOM)
                .keySpecs(KeySpec.range(1, 0, 1, "OW", "update"), KeySpec.range(2, -1, 1, "RO", "access"))
                .build());
        // SINTERCARD's keys follow numkeys: no positions, a keynum spec and a key finder.
        services.commands().register(builder("sintercard", -3, 0, 0, s::sintercard, "", "7.0.0",
                "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
                "Returns the number of members of the intersect of multiple sets.", READONLY)
                .keySpecs(KeySpec.keyNum(1, 0, 1, 1, "RO", "access")).keyFinder(KeyFinder.numKeys(0, 1))
                .build());
    }

    private static void add(NodeServices services, String name, int arity, int firstKey, int lastKey,
            CommandHandler handler, String keySpec, String since, String complexity, String summary,
            CommandFlag... flags) {
        services.commands().register(
                builder(name, arity, firstKey, lastKey, handler, keySpec, since, complexity, summary, flags).build());
    }

    /** The table entry of a set command; {@code keySpec}: its key-spec flags, space separated. */
    private static CommandSpec.Builder builder(String name, int arity, int firstKey, int lastKey,
            CommandHandler handler, String keySpec, String since, String complexity, String summary,
            CommandFlag... flags) {
        CommandSpec.Builder b = CommandSpec.builder(name).arity(arity).flags(flags)
                .keys(firstKey, lastKey, firstKey == 0 ? 0 : 1).acl(AclCategory.SET).group("set").since(since)
                .complexity(complexity).summary(summary).handler(handler);
        if (firstKey > 0 && !keySpec.isEmpty()) {
            b.keySpecFlags(keySpec.split(" "));
        }
        switch (name) {
            case "smembers", "sinter", "sunion", "sdiff" -> b.tips("nondeterministic_output_order");
            case "spop", "srandmember", "sscan" -> b.tips("nondeterministic_output");
            default -> { }
        }
        return b;
    }

    // ------------------------------------------------------------------ state helpers

    /** The live set of the key, null if the key does not exist; WRONGTYPE if it holds another type. */
    static SetValue liveSet(KeyAccess access) {
        KeyState state = DataArgs.live(access, ValueType.SET);
        return state == null ? null : state.set();
    }

    /** The set to write to, created if the key does not exist; WRONGTYPE if it holds another type. */
    static SetValue setForWrite(KeyAccess access) {
        return DataArgs.forWrite(access, ValueType.SET).setForWrite();
    }

    /** Reports a key-level delta, if any. */
    private static void report(KeyAccess access, KeyState delta) {
        if (delta != null) {
            access.written(delta);
        }
    }

    /** Reports a command's delta group, if it wrote anything. */
    private static void report(KeyAccess access, SetValue group) {
        if (group != null) {
            access.written(KeyState.wrap(group));
        }
    }

    // ------------------------------------------------------------------ single-key writes

    private void sadd(CommandContext ctx) {
        byte[][] args = ctx.args();
        long added = engine.withKey(args[1], access -> {
            SetValue set = setForWrite(access);
            int before = set.size();
            SetValue group = null;
            for (int i = 2; i < args.length; i++) {
                group = DataArgs.join(group, set.add(args[i], access.stamp(), access.node()));
            }
            report(access, group);
            if (set.size() > before) {
                ctx.notify(NotifyFlags.SET, "sadd", args[1]);
            }
            return (long) (set.size() - before);
        });
        ctx.reply().integer(added);
    }

    private void srem(CommandContext ctx) {
        byte[][] args = ctx.args();
        long removed = engine.withKey(args[1], access -> {
            SetValue current = liveSet(access);
            if (current == null) {
                return 0L;
            }
            KeyState state = access.forWrite();
            SetValue set = state.setForWrite();
            SetValue group = null;
            long n = 0;
            for (int i = 2; i < args.length; i++) {
                SetValue delta = set.remove(args[i], access.stamp(), access.node());
                if (delta != null) {
                    n++;
                    group = DataArgs.join(group, delta);
                }
            }
            report(access, group);
            if (n > 0) {
                ctx.notify(NotifyFlags.SET, "srem", args[1]);
                DataArgs.notifyIfDeleted(ctx, access);
            }
            return n;
        });
        ctx.reply().integer(removed);
    }

    private void spop(CommandContext ctx) {
        if (ctx.argc() > 3) {
            throw Errors.SYNTAX_ERROR;
        }
        if (ctx.argc() == 3) {
            spopWithCount(ctx);
            return;
        }
        byte[] popped = engine.withKey(ctx.arg(1), access -> {
            SetValue current = liveSet(access);
            if (current == null) {
                return null;
            }
            KeyState state = access.forWrite();
            SetValue set = state.setForWrite();
            byte[] member = set.memberAt(RandomIndices.any(set.size()));
            SetValue removal = set.remove(member, access.stamp(), access.node());
            report(access, removal);
            ctx.notify(NotifyFlags.SET, "spop", ctx.arg(1));
            DataArgs.notifyIfDeleted(ctx, access);
            return member;
        });
        if (popped == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(popped);
        }
    }

    private void spopWithCount(CommandContext ctx) {
        long count;
        try {
            count = ctx.argLong(2);
        } catch (CommandException e) {
            throw POP_COUNT_NOT_POSITIVE;
        }
        if (count < 0) {
            throw POP_COUNT_NOT_POSITIVE;
        }
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            SetValue current = liveSet(access);
            if (current == null || count == 0) {
                reply.setHeader(0);
                return null;
            }
            KeyState state = access.forWrite();
            SetValue set = state.setForWrite();
            int size = set.size();
            byte[][] members;
            if (count >= size) {
                members = new byte[size][];
                for (int i = 0; i < size; i++) {
                    members[i] = set.memberAt(i);
                }
            } else {
                int[] picked = RandomIndices.distinct(size, (int) count);
                members = new byte[picked.length][];
                for (int i = 0; i < picked.length; i++) {
                    members[i] = set.memberAt(picked[i]);
                }
            }
            // Positions move as members go, so the members are collected before removing them.
            SetValue group = null;
            for (byte[] member : members) {
                group = DataArgs.join(group, set.remove(member, access.stamp(), access.node()));
            }
            report(access, group);
            ctx.notify(NotifyFlags.SET, "spop", ctx.arg(1));
            DataArgs.notifyIfDeleted(ctx, access);
            reply.setHeader(members.length);
            for (byte[] member : members) {
                reply.bulk(member);
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ single-key reads

    private void smembers(CommandContext ctx) {
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            SetValue set = liveSet(access);
            if (set == null) {
                reply.setHeader(0);
                return null;
            }
            int size = set.size();
            reply.setHeader(size);
            for (int i = 0; i < size; i++) {
                reply.bulk(set.memberAt(i));
            }
            return null;
        });
    }

    private void sismember(CommandContext ctx) {
        byte[] member = ctx.arg(2);
        boolean contains = engine.withKey(ctx.arg(1), access -> {
            SetValue set = liveSet(access);
            return set != null && set.contains(member);
        });
        ctx.reply().integer(contains ? 1 : 0);
    }

    private void smismember(CommandContext ctx) {
        byte[][] args = ctx.args();
        ReplyWriter reply = ctx.reply();
        engine.withKey(args[1], access -> {
            SetValue set = liveSet(access);
            reply.arrayHeader(args.length - 2);
            for (int i = 2; i < args.length; i++) {
                reply.integer(set != null && set.contains(args[i]) ? 1 : 0);
            }
            return null;
        });
    }

    private void scard(CommandContext ctx) {
        long size = engine.withKey(ctx.arg(1), access -> {
            SetValue set = liveSet(access);
            return set == null ? 0L : (long) set.size();
        });
        ctx.reply().integer(size);
    }

    private void srandmember(CommandContext ctx) {
        if (ctx.argc() > 3) {
            throw Errors.SYNTAX_ERROR;
        }
        if (ctx.argc() == 3) {
            srandmemberWithCount(ctx);
            return;
        }
        byte[] member = engine.withKey(ctx.arg(1), access -> {
            SetValue set = liveSet(access);
            return set == null ? null : set.memberAt(RandomIndices.any(set.size()));
        });
        if (member == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(member);
        }
    }

    private void srandmemberWithCount(CommandContext ctx) {
        long count = RandomIndices.parseCount(ctx, 2);
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            SetValue set = liveSet(access);
            if (set == null || count == 0) {
                reply.emptyArray();
                return null;
            }
            int size = set.size();
            if (count < 0) {
                long picks = -count;
                RandomIndices.checkRepeatedPicks(picks);
                reply.arrayHeader((int) picks);
                for (long i = 0; i < picks; i++) {
                    reply.bulk(set.memberAt(RandomIndices.any(size)));
                }
            } else if (count >= size) {
                reply.arrayHeader(size);
                for (int i = 0; i < size; i++) {
                    reply.bulk(set.memberAt(i));
                }
            } else {
                int[] picked = RandomIndices.distinct(size, (int) count);
                reply.arrayHeader(picked.length);
                for (int i : picked) {
                    reply.bulk(set.memberAt(i));
                }
            }
            return null;
        });
    }

    private void sscan(CommandContext ctx) {
        long cursor = DataArgs.parseCursor(ctx.arg(2));
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            SetValue set = liveSet(access);
            if (set == null) {
                CollectionScan.writeReply(reply, 0, List.of());
                return null;
            }
            CollectionScan.Options options = CollectionScan.parseOptions(ctx, 3, false);
            int size = set.size();
            boolean whole = CollectionScan.allAtOnce(cursor, options.count(), size);
            long start = whole ? 0 : CollectionScan.rangeStart(cursor);
            long end = whole ? CollectionScan.POSITIONS : CollectionScan.rangeEnd(start, options.count(), size);
            List<byte[]> items = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                byte[] member = set.memberAt(i);
                if ((whole || CollectionScan.inRange(member, start, end)) && options.matches(member)) {
                    items.add(member);
                }
            }
            CollectionScan.writeReply(reply, CollectionScan.nextCursor(end), items);
            return null;
        });
    }

    // ------------------------------------------------------------------ SMOVE

    private void smove(CommandContext ctx) {
        byte[] member = ctx.arg(3);
        byte[][] keys = {ctx.arg(1), ctx.arg(2)};
        boolean moved = engine.withKeys(keys, access -> {
            KeyAccess source = access[0];
            KeyAccess destination = access[1];
            SetValue from = liveSet(source);
            if (from == null) {
                return false;
            }
            liveSet(destination); // WRONGTYPE check, before anything changes
            if (source == destination) {
                return from.contains(member);
            }
            KeyState sourceState = source.forWrite();
            SetValue sourceSet = sourceState.setForWrite();
            SetValue removal = sourceSet.remove(member, source.stamp(), source.node());
            if (removal == null) {
                return false;
            }
            SetValue addition = setForWrite(destination).add(member, destination.stamp(), destination.node());
            report(source, removal);
            ctx.notify(NotifyFlags.SET, "srem", keys[0]);
            DataArgs.notifyIfDeleted(ctx, source);
            report(destination, addition);
            if (addition != null) {
                ctx.notify(NotifyFlags.SET, "sadd", keys[1]);
            }
            return true;
        });
        ctx.reply().integer(moved ? 1 : 0);
    }

    // ------------------------------------------------------------------ set algebra

    private void sinter(CommandContext ctx) {
        algebraReply(ctx, Algebra.INTER);
    }

    private void sunion(CommandContext ctx) {
        algebraReply(ctx, Algebra.UNION);
    }

    private void sdiff(CommandContext ctx) {
        algebraReply(ctx, Algebra.DIFF);
    }

    private void sinterstore(CommandContext ctx) {
        algebraStore(ctx, Algebra.INTER);
    }

    private void sunionstore(CommandContext ctx) {
        algebraStore(ctx, Algebra.UNION);
    }

    private void sdiffstore(CommandContext ctx) {
        algebraStore(ctx, Algebra.DIFF);
    }

    /** SINTER/SUNION/SDIFF: the result as a set reply. */
    private void algebraReply(CommandContext ctx, Algebra algebra) {
        byte[][] keys = Arrays.copyOfRange(ctx.args(), 1, ctx.argc());
        ReplyWriter reply = ctx.reply();
        engine.withKeys(keys, access -> {
            List<byte[]> result = compute(algebra, liveSets(access, 0), Long.MAX_VALUE);
            reply.setHeader(result.size());
            for (byte[] member : result) {
                reply.bulk(member);
            }
            return null;
        });
    }

    /**
     * SINTERSTORE/SUNIONSTORE/SDIFFSTORE: replaces the destination (any type) with the result,
     * or deletes it when the result is empty; answers the result's size.
     */
    private void algebraStore(CommandContext ctx, Algebra algebra) {
        byte[][] keys = Arrays.copyOfRange(ctx.args(), 1, ctx.argc());
        long stored = engine.withKeys(keys, access -> {
            List<byte[]> result = compute(algebra, liveSets(access, 1), Long.MAX_VALUE);
            KeyAccess destination = access[0];
            KeyState current = destination.live();
            if (result.isEmpty() && current == null) {
                return 0L;
            }
            KeyState state = destination.forWrite();
            // Apply every change first and report afterwards, so the engine never sees the
            // destination as an emptied key between the delete and the adds.
            KeyState deletion = current == null ? null : state.delete(destination.stamp(), destination.node());
            SetValue group = null;
            if (!result.isEmpty()) {
                SetValue set = state.setForWrite();
                for (byte[] member : result) {
                    group = DataArgs.join(group, set.add(member, destination.stamp(), destination.node()));
                }
            }
            if (deletion != null) {
                destination.written(deletion);
            }
            report(destination, group);
            if (result.isEmpty()) {
                ctx.notify(NotifyFlags.GENERIC, "del", keys[0]);
            } else {
                ctx.notify(NotifyFlags.SET, algebra.storeEvent, keys[0]);
            }
            return (long) result.size();
        });
        ctx.reply().integer(stored);
    }

    private void sintercard(CommandContext ctx) {
        long numKeys;
        try {
            numKeys = ctx.argLong(1);
        } catch (CommandException e) {
            throw NUMKEYS_NOT_POSITIVE;
        }
        if (numKeys < 1) {
            throw NUMKEYS_NOT_POSITIVE;
        }
        if (numKeys > ctx.argc() - 2) {
            throw TOO_MANY_NUMKEYS;
        }
        int firstOption = 2 + (int) numKeys;
        long limit = 0;
        for (int i = firstOption; i < ctx.argc(); i += 2) {
            if (ctx.argIs(i, "limit") && i + 1 < ctx.argc()) {
                try {
                    limit = ctx.argLong(i + 1);
                } catch (CommandException e) {
                    throw NEGATIVE_LIMIT;
                }
                if (limit < 0) {
                    throw NEGATIVE_LIMIT;
                }
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        long max = limit == 0 ? Long.MAX_VALUE : limit;
        byte[][] keys = Arrays.copyOfRange(ctx.args(), 2, firstOption);
        long cardinality = engine.withKeys(keys, access ->
                (long) compute(Algebra.INTER, liveSets(access, 0), max).size());
        ctx.reply().integer(cardinality);
    }

    /**
     * The live sets of {@code access[from..]} (null for missing keys), after checking every key's
     * type as Redis does (WRONGTYPE even when an earlier key is missing).
     */
    private static SetValue[] liveSets(KeyAccess[] access, int from) {
        SetValue[] sets = new SetValue[access.length - from];
        for (int i = from; i < access.length; i++) {
            sets[i - from] = liveSet(access[i]);
        }
        return sets;
    }

    /**
     * Computes an intersection (stopping at {@code limit} members), union or difference. The
     * member arrays are shared with the sets (they are never mutated), not copied.
     */
    private static List<byte[]> compute(Algebra algebra, SetValue[] sets, long limit) {
        return switch (algebra) {
            case INTER -> intersection(sets, limit);
            case UNION -> union(sets);
            case DIFF -> difference(sets);
        };
    }

    private static List<byte[]> intersection(SetValue[] sets, long limit) {
        SetValue smallest = null;
        for (SetValue s : sets) {
            if (s == null) {
                return List.of(); // a missing key is the empty set
            }
            if (smallest == null || s.size() < smallest.size()) {
                smallest = s;
            }
        }
        List<byte[]> result = new ArrayList<>();
        int size = smallest.size();
        for (int i = 0; i < size && result.size() < limit; i++) {
            byte[] member = smallest.memberAt(i);
            boolean inAll = true;
            for (SetValue s : sets) {
                if (s != smallest && !s.contains(member)) {
                    inAll = false;
                    break;
                }
            }
            if (inAll) {
                result.add(member);
            }
        }
        return result;
    }

    /**
     * A member of set i is emitted unless an earlier set holds it too, which deduplicates
     * without building a hash set of the result.
     */
    private static List<byte[]> union(SetValue[] sets) {
        List<byte[]> result = new ArrayList<>();
        for (int i = 0; i < sets.length; i++) {
            SetValue s = sets[i];
            if (s == null || seenBefore(sets, i)) {
                continue;
            }
            int size = s.size();
            for (int m = 0; m < size; m++) {
                byte[] member = s.memberAt(m);
                boolean earlier = false;
                for (int j = 0; j < i && !earlier; j++) {
                    earlier = sets[j] != null && sets[j] != s && sets[j].contains(member);
                }
                if (!earlier) {
                    result.add(member);
                }
            }
        }
        return result;
    }

    /** Whether {@code sets[i]} (a duplicate key shares one state) already appeared before i. */
    private static boolean seenBefore(SetValue[] sets, int i) {
        for (int j = 0; j < i; j++) {
            if (sets[j] == sets[i]) {
                return true;
            }
        }
        return false;
    }

    private static List<byte[]> difference(SetValue[] sets) {
        SetValue first = sets[0];
        if (first == null) {
            return List.of();
        }
        List<byte[]> result = new ArrayList<>();
        int size = first.size();
        for (int m = 0; m < size; m++) {
            byte[] member = first.memberAt(m);
            boolean elsewhere = false;
            for (int j = 1; j < sets.length && !elsewhere; j++) {
                elsewhere = sets[j] != null && sets[j].contains(member);
            }
            if (!elsewhere) {
                result.add(member);
            }
        }
        return result;
    }
}
