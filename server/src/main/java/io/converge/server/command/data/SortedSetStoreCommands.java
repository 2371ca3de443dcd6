package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.Bytes;
import io.converge.crdt.KeyState;
import io.converge.crdt.ScoredMemberConsumer;
import io.converge.crdt.SetValue;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandTable;
import io.converge.server.command.Errors;
import io.converge.server.command.KeyFinder;
import io.converge.server.command.KeySpec;
import io.converge.server.config.NotifyFlags;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * ZUNIONSTORE and ZINTERSTORE: {@code destination numkeys key [key ...] [WEIGHTS w ...]
 * [AGGREGATE SUM|MIN|MAX]}. Inputs may be sorted sets or plain sets (whose members count with
 * score 1), as in Redis; missing keys are empty.
 *
 * <p><b>Arithmetic as Redis.</b> Inputs are processed smallest first (a stable sort by size, as
 * Redis's qsort behaves on glibc), each score multiplied by its weight (a NaN product, 0 x inf,
 * becomes 0 in a union), and SUM turns a NaN sum (inf + -inf) into 0, so results agree bit for
 * bit with redis-server.
 *
 * <p><b>Writing the destination.</b> The whole result is computed first (the destination may be
 * one of the inputs), then the destination is written as a key-level delete of whatever it held
 * (any type) followed by one ZADD per result member, each reported as its own delta. Under
 * concurrency this behaves like DEL + ZADD...: members another replica adds to the destination
 * concurrently survive (add-wins), which is the CRDT reading of "overwrite". An empty result
 * deletes the destination and answers 0.
 */
final class SortedSetStoreCommands {

    private static final int AGGREGATE_SUM = 0;
    private static final int AGGREGATE_MIN = 1;
    private static final int AGGREGATE_MAX = 2;

    private static final CommandException WEIGHT_NOT_FLOAT = new CommandException("ERR weight value is not a float");

    private final StorageEngine engine;

    private SortedSetStoreCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers ZUNIONSTORE and ZINTERSTORE in {@code t}. */
    static void register(CommandTable t, StorageEngine engine) {
        SortedSetStoreCommands c = new SortedSetStoreCommands(engine);
        CommandFlag[] flags = {WRITE, DENYOOM};
        String[] keyFlags = {"OW", "update"};
        // Redis reports key positions (1, 1, 1) plus "movablekeys": the sources follow numkeys,
        // which (first, last, step) cannot express, so a key finder lists destination and sources
        // (COMMAND GETKEYS, and the keys MULTI/EXEC locks), and two key specs describe them.
        KeySpec[] keySpecs = {KeySpec.range(1, 0, 1, keyFlags), KeySpec.keyNum(2, 0, 1, 1, "RO", "access")};
        t.register(SortedSets.spec("zunionstore", -4, flags, keyFlags, "2.0.0",
                "Add multiple sorted sets and store the resulting sorted set in a new key",
                "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
                .keySpecs(keySpecs).keyFinder(KeyFinder.numKeys(1, 2)).handler(ctx -> c.store(ctx, true)).build());
        t.register(SortedSets.spec("zinterstore", -4, flags, keyFlags, "2.0.0",
                "Intersect multiple sorted sets and store the resulting sorted set in a new key",
                "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
                .keySpecs(keySpecs).keyFinder(KeyFinder.numKeys(1, 2)).handler(ctx -> c.store(ctx, false)).build());
    }

    /** One input: a sorted set, a set, or nothing (missing key), with its weight. */
    private static final class Source {
        final ZSetValue zset;
        final SetValue set;
        double weight = 1.0;

        Source(ZSetValue zset, SetValue set) {
            this.zset = zset;
            this.set = set;
        }

        int size() {
            return zset != null ? zset.size() : set != null ? set.size() : 0;
        }

        /** The member's score in this input (1 for a set member), or NaN if absent. */
        double score(byte[] member) {
            if (zset != null) {
                return zset.score(member);
            }
            return set != null && set.contains(member) ? 1.0 : Double.NaN;
        }

        void forEach(ScoredMemberConsumer action) {
            if (zset != null) {
                zset.index().forEachInRankRange(0, zset.size(), false, action);
            } else if (set != null) {
                set.forEachMember(member -> action.accept(member, 1.0));
            }
        }
    }

    private void store(CommandContext ctx, boolean union) {
        byte[][] args = ctx.args();
        long numKeys = ctx.argLong(2);
        if (numKeys < 1) {
            throw new CommandException("ERR at least 1 input key is needed for '" + ctx.command().fullName() + "' command");
        }
        if (numKeys > args.length - 3) {
            throw Errors.SYNTAX_ERROR;
        }
        int n = (int) numKeys;
        byte[][] keys = new byte[n + 1][];
        keys[0] = args[1];
        System.arraycopy(args, 3, keys, 1, n);
        long stored = engine.withKeys(keys, access -> {
            Source[] sources = new Source[n];
            for (int i = 0; i < n; i++) {
                sources[i] = source(access[i + 1]);
            }
            int aggregate = parseOptions(ctx, 3 + n, sources);
            Source[] bySize = sortedBySize(sources);
            Result result = union ? union(bySize, aggregate) : intersect(bySize, aggregate);
            boolean held = access[0].live() != null;
            writeDestination(access[0], result);
            if (result.size > 0) {
                ctx.notify(NotifyFlags.ZSET, union ? "zunionstore" : "zinterstore", keys[0]);
            } else if (held) {
                ctx.notify(NotifyFlags.GENERIC, "del", keys[0]);
            }
            return (long) result.size;
        });
        ctx.reply().integer(stored);
    }

    /** Reads an input key: a sorted set, a set, or missing; any other type is WRONGTYPE. */
    private static Source source(KeyAccess access) {
        KeyState ks = access.live();
        if (ks == null) {
            return new Source(null, null);
        }
        ZSetValue z = ks.zset();
        if (z != null) {
            return new Source(z, null);
        }
        SetValue s = ks.set();
        if (s != null) {
            return new Source(null, s);
        }
        throw Errors.WRONGTYPE_ERROR;
    }

    /** Parses WEIGHTS and AGGREGATE from {@code args[j..]} (after the type checks, as Redis); returns the aggregate. */
    private static int parseOptions(CommandContext ctx, int j, Source[] sources) {
        byte[][] args = ctx.args();
        int aggregate = AGGREGATE_SUM;
        while (j < args.length) {
            int remaining = args.length - j;
            if (remaining >= sources.length + 1 && ctx.argIs(j, "weights")) {
                j++;
                for (Source s : sources) {
                    double w = ZScoreParser.parseScore(args[j++]);
                    if (Double.isNaN(w)) {
                        throw WEIGHT_NOT_FLOAT;
                    }
                    s.weight = w;
                }
            } else if (remaining >= 2 && ctx.argIs(j, "aggregate")) {
                if (ctx.argIs(j + 1, "sum")) {
                    aggregate = AGGREGATE_SUM;
                } else if (ctx.argIs(j + 1, "min")) {
                    aggregate = AGGREGATE_MIN;
                } else if (ctx.argIs(j + 1, "max")) {
                    aggregate = AGGREGATE_MAX;
                } else {
                    throw Errors.SYNTAX_ERROR;
                }
                j += 2;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        return aggregate;
    }

    /** The sources ordered by size, smallest first, equal sizes in argument order. */
    private static Source[] sortedBySize(Source[] sources) {
        Source[] sorted = sources.clone();
        for (int i = 1; i < sorted.length; i++) {
            Source s = sorted[i];
            int j = i - 1;
            while (j >= 0 && sorted[j].size() > s.size()) {
                sorted[j + 1] = sorted[j];
                j--;
            }
            sorted[j + 1] = s;
        }
        return sorted;
    }

    private static Result union(Source[] sources, int aggregate) {
        Map<Bytes, double[]> totals = new HashMap<>();
        for (Source src : sources) {
            if (src.size() == 0) {
                continue;
            }
            double weight = src.weight;
            src.forEach((member, score) -> {
                double weighted = weight * score;
                if (Double.isNaN(weighted)) {
                    weighted = 0.0;
                }
                double[] total = totals.putIfAbsent(Bytes.wrap(member), new double[] {weighted});
                if (total != null) {
                    total[0] = aggregate(aggregate, total[0], weighted);
                }
            });
        }
        Result result = new Result(totals.size());
        for (Map.Entry<Bytes, double[]> e : totals.entrySet()) {
            result.add(e.getKey().array(), e.getValue()[0]);
        }
        return result;
    }

    private static Result intersect(Source[] sources, int aggregate) {
        Source smallest = sources[0];
        Result result = new Result(smallest.size());
        smallest.forEach((member, score) -> {
            double total = smallest.weight * score;
            if (Double.isNaN(total)) {
                total = 0.0;
            }
            for (int j = 1; j < sources.length; j++) {
                double other = sources[j].score(member);
                if (Double.isNaN(other)) {
                    return; // not in every input
                }
                total = aggregate(aggregate, total, other * sources[j].weight);
            }
            result.add(member, total);
        });
        return result;
    }

    /** Redis's zunionInterAggregate: SUM (NaN becomes 0), MIN or MAX (a NaN value never wins). */
    private static double aggregate(int aggregate, double target, double value) {
        switch (aggregate) {
            case AGGREGATE_SUM -> {
                double sum = target + value;
                return Double.isNaN(sum) ? 0.0 : sum;
            }
            case AGGREGATE_MIN -> {
                return value < target ? value : target;
            }
            default -> {
                return value > target ? value : target;
            }
        }
    }

    /** Replaces the destination: delete what it holds, then add the result (see the class comment). */
    private static void writeDestination(KeyAccess dest, Result result) {
        long node = dest.node();
        KeyState held = dest.forWrite();
        if (held.exists()) {
            dest.written(held.delete(dest.stamp(), node));
        }
        if (result.size == 0) {
            return;
        }
        ZSetValue z = SortedSets.forWrite(dest);
        long hlc = dest.stamp();
        for (int i = 0; i < result.size; i++) {
            dest.written(KeyState.wrap(z.add(result.members[i], result.scores[i], hlc, node)));
        }
    }

    /** The computed members and scores, in parallel arrays (no boxing). */
    private static final class Result {
        byte[][] members;
        double[] scores;
        int size;

        Result(int expected) {
            members = new byte[Math.max(4, expected)][];
            scores = new double[members.length];
        }

        void add(byte[] member, double score) {
            if (size == members.length) {
                members = Arrays.copyOf(members, size * 2);
                scores = Arrays.copyOf(scores, size * 2);
            }
            members[size] = member;
            scores[size] = score;
            size++;
        }
    }
}
