package io.converge.server.command;

import io.converge.server.protocol.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes a parsed request to its handler, applying Redis's checks in Redis's order:
 * <ol>
 *   <li>unknown command: {@code ERR unknown command 'x', with args beginning with: ...};</li>
 *   <li>container commands (CLIENT, CONFIG, COMMAND): unknown subcommand:
 *       {@code ERR unknown subcommand 'x'. Try CLIENT HELP.};</li>
 *   <li>arity: {@code ERR wrong number of arguments for 'client|setname' command};</li>
 *   <li>authentication: {@code NOAUTH Authentication required.} unless the command is NO_AUTH;</li>
 *   <li>maxmemory: {@code OOM ...} for DENYOOM commands when the engine is over its limit;</li>
 *   <li>inside MULTI: queue and answer {@code +QUEUED}, except transaction-control commands.</li>
 * </ol>
 * A request refused by these checks counts as a rejected call and, inside MULTI, makes EXEC abort.
 * Executed commands are timed for INFO commandstats and count as failed when they reply with an
 * error.
 */
public final class CommandDispatcher {
    private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);
    private static final byte[] QUEUED = "+QUEUED\r\n".getBytes(StandardCharsets.US_ASCII);

    private final NodeServices node;

    CommandDispatcher(NodeServices node) {
        this.node = node;
    }

    /** Handles one request of {@code client} ({@code args[0]} is the command name). */
    public void dispatch(ClientConnection client, byte[][] args) {
        CommandTable table = node.commands();
        CommandSpec cmd = table.lookup(args[0]);
        if (cmd == null) {
            reject(client, null, Errors.unknownCommand(args));
            return;
        }
        if (cmd.isContainer() && args.length > 1) {
            CommandSpec sub = cmd.subcommands().lookup(args[1]);
            if (sub == null) {
                reject(client, null, Errors.unknownSubcommand(args[1], cmd.name()));
                return;
            }
            cmd = sub;
        }
        client.lastCommand(cmd);
        if (!cmd.arityAccepts(args.length)) {
            reject(client, cmd, Errors.wrongArity(cmd.fullName()).getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!client.isAuthenticated() && !cmd.has(CommandFlag.NO_AUTH)) {
            reject(client, cmd, NOAUTH_BYTES);
            return;
        }
        if (cmd.has(CommandFlag.DENYOOM) && node.engine().overMemoryLimit()) {
            reject(client, cmd, OOM_BYTES);
            return;
        }
        if (client.inMulti() && !cmd.has(CommandFlag.TRANSACTION_CONTROL)) {
            if (cmd.has(CommandFlag.NO_MULTI)) {
                reject(client, cmd, NO_MULTI_BYTES);
                return;
            }
            client.queue(cmd, args);
            client.reply().raw(QUEUED);
            return;
        }
        execute(client, cmd, args);
    }

    private static final byte[] NOAUTH_BYTES = Errors.NOAUTH.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OOM_BYTES = Errors.OOM.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_MULTI_BYTES =
            "ERR Command not allowed inside a transaction".getBytes(StandardCharsets.US_ASCII);

    private void reject(ClientConnection client, CommandSpec cmd, byte[] error) {
        client.flagTransactionError();
        if (cmd != null) {
            cmd.stats().recordRejected();
        }
        client.reply().error(error);
    }

    /**
     * Executes {@code cmd} now (checks already done), recording statistics. Also used by EXEC for
     * each queued command.
     */
    public void execute(ClientConnection client, CommandSpec cmd, byte[][] args) {
        CommandContext ctx = client.context();
        ReplyWriter reply = client.reply();
        CommandSpec outerCommand = ctx.command();
        byte[][] outerArgs = ctx.args();
        ctx.set(cmd, args);
        int mark = reply.mark();
        long errorsBefore = reply.errorsWritten();
        long accountedBefore = client.errorsAccounted;
        long start = System.nanoTime();
        try {
            cmd.handler().handle(ctx);
        } catch (CommandException e) {
            reply.rollback(mark);
            reply.error(e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            reply.rollback(mark);
            log.warn("command {} failed for {}", cmd.fullName(), client, e);
            reply.error("ERR internal error while executing '" + cmd.fullName() + "': " + e);
        }
        long elapsed = System.nanoTime() - start;
        // Errors written by nested executions (EXEC's queued commands) were already attributed.
        long written = reply.errorsWritten() - errorsBefore;
        long own = written - (client.errorsAccounted - accountedBefore);
        client.errorsAccounted = accountedBefore + written;
        cmd.stats().recordCall(elapsed, own > 0);
        node.stats().commandProcessed();
        ctx.set(outerCommand, outerArgs);
    }

    /**
     * Runs the queued commands of a transaction under the engine's exclusive hook, after checking
     * WATCHed keys; writes the EXEC reply (array of replies, or the null array when a watched key
     * changed).
     */
    public void executeTransaction(ClientConnection client, List<QueuedCommand> queued) {
        List<byte[]> keys = new ArrayList<>();
        boolean wholeKeyspace = false;
        for (QueuedCommand q : queued) {
            CommandSpec spec = q.spec();
            if (spec.hasKeys()) {
                keys.addAll(spec.keys(q.args()));
            } else if (spec.has(CommandFlag.WRITE) || spec.has(CommandFlag.READONLY)) {
                wholeKeyspace = true;
            }
        }
        List<ClientConnection.WatchedKey> watched = client.watchedKeys();
        for (ClientConnection.WatchedKey w : watched) {
            keys.add(w.key());
        }
        node.engine().runExclusive(keys, wholeKeyspace, () -> {
            for (ClientConnection.WatchedKey w : watched) {
                if (node.engine().keyVersion(w.key()) != w.version()) {
                    client.reply().nullArray();
                    return;
                }
            }
            client.reply().arrayHeader(queued.size());
            for (QueuedCommand q : queued) {
                execute(client, q.spec(), q.args());
            }
        });
        client.unwatchAll();
    }
}
