package io.converge.server.command;

import io.converge.server.config.ConvergeConfig;
import io.converge.server.protocol.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
 *   <li>inside MULTI, a NO_MULTI command: {@code ERR Command not allowed inside a transaction};</li>
 *   <li>ACL: the client's user must be allowed the command, its keys (with the access their key
 *       specs imply) and its channels, else {@code NOPERM ...} and an ACL LOG entry
 *       ({@link io.converge.server.command.acl.Acl}); for a user allowed everything (the default
 *       user, unless restricted) this is one flag read;</li>
 *   <li>a busy script: {@code BUSY ...} unless the command is ALLOW_BUSY ({@link ScriptActivity});</li>
 *   <li>maxmemory: {@code OOM ...} when the engine is over its limit, for DENYOOM commands and,
 *       inside MULTI, for every command but those ending the transaction (as Redis);</li>
 *   <li>persistence: {@code MISCONF Errors writing to the AOF file: <reason>} while the engine
 *       cannot persist writes ({@code Engine.writeRefusal}), for WRITE commands and PING, inside
 *       MULTI too (as Redis: a node that cannot persist fails health checks); EXEC of queued
 *       writes is refused by EXEC itself;</li>
 *   <li>a RESP2 client in subscribed mode may run only the pub/sub commands, PING, QUIT and RESET;</li>
 *   <li>a client running MONITOR may not touch the keyspace ({@code ERR Replica can't interact with the keyspace});</li>
 *   <li>inside MULTI: queue and answer {@code +QUEUED}, except transaction-control commands.</li>
 * </ol>
 * A request refused by these checks counts as a rejected call and, inside MULTI, makes EXEC abort.
 * Executed commands are timed for INFO commandstats and count as failed when they reply with an
 * error.
 *
 * <p><b>Cluster mode.</b> A node that is part of a cluster installs a {@link Router}: commands
 * that passed the checks go to it instead of running here directly, and it may answer later
 * (replicas must acknowledge, or another node runs the command). {@link #dispatch} then returns
 * a future, and the connection holds back the replies of later pipelined commands until that
 * one is written (and, unless it is an {@link AwaitingAcks}, runs no later command until then).
 * On a single node there is no router and every command runs synchronously, exactly as before.
 */
public final class CommandDispatcher {
    private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);
    private static final byte[] QUEUED = "+QUEUED\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * Decides where a command runs when the node is part of a cluster (see
     * {@code io.converge.server.cluster.routing.CommandRouter}).
     */
    public interface Router {
        /**
         * Runs {@code cmd} (every dispatcher check passed) for {@code client}, on the connection's
         * thread. Returns null when the reply has been written; otherwise a future that completes,
         * on any thread, with what finishes the reply (then run on the connection's thread).
         */
        CompletableFuture<LateReply> route(ClientConnection client, CommandSpec cmd, byte[][] args);

        /**
         * Called before {@code cmd} is queued inside MULTI: returns an error reply text (without
         * the leading '-') to refuse it, which also makes EXEC abort, or null to queue it.
         */
        String checkQueued(ClientConnection client, CommandSpec cmd, byte[][] args);
    }

    /**
     * How a command that completes later finishes its reply. Run on the connection's thread once
     * the command is done; the replies of the connection's later pipelined commands wait until
     * then (and so do the commands themselves, unless the future is an {@link AwaitingAcks}).
     */
    @FunctionalInterface
    public interface LateReply {
        /** Emit the reply the command wrote while it ran, unchanged (e.g. a write once its replicas acknowledged). */
        LateReply KEEP = client -> { };

        /**
         * Writes the final reply into {@code client.reply()}; the reply the command wrote while
         * it ran (if any) has been discarded. It may run a command now (e.g. a read once its
         * replicas answered).
         */
        void write(ClientConnection client);
    }

    /**
     * The future of a command whose effects are all in place already (a write applied on this
     * node that waits only for its replicas' acknowledgements). Unlike other late replies it does
     * not hold back the connection's later pipelined commands: they run at once, and only their
     * replies wait behind this one. Any other late reply (a forwarded command, a quorum read that
     * runs once the replicas answered) must be complete before a later command runs, or that
     * command could change or observe state out of request order.
     */
    public static final class AwaitingAcks extends CompletableFuture<LateReply> {
        /** An incomplete future. */
        public AwaitingAcks() {
            // completed by whoever collects the acknowledgements
        }
    }

    /**
     * The future of a Lua script queued on the node's script thread, which runs scripts in the
     * order they were queued. The connection's later pipelined *scripts* may be queued at once
     * (they will run after this one); any other command waits until the connection's queued
     * scripts are done.
     */
    public static final class QueuedScript extends CompletableFuture<LateReply> {
        /** An incomplete future. */
        public QueuedScript() {
            // completed by the script thread once the script ran (and its writes were acknowledged)
        }
    }

    private final NodeServices node;
    private Router router;

    CommandDispatcher(NodeServices node) {
        this.node = node;
    }

    /** Installs the cluster router; call before the network starts (null: run everything here). */
    public void router(Router router) {
        this.router = router;
    }

    /** The cluster router, or null on a single node. */
    public Router router() {
        return router;
    }

    /**
     * Handles one request of {@code client} ({@code args[0]} is the command name). Returns null
     * when the reply has been written, or (cluster mode only) a future for a reply that comes
     * later: see {@link LateReply}.
     */
    public CompletableFuture<LateReply> dispatch(ClientConnection client, byte[][] args) {
        CommandTable table = node.commands();
        CommandSpec cmd = table.lookup(args[0]);
        if (cmd == null) {
            reject(client, null, Errors.unknownCommand(args));
            return null;
        }
        if (cmd.isContainer() && args.length > 1) {
            CommandSpec sub = cmd.subcommands().lookup(args[1]);
            if (sub == null) {
                reject(client, null, Errors.unknownSubcommand(args[1], cmd.name()));
                return null;
            }
            cmd = sub;
        }
        client.lastCommand(cmd);
        if (!cmd.arityAccepts(args.length)) {
            reject(client, cmd, Errors.wrongArity(cmd.fullName()).getBytes(StandardCharsets.UTF_8));
            return null;
        }
        if (!cmd.has(CommandFlag.NO_AUTH) && client.mustAuthenticate()) {
            reject(client, cmd, NOAUTH_BYTES);
            return null;
        }
        if (client.inMulti() && cmd.has(CommandFlag.NO_MULTI) && !cmd.has(CommandFlag.TRANSACTION_CONTROL)) {
            reject(client, cmd, NO_MULTI_BYTES);
            return null;
        }
        if (!client.aclUser().unrestricted()) {
            // Checked here, on the node the client is connected to: commands this node forwards
            // run elsewhere through execute(), which checks nothing again.
            byte[] refusal = node.acl().refusal(client, cmd, args);
            if (refusal != null) {
                reject(client, cmd, refusal);
                return null;
            }
        }
        String busy = node.scripts().refusal(client, cmd);
        if (busy != null) {
            reject(client, cmd, busy.getBytes(StandardCharsets.US_ASCII));
            return null;
        }
        if ((cmd.has(CommandFlag.DENYOOM) || (client.inMulti() && !cmd.has(CommandFlag.ENDS_TRANSACTION)))
                && node.engine().overMemoryLimit()) {
            reject(client, cmd, OOM_BYTES);
            return null;
        }
        if (cmd.has(CommandFlag.WRITE) || PING.equals(cmd.name())) {
            String refusal = node.engine().writeRefusal();
            if (refusal != null) {
                reject(client, cmd, refusal.getBytes(StandardCharsets.UTF_8));
                return null;
            }
        }
        if (client.subscribed() && client.protocol() == 2 && !PubSubCommands.allowedWhileSubscribed(cmd)) {
            reject(client, cmd, ("ERR Can't execute '" + cmd.fullName() + "': only (P|S)SUBSCRIBE / "
                    + "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context").getBytes(StandardCharsets.UTF_8));
            return null;
        }
        String monitorRefusal = Monitor.refusal(client, cmd);
        if (monitorRefusal != null) {
            reject(client, cmd, monitorRefusal.getBytes(StandardCharsets.UTF_8));
            return null;
        }
        if (client.inMulti() && !cmd.has(CommandFlag.TRANSACTION_CONTROL)) {
            if (router != null) {
                String refused = router.checkQueued(client, cmd, args);
                if (refused != null) {
                    reject(client, cmd, refused.getBytes(StandardCharsets.UTF_8));
                    return null;
                }
            }
            client.queue(cmd, args);
            client.reply().raw(QUEUED);
            return null;
        }
        CompletableFuture<LateReply> late = null;
        if (router != null) {
            late = router.route(client, cmd, args);
        } else {
            execute(client, cmd, args);
        }
        CompletableFuture<LateReply> own = client.context().takeLater();
        node.monitor().feed(client, cmd, args);
        return late != null ? late : own;
    }

    /** Whether the request {@code args} runs a Lua script (EVAL, EVALSHA, FCALL and their variants). */
    public boolean runsScript(byte[][] args) {
        CommandSpec cmd = node.commands().lookup(args[0]);
        return cmd != null && cmd.has(CommandFlag.RUNS_SCRIPT);
    }

    /** CLIENT CACHING's name as its spec holds it. */
    private static final String CLIENT_CACHING = "client|caching";
    /** PING's name as its spec holds it. */
    private static final String PING = "ping";
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
        if (cmd.has(CommandFlag.WRITE)) {
            client.ranWrite(); // its reply must not leave before the write is as durable as promised
        }
        ctx.depth++;
        KeyspaceEvents events = node.keyspaceEvents();
        boolean queueEvents = events.active();
        if (queueEvents) {
            events.commandStarted(cmd, args);
        }
        ClientTracking tracking = node.tracking();
        boolean tracked = tracking.active();
        if (tracked) {
            tracking.commandStarted(client);
        }
        try {
            cmd.handler().handle(ctx);
            if (tracked && client.tracking() != null) {
                if (cmd.has(CommandFlag.READONLY) && cmd.hasKeys()) {
                    tracking.read(client, cmd.keys(args));
                }
                if (!CLIENT_CACHING.equals(cmd.fullName())) {
                    client.caching(null); // CLIENT CACHING applies to the next command only
                }
            }
        } catch (CommandException e) {
            reply.rollback(mark);
            ctx.takeLater();
            reply.error(e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            reply.rollback(mark);
            ctx.takeLater();
            log.warn("command {} failed for {}", cmd.fullName(), client, e);
            reply.error("ERR internal error while executing '" + cmd.fullName() + "': " + e);
        } finally {
            ctx.depth--;
            if (queueEvents) {
                events.commandEnded();
            }
            if (tracked) {
                tracking.commandEnded();
            }
        }
        long elapsed = System.nanoTime() - start;
        // Errors written by nested executions (EXEC's queued commands) were already attributed.
        long written = reply.errorsWritten() - errorsBefore;
        long own = written - (client.errorsAccounted - accountedBefore);
        client.errorsAccounted = accountedBefore + written;
        cmd.stats().recordCall(elapsed, own > 0);
        node.stats().commandProcessed();
        if (!cmd.has(CommandFlag.SKIP_SLOWLOG)) {
            ConvergeConfig config = node.config().current();
            node.slowLog().record(client, args, elapsed / 1000, config.slowlogLogSlowerThan(), config.slowlogMaxLen());
            long threshold = config.latencyMonitorThreshold();
            if (threshold > 0 && elapsed >= threshold * 1_000_000) {
                node.latency().record(cmd.has(CommandFlag.FAST) ? "fast-command" : "command", elapsed / 1_000_000);
            }
        }
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
            if (spec.has(CommandFlag.RUNS_SCRIPT) || spec.has(CommandFlag.READS_PATTERN_KEYS)) {
                // The command locks it all (a script, SORT with patterns): taking only some stripes first could deadlock.
                wholeKeyspace = true;
            } else if (spec.hasKeys()) {
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
                // As Redis: the rules may have changed since the command was queued.
                String refused = node.acl().execRefusal(client, q.spec(), q.args());
                if (refused != null) {
                    client.reply().error(refused);
                    client.errorsAccounted++; // the queued command's error, not EXEC's
                    continue;
                }
                execute(client, q.spec(), q.args());
                node.monitor().feed(client, q.spec(), q.args());
            }
        });
        client.unwatchAll();
    }
}
