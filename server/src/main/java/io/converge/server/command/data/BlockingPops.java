package io.converge.server.command.data;

import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * What the blocking pops (BLPOP, BLMOVE, BZPOPMIN, BZMPOP ...) share: pop now if a key holds
 * something, otherwise block the client until one of its keys changes (see {@link
 * io.converge.server.command.BlockedClients}), and run the same pop then.
 */
final class BlockingPops {
    /** Waiter kinds (see {@link io.converge.server.command.BlockedClients#block}): list pops, sorted-set pops. */
    private static final int LIST_POPS = 1;
    private static final int OTHER_POPS = 2;

    private BlockingPops() {}

    /** Where a pop reports its keyspace events: the command's context, or at once for a blocked client served later. */
    @FunctionalInterface
    interface Notifier {
        void notify(int type, String event, byte[] key);
    }

    /**
     * One try of a blocking command's pop, with all its keys held: what it took, or null when its
     * keys hold nothing for it. {@code later}: a blocked client served after it blocked (Redis
     * then skips keys of another type rather than answering WRONGTYPE).
     */
    @FunctionalInterface
    interface Pop<R> {
        R pop(KeyAccess[] access, Notifier notifier, boolean later);
    }

    /**
     * Pops now if one of {@code keys} holds something and writes it with {@code writer};
     * otherwise blocks the client, or, where it cannot block (inside MULTI, or a session run for
     * another node), answers at once with a null: a null bulk when {@code nullBulkUnblocked}
     * (BLMOVE, BRPOPLPUSH), a null array for the others, as Redis does. A blocked client times
     * out with a null array; an error of a later try (a destination of another type) is its reply.
     */
    static <R> void popOrBlock(StorageEngine engine, CommandContext ctx, byte[][] keys, long timeoutMillis,
            boolean nullBulkUnblocked, Pop<R> pop, BiConsumer<ReplyWriter, R> writer) {
        int kind = ctx.command().has(CommandFlag.ON_PRIMARY) ? LIST_POPS : OTHER_POPS;
        R now = engine.withKeys(keys, access -> pop.pop(access, ctx::notify, false));
        if (now != null) {
            writer.accept(ctx.reply(), now);
            return;
        }
        if (!ctx.mayBlock()) {
            if (nullBulkUnblocked) {
                ctx.reply().nullBulk();
            } else {
                ctx.reply().nullArray();
            }
            return;
        }
        var events = ctx.node().keyspaceEvents();
        ctx.blockOn(ctx.node().blocked().block(ctx.connection(), keys, timeoutMillis, c -> c.reply().nullArray(), () -> {
            LateReply reply;
            try {
                R taken = engine.withKeys(keys, access -> pop.pop(access, events::notifyNow, true));
                reply = taken == null ? null : c -> writer.accept(c.reply(), taken);
            } catch (CommandException e) {
                String message = e.getMessage();
                reply = c -> c.reply().error(message);
            }
            return CompletableFuture.completedFuture(reply);
        }, kind, 0));
    }
}
