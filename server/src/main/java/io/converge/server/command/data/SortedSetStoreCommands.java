package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandTable;
import io.converge.server.command.KeyFinder;
import io.converge.server.command.KeySpec;
import io.converge.server.command.data.ZSetAlgebraArgs.Form;
import io.converge.server.command.data.ZSetAlgebraArgs.Options;
import io.converge.server.config.NotifyFlags;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;

/**
 * ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE: {@code destination numkeys key [key ...]}, the first
 * two with {@code [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]}. Inputs may be sorted sets or plain
 * sets, missing keys are empty; the arithmetic is {@link ZSetAlgebra}'s.
 *
 * <p><b>Writing the destination.</b> The whole result is computed first (the destination may be
 * one of the inputs), then the destination is written as a key-level delete of whatever it held
 * (any type) followed by one ZADD per result member, each reported as its own delta. Under
 * concurrency this behaves like DEL + ZADD...: members another replica adds to the destination
 * concurrently survive (add-wins), which is the CRDT reading of "overwrite". An empty result
 * deletes the destination and answers 0.
 */
final class SortedSetStoreCommands {

    /** Which algebra a store command computes, and its keyspace event. */
    private enum Op {
        UNION("zunionstore", Form.WEIGHTED_STORE),
        INTER("zinterstore", Form.WEIGHTED_STORE),
        DIFF("zdiffstore", Form.PLAIN_STORE);

        final String event;
        final Form form;

        Op(String event, Form form) {
            this.event = event;
            this.form = form;
        }
    }

    private final StorageEngine engine;

    private SortedSetStoreCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE in {@code t}. */
    static void register(CommandTable t, StorageEngine engine) {
        SortedSetStoreCommands c = new SortedSetStoreCommands(engine);
        CommandFlag[] flags = {WRITE, DENYOOM};
        String[] keyFlags = {"OW", "update"};
        // Redis reports key positions (1, 1, 1) plus "movablekeys": the sources follow numkeys,
        // which (first, last, step) cannot express, so a key finder lists destination and sources
        // (COMMAND GETKEYS, the keys MULTI/EXEC locks, cluster routing), and two key specs describe them.
        KeySpec[] keySpecs = {KeySpec.range(1, 0, 1, keyFlags), KeySpec.keyNum(2, 0, 1, 1, "RO", "access")};
        t.register(SortedSets.spec("zunionstore", -4, flags, keyFlags, "2.0.0",
                "Add multiple sorted sets and store the resulting sorted set in a new key",
                "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
                .keySpecs(keySpecs).keyFinder(KeyFinder.numKeys(1, 2)).handler(ctx -> c.store(ctx, Op.UNION)).build());
        t.register(SortedSets.spec("zinterstore", -4, flags, keyFlags, "2.0.0",
                "Intersect multiple sorted sets and store the resulting sorted set in a new key",
                "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
                .keySpecs(keySpecs).keyFinder(KeyFinder.numKeys(1, 2)).handler(ctx -> c.store(ctx, Op.INTER)).build());
        t.register(SortedSets.spec("zdiffstore", -4, flags, keyFlags, "6.2.0",
                "Subtract multiple sorted sets and store the resulting sorted set in a new key",
                "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
                .keySpecs(keySpecs).keyFinder(KeyFinder.numKeys(1, 2)).handler(ctx -> c.store(ctx, Op.DIFF)).build());
    }

    private void store(CommandContext ctx, Op op) {
        ZSetAlgebraArgs parsed = ZSetAlgebraArgs.parse(ctx, 2);
        int n = parsed.keys().length;
        byte[] destination = ctx.arg(1);
        byte[][] keys = new byte[n + 1][];
        keys[0] = destination;
        System.arraycopy(parsed.keys(), 0, keys, 1, n);
        long stored = engine.withKeys(keys, access -> {
            ZSetOperand[] operands = new ZSetOperand[n];
            for (int i = 0; i < n; i++) {
                operands[i] = ZSetOperand.read(access[i + 1]);
            }
            Options options = parsed.parseOptions(ctx, op.form, operands);
            ZSetResult result = switch (op) {
                case UNION -> ZSetAlgebra.union(operands, options.aggregate());
                case INTER -> ZSetAlgebra.intersect(operands, options.aggregate());
                case DIFF -> ZSetAlgebra.difference(operands);
            };
            boolean held = access[0].live() != null;
            writeDestination(access[0], result);
            if (result.size() > 0) {
                ctx.notify(NotifyFlags.ZSET, op.event, destination);
            } else if (held) {
                ctx.notify(NotifyFlags.GENERIC, "del", destination);
            }
            return (long) result.size();
        });
        ctx.reply().integer(stored);
    }

    /** Replaces the destination: delete what it holds, then add the result (see the class comment). */
    private static void writeDestination(KeyAccess dest, ZSetResult result) {
        long node = dest.node();
        KeyState held = dest.forWrite();
        if (held.exists()) {
            dest.written(held.delete(dest.stamp(), node));
        }
        if (result.size() == 0) {
            return;
        }
        ZSetValue z = SortedSets.forWrite(dest);
        long hlc = dest.stamp();
        for (int i = 0; i < result.size(); i++) {
            dest.written(KeyState.wrap(z.add(result.member(i), result.score(i), hlc, node)));
        }
    }
}
