package io.converge.server.cluster.routing;

import io.converge.crdt.ClockDriftException;
import io.converge.crdt.HybridLogicalClock;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.replication.forward.ForwardHandler;
import io.converge.server.replication.write.DeltaCapture;
import io.converge.server.replication.Replicator;
import io.converge.server.command.BlockedClients;
import io.converge.server.command.BlockingArgs;
import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.NodeServices;
import io.converge.server.command.VirtualClient;
import io.converge.server.command.acl.AclUser;
import io.converge.server.command.QueuedCommand;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.node.InfoBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * The client request path of a clustered node: decides, for every command a client sends, where
 * it runs and at which consistency level, and (as the {@link ForwardHandler}) runs the commands
 * other nodes forward here. Keys "on one replica set" below are keys held by the same nodes, in
 * whatever order the ring walk lists them ({@link ReplicaSet#sameNodes}): with as many nodes as
 * the replication factor (the default 3-node cluster), every key is on one replica set.
 *
 * <ul>
 *   <li><b>The keyspace</b> (DBSIZE, KEYS, SCAN, RANDOMKEY, INFO keyspace, FLUSHALL, FLUSHDB):
 *       over the whole cluster, coordinated here ({@link ClusterKeyspace}).</li>
 *   <li><b>No keys</b> (PING, CONFIG, CLIENT, INFO's other sections...): runs on this node only.</li>
 *   <li><b>Keys on one replica set, this node among them</b>: runs here ({@link ReplicaRunner}):
 *       writes wait for the write level's acknowledgements, reads above {@code ONE} first merge
 *       the other replicas' states (read repair).</li>
 *   <li><b>Keys on one replica set, this node not among them</b>: forwarded, with the client's
 *       protocol and levels, to one replica ({@link #chooseReplica}: the same one for the keys of
 *       a replica set as long as it is up), whose reply bytes go back to the client as they
 *       are.</li>
 *   <li><b>MGET, MSET, DEL, EXISTS, UNLINK, TOUCH over several replica sets</b>: split per replica
 *       set and reassembled ({@link SplitCommand}).</li>
 *   <li><b>Other commands over several replica sets</b> (RENAME, SMOVE, *STORE, SINTER, MSETNX,
 *       a MULTI/EXEC transaction unless {@code cross-slot-transactions} is {@code split}...): refused with
 *       {@code -CROSSSLOT Keys in request don't hash to the same slot}; a hash tag
 *       ({@code {user:1}:a}, {@code {user:1}:b}) keeps keys together.</li>
 * </ul>
 *
 * <p><b>Read-your-writes.</b> A connection's commands take effect in request order: a later
 * pipelined command runs once the earlier ones took effect on their replica (a write applied on
 * this node may still be waiting for its acknowledgements, an {@code AwaitingAcks}; a forwarded
 * command or a quorum read is waited for), replies leave in request order, and every command on a key runs on the same
 * replica while that replica is up: this node when it replicates the key, otherwise the replica
 * {@link #chooseReplica} picks for the key's replica set (the same one for every key of the set,
 * so multi-key commands and later single-key reads meet too). A read therefore sees the
 * connection's earlier writes at every level. If that replica fails between a write and a read,
 * the read goes to another replica, which has the write only if the write's level included it or
 * anti-entropy delivered it meanwhile; a read level that overlaps the write level (e.g. both
 * LOCAL_QUORUM) still guarantees it.
 *
 * <p><b>Transactions.</b> Commands queued after MULTI must share one replica set with each other
 * and with the WATCHed keys; a command that does not is refused with CROSSSLOT at queue time, so
 * EXEC aborts, as Redis Cluster does. EXEC then runs the whole transaction on one replica (here
 * if this node is one, otherwise forwarded as a unit). WATCH compares this node's versions of
 * the keys, so a transaction with WATCHed keys must be sent to a node that replicates them.
 * With {@code cross-slot-transactions split}, a transaction whose keys span several replica sets
 * is accepted instead and EXEC runs it as one sub-transaction per node ({@link SplitTransaction},
 * {@link #routeSplitExec}); commands that need their own keys together are still refused, and
 * so are commands without keys other than PING, ECHO and TIME ({@link SplitTransaction#joins}).
 */
public final class CommandRouter implements CommandDispatcher.Router, ForwardHandler {
    /** Redis Cluster's error for keys that do not share a slot; here: a replica set. */
    public static final String CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
    private static final byte[][] NO_KEYS = new byte[0][];
    private static final byte[][] EXEC_ARGS = {"EXEC".getBytes(StandardCharsets.US_ASCII)};
    private static final byte[] EMPTY_ARRAY = "*0\r\n".getBytes(StandardCharsets.US_ASCII);

    private final NodeServices node;
    private final CommandDispatcher dispatcher;
    private final Replicator replicator;
    private final Ring ring;
    private final int self;
    private final int selfDc;
    private final HybridLogicalClock hlc;
    private final ReplicaRunner runner;
    private final CommandRoute.Table routes;
    /** Cluster-wide DBSIZE, KEYS, SCAN, RANDOMKEY, INFO keyspace, FLUSHALL (installed once the node's broadcasts are wired). */
    private volatile ClusterKeyspace keyspace;
    private volatile Defaults defaults;

    private final LongAdder routedLocal = new LongAdder();
    private final LongAdder routedHere = new LongAdder();
    private final LongAdder routedForwarded = new LongAdder();
    private final LongAdder routedToPrimary = new LongAdder();
    /** How often a client blocked on keys another node serves asks again (also without a change seen here). */
    private static final long REMOTE_POLL_MILLIS = 100;
    /** The waiter kind of clients blocked on keys another node serves (their tries always end later). */
    private static final int REMOTE_WAITERS = 0;
    private static final byte[] RESP2_NULL_ARRAY = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESP2_NULL_BULK = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESP3_NULL = "_\r\n".getBytes(StandardCharsets.US_ASCII);
    private final LongAdder routedWhileSyncing = new LongAdder();
    private final LongAdder routedSplit = new LongAdder();
    private final LongAdder routedSplitTransactions = new LongAdder();
    private final LongAdder crossSlot = new LongAdder();
    private final LongAdder forwardedRun = new LongAdder();
    private final LongAdder driftRefused = new LongAdder();

    /** The default levels of one configuration snapshot. */
    private record Defaults(ConvergeConfig source, ConsistencyLevel read, ConsistencyLevel write) {}

    /**
     * The router of {@code node}, sending to and receiving from the cluster through
     * {@code replicator}; {@code hlc} is the engine's clock (checked against forwarding nodes').
     * Build it once every command family is registered.
     */
    public CommandRouter(NodeServices node, Replicator replicator, HybridLogicalClock hlc) {
        this.node = node;
        this.dispatcher = node.dispatcher();
        this.replicator = replicator;
        this.ring = replicator.ring();
        this.self = replicator.localNodeId();
        this.selfDc = replicator.localDatacenter();
        this.hlc = hlc;
        this.runner = new ReplicaRunner(node, replicator);
        this.routes = CommandRoute.Table.of(node.commands());
    }

    /** Installs the cluster-wide keyspace commands. */
    void keyspace(ClusterKeyspace keyspace) {
        this.keyspace = keyspace;
    }

    // ------------------------------------------------------------------ consistency levels

    /** The read level of {@code client}: its CONSISTENCY override, else the configured default. */
    public ConsistencyLevel readLevel(ClientConnection client) {
        Session s = Session.peek(client);
        return s != null && s.readOverride != null ? s.readOverride : defaults().read();
    }

    /** The write level of {@code client}: its CONSISTENCY override, else the configured default. */
    public ConsistencyLevel writeLevel(ClientConnection client) {
        Session s = Session.peek(client);
        return s != null && s.writeOverride != null ? s.writeOverride : defaults().write();
    }

    /** Sets (or with null clears) {@code client}'s read and/or write override. */
    void override(ClientConnection client, boolean read, boolean write, ConsistencyLevel level) {
        Session s = Session.of(client);
        if (read) {
            s.readOverride = level;
        }
        if (write) {
            s.writeOverride = level;
        }
    }

    private Defaults defaults() {
        ConvergeConfig current = node.config().current();
        Defaults d = defaults;
        if (d == null || d.source() != current) {
            d = new Defaults(current, ConsistencyLevel.parse(current.readConsistency()),
                    ConsistencyLevel.parse(current.writeConsistency()));
            defaults = d;
        }
        return d;
    }

    // ------------------------------------------------------------------ client commands

    @Override
    public CompletableFuture<LateReply> route(ClientConnection client, CommandSpec cmd, byte[][] args) {
        CommandRoute route = routes.of(cmd);
        switch (route.kind()) {
            case KEYED -> {
                return routeKeyed(client, cmd, route, args);
            }
            case SPLIT_MGET, SPLIT_MSET, SPLIT_SUM -> {
                return routeSplit(client, cmd, route, args);
            }
            case EXEC -> {
                return routeExec(client, cmd, args);
            }
            case TRANSACTION_BOUNDARY -> {
                boolean wasInMulti = client.inMulti();
                dispatcher.execute(client, cmd, args);
                Session s = Session.peek(client);
                if (s != null && wasInMulti != client.inMulti()) { // not a refused nested MULTI or stray DISCARD
                    s.resetTransaction();
                    if (!client.inMulti()) {
                        s.resetWatched(); // DISCARD also unwatches
                    }
                }
                return null;
            }
            case WATCH -> {
                boolean accepted = !client.inMulti();
                dispatcher.execute(client, cmd, args);
                if (accepted) {
                    noteWatched(client, route.keys(cmd, args));
                }
                return null;
            }
            case UNWATCH -> {
                dispatcher.execute(client, cmd, args);
                Session s = Session.peek(client);
                if (s != null) {
                    s.resetWatched();
                }
                return null;
            }
            case RESET -> {
                dispatcher.execute(client, cmd, args);
                client.routingState(null);
                return null;
            }
            case CLUSTER_WIDE -> {
                routedLocal.increment();
                ClusterKeyspace k = keyspace;
                if (k == null) {
                    dispatcher.execute(client, cmd, args);
                    return null;
                }
                return k.route(client, cmd, args);
            }
            default -> {
                routedLocal.increment();
                dispatcher.execute(client, cmd, args);
                return null;
            }
        }
    }

    @Override
    public String checkQueued(ClientConnection client, CommandSpec cmd, byte[][] args) {
        CommandRoute route = routes.of(cmd);
        byte[][] keys = route.keyless() ? NO_KEYS : route.keys(cmd, args);
        Session s = Session.of(client);
        boolean split = splitTransactions();
        ReplicaSet own = null;
        boolean ownSpans = false;
        for (byte[] key : keys) {
            ReplicaSet ks = ring.replicasFor(key);
            if (own == null) {
                own = ks;
            } else if (!own.sameNodes(ks)) {
                ownSpans = true;
            }
        }
        // A command that needs its keys together is refused either way; with split, MGET, MSET,
        // DEL, EXISTS, UNLINK and TOUCH are split per replica set at EXEC, as outside MULTI.
        boolean spans = ownSpans || own != null && s.transactionSet != null && !s.transactionSet.sameNodes(own);
        if (ownSpans && !(split && splitKind(route)) || spans && !split) {
            crossSlot.increment();
            return CROSSSLOT;
        }
        // With split, a command without keys that does more than answer would run apart from its
        // connection and before the other parts: refused once the transaction spans sets, and at
        // EXEC when the transaction came to span them after it was queued.
        boolean joins = SplitTransaction.joins(route, cmd, keys.length);
        if (!joins && split && s.transactionSpansSets) {
            crossSlot.increment();
            return SplitTransaction.refusal(cmd);
        }
        if (!joins && s.transactionKeylessEffect == null) {
            s.transactionKeylessEffect = cmd;
        }
        if (s.transactionSet == null) {
            s.transactionSet = own;
        }
        s.transactionSpansSets |= spans;
        for (byte[] key : keys) {
            s.transactionKeys.add(key);
        }
        s.transactionWrites |= route.write();
        s.transactionOnPrimary |= cmd.has(CommandFlag.ON_PRIMARY);
        return null;
    }

    /** Whether transactions over several replica sets run split ({@code cross-slot-transactions split}). */
    private boolean splitTransactions() {
        return "split".equals(node.config().current().crossSlotTransactions());
    }

    private static boolean splitKind(CommandRoute route) {
        CommandRoute.Kind k = route.kind();
        return k == CommandRoute.Kind.SPLIT_MGET || k == CommandRoute.Kind.SPLIT_MSET || k == CommandRoute.Kind.SPLIT_SUM;
    }

    private CompletableFuture<LateReply> routeKeyed(ClientConnection client, CommandSpec cmd, CommandRoute route,
                                                    byte[][] args) {
        byte[] first;
        ReplicaSet set;
        byte[][] keys = null;
        if (!route.movableKeys() && cmd.firstKey() == 1 && cmd.lastKey() == 1) {
            first = args[1]; // the common single-key case: no key array
            set = ring.replicasFor(first);
        } else {
            keys = route.keys(cmd, args);
            if (keys.length == 0) {
                routedLocal.increment(); // e.g. a bad numkeys: the command reports its own error
                dispatcher.execute(client, cmd, args);
                return null;
            }
            first = keys[0];
            set = ring.replicasFor(first);
            for (int i = 1; i < keys.length; i++) {
                if (!ring.replicasFor(keys[i]).sameNodes(set)) {
                    crossSlot.increment();
                    cmd.stats().recordRejected();
                    client.reply().error(CROSSSLOT);
                    return null;
                }
            }
        }
        return runOn(client, cmd, route, args, first, keys, set);
    }

    /** Runs a command whose keys all live on {@code set}: here if this node is a replica, else forwarded. */
    private CompletableFuture<LateReply> runOn(ClientConnection client, CommandSpec cmd, CommandRoute route,
                                               byte[][] args, byte[] first, byte[][] keys, ReplicaSet set) {
        ConsistencyLevel read = readLevel(client);
        boolean write = route.write();
        if (cmd.has(CommandFlag.ON_PRIMARY)) {
            int primary = firstLiveReplica(set);
            if (primary >= 0 && primary != self) {
                routedToPrimary.increment();
                if (blocksOnNull(cmd)) {
                    return forwardBlocking(client, cmd, route, args, first, set, true);
                }
                return forward(client, first, false, List.<byte[][]>of(args), primary).thenApply(CommandRouter::rawReply);
            }
        }
        if (set.contains(self) && !write && read == ConsistencyLevel.ONE && !replicator.complete(set)) {
            // This node is still catching up after its start: it may lack writes acknowledged while
            // it was away, but it holds this connection's latest writes. So a read at ONE merges the
            // state of another replica of its datacenter into its own first (a quorum read there),
            // or, without another replica here, goes to one elsewhere; answered here if none is up.
            int other = chooseReplicaOtherThanSelf(set);
            if (other >= 0) {
                routedWhileSyncing.increment();
                if (set.sizeIn(selfDc) < 2) {
                    return forward(client, first, false, List.<byte[][]>of(args), other)
                            .thenApply(CommandRouter::rawReply);
                }
                read = ConsistencyLevel.LOCAL_QUORUM;
            }
        }
        if (set.contains(self)) {
            routedHere.increment();
            if (keys == null) {
                keys = write || read == ConsistencyLevel.ONE ? NO_KEYS : new byte[][] {first};
            }
            CompletableFuture<LateReply> late = runner.run(client, cmd, args, keys, write, read, writeLevel(client),
                    selfDc);
            if (!write && read == ConsistencyLevel.ONE) {
                replicator.afterLocalRead(first); // a sampled digest check of the other replicas
            }
            return late;
        }
        routedForwarded.increment();
        if (blocksOnNull(cmd)) {
            return forwardBlocking(client, cmd, route, args, first, set, false);
        }
        return forward(client, first, false, List.<byte[][]>of(args)).thenApply(CommandRouter::rawReply);
    }

    /**
     * A blocking command (BLPOP...) whose keys another node serves: the command goes there, where
     * it cannot block and answers a null when its keys hold nothing. Then the client blocks here
     * ({@link io.converge.server.command.BlockedClients}): the command is sent again when one of
     * its keys changes here (this node replicates them) and every {@value #REMOTE_POLL_MILLIS} ms
     * anyway, to the replica that serves the keys at that time, until it answers something other
     * than a null or the timeout passes. A retry that cannot reach a replica keeps waiting.
     */
    private CompletableFuture<LateReply> forwardBlocking(ClientConnection client, CommandSpec cmd, CommandRoute route,
            byte[][] args, byte[] first, ReplicaSet set, boolean onPrimary) {
        List<byte[][]> commands = List.<byte[][]>of(args);
        CompletableFuture<LateReply> result = new CompletableFuture<>();
        forward(client, first, false, commands, onPrimary ? firstLiveReplica(set) : chooseReplica(set))
                .whenComplete((bytes, error) -> {
                    if (error != null || !isNullReply(bytes)) {
                        result.complete(error != null ? ReplicaRunner.failure(error) : rawReply(bytes));
                        return;
                    }
                    int at = BlockingArgs.timeoutIndex(cmd.name(), args.length);
                    long timeout = BlockingArgs.timeoutMillis(args[at], System.currentTimeMillis());
                    byte[] timedOut = client.protocol() == 3 ? RESP3_NULL : RESP2_NULL_ARRAY;
                    BlockedClients.Attempt retry = () -> {
                        int target = onPrimary ? firstLiveReplica(set) : chooseReplica(set);
                        if (target < 0) {
                            return CompletableFuture.completedFuture(null);
                        }
                        ForwardedRequest request = new ForwardedRequest(false, client.protocol(), readLevel(client),
                                writeLevel(client), selfDc, hlc.current(), commands, restrictedUser(client));
                        return replicator.forward(target, first, request.encode())
                                .handle((reply, failed) -> failed != null || isNullReply(reply) ? null : rawReply(reply));
                    };
                    long poll = set.contains(self) ? 10 * REMOTE_POLL_MILLIS : REMOTE_POLL_MILLIS;
                    node.blocked().block(client, route.keys(cmd, args), timeout, c -> c.reply().raw(timedOut), retry,
                            REMOTE_WAITERS, poll)
                            .whenComplete((late, failed) -> result.complete(failed != null ? ReplicaRunner.failure(failed)
                                    : late));
                });
        return result;
    }

    /** Whether RESP reply {@code bytes} is a null: a null bulk, a null array (RESP2) or RESP3's null. */
    private static boolean isNullReply(byte[] bytes) {
        return Arrays.equals(bytes, RESP2_NULL_ARRAY) || Arrays.equals(bytes, RESP2_NULL_BULK)
                || Arrays.equals(bytes, RESP3_NULL);
    }

    private CompletableFuture<LateReply> routeSplit(ClientConnection client, CommandSpec cmd, CommandRoute route,
                                                    byte[][] args) {
        if (route.kind() == CommandRoute.Kind.SPLIT_MSET && (args.length - 1) % 2 != 0) {
            dispatcher.execute(client, cmd, args); // MSET reports its own arity error
            return null;
        }
        byte[][] keys = route.keys(cmd, args);
        SplitCommand split = SplitCommand.plan(route.kind(), ring, keys);
        if (split.parts().size() == 1) {
            return runOn(client, cmd, route, args, keys[0], keys, split.parts().get(0).replicas());
        }
        routedSplit.increment();
        ConsistencyLevel read = readLevel(client);
        ConsistencyLevel write = writeLevel(client);
        List<CompletableFuture<byte[]>> replies = new ArrayList<>(split.parts().size());
        for (SplitCommand.Part part : split.parts()) {
            byte[][] partArgs = split.partArgs(part, route, cmd, args);
            byte[][] partKeys = SplitCommand.partKeys(part, keys);
            if (part.replicas().contains(self)) {
                replies.add(runner.runDetached(client.protocol(), cmd, partArgs, partKeys, route.write(), read, write,
                        selfDc));
            } else {
                replies.add(forward(client, partKeys[0], false, List.<byte[][]>of(partArgs)));
            }
        }
        CompletableFuture<byte[]> whole = split.combine(replies);
        if (whole.isDone() && !whole.isCompletedExceptionally()) {
            client.reply().raw(whole.join());
            return null;
        }
        if (!route.write() || !split.allOn(self)) {
            return whole.thenApply(CommandRouter::rawReply);
        }
        // Every part was written here already: later commands need not wait for the acknowledgements.
        CommandDispatcher.AwaitingAcks reply = new CommandDispatcher.AwaitingAcks();
        whole.whenComplete((bytes, error) -> reply.complete(error == null ? rawReply(bytes)
                : ReplicaRunner.failure(error)));
        return reply;
    }

    private CompletableFuture<LateReply> routeExec(ClientConnection client, CommandSpec exec, byte[][] args) {
        Session s = Session.peek(client);
        if (!client.inMulti() || client.multiDirty() || s == null) {
            if (s != null) {
                s.resetTransaction();
                s.resetWatched();
            }
            dispatcher.execute(client, exec, args); // EXEC without MULTI, EXECABORT, or nothing to place
            return null;
        }
        ReplicaSet queuedSet = s.transactionSet;
        ReplicaSet watchedSet = s.watchedSet;
        boolean crossSlotWatch = s.watchedCrossSlot
                || (queuedSet != null && watchedSet != null && !queuedSet.sameNodes(watchedSet));
        byte[][] keys = s.transactionKeys.toArray(NO_KEYS);
        boolean writes = s.transactionWrites;
        boolean onPrimary = s.transactionOnPrimary && client.watchedKeys().isEmpty();
        boolean spans = s.transactionSpansSets || crossSlotWatch;
        CommandSpec keylessEffect = s.transactionKeylessEffect;
        s.resetTransaction();
        s.resetWatched();
        if (spans && splitTransactions()) {
            if (keylessEffect != null) {
                // Queued before the transaction came to span replica sets: refused before anything runs.
                client.endMulti();
                client.unwatchAll();
                crossSlot.increment();
                client.reply().error("EXECABORT Transaction discarded because of: "
                        + SplitTransaction.refusal(keylessEffect));
                return null;
            }
            return routeSplitExec(client, exec);
        }
        if (spans) {
            client.endMulti();
            client.unwatchAll();
            crossSlot.increment();
            client.reply().error(CROSSSLOT);
            return null;
        }
        ReplicaSet placement = queuedSet != null ? queuedSet : watchedSet;
        int target = placement == null ? self : onPrimary ? firstLiveReplica(placement) : chooseReplica(placement);
        if (placement == null || target == self || target < 0 && placement.contains(self)) {
            routedHere.increment();
            return runner.run(client, exec, args, keys, writes, readLevel(client), writeLevel(client), selfDc);
        }
        if (!client.watchedKeys().isEmpty()) {
            client.endMulti();
            client.unwatchAll();
            client.reply().error("ERR WATCH compares this node's versions of the watched keys, and node " + self
                    + " does not replicate them: send WATCH/MULTI/EXEC to one of nodes " + nodesOf(placement)
                    + " (see CONVERGE OWNERS <key>)");
            return null;
        }
        List<QueuedCommand> queued = client.endMulti();
        List<byte[][]> commands = new ArrayList<>(queued.size());
        for (QueuedCommand q : queued) {
            commands.add(q.args());
        }
        routedForwarded.increment();
        return forward(client, keys[0], true, commands, target < 0 ? chooseReplica(placement) : target)
                .thenApply(CommandRouter::rawReply);
    }

    /**
     * EXEC of a transaction whose keys (queued or WATCHed) span several replica sets, with
     * {@code cross-slot-transactions split} ({@link SplitTransaction}). Every queued command
     * passed the dispatcher's checks when it was queued (or EXEC already answered EXECABORT).
     * This node's part runs first, in one local transaction that also checks the WATCHed keys
     * (which must all be replicated here; without either, nothing runs here): if a watched key
     * changed, EXEC answers the null array and no other part runs; if this node's part fails
     * before it runs (MISCONF, OOM, a quorum read that missed its level), EXEC answers that error
     * and no other part runs. Otherwise the other nodes' parts are sent at once, in parallel,
     * each run there as one transaction, and the replies are reassembled.
     */
    private CompletableFuture<LateReply> routeSplitExec(ClientConnection client, CommandSpec exec) {
        List<ClientConnection.WatchedKey> watched = List.copyOf(client.watchedKeys());
        for (ClientConnection.WatchedKey w : watched) {
            ReplicaSet set = ring.replicasFor(w.key());
            if (!set.contains(self)) {
                client.endMulti();
                client.unwatchAll();
                client.reply().error("ERR WATCH compares this node's versions of the watched keys, and node " + self
                        + " does not replicate '" + new String(w.key(), StandardCharsets.UTF_8) + "' (nodes "
                        + nodesOf(set) + "): a transaction over several replica sets must be sent to a node that "
                        + "replicates every WATCHed key (see CONVERGE OWNERS <key>)");
                return null;
            }
        }
        List<QueuedCommand> queued = client.endMulti();
        client.unwatchAll();
        boolean watching = !watched.isEmpty();
        SplitTransaction plan = SplitTransaction.plan(queued, routes, ring, self,
                (set, primary) -> splitPartNode(set, primary && !watching));
        routedSplitTransactions.increment();
        int protocol = client.protocol();
        ConsistencyLevel read = readLevel(client);
        ConsistencyLevel write = writeLevel(client);
        String user = restrictedUser(client);

        SplitTransaction.Part here = plan.parts().get(0);
        CompletableFuture<LateReply> late = null;
        CompletableFuture<byte[]> localReply = CompletableFuture.completedFuture(EMPTY_ARRAY); // no part here
        if (!here.pieces().isEmpty() || watching) {
            VirtualClient v = new VirtualClient(node, protocol);
            ClientConnection local = v.client();
            local.authenticated(true, client.aclUser());
            for (ClientConnection.WatchedKey w : watched) {
                local.watch(w.key(), w.version());
            }
            local.beginMulti();
            boolean localWrites = false;
            for (SplitTransaction.Piece piece : here.pieces()) {
                local.queue(piece.spec(), piece.args());
                localWrites |= routes.of(piece.spec()).write();
            }
            late = runner.run(local, exec, EXEC_ARGS, here.keys(), localWrites, read, write, selfDc);
            Session localSession = Session.peek(local);
            if (localSession != null && localSession.writeSeqs != null) {
                Session.of(client).noteWrite(localSession.writeSeqs); // WAIT counts this part's writes
            }
            localReply = ReplicaRunner.finish(v, late);
        }
        CompletableFuture<byte[]> reply = localReply;
        CompletableFuture<byte[]> whole;
        if (late instanceof CommandDispatcher.AwaitingAcks) {
            // This node's part ran and wrote; its reply waits for the write level, the others run meanwhile.
            whole = runOtherParts(plan, reply, protocol, read, write, user);
        } else {
            // Its reply decides (once a quorum read, WATCH check included, has its states): a null
            // array (a WATCHed key changed) or an error (refused, or the read missed its level,
            // before anything ran) is EXEC's reply, and no other part runs.
            whole = reply.thenCompose(r -> isNullReply(r) || RespScanner.isError(r, 0)
                    ? CompletableFuture.completedFuture(r) : runOtherParts(plan, reply, protocol, read, write, user));
        }
        return whole.handle((bytes, error) -> error == null ? rawReply(bytes) : ReplicaRunner.failure(error));
    }

    /**
     * Sends every part of {@code plan} but this node's to its node, in parallel, as one
     * transaction each; the future holds EXEC's whole reply once they and {@code localReply} (this
     * node's part) answered.
     */
    private CompletableFuture<byte[]> runOtherParts(SplitTransaction plan, CompletableFuture<byte[]> localReply,
                                                    int protocol, ConsistencyLevel read, ConsistencyLevel write,
                                                    String user) {
        List<CompletableFuture<byte[]>> replies = new ArrayList<>(plan.parts().size());
        replies.add(localReply);
        for (int i = 1; i < plan.parts().size(); i++) {
            SplitTransaction.Part part = plan.parts().get(i);
            ForwardedRequest request = new ForwardedRequest(true, protocol, read, write, selfDc, hlc.current(),
                    part.commands(), user);
            replies.add(replicator.forward(part.node(), part.firstKey(), request.encode())
                    .exceptionally(CommandRouter::errorBytes));
        }
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).thenApply(done -> {
            byte[][] bytes = new byte[replies.size()][];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = replies.get(i).join();
            }
            return plan.assemble(bytes);
        });
    }

    /** The node that runs a split transaction's commands on {@code set}: its primary for list commands, else as any command. */
    private int splitPartNode(ReplicaSet set, boolean onPrimary) {
        int primary = onPrimary ? firstLiveReplica(set) : -1;
        return primary >= 0 ? primary : chooseReplica(set);
    }

    private void noteWatched(ClientConnection client, byte[][] keys) {
        Session s = Session.of(client);
        for (byte[] key : keys) {
            ReplicaSet ks = ring.replicasFor(key);
            if (s.watchedSet == null) {
                s.watchedSet = ks;
            } else if (!s.watchedSet.sameNodes(ks)) {
                s.watchedCrossSlot = true;
            }
        }
    }

    /** Sends commands on {@code key} to the replica chosen for it; the future holds its reply bytes or a client error. */
    private CompletableFuture<byte[]> forward(ClientConnection client, byte[] key, boolean transaction,
                                              List<byte[][]> commands) {
        return forward(client, key, transaction, commands, chooseReplica(ring.replicasFor(key)));
    }

    /** Sends commands on {@code key} to replica {@code target}; the future holds its reply bytes or a client error. */
    private CompletableFuture<byte[]> forward(ClientConnection client, byte[] key, boolean transaction,
                                              List<byte[][]> commands, int target) {
        ForwardedRequest request = new ForwardedRequest(transaction, client.protocol(), readLevel(client),
                writeLevel(client), selfDc, hlc.current(), commands, restrictedUser(client));
        return replicator.forward(target, key, request.encode()).exceptionally(CommandRouter::errorBytes);
    }

    /** The name of {@code client}'s ACL user when its rules restrict it (sent along with forwarded commands), else null. */
    private static String restrictedUser(ClientConnection client) {
        AclUser user = client.aclUser();
        return user.unrestricted() ? null : user.name();
    }

    /**
     * WAIT's count for {@code client}: the other nodes that acknowledged every delta of its writes
     * run on this node; before any such write, the other nodes the failure detector sees up (as
     * Redis counts every connected replica for a connection that wrote nothing).
     */
    int acknowledged(ClientConnection client) {
        Session s = Session.peek(client);
        return s == null || s.writeSeqs == null ? replicator.peersUp() : replicator.acknowledged(s.writeSeqs);
    }

    /**
     * Write tracking for writes made off the client's thread (a Lua script on the script thread):
     * as {@link ReplicaRunner} does for a write it runs, the deltas are captured on the writing
     * thread and the client's reply waits for its write level.
     */
    NodeServices.WriteTracking writeTracking() {
        return new NodeServices.WriteTracking() {
            @Override
            public Object begin() {
                return replicator.beginCapture();
            }

            @Override
            public CompletableFuture<Void> end(Object token, ClientConnection client) {
                DeltaCapture capture = (DeltaCapture) token;
                capture.close();
                if (capture.isEmpty()) {
                    return CompletableFuture.completedFuture(null);
                }
                Session.of(client).noteWrite(capture.sequences());
                return replicator.replicate(capture, writeLevel(client), selfDc);
            }
        };
    }

    /**
     * Whether a null reply of {@code cmd} from another node means "block the client here": the
     * blocking pops. XREAD carries the blocking flag as in Redis, but Converge refuses its BLOCK
     * option, so a null from it is its answer.
     */
    private static boolean blocksOnNull(CommandSpec cmd) {
        return cmd.has(CommandFlag.BLOCKING) && !"xread".equals(cmd.name());
    }

    /**
     * The first replica of {@code replicas} in ring order that is this node or that the failure
     * detector considers up (-1 when none is): where commands flagged {@link CommandFlag#ON_PRIMARY}
     * run, so that while the cluster is healthy one replica hands out each list element.
     */
    private int firstLiveReplica(ReplicaSet replicas) {
        for (int i = 0; i < replicas.size(); i++) {
            int node = replicas.node(i);
            if (node == self || replicator.isUp(node)) {
                return node;
            }
        }
        return -1;
    }

    /**
     * A replica of {@code replicas} other than this node that the failure detector considers up,
     * the same for every key of the set (this node's datacenter first), or -1 when none is.
     */
    private int chooseReplicaOtherThanSelf(ReplicaSet replicas) {
        int dcs = replicas.datacenterCount();
        int mix = (replicas.groupId() * 0x9E3779B9) ^ (self * 0x85EBCA6B);
        for (int k = 0; k < dcs; k++) {
            int dc = k == 0 ? selfDc : (k - 1 < selfDc ? k - 1 : k);
            int n = replicas.sizeIn(dc);
            int start = n == 0 ? 0 : Math.floorMod(mix ^ (mix >>> 16), n);
            for (int j = 0; j < n; j++) {
                int node = replicas.sortedNodeIn(dc, (start + j) % n);
                if (node != self && replicator.isUp(node)) {
                    return node;
                }
            }
        }
        return -1;
    }

    /**
     * The replica this node runs commands on for keys of {@code replicas}: itself if it is one;
     * otherwise one in its own datacenter that the failure detector considers up, picked from the
     * set's nodes (whatever their order: {@link ReplicaSet#groupId()}) and this node's id. So every
     * key on the same nodes goes to the same replica (read-your-writes for multi-key commands and
     * transactions as well), while different nodes spread their
     * requests over different replicas. If none seems up, the first pick of the nearest
     * datacenter with replicas (the request then fails or waits there).
     */
    public int chooseReplica(ReplicaSet replicas) {
        if (replicas.contains(self)) {
            return self;
        }
        int fallback = -1;
        int dcs = replicas.datacenterCount();
        int mix = (replicas.groupId() * 0x9E3779B9) ^ (self * 0x85EBCA6B);
        for (int k = 0; k < dcs; k++) {
            int dc = k == 0 ? selfDc : (k - 1 < selfDc ? k - 1 : k);
            int n = replicas.sizeIn(dc);
            if (n == 0) {
                continue;
            }
            int start = Math.floorMod(mix ^ (mix >>> 16), n);
            if (fallback < 0) {
                fallback = replicas.sortedNodeIn(dc, start);
            }
            for (int j = 0; j < n; j++) {
                int node = replicas.sortedNodeIn(dc, (start + j) % n);
                if (replicator.isUp(node)) {
                    return node;
                }
            }
        }
        return fallback;
    }

    private static LateReply rawReply(byte[] bytes) {
        return c -> c.reply().raw(bytes);
    }

    private static byte[] errorBytes(Throwable error) {
        return errorBytes("ERR " + ReplicaRunner.messageOf(error));
    }

    private static byte[] errorBytes(String message) {
        return ("-" + message.replace('\r', ' ').replace('\n', ' ') + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    private static List<Integer> nodesOf(ReplicaSet set) {
        List<Integer> ids = new ArrayList<>(set.size());
        for (int i = 0; i < set.size(); i++) {
            ids.add(set.node(i));
        }
        return ids;
    }

    // ------------------------------------------------------------------ commands forwarded here

    /**
     * Runs a command (or transaction) another node forwarded: as a replica of its keys, at the
     * forwarding client's levels, in its protocol. A write from a node whose clock is further
     * ahead than {@code max-clock-drift-ms} is refused before anything runs. Called on a transport
     * thread; completes when the reply is final.
     */
    @Override
    public CompletableFuture<byte[]> execute(int fromNodeId, byte[] key, byte[] payload) {
        ForwardedRequest request;
        try {
            request = ForwardedRequest.decode(payload);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        forwardedRun.increment();
        List<byte[][]> commands = request.commands();
        CommandSpec[] specs = new CommandSpec[commands.size()];
        boolean write = false;
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < specs.length; i++) {
            byte[][] args = commands.get(i);
            CommandSpec spec = lookup(args);
            if (spec == null) {
                return CompletableFuture.completedFuture(errorBytes("ERR node " + self
                        + " does not know the forwarded command '" + new String(args[0], StandardCharsets.UTF_8)
                        + "' (nodes of different versions?)"));
            }
            specs[i] = spec;
            CommandRoute route = routes.of(spec);
            write |= route.write();
            if (!route.keyless()) {
                for (byte[] k : route.keys(spec, args)) {
                    if (!ring.replicasFor(k).contains(self)) {
                        return CompletableFuture.completedFuture(errorBytes("ERR node " + fromNodeId
                                + " forwarded a command to node " + self + ", which does not replicate its keys"));
                    }
                    keys.add(k);
                }
            }
        }
        try {
            hlc.receive(request.coordinatorHlc());
        } catch (ClockDriftException e) {
            if (write) {
                driftRefused.increment();
                return CompletableFuture.completedFuture(errorBytes("ERR clock drift: node " + fromNodeId
                        + " is " + e.driftMs() + " ms ahead of node " + self + " (max-clock-drift-ms is "
                        + e.maxDriftMs() + "); the write was refused and not applied. Check the clocks (NTP)."));
            }
        }
        if (write) {
            // This replica cannot persist writes (its log's disk is full or failing): refused
            // before anything runs, with the error the dispatcher gives its own clients.
            String refusal = node.engine().writeRefusal();
            if (refusal != null) {
                return CompletableFuture.completedFuture(errorBytes(request.transaction()
                        ? "EXECABORT Transaction discarded because of: " + refusal : refusal));
            }
        }
        VirtualClient v = new VirtualClient(node, request.protocol());
        ClientConnection client = v.client();
        if (request.user() != null) {
            // The client's commands were checked on its node; EXEC and scripts check again as this user.
            AclUser user = node.acl().user(request.user());
            if (user == null) {
                return CompletableFuture.completedFuture(errorBytes("NOPERM user '" + request.user()
                        + "' is not known on node " + self + " yet (ACL changes are still reaching it); try again"));
            }
            client.authenticated(true, user);
        }
        CompletableFuture<LateReply> late;
        if (!request.transaction()) {
            CommandSpec spec = specs[0];
            if (spec.has(CommandFlag.DENYOOM) && node.engine().overMemoryLimit()) {
                return CompletableFuture.completedFuture(errorBytes(Errors.OOM));
            }
            late = runner.run(client, spec, commands.get(0), keys.toArray(NO_KEYS), write, request.readLevel(),
                    request.writeLevel(), request.coordinatorDc());
        } else {
            client.beginMulti();
            for (int i = 0; i < specs.length; i++) {
                client.queue(specs[i], commands.get(i));
            }
            late = runner.run(client, node.commands().lookup(EXEC_ARGS[0]), EXEC_ARGS, keys.toArray(NO_KEYS), write,
                    request.readLevel(), request.writeLevel(), request.coordinatorDc());
        }
        if (write) {
            try {
                node.engine().awaitDurable(); // appendfsync always: the reply leaves once the write is on disk
            } catch (RuntimeException e) {
                return CompletableFuture.completedFuture(errorBytes("ERR " + ReplicaRunner.messageOf(e)));
            }
        }
        return ReplicaRunner.finish(v, late);
    }

    private CommandSpec lookup(byte[][] args) {
        CommandSpec spec = node.commands().lookup(args[0]);
        if (spec != null && spec.isContainer() && args.length > 1) {
            spec = spec.subcommands().lookup(args[1]);
        }
        return spec;
    }

    // ------------------------------------------------------------------ introspection

    /** This node's hybrid logical clock. */
    public HybridLogicalClock clock() {
        return hlc;
    }

    /** The replicator this router sends through. */
    public Replicator replicator() {
        return replicator;
    }

    /** Writes the router's lines of INFO {@code cluster}. */
    void writeInfo(InfoBuilder out) {
        Defaults d = defaults();
        out.field("read_consistency_default", d.read().name())
                .field("write_consistency_default", d.write().name())
                .field("request_timeout_ms", node.config().current().requestTimeoutMs())
                .field("routed_keyless_here", routedLocal.sum())
                .field("routed_to_local_replica", routedHere.sum())
                .field("routed_forwarded", routedForwarded.sum())
                .field("routed_to_primary", routedToPrimary.sum())
                .field("routed_reads_while_syncing", routedWhileSyncing.sum())
                .field("routed_split", routedSplit.sum())
                .field("routed_split_transactions", routedSplitTransactions.sum())
                .field("routed_crossslot_refused", crossSlot.sum())
                .field("forwarded_commands_run", forwardedRun.sum())
                .field("forwarded_writes_refused_clock_drift", driftRefused.sum());
    }
}
