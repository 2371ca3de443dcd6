package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.crdt.ScoredMemberConsumer;
import io.converge.crdt.ZSetIndex;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandTable;
import io.converge.server.command.Errors;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.protocol.RespDoubles;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import io.converge.server.util.Glob;
import io.converge.server.util.RedisNumbers;
import java.util.BitSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The sorted-set commands on single members and whole sets: ZADD, ZINCRBY, ZREM, ZSCORE,
 * ZMSCORE, ZCARD, ZRANK, ZREVRANK, ZPOPMIN, ZPOPMAX, ZRANDMEMBER and ZSCAN. {@link #register}
 * also registers the range commands ({@link SortedSetRangeCommands}), the set-algebra commands
 * ({@link SortedSetStoreCommands}, {@link SortedSetAlgebraCommands}) and the multi-key and
 * blocking pops ({@link SortedSetPopCommands}), so the whole family is one line in
 * {@code DataCommandFamilies}.
 *
 * <p>Every key is a {@link ZSetValue} (add-wins membership, score = LWW base plus counter
 * increments). Writes take one HLC stamp per command and report one delta per member they change.
 * Replies, errors and their order of checking are Redis 7's; ZRANK/ZREVRANK accept Redis 7.2's
 * WITHSCORE option.
 */
public final class SortedSetCommands {

    private static final int ZADD_NX = 1;
    private static final int ZADD_XX = 2;
    private static final int ZADD_GT = 4;
    private static final int ZADD_LT = 8;
    private static final int ZADD_CH = 16;
    private static final int ZADD_INCR = 32;

    /**
     * Sets up to this many members answer ZSCAN in one reply with cursor 0, whatever the cursor
     * and COUNT, as Redis does for its compact (listpack) encoding, whose default limit this is.
     */
    static final int SCAN_WHOLE_SET_LIMIT = 128;

    private static final CommandException NAN_SCORE = new CommandException("ERR resulting score is not a number (NaN)");
    private static final CommandException XX_AND_NX = new CommandException(
            "ERR XX and NX options at the same time are not compatible");
    private static final CommandException GT_LT_NX = new CommandException(
            "ERR GT, LT, and/or NX options at the same time are not compatible");
    private static final CommandException INCR_SINGLE_PAIR = new CommandException(
            "ERR INCR option supports a single increment-element pair");
    private static final CommandException NOT_POSITIVE = new CommandException(
            "ERR value is out of range, must be positive");
    private static final CommandException RANDMEMBER_COUNT_RANGE = new CommandException(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    private static final CommandException OUT_OF_RANGE = new CommandException("ERR value is out of range");

    private final StorageEngine engine;

    private SortedSetCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers every sorted-set command in the node's command table. */
    public static void register(NodeServices services, StorageEngine engine) {
        SortedSetCommands c = new SortedSetCommands(engine);
        CommandTable t = services.commands();
        t.register(SortedSets.spec("zadd", -4, flags(WRITE, DENYOOM, FAST), keyFlags("RW", "update"), "1.2.0",
                "Add one or more members to a sorted set, or update its score if it already exists",
                "O(log(N)) for each item added, where N is the number of elements in the sorted set.")
                .handler(c::zadd).build());
        t.register(SortedSets.spec("zincrby", 4, flags(WRITE, DENYOOM, FAST), keyFlags("RW", "access", "update"),
                "1.2.0", "Increment the score of a member in a sorted set",
                "O(log(N)) where N is the number of elements in the sorted set.").handler(c::zincrby).build());
        t.register(SortedSets.spec("zrem", -3, flags(WRITE, FAST), keyFlags("RW", "delete"), "1.2.0",
                "Remove one or more members from a sorted set",
                "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")
                .handler(c::zrem).build());
        t.register(SortedSets.spec("zscore", 3, flags(READONLY, FAST), keyFlags("RO", "access"), "1.2.0",
                "Get the score associated with the given member in a sorted set", "O(1)").handler(c::zscore).build());
        t.register(SortedSets.spec("zmscore", -3, flags(READONLY, FAST), keyFlags("RO", "access"), "6.2.0",
                "Get the score associated with the given members in a sorted set",
                "O(N) where N is the number of members being requested.").handler(c::zmscore).build());
        t.register(SortedSets.spec("zcard", 2, flags(READONLY, FAST), keyFlags("RO"), "1.2.0",
                "Get the number of members in a sorted set", "O(1)").handler(c::zcard).build());
        t.register(SortedSets.spec("zrank", -3, flags(READONLY, FAST), keyFlags("RO", "access"), "2.0.0",
                "Determine the index of a member in a sorted set", "O(log(N))").handler(c::zrank).build());
        t.register(SortedSets.spec("zrevrank", -3, flags(READONLY, FAST), keyFlags("RO", "access"), "2.0.0",
                "Determine the index of a member in a sorted set, with scores ordered from high to low",
                "O(log(N))").handler(c::zrevrank).build());
        t.register(SortedSets.spec("zpopmin", -2, flags(WRITE, FAST), keyFlags("RW", "access", "delete"), "5.0.0",
                "Remove and return members with the lowest scores in a sorted set",
                "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
                .handler(c::zpopmin).build());
        t.register(SortedSets.spec("zpopmax", -2, flags(WRITE, FAST), keyFlags("RW", "access", "delete"), "5.0.0",
                "Remove and return members with the highest scores in a sorted set",
                "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
                .handler(c::zpopmax).build());
        t.register(SortedSets.spec("zrandmember", -2, flags(READONLY), keyFlags("RO", "access"), "6.2.0",
                "Get one or multiple random elements from a sorted set",
                "O(N) where N is the number of elements returned").tips("nondeterministic_output")
                .handler(c::zrandmember).build());
        t.register(SortedSets.spec("zscan", -3, flags(READONLY), keyFlags("RO", "access"), "2.8.0",
                "Incrementally iterate sorted sets elements and associated scores",
                "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
                .tips("nondeterministic_output").handler(c::zscan).build());
        SortedSetRangeCommands.register(t, engine);
        SortedSetStoreCommands.register(t, engine);
        SortedSetAlgebraCommands.register(t, engine);
        SortedSetPopCommands.register(t, engine);
    }

    private static CommandFlag[] flags(CommandFlag... flags) {
        return flags;
    }

    private static String[] keyFlags(String... flags) {
        return flags;
    }

    // ------------------------------------------------------------------ ZADD / ZINCRBY

    private void zadd(CommandContext ctx) {
        zaddGeneric(ctx, 0);
    }

    /** ZINCRBY is ZADD INCR with one pair, and parses options the same way (as Redis does). */
    private void zincrby(CommandContext ctx) {
        zaddGeneric(ctx, ZADD_INCR);
    }

    private void zaddGeneric(CommandContext ctx, int initialFlags) {
        byte[][] args = ctx.args();
        int flags = initialFlags;
        int scoreIdx = 2;
        while (scoreIdx < args.length) {
            int option = zaddOption(args[scoreIdx]);
            if (option == 0) {
                break;
            }
            flags |= option;
            scoreIdx++;
        }
        int elements = args.length - scoreIdx;
        if (elements == 0 || elements % 2 != 0) {
            throw Errors.SYNTAX_ERROR;
        }
        elements /= 2;
        boolean nx = (flags & ZADD_NX) != 0;
        boolean gt = (flags & ZADD_GT) != 0;
        boolean lt = (flags & ZADD_LT) != 0;
        if (nx && (flags & ZADD_XX) != 0) {
            throw XX_AND_NX;
        }
        if ((gt && nx) || (lt && nx) || (gt && lt)) {
            throw GT_LT_NX;
        }
        if ((flags & ZADD_INCR) != 0 && elements > 1) {
            throw INCR_SINGLE_PAIR;
        }
        double[] scores = new double[elements];
        for (int j = 0; j < elements; j++) {
            double s = ZScoreParser.parseScore(args[scoreIdx + 2 * j]);
            if (Double.isNaN(s)) {
                throw Errors.NOT_FLOAT_ERROR;
            }
            scores[j] = s;
        }
        int options = flags;
        int firstPair = scoreIdx;
        engine.withKey(args[1], access -> {
            applyZadd(ctx, access, options, firstPair, scores);
            return null;
        });
    }

    /** The ZADD option flag {@code arg} names, or 0 if it is not an option. */
    private static int zaddOption(byte[] arg) {
        if (arg.length == 2) {
            if (CommandContext.equalsIgnoreCase(arg, "nx")) {
                return ZADD_NX;
            }
            if (CommandContext.equalsIgnoreCase(arg, "xx")) {
                return ZADD_XX;
            }
            if (CommandContext.equalsIgnoreCase(arg, "ch")) {
                return ZADD_CH;
            }
            if (CommandContext.equalsIgnoreCase(arg, "gt")) {
                return ZADD_GT;
            }
            if (CommandContext.equalsIgnoreCase(arg, "lt")) {
                return ZADD_LT;
            }
        } else if (CommandContext.equalsIgnoreCase(arg, "incr")) {
            return ZADD_INCR;
        }
        return 0;
    }

    /**
     * Applies ZADD's pairs under the key lock, with Redis's per-member rules: NX skips existing
     * members, XX skips new ones, GT/LT skip updates that do not raise/lower the score, an update
     * to the same score changes nothing. INCR goes through the counter part of the score (so
     * concurrent increments on other replicas add up); a plain update sets a new LWW base.
     */
    private static void applyZadd(CommandContext ctx, KeyAccess access, int flags, int firstPair, double[] scores) {
        boolean nx = (flags & ZADD_NX) != 0;
        boolean xx = (flags & ZADD_XX) != 0;
        boolean gt = (flags & ZADD_GT) != 0;
        boolean lt = (flags & ZADD_LT) != 0;
        boolean incr = (flags & ZADD_INCR) != 0;
        ReplyWriter reply = ctx.reply();
        ZSetValue z = SortedSets.readForWrite(access);
        if (z == null && xx) {
            replyZadd(reply, flags, false, 0, 0);
            return;
        }
        boolean writable = false;
        long hlc = 0;
        long node = access.node();
        long added = 0;
        long updated = 0;
        boolean processed = false;
        double newScore = 0;
        byte[][] args = ctx.args();
        for (int j = 0; j < scores.length; j++) {
            byte[] member = args[firstPair + 2 * j + 1];
            double score = scores[j];
            double current = z == null ? Double.NaN : z.score(member);
            boolean exists = !Double.isNaN(current);
            double target;
            if (exists) {
                if (nx) {
                    continue;
                }
                target = incr ? current + score : score;
                if (Double.isNaN(target)) {
                    throw NAN_SCORE;
                }
                if ((lt && target >= current) || (gt && target <= current)) {
                    continue;
                }
                processed = true;
                newScore = target;
                if (target == current) {
                    continue; // Redis leaves the element alone: nothing to write
                }
                updated++;
            } else {
                if (xx) {
                    continue;
                }
                processed = true;
                newScore = score;
                added++;
            }
            if (!writable) {
                z = SortedSets.forWrite(access);
                hlc = access.stamp();
                writable = true;
            }
            if (incr) {
                ZSetValue delta;
                try {
                    delta = z.incrBy(member, score, hlc, node);
                } catch (IllegalArgumentException e) {
                    throw NAN_SCORE;
                }
                access.written(KeyState.wrap(delta));
                newScore = z.score(member);
            } else {
                access.written(KeyState.wrap(z.add(member, score, hlc, node)));
            }
        }
        if (added + updated > 0) {
            ctx.notify(NotifyFlags.ZSET, incr ? "zincr" : "zadd", access.key());
        }
        replyZadd(reply, flags, processed, newScore, (flags & ZADD_CH) != 0 ? added + updated : added);
    }

    private static void replyZadd(ReplyWriter reply, int flags, boolean processed, double newScore, long count) {
        if ((flags & ZADD_INCR) != 0) {
            if (processed) {
                reply.doubleValue(newScore);
            } else {
                reply.nullBulk();
            }
        } else {
            reply.integer(count);
        }
    }

    // ------------------------------------------------------------------ ZREM

    private void zrem(CommandContext ctx) {
        byte[][] args = ctx.args();
        long removed = engine.withKey(args[1], access -> {
            ZSetValue z = SortedSets.readForWrite(access);
            if (z == null) {
                return 0L;
            }
            long count = 0;
            boolean writable = false;
            long hlc = 0;
            for (int i = 2; i < args.length; i++) {
                if (!z.contains(args[i])) {
                    continue;
                }
                if (!writable) {
                    z = SortedSets.forWrite(access);
                    hlc = access.stamp();
                    writable = true;
                }
                ZSetValue delta = z.remove(args[i], hlc, access.node());
                if (delta != null) {
                    access.written(KeyState.wrap(delta));
                    count++;
                }
            }
            if (count > 0) {
                ctx.notify(NotifyFlags.ZSET, "zrem", args[1]);
                DataArgs.notifyIfDeleted(ctx, access);
            }
            return count;
        });
        ctx.reply().integer(removed);
    }

    // ------------------------------------------------------------------ point reads

    private void zscore(CommandContext ctx) {
        byte[] member = ctx.arg(2);
        engine.withKey(ctx.arg(1), access -> {
            ZSetValue z = SortedSets.read(access);
            double score = z == null ? Double.NaN : z.score(member);
            if (Double.isNaN(score)) {
                ctx.reply().nullBulk();
            } else {
                ctx.reply().doubleValue(score);
            }
            return null;
        });
    }

    private void zmscore(CommandContext ctx) {
        byte[][] args = ctx.args();
        engine.withKey(args[1], access -> {
            ZSetValue z = SortedSets.read(access);
            ReplyWriter reply = ctx.reply();
            reply.arrayHeader(args.length - 2);
            for (int i = 2; i < args.length; i++) {
                double score = z == null ? Double.NaN : z.score(args[i]);
                if (Double.isNaN(score)) {
                    reply.nullBulk();
                } else {
                    reply.doubleValue(score);
                }
            }
            return null;
        });
    }

    private void zcard(CommandContext ctx) {
        int size = engine.withKey(ctx.arg(1), access -> {
            ZSetValue z = SortedSets.read(access);
            return z == null ? 0 : z.size();
        });
        ctx.reply().integer(size);
    }

    private void zrank(CommandContext ctx) {
        rank(ctx, false);
    }

    private void zrevrank(CommandContext ctx) {
        rank(ctx, true);
    }

    /** ZRANK/ZREVRANK key member [WITHSCORE] (WITHSCORE as in Redis 7.2). */
    private void rank(CommandContext ctx, boolean reverse) {
        int argc = ctx.argc();
        if (argc > 4) {
            throw new CommandException(Errors.wrongArity(ctx.command().fullName()));
        }
        boolean withScore = false;
        if (argc == 4) {
            if (!ctx.argIs(3, "withscore")) {
                throw Errors.SYNTAX_ERROR;
            }
            withScore = true;
        }
        boolean withScoreReply = withScore;
        byte[] member = ctx.arg(2);
        engine.withKey(ctx.arg(1), access -> {
            ZSetValue z = SortedSets.read(access);
            ReplyWriter reply = ctx.reply();
            int rank = z == null ? -1 : reverse ? z.revRank(member) : z.rank(member);
            if (rank < 0) {
                if (withScoreReply) {
                    reply.nullArray();
                } else {
                    reply.nullBulk();
                }
            } else if (withScoreReply) {
                reply.arrayHeader(2);
                reply.integer(rank);
                reply.doubleValue(z.score(member));
            } else {
                reply.integer(rank);
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ ZPOPMIN / ZPOPMAX

    private void zpopmin(CommandContext ctx) {
        pop(ctx, false);
    }

    private void zpopmax(CommandContext ctx) {
        pop(ctx, true);
    }

    /**
     * ZPOPMIN/ZPOPMAX key [count]: without a count (or in RESP2) a flat array of member, score...;
     * with a count in RESP3 an array of [member, score] pairs.
     */
    private void pop(CommandContext ctx, boolean max) {
        if (ctx.argc() > 3) {
            throw Errors.SYNTAX_ERROR;
        }
        long requested = -1;
        if (ctx.argc() == 3) {
            byte[] arg = ctx.arg(2);
            // Redis answers the same text for a non-integer and for a negative count.
            requested = RedisNumbers.isLong(arg) ? RedisNumbers.parseLong(arg) : -1;
            if (requested < 0) {
                throw NOT_POSITIVE;
            }
        }
        long count = requested;
        boolean nested = ctx.reply().isResp3() && requested != -1;
        engine.withKey(ctx.arg(1), access -> {
            ZSetValue z = SortedSets.readForWrite(access);
            ReplyWriter reply = ctx.reply();
            if (z == null || count == 0) {
                reply.emptyArray();
                return null;
            }
            int n = (int) Math.min(count == -1 ? 1 : count, z.size());
            reply.arrayHeader(nested ? n : n * 2);
            ZSetValue zw = SortedSets.forWrite(access);
            long hlc = access.stamp();
            long node = access.node();
            ScoredMemberConsumer out = SortedSets.pairWriter(reply, true, nested);
            for (int i = 0; i < n; i++) {
                ZSetValue delta = max ? zw.popMax(hlc, node, out) : zw.popMin(hlc, node, out);
                access.written(KeyState.wrap(delta));
            }
            ctx.notify(NotifyFlags.ZSET, max ? "zpopmax" : "zpopmin", ctx.arg(1));
            DataArgs.notifyIfDeleted(ctx, access);
            return null;
        });
    }

    // ------------------------------------------------------------------ ZRANDMEMBER

    /**
     * ZRANDMEMBER key [count [WITHSCORES]]. A positive count returns distinct members (the whole
     * set when count reaches its size), a negative one that many independent picks.
     */
    private void zrandmember(CommandContext ctx) {
        int argc = ctx.argc();
        if (argc < 3) {
            engine.withKey(ctx.arg(1), access -> {
                ZSetValue z = SortedSets.read(access);
                if (z == null) {
                    ctx.reply().nullBulk();
                } else {
                    ctx.reply().bulk(z.index().memberAt(ThreadLocalRandom.current().nextInt(z.size())));
                }
                return null;
            });
            return;
        }
        long count = ctx.argLong(2);
        if (count == Long.MIN_VALUE) {
            throw RANDMEMBER_COUNT_RANGE;
        }
        boolean withScores = false;
        if (argc > 4 || (argc == 4 && !ctx.argIs(3, "withscores"))) {
            throw Errors.SYNTAX_ERROR;
        }
        if (argc == 4) {
            withScores = true;
            if (count < -Long.MAX_VALUE / 2 || count > Long.MAX_VALUE / 2) {
                throw OUT_OF_RANGE;
            }
        }
        boolean scores = withScores;
        engine.withKey(ctx.arg(1), access -> {
            randomMembers(ctx.reply(), SortedSets.read(access), count, scores);
            return null;
        });
    }

    private static void randomMembers(ReplyWriter reply, ZSetValue z, long count, boolean withScores) {
        if (z == null || count == 0) {
            reply.emptyArray();
            return;
        }
        ZSetIndex index = z.index();
        int size = index.size();
        boolean distinct = count > 0;
        long n = Math.abs(count);
        boolean nested = withScores && reply.isResp3();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (!distinct || n == 1) {
            // Independent picks (repetitions allowed), in pick order.
            if (n > (nested || !withScores ? Integer.MAX_VALUE : Integer.MAX_VALUE / 2)) {
                throw OUT_OF_RANGE; // more than one reply can hold
            }
            reply.arrayHeader((int) (withScores && !nested ? n * 2 : n));
            for (long i = 0; i < n; i++) {
                writeRank(reply, index, random.nextInt(size), withScores, nested);
            }
            return;
        }
        if (n >= size) {
            // The whole set; Redis walks it from the highest rank down.
            SortedSets.writeRange(reply, index, 0, size, true, withScores);
            return;
        }
        int[] ranks = distinctRanks(random, size, (int) n);
        reply.arrayHeader(withScores && !nested ? ranks.length * 2 : ranks.length);
        for (int rank : ranks) {
            writeRank(reply, index, rank, withScores, nested);
        }
    }

    /**
     * {@code k < size} distinct ranks chosen uniformly (Floyd's algorithm: one draw per rank, no
     * rejection loop), in random order.
     */
    private static int[] distinctRanks(ThreadLocalRandom random, int size, int k) {
        BitSet chosen = new BitSet(size);
        int[] ranks = new int[k];
        int n = 0;
        for (int j = size - k; j < size; j++) {
            int t = random.nextInt(j + 1);
            int pick = chosen.get(t) ? j : t;
            chosen.set(pick);
            ranks[n++] = pick;
        }
        for (int i = k - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = ranks[i];
            ranks[i] = ranks[j];
            ranks[j] = tmp;
        }
        return ranks;
    }

    private static void writeRank(ReplyWriter reply, ZSetIndex index, int rank, boolean withScores, boolean nested) {
        if (nested) {
            reply.arrayHeader(2);
        }
        reply.bulk(index.memberAt(rank));
        if (withScores) {
            reply.doubleValue(index.scoreAt(rank));
        }
    }

    // ------------------------------------------------------------------ ZSCAN

    /**
     * ZSCAN key cursor [MATCH pattern] [COUNT count].
     *
     * <p>A set of at most {@link #SCAN_WHOLE_SET_LIMIT} members is returned whole with cursor 0,
     * as Redis does for small sets. A larger set is walked in score order and the cursor encodes
     * a <em>score</em>: the next call resumes at the first member whose score is at least that
     * score. Each reply takes COUNT members and then the rest of the members sharing the last
     * one's score, so the next cursor is a score strictly greater than any returned. This keeps
     * SCAN's guarantee (a member present, with an unchanged score, during the whole iteration is
     * returned at least once) however members are added or removed between calls, needs no state
     * on the server and never returns the same member twice unless its score changed. The score
     * is stored as its IEEE bits mapped to an unsigned order ({@link #scoreCursor}), never 0.
     */
    private void zscan(CommandContext ctx) {
        long cursor = DataArgs.parseCursor(ctx.arg(2));
        engine.withKey(ctx.arg(1), access -> {
            ZSetValue z = SortedSets.read(access);
            ReplyWriter reply = ctx.reply();
            if (z == null) {
                reply.arrayHeader(2);
                DataArgs.replyCursor(ctx, 0);
                reply.emptyArray();
                return null;
            }
            DataArgs.ScanOptions options = DataArgs.parseScanOptions(ctx, 3, false);
            ZSetIndex index = z.index();
            int size = index.size();
            int from;
            int to;
            long next;
            if (size <= SCAN_WHOLE_SET_LIMIT) {
                from = 0;
                to = size;
                next = 0;
            } else {
                from = cursor == 0 ? 0 : index.firstRankInScore(cursorScore(cursor), false);
                to = (int) Math.min(size, (long) from + options.count());
                if (to > from && to < size) {
                    to = index.endRankInScore(index.scoreAt(to - 1), false);
                }
                next = to < size ? scoreCursor(index.scoreAt(to)) : 0;
            }
            reply.arrayHeader(2);
            DataArgs.replyCursor(ctx, next);
            writeScanElements(reply, index, from, to, options.pattern());
            return null;
        });
    }

    private static void writeScanElements(ReplyWriter reply, ZSetIndex index, int from, int to, byte[] pattern) {
        if (pattern == null) {
            reply.arrayHeader(2 * (to - from));
            index.forEachInRankRange(from, to, false, (member, score) -> {
                reply.bulk(member);
                reply.bulk(RespDoubles.format(score));
            });
            return;
        }
        int token = reply.beginDeferred();
        int[] matched = new int[1];
        index.forEachInRankRange(from, to, false, (member, score) -> {
            if (Glob.matches(pattern, member, false)) {
                reply.bulk(member);
                reply.bulk(RespDoubles.format(score));
                matched[0]++;
            }
        });
        reply.endDeferredArray(token, 2 * matched[0]);
    }

    /** The ZSCAN cursor for "resume at score {@code score}": its bits in unsigned order. */
    static long scoreCursor(double score) {
        long bits = Double.doubleToLongBits(score + 0.0);
        return bits >= 0 ? bits ^ Long.MIN_VALUE : ~bits;
    }

    /** The score a ZSCAN cursor made by {@link #scoreCursor} stands for. */
    static double cursorScore(long cursor) {
        long bits = cursor < 0 ? cursor ^ Long.MIN_VALUE : ~cursor;
        return Double.longBitsToDouble(bits);
    }
}
