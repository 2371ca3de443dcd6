package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.BLOCKING;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.BlockingArgs;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandTable;
import io.converge.server.command.KeyFinder;
import io.converge.server.command.KeySpec;
import io.converge.server.config.NotifyFlags;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.util.Arrays;

/**
 * The sorted-set pops over several keys: ZMPOP, and the blocking BZPOPMIN, BZPOPMAX and BZMPOP
 * (which block as the list pops do, see {@link BlockingPops}). Unlike list commands they run on
 * any replica of their key, as ZPOPMIN does: two replicas popping concurrently may hand out the
 * same member.
 */
final class SortedSetPopCommands {

    private final StorageEngine engine;

    private SortedSetPopCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers ZMPOP, BZPOPMIN, BZPOPMAX and BZMPOP in {@code t}. */
    static void register(CommandTable t, StorageEngine engine) {
        SortedSetPopCommands c = new SortedSetPopCommands(engine);
        t.register(SortedSets.spec("zmpop", -4, new CommandFlag[] {WRITE},
                new String[] {"RW", "access", "delete"}, "7.0.0",
                "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. "
                        + "Deletes the sorted set if the last member was popped.",
                "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the "
                        + "sorted set, and M being the number of elements popped.")
                .keys(0, 0, 0).keySpecs(KeySpec.keyNum(1, 0, 1, 1, "RW", "access", "delete"))
                .keyFinder(KeyFinder.numKeys(0, 1)).handler(c::zmpop).build());
        t.register(SortedSets.spec("bzpopmin", -3, new CommandFlag[] {WRITE, NOSCRIPT,
                BLOCKING, FAST}, new String[] {"RW", "access", "delete"}, "5.0.0",
                "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a "
                        + "member is available otherwise. Deletes the sorted set if the last element was popped.",
                "O(log(N)) with N being the number of elements in the sorted set.")
                .keys(1, -2, 1).handler(ctx -> c.bzpop(ctx, false)).build());
        t.register(SortedSets.spec("bzpopmax", -3, new CommandFlag[] {WRITE, NOSCRIPT,
                BLOCKING, FAST}, new String[] {"RW", "access", "delete"}, "5.0.0",
                "Removes and returns the member with the highest score from one or more sorted sets. Blocks until "
                        + "a member available otherwise.  Deletes the sorted set if the last element was popped.",
                "O(log(N)) with N being the number of elements in the sorted set.")
                .keys(1, -2, 1).handler(ctx -> c.bzpop(ctx, true)).build());
        t.register(SortedSets.spec("bzmpop", -5, new CommandFlag[] {WRITE, BLOCKING},
                new String[] {"RW", "access", "delete"}, "7.0.0",
                "Removes and returns a member by score from one or more sorted sets. Blocks until a member is "
                        + "available otherwise. Deletes the sorted set if the last element was popped.",
                "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the "
                        + "sorted set, and M being the number of elements popped.")
                .keys(0, 0, 0).keySpecs(KeySpec.keyNum(2, 0, 1, 1, "RW", "access", "delete"))
                .keyFinder(KeyFinder.numKeys(0, 2)).handler(c::bzmpop).build());
    }

    /** What a pop took: the key, and its members with their scores in pop order. */
    private record Popped(byte[] key, byte[][] members, double[] scores) {}

    private void zmpop(CommandContext ctx) {
        MultiPopArgs m = MultiPopArgs.parse(ctx, 1, "min", "max");
        Popped p = engine.withKeys(m.keys(), access -> popFirst(access, !m.first(), m.count(), ctx::notify, false));
        writeMultiPop(ctx.reply(), p);
    }

    private void bzpop(CommandContext ctx, boolean max) {
        byte[][] args = ctx.args();
        long timeout = BlockingArgs.timeoutMillis(args[args.length - 1], System.currentTimeMillis());
        byte[][] keys = Arrays.copyOfRange(args, 1, args.length - 1);
        BlockingPops.popOrBlock(engine, ctx, keys, timeout, false,
                (access, notifier, later) -> popFirst(access, max, 1, notifier, later), (reply, p) -> {
                    reply.arrayHeader(3);
                    reply.bulk(p.key);
                    reply.bulk(p.members[0]);
                    reply.doubleValue(p.scores[0]);
                });
    }

    private void bzmpop(CommandContext ctx) {
        long timeout = BlockingArgs.timeoutMillis(ctx.arg(1), System.currentTimeMillis());
        MultiPopArgs m = MultiPopArgs.parse(ctx, 2, "min", "max");
        BlockingPops.popOrBlock(engine, ctx, m.keys(), timeout, false,
                (access, notifier, later) -> popFirst(access, !m.first(), m.count(), notifier, later),
                SortedSetPopCommands::writeMultiPop);
    }

    /** ZMPOP's reply: the key and its [member, score] pairs, or a null array. */
    private static void writeMultiPop(ReplyWriter reply, Popped p) {
        if (p == null) {
            reply.nullArray();
            return;
        }
        reply.arrayHeader(2);
        reply.bulk(p.key);
        reply.arrayHeader(p.members.length);
        for (int i = 0; i < p.members.length; i++) {
            reply.arrayHeader(2);
            reply.bulk(p.members[i]);
            reply.doubleValue(p.scores[i]);
        }
    }

    /**
     * Pops up to {@code count} members from the first of {@code access} holding a sorted set; a
     * key of another type is WRONGTYPE, or skipped for a blocked client served later.
     */
    private static Popped popFirst(KeyAccess[] access, boolean max, long count, BlockingPops.Notifier notifier,
            boolean skipOtherTypes) {
        for (KeyAccess a : access) {
            ZSetValue z;
            try {
                z = SortedSets.readForWrite(a);
            } catch (CommandException wrongType) {
                if (skipOtherTypes) {
                    continue;
                }
                throw wrongType;
            }
            if (z == null) {
                continue;
            }
            int n = (int) Math.min(count, z.size());
            byte[][] members = new byte[n][];
            double[] scores = new double[n];
            ZSetValue zw = SortedSets.forWrite(a);
            long hlc = a.stamp();
            long node = a.node();
            int[] i = {0};
            for (int k = 0; k < n; k++) {
                ZSetValue delta = max
                        ? zw.popMax(hlc, node, (m, s) -> {
                            members[i[0]] = m;
                            scores[i[0]++] = s;
                        })
                        : zw.popMin(hlc, node, (m, s) -> {
                            members[i[0]] = m;
                            scores[i[0]++] = s;
                        });
                a.written(KeyState.wrap(delta));
            }
            notifier.notify(NotifyFlags.ZSET, max ? "zpopmax" : "zpopmin", a.key());
            if (a.live() == null) {
                notifier.notify(NotifyFlags.GENERIC, "del", a.key());
            }
            return new Popped(a.key(), members, scores);
        }
        return null;
    }
}
