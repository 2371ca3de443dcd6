package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.crdt.ZSetIndex;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandTable;
import io.converge.server.command.Errors;
import io.converge.server.command.KeySpec;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;

/**
 * The sorted-set range commands: ZRANGE (BYSCORE/BYLEX/REV/LIMIT/WITHSCORES), ZRANGESTORE, ZRANGEBYSCORE,
 * ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBYRANK,
 * ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
 *
 * <p>Every range is turned into a rank interval with the O(log n) queries of {@link ZSetIndex}
 * and then walked in O(k); nothing is sorted or scanned. Arguments are checked in Redis's order
 * (options, then conflicting options, then the range, then the key), so the same bad command
 * answers the same error.
 */
final class SortedSetRangeCommands {

    /** How the range of a ZRANGE-style command is given; AUTO until ZRANGE's options decide. */
    private enum RangeType { AUTO, RANK, SCORE, LEX }

    /** Iteration direction; AUTO until ZRANGE's REV option decides. */
    private enum Direction { AUTO, FORWARD, REVERSE }

    private static final CommandException LIMIT_NEEDS_BY = new CommandException(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    private static final CommandException WITHSCORES_WITH_BYLEX = new CommandException(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    private static final String RANGE_COMPLEXITY =
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.";
    private static final String LIMITED_COMPLEXITY =
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. "
            + "If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
    private static final String REMOVE_COMPLEXITY =
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.";

    private final StorageEngine engine;

    private SortedSetRangeCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers the range commands in {@code t}. */
    static void register(CommandTable t, StorageEngine engine) {
        SortedSetRangeCommands c = new SortedSetRangeCommands(engine);
        CommandFlag[] read = {READONLY};
        String[] ro = {"RO", "access"};
        t.register(SortedSets.spec("zrange", -4, read, ro, "1.2.0", "Return a range of members in a sorted set",
                RANGE_COMPLEXITY).handler(ctx -> c.range(ctx, RangeType.AUTO, Direction.AUTO)).build());
        t.register(SortedSets.spec("zrangebyscore", -4, read, ro, "1.0.5", "Return a range of members in a sorted set, by score",
                LIMITED_COMPLEXITY).handler(ctx -> c.range(ctx, RangeType.SCORE, Direction.FORWARD)).build());
        t.register(SortedSets.spec("zrevrangebyscore", -4, read, ro, "2.2.0",
                "Return a range of members in a sorted set, by score, with scores ordered from high to low",
                LIMITED_COMPLEXITY).handler(ctx -> c.range(ctx, RangeType.SCORE, Direction.REVERSE)).build());
        t.register(SortedSets.spec("zrangebylex", -4, read, ro, "2.8.9",
                "Return a range of members in a sorted set, by lexicographical range",
                LIMITED_COMPLEXITY).handler(ctx -> c.range(ctx, RangeType.LEX, Direction.FORWARD)).build());
        t.register(SortedSets.spec("zrevrangebylex", -4, read, ro, "2.8.9",
                "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
                LIMITED_COMPLEXITY).handler(ctx -> c.range(ctx, RangeType.LEX, Direction.REVERSE)).build());
        t.register(SortedSets.spec("zrangestore", -5, new CommandFlag[] {WRITE, DENYOOM}, new String[0], "6.2.0",
                "Stores a range of members from sorted set in a key.",
                "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements "
                        + "stored into the destination key.").keys(1, 2, 1)
                .keySpecs(KeySpec.range(1, 0, 1, "OW", "update"), KeySpec.range(2, 0, 1, "RO", "access"))
                .handler(c::zrangestore).build());
        t.register(SortedSets.spec("zrevrange", -4, read, ro, "1.2.0",
                "Return a range of members in a sorted set, by index, with scores ordered from high to low",
                RANGE_COMPLEXITY).handler(ctx -> c.range(ctx, RangeType.RANK, Direction.REVERSE)).build());
        CommandFlag[] readFast = {READONLY, FAST};
        t.register(SortedSets.spec("zcount", 4, readFast, ro, "2.0.0",
                "Count the members in a sorted set with scores within the given values",
                "O(log(N)) with N being the number of elements in the sorted set.").handler(c::zcount).build());
        t.register(SortedSets.spec("zlexcount", 4, readFast, ro, "2.8.9",
                "Count the number of members in a sorted set between a given lexicographical range",
                "O(log(N)) with N being the number of elements in the sorted set.").handler(c::zlexcount).build());
        CommandFlag[] write = {WRITE};
        String[] rwDelete = {"RW", "delete"};
        t.register(SortedSets.spec("zremrangebyrank", 4, write, rwDelete, "2.0.0",
                "Remove all members in a sorted set within the given indexes", REMOVE_COMPLEXITY)
                .handler(c::zremrangebyrank).build());
        t.register(SortedSets.spec("zremrangebyscore", 4, write, rwDelete, "1.2.0",
                "Remove all members in a sorted set within the given scores", REMOVE_COMPLEXITY)
                .handler(c::zremrangebyscore).build());
        t.register(SortedSets.spec("zremrangebylex", 4, write, rwDelete, "2.8.9",
                "Remove all members in a sorted set between the given lexicographical range", REMOVE_COMPLEXITY)
                .handler(c::zremrangebylex).build());
    }

    // ------------------------------------------------------------------ ZRANGE family

    /**
     * The ZRANGE family. {@code type}/{@code direction} are fixed by the legacy commands
     * (ZRANGEBYSCORE is SCORE/FORWARD...) and AUTO for ZRANGE, whose BYSCORE/BYLEX/REV options
     * may then set them once. With REV, BYSCORE and BYLEX take the range as max then min.
     */
    private void range(CommandContext ctx, RangeType type, Direction direction) {
        Query q = Query.parse(ctx, 2, type, direction, false);
        engine.withKey(ctx.arg(1), access -> {
            ZSetValue z = SortedSets.read(access);
            ReplyWriter reply = ctx.reply();
            int[] span = z == null ? null : q.span(z.index());
            if (span == null) {
                reply.emptyArray();
            } else {
                SortedSets.writeRange(reply, z.index(), span[0], span[1], q.reverse, q.withScores);
            }
            return null;
        });
    }

    /**
     * ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: stores the range
     * (members and scores) as the destination's new value, as the *STORE commands do (a delete of
     * what it held, then the adds); an empty range deletes the destination. Answers its size.
     */
    private void zrangestore(CommandContext ctx) {
        Query q = Query.parse(ctx, 3, RangeType.AUTO, Direction.AUTO, true);
        byte[][] keys = {ctx.arg(1), ctx.arg(2)};
        long stored = engine.withKeys(keys, access -> {
            KeyAccess dest = access[0];
            ZSetValue z = SortedSets.read(access[1]);
            int[] span = z == null ? null : q.span(z.index());
            int n = span == null ? 0 : span[1] - span[0];
            byte[][] members = new byte[n][];
            double[] scores = new double[n];
            if (n > 0) {
                int[] i = {0};
                z.index().forEachInRankRange(span[0], span[1], q.reverse, (m, score) -> {
                    members[i[0]] = m;
                    scores[i[0]++] = score;
                });
            }
            KeyState held = dest.forWrite();
            boolean existed = held.exists();
            if (existed) {
                dest.written(held.delete(dest.stamp(), dest.node()));
            }
            if (n > 0) {
                ZSetValue out = SortedSets.forWrite(dest);
                long hlc = dest.stamp();
                for (int k = 0; k < n; k++) {
                    dest.written(KeyState.wrap(out.add(members[k], scores[k], hlc, dest.node())));
                }
                ctx.notify(NotifyFlags.ZSET, "zrangestore", dest.key());
            } else if (existed) {
                ctx.notify(NotifyFlags.GENERIC, "del", dest.key());
            }
            return (long) n;
        });
        ctx.reply().integer(stored);
    }

    /**
     * A parsed ZRANGE-family query. For RANK, {@code start}/{@code stop} are Redis's indexes; for
     * SCORE and LEX, {@code first}/{@code end} map a set to the rank interval of the range.
     */
    private record Query(RangeType type, boolean reverse, boolean withScores, long offset, long limit, long start,
                         long stop, RankBound first, RankBound end) {

        /**
         * Parses the range at {@code rangeIndex} (then {@code rangeIndex + 1}) and the options
         * after it, in Redis's order of checks; {@code store}: ZRANGESTORE (no WITHSCORES).
         */
        static Query parse(CommandContext ctx, int rangeIndex, RangeType type, Direction direction, boolean store) {
            byte[][] args = ctx.args();
            boolean withScores = false;
            long offset = 0;
            long limit = -1;
            for (int j = rangeIndex + 2; j < args.length; j++) {
                int left = args.length - j - 1;
                if (!store && ctx.argIs(j, "withscores")) {
                    withScores = true;
                } else if (left >= 2 && ctx.argIs(j, "limit")) {
                    offset = ctx.argLong(j + 1);
                    limit = ctx.argLong(j + 2);
                    j += 2;
                } else if (direction == Direction.AUTO && ctx.argIs(j, "rev")) {
                    direction = Direction.REVERSE;
                } else if (type == RangeType.AUTO && ctx.argIs(j, "bylex")) {
                    type = RangeType.LEX;
                } else if (type == RangeType.AUTO && ctx.argIs(j, "byscore")) {
                    type = RangeType.SCORE;
                } else {
                    throw Errors.SYNTAX_ERROR;
                }
            }
            if (type == RangeType.AUTO) {
                type = RangeType.RANK;
            }
            boolean reverse = direction == Direction.REVERSE;
            // Redis tells "LIMIT given" by limit != -1, so "LIMIT 0 -1" passes this check.
            if (limit != -1 && type == RangeType.RANK) {
                throw LIMIT_NEEDS_BY;
            }
            if (withScores && type == RangeType.LEX) {
                throw WITHSCORES_WITH_BYLEX;
            }
            int minIdx = rangeIndex;
            int maxIdx = rangeIndex + 1;
            if (reverse && type != RangeType.RANK) {
                minIdx = rangeIndex + 1;
                maxIdx = rangeIndex;
            }
            return switch (type) {
                case RANK -> new Query(type, reverse, withScores, 0, -1, ctx.argLong(minIdx), ctx.argLong(maxIdx),
                        null, null);
                case SCORE -> {
                    ZScoreRange r = ZScoreRange.parse(args[minIdx], args[maxIdx]);
                    yield new Query(type, reverse, withScores, offset, limit, 0, 0, r::firstRank, r::endRank);
                }
                default -> {
                    ZLexRange r = ZLexRange.parse(args[minIdx], args[maxIdx]);
                    yield new Query(type, reverse, false, offset, limit, 0, 0, r::firstRank, r::endRank);
                }
            };
        }

        /**
         * The ranks {@code [from, to)} the query selects in {@code index} (walked from the top
         * when {@code reverse}), or null for none. By index: Redis's start/stop, counted from the
         * top with REV. By score or lex, LIMIT skips {@code offset} members in walking order and
         * takes up to {@code limit} (all when negative); as in Redis, a negative offset selects
         * nothing.
         */
        int[] span(ZSetIndex index) {
            int size = index.size();
            if (type == RangeType.RANK) {
                long[] s = clampRankSpan(start, stop, size);
                if (s == null) {
                    return null;
                }
                return reverse ? new int[] {(int) (size - 1 - s[1]), (int) (size - s[0])}
                        : new int[] {(int) s[0], (int) s[1] + 1};
            }
            int from = first.rank(index);
            int to = end.rank(index);
            int available = to - from;
            if (offset < 0 || offset >= available) {
                return null;
            }
            int n = (int) (limit < 0 ? available - offset : Math.min(limit, available - offset));
            if (reverse) {
                int hi = (int) (to - offset);
                return new int[] {hi - n, hi};
            }
            int lo = (int) (from + offset);
            return new int[] {lo, lo + n};
        }
    }

    /**
     * Redis's index sanitising for ZRANGE and ZREMRANGEBYRANK: negative indexes count from the
     * end, start is clamped to 0 and stop to the last index. Returns {start, stop} (inclusive) or
     * null for an empty range.
     */
    private static long[] clampRankSpan(long start, long stop, int size) {
        if (start < 0) {
            start += size;
        }
        if (stop < 0) {
            stop += size;
        }
        if (start < 0) {
            start = 0;
        }
        if (start > stop || start >= size) {
            return null;
        }
        if (stop >= size) {
            stop = size - 1;
        }
        return new long[] {start, stop};
    }

    /** Maps a sorted set's index to one end of a rank interval. */
    @FunctionalInterface
    private interface RankBound {
        int rank(ZSetIndex index);
    }

    // ------------------------------------------------------------------ counts

    private void zcount(CommandContext ctx) {
        ZScoreRange r = ZScoreRange.parse(ctx.arg(2), ctx.arg(3));
        ctx.reply().integer(count(ctx.arg(1), index -> r.endRank(index) - r.firstRank(index)));
    }

    private void zlexcount(CommandContext ctx) {
        ZLexRange r = ZLexRange.parse(ctx.arg(2), ctx.arg(3));
        ctx.reply().integer(count(ctx.arg(1), index -> r.endRank(index) - r.firstRank(index)));
    }

    private int count(byte[] key, RankBound counter) {
        return engine.withKey(key, access -> {
            ZSetValue z = SortedSets.read(access);
            return z == null ? 0 : counter.rank(z.index());
        });
    }

    // ------------------------------------------------------------------ ZREMRANGEBY*

    private void zremrangebyrank(CommandContext ctx) {
        long start = ctx.argLong(2);
        long stop = ctx.argLong(3);
        long removed = engine.withKey(ctx.arg(1), access -> {
            ZSetValue z = SortedSets.readForWrite(access);
            if (z == null) {
                return 0L;
            }
            long[] span = clampRankSpan(start, stop, z.size());
            return span == null ? 0L : removeRanks(ctx, access, (int) span[0], (int) span[1] + 1);
        });
        ctx.reply().integer(removed);
    }

    private void zremrangebyscore(CommandContext ctx) {
        ZScoreRange r = ZScoreRange.parse(ctx.arg(2), ctx.arg(3));
        ctx.reply().integer(removeRange(ctx, r::firstRank, r::endRank));
    }

    private void zremrangebylex(CommandContext ctx) {
        ZLexRange r = ZLexRange.parse(ctx.arg(2), ctx.arg(3));
        ctx.reply().integer(removeRange(ctx, r::firstRank, r::endRank));
    }

    private long removeRange(CommandContext ctx, RankBound first, RankBound end) {
        return engine.withKey(ctx.arg(1), access -> {
            ZSetValue z = SortedSets.readForWrite(access);
            if (z == null) {
                return 0L;
            }
            return removeRanks(ctx, access, first.rank(z.index()), end.rank(z.index()));
        });
    }

    /**
     * Removes the members of ranks {@code [from, to)}: the member at rank {@code from}, that many
     * times (each removal shifts the rest down), one delta each. Returns how many were removed.
     */
    private static long removeRanks(CommandContext ctx, KeyAccess access, int from, int to) {
        if (to <= from) {
            return 0;
        }
        ZSetValue z = SortedSets.forWrite(access);
        long hlc = access.stamp();
        long node = access.node();
        ZSetIndex index = z.index();
        for (int i = from; i < to; i++) {
            access.written(KeyState.wrap(z.remove(index.memberAt(from), hlc, node)));
        }
        // The command's own name is its event (zremrangebyrank, zremrangebyscore, zremrangebylex).
        ctx.notify(NotifyFlags.ZSET, ctx.command().name(), ctx.arg(1));
        DataArgs.notifyIfDeleted(ctx, access);
        return to - from;
    }
}
