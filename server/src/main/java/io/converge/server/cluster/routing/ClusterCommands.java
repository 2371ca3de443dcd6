package io.converge.server.cluster.routing;

import static io.converge.server.command.CommandFlag.ADMIN;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PartitionControl;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.Topology;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.DebugGate;
import io.converge.server.command.NodeStatus;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import io.converge.server.command.Errors;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.replication.ReplicationInfo;
import io.converge.server.replication.ReplicationStats;
import io.converge.server.replication.Replicator;
import io.converge.server.replication.antientropy.HashTreeRepair;
import io.converge.server.store.StorageEngine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;

/**
 * The commands a clustered node adds:
 * <ul>
 *   <li>{@code CONSISTENCY} — show the connection's read and write levels;
 *       {@code CONSISTENCY [READ|WRITE] <level>} sets them for this connection ({@code DEFAULT}
 *       goes back to the configured default). Levels: ONE, LOCAL_QUORUM, EACH_QUORUM, ALL and
 *       Dynomite's DC_ONE, DC_QUORUM, DC_SAFE_QUORUM, DC_EACH_SAFE_QUORUM.</li>
 *   <li>{@code CONVERGE RING} — the cluster and its nodes as this node sees them (one line per
 *       node, like CLUSTER NODES); {@code CONVERGE OWNERS <key>} — the replicas of a key, each
 *       {@code [id, "host:port", datacenter, rack, "up"|"down", "primary"|"replica"]}, and which
 *       of them this node sends the key's commands to.</li>
 *   <li>{@code CONVERGE STATUS} — every reachable node's vital signs ({@link NodeStatus}) as one
 *       JSON document, gathered by this node: what {@code ./converge status} prints.</li>
 *   <li>{@code CONVERGE PARTITION <node-id> [<node-id> ...]} — cut this node off from those
 *       nodes as a network partition would (see {@link PartitionControl#partition});
 *       {@code CONVERGE PARTITION} alone lists the nodes it is cut off from;
 *       {@code CONVERGE HEAL [<node-id> ...]} lifts the cut (for all nodes when none are named).
 *       For chaos tests and benchmarks, so gated like Redis's DEBUG by {@code enable-debug-command}
 *       ({@code no} refuses them with Redis's wording, {@code local} allows loopback clients only).</li>
 *   <li>{@code CLUSTER ...} — answers {@code -ERR This instance has cluster support disabled}
 *       exactly as a standalone redis-server does: a Converge cluster is not a Redis Cluster (any
 *       node serves any key, nobody is redirected), so cluster-mode clients must not treat it
 *       as one.</li>
 * </ul>
 * The names do not clash with Redis commands, so clients probing Redis features are not misled.
 */
public final class ClusterCommands {
    private static final String CLUSTER_DISABLED = "ERR This instance has cluster support disabled";
    /** Redis 7's CLUSTER subcommands with their arities, so arity and unknown-subcommand errors match. */
    private static final Object[][] CLUSTER_SUBCOMMANDS = {
        {"addslots", -3}, {"addslotsrange", -4}, {"bumpepoch", 2}, {"count-failure-reports", 3},
        {"countkeysinslot", 3}, {"delslots", -3}, {"delslotsrange", -4}, {"failover", -2}, {"flushslots", 2},
        {"forget", 3}, {"getkeysinslot", 4}, {"help", 2}, {"info", 2}, {"keyslot", 3}, {"links", 2},
        {"meet", -4}, {"myid", 2}, {"myshardid", 2}, {"nodes", 2}, {"replicas", 3}, {"replicate", 3},
        {"reset", -2}, {"saveconfig", 2}, {"set-config-epoch", 3}, {"setslot", -4}, {"shards", 2},
        {"slaves", 3}, {"slots", 2},
    };

    private final CommandRouter router;
    private final Replicator replicator;
    private final PartitionControl transport;

    private ClusterCommands(CommandRouter router, PartitionControl transport) {
        this.router = router;
        this.replicator = router.replicator();
        this.transport = transport;
    }

    /** Registers CONSISTENCY, CONVERGE and CLUSTER in {@code table}; PARTITION and HEAL act on {@code transport}. */
    public static void register(CommandTable table, CommandRouter router, PartitionControl transport) {
        ClusterCommands c = new ClusterCommands(router, transport);
        table.register(CommandSpec.builder("consistency").arity(-1).flags(LOADING, STALE, FAST)
                .acl(AclCategory.CONNECTION).group("connection").since("converge")
                .summary("Shows or sets this connection's read and write consistency levels.")
                .complexity("O(1)").handler(c::consistency).build());
        table.register(CommandSpec.builder("converge").arity(-2).group("cluster").since("converge")
                .summary("Converge cluster introspection.")
                .subcommand(CommandSpec.builder("ring").arity(2).flags(LOADING, STALE).acl(AclCategory.CONNECTION)
                        .summary("Shows the cluster's nodes and their state as this node sees them.")
                        .handler(c::ring))
                .subcommand(CommandSpec.builder("status").arity(2).flags(LOADING, STALE).acl(AclCategory.CONNECTION)
                        .summary("Shows every reachable node's vital signs (JSON), as ./converge status and the dashboard do.")
                        .handler(ClusterCommands::status))
                .subcommand(CommandSpec.builder("owners").arity(3).flags(LOADING, STALE, FAST)
                        .acl(AclCategory.CONNECTION).summary("Shows the replicas of a key.").handler(c::owners))
                .subcommand(CommandSpec.builder("partition").arity(-2).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                        .acl(AclCategory.ADMIN, AclCategory.DANGEROUS, AclCategory.SLOW)
                        .summary("Cuts this node off from other nodes as a network partition would (testing).")
                        .handler(c::partition))
                .subcommand(CommandSpec.builder("heal").arity(-2).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                        .acl(AclCategory.ADMIN, AclCategory.DANGEROUS, AclCategory.SLOW)
                        .summary("Lifts a partition made with CONVERGE PARTITION (testing).").handler(c::heal))
                .subcommand(CommandSpec.builder("repair").arity(-2).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                        .acl(AclCategory.ADMIN, AclCategory.SLOW)
                        .summary("Starts a hash-tree repair pass with a node or every node; REPAIR STATUS shows "
                                + "the passes running.").handler(c::repair))
                .subcommand(CommandSpec.builder("digest").arity(-2).flags(LOADING, STALE)
                        .acl(AclCategory.ADMIN, AclCategory.SLOW)
                        .summary("Shows the digest of a key's state here, or of everything this node holds.")
                        .handler(c::digest))
                .subcommand(CommandSpec.builder("diverge").arity(4).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                        .acl(AclCategory.ADMIN, AclCategory.DANGEROUS, AclCategory.SLOW)
                        .summary("Sets a string on this node only, as if its delta were lost (testing).")
                        .handler(c::diverge))
                .subcommand(CommandSpec.builder("local").arity(-3).flags(LOADING, STALE)
                        .acl(AclCategory.KEYSPACE, AclCategory.SLOW)
                        .summary("Runs DBSIZE, KEYS, SCAN, RANDOMKEY, INFO, FLUSHALL, FLUSHDB or a read-only command on "
                                + "this node's own data only.").handler(ClusterCommands::local))
                .subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).acl(AclCategory.CONNECTION)
                        .summary("Shows helpful text about the different subcommands.").handler(c::help))
                .build());
        CommandSpec.Builder cluster = CommandSpec.builder("cluster").arity(-2).group("cluster").since("3.0.0")
                .summary("A container for Redis Cluster commands (cluster support is disabled).");
        for (Object[] sub : CLUSTER_SUBCOMMANDS) {
            cluster.subcommand(CommandSpec.builder((String) sub[0]).arity((Integer) sub[1]).flags(ADMIN, STALE)
                    .handler(ctx -> {
                        throw new CommandException(CLUSTER_DISABLED);
                    }));
        }
        table.register(cluster.build());
    }

    private void consistency(CommandContext ctx) {
        int argc = ctx.argc();
        if (argc == 1) {
            ReplyWriter r = ctx.reply();
            r.mapHeader(2);
            r.bulk("read");
            r.bulk(router.readLevel(ctx.connection()).name());
            r.bulk("write");
            r.bulk(router.writeLevel(ctx.connection()).name());
            return;
        }
        boolean read = true;
        boolean write = true;
        int levelArg = 1;
        if (argc == 3) {
            if (ctx.argIs(1, "read")) {
                write = false;
            } else if (ctx.argIs(1, "write")) {
                read = false;
            } else {
                throw new CommandException("ERR syntax error: CONSISTENCY [READ|WRITE] <level>");
            }
            levelArg = 2;
        } else if (argc != 2) {
            throw new CommandException("ERR syntax error: CONSISTENCY [READ|WRITE] <level>");
        }
        ConsistencyLevel level = null;
        if (!ctx.argIs(levelArg, "default")) {
            level = ConsistencyLevel.tryParse(ctx.argString(levelArg));
            if (level == null) {
                throw new CommandException("ERR unknown consistency level '" + ctx.argString(levelArg)
                        + "' (expected one of " + ConsistencyLevel.ACCEPTED_NAMES + ", or DEFAULT)");
            }
        }
        router.override(ctx.connection(), read, write, level);
        ctx.reply().ok();
    }

    /** CONVERGE STATUS: this node's and every reachable peer's {@link NodeStatus}, as a JSON bulk string. */
    private static void status(CommandContext ctx) {
        NodeStatus.Cluster status = ctx.node().part(NodeStatus.Cluster.class);
        if (status == null || !ctx.mayBlock()) {
            ctx.reply().bulk(new NodeStatus(ctx.node()).json().getBytes(StandardCharsets.UTF_8));
            return;
        }
        ctx.blockOn(status.json().thenApply(json -> client -> client.reply().bulk(json.getBytes(StandardCharsets.UTF_8))));
    }

    private void ring(CommandContext ctx) {
        ReplicationStats stats = replicator.stats();
        Ring ring = replicator.ring();
        Topology topology = ring.topology();
        StringBuilder sb = new StringBuilder();
        ReplicationStats.RingSummary summary = stats.ring();
        sb.append("cluster ").append(summary.clusterName()).append(" nodes=").append(summary.nodeCount())
                .append(" virtual_nodes=").append(summary.virtualNodes()).append(" replication=");
        boolean first = true;
        for (Map.Entry<String, Integer> e : summary.replication().entrySet()) {
            sb.append(first ? "" : ",").append(e.getKey()).append('=').append(e.getValue());
            first = false;
        }
        sb.append(" replica_sets=").append(summary.replicaSets()).append('\n');
        for (ReplicationStats.NodeRow row : stats.nodes()) {
            NodeSpec spec = topology.node(row.nodeId());
            sb.append(row.nodeId()).append(' ').append(spec.host()).append(':').append(spec.clientPort())
                    .append('@').append(spec.peerPort()).append(' ').append(row.datacenter()).append(' ')
                    .append(row.rack()).append(row.local() ? " myself" : " -").append(row.up() ? " up" : " down");
            if (row.local()) {
                sb.append(stats.syncPercent() >= 100 ? " complete" : " syncing " + stats.syncPercent() + "%");
            }
            if (!row.local()) {
                sb.append(" phi=").append(Double.isInfinite(row.phi()) ? "inf"
                        : String.format(Locale.ROOT, "%.2f", row.phi()));
                sb.append(" connection=").append(row.connection().name().toLowerCase(Locale.ROOT));
                sb.append(" pending_deltas=").append(row.outgoing().pendingCount());
            }
            sb.append(String.format(Locale.ROOT, " primary_share=%.4f replica_share=%.4f",
                    ring.primaryOwnership(row.nodeId()), ring.replicaOwnership(row.nodeId())));
            sb.append('\n');
        }
        ctx.reply().verbatim(sb.toString());
    }

    private void owners(CommandContext ctx) {
        byte[] key = ctx.arg(2);
        Ring ring = replicator.ring();
        Topology topology = ring.topology();
        ReplicaSet set = ring.replicasFor(key);
        int chosen = router.chooseReplica(set);
        Map<Integer, Boolean> up = new HashMap<>();
        for (ReplicationStats.NodeRow row : replicator.stats().nodes()) {
            up.put(row.nodeId(), row.up());
        }
        ReplyWriter r = ctx.reply();
        r.arrayHeader(set.size());
        for (int i = 0; i < set.size(); i++) {
            int id = set.node(i);
            NodeSpec spec = topology.node(id);
            int dc = set.datacenterAt(i);
            r.arrayHeader(7);
            r.integer(id);
            r.bulk(spec.host() + ":" + spec.clientPort());
            r.bulk(spec.datacenter());
            r.bulk(spec.rack());
            r.bulk(Boolean.TRUE.equals(up.get(id)) ? "up" : "down");
            r.bulk(set.startOf(dc) == i ? "primary" : "replica");
            r.bulk(id == chosen ? (id == replicator.localNodeId() ? "serves-here" : "forwarded-to") : "-");
        }
    }

    /**
     * {@code CONVERGE REPAIR [<node-id>]}: a full hash-tree pass with that node (every node when
     * none is named) starts now; {@code CONVERGE REPAIR STATUS}: one line per running pass with
     * its progress (the fields of INFO's {@code repair_session} lines).
     */
    private void repair(CommandContext ctx) {
        if (ctx.argc() == 3 && ctx.argIs(2, "status")) {
            List<HashTreeRepair.SessionProgress> sessions = replicator.repair().progress();
            ReplyWriter r = ctx.reply();
            r.arrayHeader(sessions.size());
            for (HashTreeRepair.SessionProgress p : sessions) {
                r.bulk(ReplicationInfo.describe(p));
            }
            return;
        }
        if (ctx.argc() > 3) {
            throw new CommandException("ERR syntax error: CONVERGE REPAIR [<node-id>|STATUS]");
        }
        if (!replicator.repair().enabled()) {
            throw new CommandException("ERR hash trees are off on this node (repair-hash-trees no)");
        }
        int peer = -1;
        if (ctx.argc() == 3) {
            long id = ctx.argLong(2);
            Topology topology = replicator.ring().topology();
            if (id < 0 || id > Integer.MAX_VALUE || !topology.contains((int) id) || id == replicator.localNodeId()) {
                throw new CommandException("ERR node " + ctx.argString(2) + " is not another member of the cluster");
            }
            peer = (int) id;
        }
        replicator.repair().requestFullPass(peer);
        ctx.reply().ok();
    }

    /**
     * {@code CONVERGE DIGEST <key>}: the 16-hex-digit digest of this node's state of the key (nil
     * when it holds none); {@code CONVERGE DIGEST}: [digest of everything held, number of keys].
     * Replicas holding the same states report the same digests.
     */
    private void digest(CommandContext ctx) {
        if (!replicator.repair().enabled()) {
            throw new CommandException("ERR hash trees are off on this node (repair-hash-trees no)");
        }
        if (ctx.argc() == 3) {
            long d = replicator.keyDigest(ctx.arg(2));
            if (d == 0) {
                ctx.reply().nullBulk();
            } else {
                ctx.reply().bulk(String.format("%016x", d));
            }
            return;
        }
        if (ctx.argc() != 2) {
            throw new CommandException("ERR syntax error: CONVERGE DIGEST [<key>]");
        }
        long[] d = replicator.dataDigest();
        ReplyWriter r = ctx.reply();
        r.arrayHeader(2);
        r.bulk(String.format("%016x", d[0]));
        r.integer(d[1]);
    }

    /**
     * {@code CONVERGE DIVERGE <key> <value>}: sets the string on this node only, stamped now, and
     * replicates nothing, as if its delta had been lost: for showing that anti-entropy finds and
     * repairs what no delta will bring. Gated like DEBUG.
     */
    private void diverge(CommandContext ctx) {
        DebugGate.require(ctx, "CONVERGE DIVERGE");
        byte[] key = ctx.arg(2);
        if (!replicator.ring().replicasFor(key).contains(replicator.localNodeId())) {
            throw new CommandException("ERR node " + replicator.localNodeId() + " does not replicate this key");
        }
        StorageEngine engine = (StorageEngine) ctx.node().engine();
        KeyState delta = new KeyState().setString(ctx.arg(3), 0, router.clock().now(), engine.replicaId());
        engine.merge(key, delta);
        ctx.reply().ok();
    }

    private void partition(CommandContext ctx) {
        DebugGate.require(ctx, "CONVERGE PARTITION");
        if (ctx.argc() == 2) {
            SortedSet<Integer> cut = transport.partitionedFrom();
            ReplyWriter r = ctx.reply();
            r.arrayHeader(cut.size());
            for (int id : cut) {
                r.integer(id);
            }
            return;
        }
        List<Integer> ids = nodeIds(ctx);
        try {
            transport.partition(ids);
        } catch (IllegalArgumentException e) {
            throw new CommandException("ERR " + e.getMessage());
        }
        ctx.reply().ok();
    }

    private void heal(CommandContext ctx) {
        DebugGate.require(ctx, "CONVERGE HEAL");
        transport.heal(nodeIds(ctx));
        ctx.reply().ok();
    }

    /** Arguments 2.. as node ids. */
    private static List<Integer> nodeIds(CommandContext ctx) {
        List<Integer> ids = new ArrayList<>(ctx.argc() - 2);
        for (int i = 2; i < ctx.argc(); i++) {
            long id = ctx.argLong(i);
            if (id < 0 || id > Integer.MAX_VALUE) {
                throw new CommandException("ERR invalid node id '" + ctx.argString(i) + "'");
            }
            ids.add((int) id);
        }
        return ids;
    }

    private void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "CONVERGE <subcommand> [<arg> ...]. Subcommands are:",
                "RING",
                "    Show the cluster (name, replication) and every node: id, host:client-port@peer-port,",
                "    datacenter, rack, myself, up/down, failure-detector phi, pending deltas, ring shares.",
                "OWNERS <key>",
                "    Show the replicas of <key>: id, host:port, datacenter, rack, up/down,",
                "    primary/replica, and which one this node runs the key's commands on.",
                "PARTITION [<node-id> ...]",
                "    Cut this node off from the given nodes as a network partition would (testing;",
                "    needs enable-debug-command). Without ids: list the nodes it is cut off from.",
                "HEAL [<node-id> ...]",
                "    Lift the cut for the given nodes, or for all of them.",
                "REPAIR [<node-id>|STATUS]",
                "    Start a hash-tree repair pass with the given node (every node when none is given);",
                "    STATUS: the passes running, with their progress.",
                "DIGEST [<key>]",
                "    The digest of this node's state of <key>, or of everything it holds and its key count.",
                "DIVERGE <key> <value>",
                "    Set a string on this node only, replicating nothing (testing; needs enable-debug-command).",
                "LOCAL <command> [<arg> ...]",
                "    Run DBSIZE, KEYS, SCAN, RANDOMKEY, INFO, FLUSHALL or FLUSHDB on this node's own data only",
                "    (without LOCAL, they cover the whole cluster; INFO: its keyspace section).",
                "HELP",
                "    Print this help.");
    }

    /** The keyspace commands CONVERGE LOCAL runs. */
    private static final Set<String> LOCAL_COMMANDS = Set.of("dbsize", "keys", "scan", "randomkey", "info",
            "flushall", "flushdb");

    /** CONVERGE LOCAL: one keyspace command, run here on this node's own data. */
    private static void local(CommandContext ctx) {
        CommandSpec spec = ctx.node().commands().lookup(ctx.arg(2));
        if (spec == null || spec.isContainer()
                || !(LOCAL_COMMANDS.contains(spec.name()) || spec.has(READONLY) && spec.hasKeys())) {
            throw new CommandException("ERR CONVERGE LOCAL runs DBSIZE, KEYS, SCAN, RANDOMKEY, INFO, FLUSHALL, FLUSHDB or a "
                    + "read-only command with keys (GET, LRANGE, SMEMBERS...)");
        }
        byte[][] args = Arrays.copyOfRange(ctx.args(), 2, ctx.argc());
        if (!spec.arityAccepts(args.length)) {
            throw new CommandException(Errors.wrongArity(spec.fullName()));
        }
        ctx.node().dispatcher().execute(ctx.connection(), spec, args);
    }
}
