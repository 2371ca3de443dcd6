package io.converge.server.command;

import static io.converge.server.command.AclCategory.TRANSACTION;
import static io.converge.server.command.CommandFlag.ALLOW_BUSY;
import static io.converge.server.command.CommandFlag.ENDS_TRANSACTION;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.SKIP_SLOWLOG;
import static io.converge.server.command.CommandFlag.STALE;
import static io.converge.server.command.CommandFlag.TRANSACTION_CONTROL;

import java.util.List;

/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * <p>Between MULTI and EXEC the dispatcher queues commands (answering {@code +QUEUED}); a command
 * refused while queueing (unknown, wrong arity, ...) makes EXEC answer EXECABORT. EXEC runs the
 * queue inside {@link io.converge.server.node.Engine#runExclusive}, which is what makes it atomic
 * with respect to other clients, and first compares the engine's version of every WATCHed key
 * with the one recorded by WATCH: if any changed, EXEC answers the null array and runs nothing.
 * UNWATCH inside MULTI is queued like any command (as in Redis: it does not cancel the WATCH that
 * EXEC checks).
 *
 * <p>maxmemory: over the limit the dispatcher refuses every command queued inside MULTI but
 * those ending it, and EXEC itself aborts the transaction when it queued a DENYOOM command (as
 * Redis, which counts EXEC as DENYOOM then).
 *
 * <p>Persistence: while the engine cannot persist writes the dispatcher refuses write commands
 * (MISCONF) instead of queueing them, and EXEC aborts a transaction that queued a write before
 * the failure began with {@code EXECABORT Transaction discarded because of: MISCONF ...} (as
 * Redis, which counts EXEC as a write then). A transaction of reads runs.
 */
public final class TransactionCommands {

    /** Registers the family in {@code table}. */
    public static void register(CommandTable table) {
        TransactionCommands c = new TransactionCommands();
        table.register(spec("multi", 1, "Starts a transaction.", c::multi)
                .flags(NOSCRIPT, LOADING, STALE, FAST, ALLOW_BUSY).build());
        table.register(spec("exec", 1, "Executes all commands in a transaction.", c::exec)
                .flags(NOSCRIPT, LOADING, STALE, SKIP_SLOWLOG, ENDS_TRANSACTION).complexity("Depends on commands in the transaction").build());
        table.register(spec("discard", 1, "Discards a transaction.", c::discard)
                .flags(NOSCRIPT, LOADING, STALE, FAST, ALLOW_BUSY, ENDS_TRANSACTION).complexity("O(N), when N is the number of queued commands").build());
        table.register(spec("watch", -2, "Monitors changes to keys to determine the execution of a transaction.", c::watch)
                .flags(NOSCRIPT, LOADING, STALE, FAST, ALLOW_BUSY).keys(1, -1, 1).keySpecFlags("RO")
                .complexity("O(1) for every key.").since("2.2.0").build());
        // Not TRANSACTION_CONTROL: inside MULTI, UNWATCH is queued.
        table.register(CommandSpec.builder("unwatch").arity(1).acl(TRANSACTION).group("transactions")
                .summary("Forgets about watched keys of a transaction.").complexity("O(1)").handler(c::unwatch)
                .flags(NOSCRIPT, LOADING, STALE, FAST, ALLOW_BUSY).since("2.2.0").build());
    }

    private static CommandSpec.Builder spec(String name, int arity, String summary, CommandHandler handler) {
        return CommandSpec.builder(name).arity(arity).flags(TRANSACTION_CONTROL).acl(TRANSACTION)
                .group("transactions").since("1.2.0").summary(summary).complexity("O(1)").handler(handler);
    }

    private static final CommandException EXEC_ABORT_OOM =
            new CommandException("EXECABORT Transaction discarded because of: " + Errors.OOM);

    private void multi(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        if (client.inMulti()) {
            throw new CommandException("ERR MULTI calls can not be nested");
        }
        client.beginMulti();
        ctx.reply().ok();
    }

    private void exec(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        if (!client.inMulti()) {
            throw new CommandException("ERR EXEC without MULTI");
        }
        boolean dirty = client.multiDirty();
        List<QueuedCommand> queued = client.endMulti();
        // Redis refuses such an EXEC before running it, so this reason wins over earlier errors.
        if (queuesDenyoom(queued) && ctx.node().engine().overMemoryLimit()) {
            client.unwatchAll();
            throw EXEC_ABORT_OOM;
        }
        if (queuesWrite(queued)) {
            String refusal = ctx.node().engine().writeRefusal();
            if (refusal != null) {
                client.unwatchAll();
                throw new CommandException("EXECABORT Transaction discarded because of: " + refusal);
            }
        }
        if (dirty) {
            client.unwatchAll();
            throw new CommandException(Errors.EXECABORT);
        }
        ctx.node().dispatcher().executeTransaction(client, queued);
    }

    /** Whether a queued command may grow memory (Redis then treats EXEC itself as DENYOOM). */
    private static boolean queuesDenyoom(List<QueuedCommand> queued) {
        for (QueuedCommand q : queued) {
            if (q.spec().has(CommandFlag.DENYOOM)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a queued command writes (Redis then treats EXEC itself as a write). */
    private static boolean queuesWrite(List<QueuedCommand> queued) {
        for (QueuedCommand q : queued) {
            if (q.spec().has(CommandFlag.WRITE)) {
                return true;
            }
        }
        return false;
    }

    private void discard(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        if (!client.inMulti()) {
            throw new CommandException("ERR DISCARD without MULTI");
        }
        client.endMulti();
        client.unwatchAll();
        ctx.reply().ok();
    }

    private void watch(CommandContext ctx) {
        ClientConnection client = ctx.connection();
        if (client.inMulti()) {
            throw new CommandException("ERR WATCH inside MULTI is not allowed");
        }
        for (int i = 1; i < ctx.argc(); i++) {
            client.watch(ctx.arg(i), ctx.node().engine().keyVersion(ctx.arg(i)));
        }
        ctx.reply().ok();
    }

    private void unwatch(CommandContext ctx) {
        ctx.connection().unwatchAll();
        ctx.reply().ok();
    }
}
