package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.READONLY;

import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandTable;
import io.converge.server.command.KeyFinder;
import io.converge.server.command.KeySpec;
import io.converge.server.command.data.ZSetAlgebraArgs.Form;
import io.converge.server.command.data.ZSetAlgebraArgs.Options;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;

/**
 * ZUNION, ZINTER and ZDIFF ({@code numkeys key [key ...]}, the first two with {@code [WEIGHTS w
 * ...] [AGGREGATE SUM|MIN|MAX]}, all with {@code [WITHSCORES]}) and ZINTERCARD ({@code numkeys
 * key [key ...] [LIMIT limit]}): the sorted-set algebra of {@link ZSetAlgebra} answered to the
 * client instead of stored. Inputs may be sorted sets or plain sets, missing keys are empty.
 *
 * <p>The members come in sorted-set order (score, then member bytes), as Redis builds its reply
 * from a temporary sorted set; WITHSCORES adds the scores as ZRANGE does (a flat array in RESP2,
 * [member, score] pairs in RESP3). The reply is written while the keys are held.
 */
final class SortedSetAlgebraCommands {

    /** Which algebra a reply command computes. */
    private enum Op { UNION, INTER, DIFF }

    private final StorageEngine engine;

    private SortedSetAlgebraCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers ZUNION, ZINTER, ZDIFF and ZINTERCARD in {@code t}. */
    static void register(CommandTable t, StorageEngine engine) {
        SortedSetAlgebraCommands c = new SortedSetAlgebraCommands(engine);
        CommandFlag[] flags = {READONLY};
        String[] keyFlags = {"RO", "access"};
        // The keys follow numkeys: no key positions (0, 0, 0), "movablekeys", one keynum spec.
        KeySpec keySpec = KeySpec.keyNum(1, 0, 1, 1, keyFlags);
        t.register(SortedSets.spec("zunion", -3, flags, keyFlags, "6.2.0", "Add multiple sorted sets",
                "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
                .keys(0, 0, 0).keySpecs(keySpec).keyFinder(KeyFinder.numKeys(0, 1))
                .handler(ctx -> c.reply(ctx, Op.UNION)).build());
        t.register(SortedSets.spec("zinter", -3, flags, keyFlags, "6.2.0", "Intersect multiple sorted sets",
                "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
                .keys(0, 0, 0).keySpecs(keySpec).keyFinder(KeyFinder.numKeys(0, 1))
                .handler(ctx -> c.reply(ctx, Op.INTER)).build());
        t.register(SortedSets.spec("zdiff", -3, flags, keyFlags, "6.2.0", "Subtract multiple sorted sets",
                "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
                .keys(0, 0, 0).keySpecs(keySpec).keyFinder(KeyFinder.numKeys(0, 1))
                .handler(ctx -> c.reply(ctx, Op.DIFF)).build());
        t.register(SortedSets.spec("zintercard", -3, flags, keyFlags, "7.0.0",
                "Intersect multiple sorted sets and return the cardinality of the result",
                "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.")
                .keys(0, 0, 0).keySpecs(keySpec).keyFinder(KeyFinder.numKeys(0, 1))
                .handler(c::zintercard).build());
    }

    private void reply(CommandContext ctx, Op op) {
        ZSetAlgebraArgs parsed = ZSetAlgebraArgs.parse(ctx, 1);
        engine.withKeys(parsed.keys(), access -> {
            ZSetOperand[] operands = operands(access);
            Form form = op == Op.DIFF ? Form.PLAIN_REPLY : Form.WEIGHTED_REPLY;
            Options options = parsed.parseOptions(ctx, form, operands);
            ZSetResult result = switch (op) {
                case UNION -> ZSetAlgebra.union(operands, options.aggregate());
                case INTER -> ZSetAlgebra.intersect(operands, options.aggregate());
                case DIFF -> ZSetAlgebra.difference(operands);
            };
            result.sort();
            writeResult(ctx.reply(), result, options.withScores());
            return null;
        });
    }

    private void zintercard(CommandContext ctx) {
        ZSetAlgebraArgs parsed = ZSetAlgebraArgs.parse(ctx, 1);
        long count = engine.withKeys(parsed.keys(), access -> {
            ZSetOperand[] operands = operands(access);
            Options options = parsed.parseOptions(ctx, Form.CARDINALITY, operands);
            return ZSetAlgebra.intersectCount(operands, options.limit());
        });
        ctx.reply().integer(count);
    }

    /** The inputs, read in argument order (WRONGTYPE on the first key of another type). */
    private static ZSetOperand[] operands(KeyAccess[] access) {
        ZSetOperand[] operands = new ZSetOperand[access.length];
        for (int i = 0; i < access.length; i++) {
            operands[i] = ZSetOperand.read(access[i]);
        }
        return operands;
    }

    /** The members (with their scores when {@code withScores}) as ZRANGE writes them. */
    private static void writeResult(ReplyWriter reply, ZSetResult result, boolean withScores) {
        int count = result.size();
        if (count == 0) {
            reply.emptyArray();
            return;
        }
        boolean nested = withScores && reply.isResp3();
        reply.arrayHeader(withScores && !nested ? count * 2 : count);
        result.forEach(SortedSets.pairWriter(reply, withScores, nested));
    }
}
