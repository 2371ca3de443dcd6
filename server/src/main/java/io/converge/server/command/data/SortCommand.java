package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.ON_PRIMARY;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.READS_PATTERN_KEYS;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.HashValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.ListValue;
import io.converge.crdt.SetValue;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.KeySpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * SORT and SORT_RO on lists, sets and sorted sets, with Redis 7.0's replies, errors and orders
 * (see {@link SortArgs} for the options, {@link SortOrder} for the comparison, {@link
 * PartialQuickSort} for BY with LIMIT).
 *
 * <p><b>Which elements, in which order.</b> A missing key sorts as an empty list. Without a BY
 * pattern that forms keys Redis orders lists and sorted sets as they are, with LIMIT (and DESC)
 * applied to that order; sets keep their own order, except that a set is sorted ALPHA when the
 * result is stored or a script asks. Elements enter the sort in the key's order: a list's, a
 * sorted set's by rank, a set's as Redis 7.0 would iterate it when it holds it as an intset
 * (integers ascending), else this node's order (Redis iterates a hash table in an order of its
 * own, so ties between distinct elements, which only ALPHA can produce, may then come out
 * differently).
 *
 * <p><b>Keys named by patterns.</b> BY and GET patterns read keys no argument names. Such a SORT
 * holds the node's whole keyspace while it runs (as a script does; see {@link
 * CommandFlag#READS_PATTERN_KEYS}), so it sees and writes one consistent state. In a cluster
 * where this node does not hold every key, a key formed by a pattern must be replicated on this
 * node (which replicates the sorted key): otherwise the command is refused before it answers or
 * writes anything. Redis 7.0 refuses BY and GET patterns in cluster mode altogether.
 *
 * <p><b>Numbers</b> are read as Redis's strtod check reads them ({@link ZScoreParser#parseSortWeight}),
 * each SORT on its own: redis-server 7.0 does not clear {@code errno} first, so after an ERANGE
 * it can refuse valid numbers in later SORTs of the same connection; Converge does not copy that.
 *
 * <p><b>STORE</b> replaces the destination (any type, TTL included) with a list of the result,
 * written as a key-level delete followed by one push of every element (a concurrent push to the
 * destination elsewhere survives, as after DEL + RPUSH); an empty result deletes it.
 */
final class SortCommand {
    private static final CommandException NOT_A_DOUBLE =
            new CommandException("ERR One or more scores can't be converted into double");
    private static final CommandException BY_NOT_HERE = new CommandException("ERR BY option of SORT denied in "
            + "Cluster mode when keys formed by the pattern are not replicated on the node of the sorted key "
            + "(give the pattern the sorted key's hash tag)");
    private static final CommandException GET_NOT_HERE = new CommandException("ERR GET option of SORT denied in "
            + "Cluster mode when keys formed by the pattern are not replicated on the node of the sorted key "
            + "(give the pattern the sorted key's hash tag)");
    private static final String COMPLEXITY = "O(N+M*log(M)) where N is the number of elements in the list or set "
            + "to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";
    private static final String BY_GET_NOTES = "For the optional BY/GET keyword. It is marked 'unknown' because the "
            + "key names derive from the content of the key we sort";
    private static final String STORE_NOTES = "For the optional STORE keyword. It is marked 'unknown' because the "
            + "keyword can appear anywhere in the argument array";
    private static final byte[] EMPTY = new byte[0];

    private final StorageEngine engine;

    private SortCommand(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers SORT and SORT_RO in the node's command table, served by {@code engine}. */
    static void register(NodeServices services, StorageEngine engine) {
        SortCommand c = new SortCommand(engine);
        services.commands().register(CommandSpec.builder("sort").arity(-2)
                .flags(WRITE, DENYOOM, ON_PRIMARY, READS_PATTERN_KEYS).keys(1, 1, 1)
                .acl(AclCategory.SET, AclCategory.SORTEDSET, AclCategory.LIST, AclCategory.DANGEROUS)
                .keySpecs(KeySpec.range(1, 0, 1, "RO", "access"), KeySpec.unknown(BY_GET_NOTES, "RO", "access"),
                        KeySpec.unknown(STORE_NOTES, "OW", "update"))
                .keyFinder(SortArgs::sortKeys).group("generic").since("1.0.0").complexity(COMPLEXITY)
                .summary("Sort the elements in a list, set or sorted set").handler(ctx -> c.sort(ctx, false)).build());
        services.commands().register(CommandSpec.builder("sort_ro").arity(-2)
                .flags(READONLY, ON_PRIMARY, READS_PATTERN_KEYS).keys(1, 1, 1)
                .acl(AclCategory.SET, AclCategory.SORTEDSET, AclCategory.LIST, AclCategory.DANGEROUS)
                .keySpecs(KeySpec.range(1, 0, 1, "RO", "access"), KeySpec.unknown(BY_GET_NOTES, "RO", "access"))
                .keyFinder(SortArgs::sortReadOnlyKeys).group("generic").since("7.0.0").complexity(COMPLEXITY)
                .summary("Sort the elements in a list, set or sorted set. Read-only variant of SORT.")
                .handler(ctx -> c.sort(ctx, true)).build());
    }

    /** What the elements are compared by, once the sorted key's type is known. */
    private record Plan(boolean sort, boolean alpha, SortPattern by) {}

    /** The sorting vector and the positions {@code start..end} (inclusive) of it that are answered. */
    private record Selection(SortOrder.Item[] items, long start, long end, Plan plan) {}

    private void sort(CommandContext ctx, boolean readOnly) {
        SortArgs args = SortArgs.parse(ctx, readOnly);
        byte[] source = ctx.arg(1);
        byte[] store = args.store();
        boolean fromScript = ctx.calledByScript();
        byte[][] result;
        if (args.readsPatternKeys()) {
            byte[][][] held = new byte[1][][];
            engine.runExclusive(List.of(), true, () -> {
                Selection s = engine.withKey(source, access -> select(access, args, ctx, fromScript));
                byte[][] values = run(ctx, s, args);
                if (store != null) {
                    engine.withKey(store, access -> write(ctx, access, values));
                }
                held[0] = values;
            });
            result = held[0];
        } else {
            byte[][] keys = store == null ? new byte[][] {source} : new byte[][] {source, store};
            result = engine.withKeys(keys, access -> {
                byte[][] values = run(ctx, select(access[0], args, ctx, fromScript), args);
                if (store != null) {
                    write(ctx, access[1], values);
                }
                return values;
            });
        }
        ReplyWriter reply = ctx.reply();
        if (store != null) {
            reply.integer(result.length);
            return;
        }
        reply.arrayHeader(result.length);
        for (byte[] v : result) {
            if (v == null) {
                reply.nullBulk();
            } else {
                reply.bulk(v);
            }
        }
    }

    /** Sorts the selection and forms the answer: the elements, or their GET values (null: nil). */
    private byte[][] run(CommandContext ctx, Selection s, SortArgs args) {
        SortOrder.Item[] items = s.items();
        Plan plan = s.plan();
        if (plan.sort()) {
            weigh(ctx, items, plan);
            Comparator<SortOrder.Item> order = SortOrder.comparator(plan.alpha(), plan.by() != null,
                    args.store() != null, args.desc());
            if (plan.by() != null && (s.start() != 0 || s.end() != items.length - 1)) {
                PartialQuickSort.sort(items, items.length, order, s.start(), s.end());
            } else {
                Arrays.sort(items, order); // stable, as glibc's qsort (a merge sort) is
            }
        }
        int count = (int) (s.end() - s.start() + 1);
        List<SortPattern> gets = args.gets();
        byte[][] out = new byte[gets.isEmpty() ? count : gets.size() * count][];
        int o = 0;
        for (int j = 0; j < count; j++) {
            byte[] element = items[(int) s.start() + j].element;
            if (gets.isEmpty()) {
                out[o++] = element;
                continue;
            }
            for (SortPattern g : gets) {
                out[o++] = g.isSelf() ? element : g.formsKeys() ? lookup(ctx, g, element, GET_NOT_HERE) : null;
            }
        }
        return out;
    }

    /** Gives every item its sort key: a score, or an ALPHA BY value. */
    private void weigh(CommandContext ctx, SortOrder.Item[] items, Plan plan) {
        boolean notADouble = false;
        for (SortOrder.Item item : items) {
            byte[] value;
            if (plan.by() != null) {
                value = lookup(ctx, plan.by(), item.element, BY_NOT_HERE);
                if (value == null) {
                    continue;
                }
            } else {
                value = item.element;
            }
            if (plan.alpha()) {
                if (plan.by() != null) {
                    item.weight = value;
                }
            } else {
                item.score = ZScoreParser.parseSortWeight(value);
                notADouble |= Double.isNaN(item.score);
            }
        }
        if (notADouble) {
            throw NOT_A_DOUBLE;
        }
    }

    /** The value a key-forming pattern names for {@code element}: a string, a hash field, or null. */
    private byte[] lookup(CommandContext ctx, SortPattern pattern, byte[] element, CommandException notHere) {
        byte[] key = pattern.key(element);
        NodeServices node = ctx.node();
        if (!node.holdsEveryKey() && !node.replicatedHere(key)) {
            throw notHere;
        }
        byte[] field = pattern.field();
        return engine.withKey(key, access -> {
            KeyState state = access.live();
            if (state == null) {
                return null;
            }
            if (field == null) {
                return state.stringBytes();
            }
            HashValue hash = state.hash();
            return hash == null ? null : hash.get(field);
        });
    }

    /**
     * Reads the sorted key ({@code WRONGTYPE} unless a list, set or sorted set) into the sorting
     * vector, and works out LIMIT's positions as Redis does: the offset and count are clamped to
     * the size first; an offset past the end selects nothing. A list or sorted set that is not
     * sorted contributes only the selected positions, in DESC order when asked.
     */
    private static Selection select(KeyAccess access, SortArgs args, CommandContext ctx, boolean fromScript) {
        KeyState state = access.live();
        ListValue list = null;
        SetValue set = null;
        ZSetValue zset = null;
        if (state != null) {
            list = state.list();
            set = state.set();
            zset = state.zset();
            if (list == null && set == null && zset == null) {
                throw Errors.WRONGTYPE_ERROR;
            }
        }
        boolean sort = !args.dontSort();
        boolean alpha = args.alpha();
        if (!sort && set != null && (args.store() != null || fromScript)) {
            sort = true; // a set has no order of its own to keep: sorted, so that the result is deterministic
            alpha = true;
        }
        Plan plan = new Plan(sort, alpha, sort && !args.dontSort() ? args.by() : null);
        int n = list != null ? list.size() : set != null ? set.size() : zset != null ? zset.size() : 0;
        long start = Math.min(Math.max(args.limitStart(), 0), n);
        long count = Math.min(Math.max(args.limitCount(), -1), n);
        long end = count < 0 ? n - 1 : start + count - 1;
        if (start >= n) {
            start = n - 1;
            end = n - 2;
        }
        if (end >= n) {
            end = n - 1;
        }
        if (!sort && (list != null || zset != null)) {
            SortOrder.Item[] items = end >= start ? slice(list, zset, n, (int) start, (int) end, args.desc())
                    : new SortOrder.Item[0];
            return new Selection(items, 0, end - start, plan);
        }
        SortOrder.Item[] items;
        if (list != null) {
            items = slice(list, null, n, 0, n - 1, false);
        } else if (zset != null) {
            items = slice(null, zset, n, 0, n - 1, false);
        } else if (set != null) {
            items = setItems(set, ctx);
        } else {
            items = new SortOrder.Item[0];
        }
        return new Selection(items, start, end, plan);
    }

    /** Positions {@code from..to} of a list or sorted set (by rank), counted from the end when {@code desc}. */
    private static SortOrder.Item[] slice(ListValue list, ZSetValue zset, int n, int from, int to, boolean desc) {
        SortOrder.Item[] items = new SortOrder.Item[to - from + 1];
        int[] i = {0};
        if (list != null) {
            ListValue.ElementVisitor add = (index, v) -> {
                items[i[0]++] = new SortOrder.Item(v);
                return true;
            };
            if (desc) {
                list.forEachReverse(n - 1 - to, n - from, add);
            } else {
                list.forEach(from, to + 1, add);
            }
        } else {
            int lo = desc ? n - 1 - to : from;
            zset.index().forEachInRankRange(lo, lo + items.length, desc,
                    (member, score) -> items[i[0]++] = new SortOrder.Item(member));
        }
        return items;
    }

    /** A set's members in the order Redis would iterate them if it holds them as an intset, else this node's. */
    private static SortOrder.Item[] setItems(SetValue set, CommandContext ctx) {
        SortOrder.Item[] items = new SortOrder.Item[set.size()];
        for (int i = 0; i < items.length; i++) {
            items[i] = new SortOrder.Item(set.memberAt(i));
        }
        if (ObjectCommands.isIntset(set, ctx.node().config().current())) {
            Arrays.sort(items, Comparator.comparingLong(item -> Long.parseLong(
                    new String(item.element, StandardCharsets.US_ASCII))));
        }
        return items;
    }

    /** STORE: replaces the destination with a list of {@code values} (nil as empty strings), or deletes it. */
    private static Void write(CommandContext ctx, KeyAccess dest, byte[][] values) {
        KeyState state = dest.forWrite();
        boolean held = state.exists();
        if (values.length == 0) {
            if (held) {
                dest.written(state.delete(dest.stamp(), dest.node()));
                ctx.notify(NotifyFlags.GENERIC, "del", dest.key());
            }
            return null;
        }
        byte[][] elements = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            elements[i] = values[i] == null ? EMPTY : values[i];
        }
        // Apply both changes before reporting them, so the engine never sees the destination emptied in between.
        KeyState deletion = held ? state.delete(dest.stamp(), dest.node()) : null;
        ListValue pushed;
        try {
            pushed = state.listForWrite().push(false, elements, 0, elements.length, dest.stamp(), dest.node());
        } catch (IllegalStateException e) {
            throw new CommandException("ERR " + e.getMessage());
        }
        if (deletion != null) {
            dest.written(deletion);
        }
        dest.written(KeyState.wrap(pushed));
        ctx.notify(NotifyFlags.LIST, "sortstore", dest.key());
        return null;
    }
}
