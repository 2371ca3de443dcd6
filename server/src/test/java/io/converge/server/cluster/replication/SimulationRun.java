package io.converge.server.cluster.replication;

import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.StringValue;
import io.converge.crdt.ValueType;
import io.converge.crdt.ZSetValue;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.cluster.sim.NetworkStats;
import io.converge.server.store.KeyAccess;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * One seeded run of the replication simulation: a random cluster shape, random client commands at
 * random coordinators and consistency levels, random faults (partitions, loss, duplication,
 * reordering, crashes and restarts, clock skew), then healing, quiescence, and the checks:
 * <ol>
 *   <li>every replica of every key holds the same state, and non-replicas hold nothing;</li>
 *   <li>every counter equals its winning base plus exactly the increments executed on that base;</li>
 *   <li>every executed add to a "witness" set survives, and a quorum read issued right after a
 *       quorum-acknowledged add sees it;</li>
 *   <li>once every replica acknowledged everything, no collectable tombstone is left.</li>
 * </ol>
 * {@link #run()} returns null on success, or a description of what failed (with the seed).
 */
final class SimulationRun {

    /** Length of the fault phase ({@code -Dconverge.sim.chaosMillis}). */
    private static final long CHAOS_MILLIS = Long.getLong("converge.sim.chaosMillis", 1_500);
    /** Client commands per run: 25 up to this ({@code -Dconverge.sim.maxOps}). */
    private static final int MAX_OPS = Integer.getInteger("converge.sim.maxOps", 60);
    /** Fault events per run: 0 up to this ({@code -Dconverge.sim.maxFaults}). */
    private static final int MAX_FAULTS = Integer.getInteger("converge.sim.maxFaults", 5);
    private static final byte[] OK = "+OK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ONE = ":1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ZERO = ":0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WRONGTYPE = "-WRONGTYPE".getBytes(StandardCharsets.US_ASCII);
    private static final ConsistencyLevel[] LEVELS = ConsistencyLevel.values();

    /** The client commands the simulation issues. */
    enum Kind { SET, SET_EX, INCRBY, DEL, EXPIRE, HSET, HDEL, SADD, SREM, ZADD, ZINCRBY, WITNESS_ADD, WITNESS_READ }

    /** One client command and what became of it. */
    static final class Op {
        final int id;
        final Kind kind;
        final byte[] key;
        final byte[] member;
        final long amount;
        final ConsistencyLevel level;
        int coordinator;
        int coordinatorDc;
        int executedOn = -1;
        long observedBaseHlc;
        int observedBaseNode;
        String outcome = "pending";

        Op(int id, Kind kind, byte[] key, byte[] member, long amount, ConsistencyLevel level) {
            this.id = id;
            this.kind = kind;
            this.key = key;
            this.member = member;
            this.amount = amount;
            this.level = level;
        }

        @Override
        public String toString() {
            return "#" + id + " " + kind + " " + new String(key, StandardCharsets.UTF_8)
                    + (member == null ? "" : " " + new String(member, StandardCharsets.UTF_8)) + " " + amount + " @"
                    + level + " via " + coordinator + " ran on " + executedOn + " -> " + outcome;
        }
    }

    final long seed;
    private final Random random;
    private final SimCluster cluster;
    private final String shape;
    private final List<String> events = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();
    private final Map<Integer, Op> opsById = new TreeMap<>();
    private final List<String> violations = new ArrayList<>();
    private final List<byte[]> keys = new ArrayList<>();
    private int nextMember;

    SimulationRun(long seed) {
        this.seed = seed;
        Random shapeRandom = new Random(seed * 0x9E3779B97F4A7C15L + 7);
        int dcs = 1 + shapeRandom.nextInt(3);
        int nodesTotal = Math.max(dcs, 3 + shapeRandom.nextInt(7));
        List<Integer> nodesPerDc = new ArrayList<>();
        List<Integer> racks = new ArrayList<>();
        List<Integer> rf = new ArrayList<>();
        int left = nodesTotal;
        for (int d = 0; d < dcs; d++) {
            int n = d == dcs - 1 ? left : Math.max(1, Math.min(left - (dcs - 1 - d), 1 + shapeRandom.nextInt(4)));
            left -= n;
            nodesPerDc.add(n);
            racks.add(1 + shapeRandom.nextInt(n));
            rf.add(1 + shapeRandom.nextInt(Math.min(3, n)));
        }
        ClusterSpec spec = SimCluster.spec(nodesPerDc, racks, rf, 8);
        NetworkConditions initial = new NetworkConditions(shapeRandom.nextDouble() * 0.1,
                shapeRandom.nextDouble() * 0.1, 1, 1 + shapeRandom.nextInt(15));
        this.shape = "nodes per dc " + nodesPerDc + ", racks " + racks + ", rf " + rf + ", initial " + initial;
        this.cluster = new SimCluster(seed, spec, initial, SimCluster.simulationSettings());
        this.random = cluster.network.random();
        cluster.forwardHandlers(node -> (from, key, payload) -> execute(node, opsById.get(ByteBuffer.wrap(payload).getInt())));
        for (int i = 0; i < 3; i++) {
            keys.add(bytes("ctr:" + i));
            keys.add(bytes("str:" + i));
        }
        for (int i = 0; i < 2; i++) {
            keys.add(bytes("hash:" + i));
            keys.add(bytes("set:" + i));
            keys.add(bytes("zset:" + i));
            keys.add(bytes("wit:" + i));
        }
        keys.add(bytes("mix:0"));
    }

    /** Runs the scenario and the checks; null on success, else the failure report. */
    String run() {
        cluster.start();
        scheduleClientCommands();
        scheduleFaults();
        cluster.network.runFor(CHAOS_MILLIS);
        heal();
        if (!cluster.runUntil(cluster::quiescent, 50, 30_000)) {
            return report("the cluster did not quiesce after healing");
        }
        // Let every TTL pass on every (skewed) clock, then access every key on its replicas so
        // each purges what expired; the purges replicate like any write.
        cluster.network.runFor(2_600);
        for (byte[] key : keys) {
            ReplicaSet replicas = cluster.replicasOf(key);
            for (int r = 0; r < replicas.size(); r++) {
                cluster.node(replicas.node(r)).engine.withKey(key, KeyAccess::live);
            }
        }
        if (!cluster.runUntil(cluster::quiescent, 50, 30_000)) {
            return report("the cluster did not quiesce after the expiry pass");
        }
        long target = cluster.maxClock();
        if (!cluster.runUntil(() -> cluster.quiescent() && cluster.sweptThrough(target), 50, 30_000)) {
            return report("tombstone GC did not reach the last write's stamp");
        }
        checkConvergence();
        checkCounters();
        checkWitnesses();
        checkTombstones();
        return violations.isEmpty() ? null : report(violations.size() + " violation(s)");
    }

    /** Totals of the run, to see that the scenario exercised what it should (printed by the suite). */
    long[] totals() {
        long executed = 0;
        long acked = 0;
        long failed = 0;
        long quorumReadsOk = 0;
        for (Op op : ops) {
            executed += op.executedOn >= 0 ? 1 : 0;
            acked += op.outcome.startsWith("acked") ? 1 : 0;
            failed += op.outcome.startsWith("failed") ? 1 : 0;
            quorumReadsOk += op.kind == Kind.WITNESS_READ && op.outcome.startsWith("acked") ? 1 : 0;
        }
        long forwards = 0;
        long repaired = 0;
        long drift = 0;
        long collected = 0;
        long pushed = 0;
        long duplicates = 0;
        for (SimCluster.Node n : cluster.nodes.values()) {
            ReplicationStats.Counters c = n.replicator.stats().counters();
            forwards += c.forwardsReceived();
            repaired += c.replicasRepaired();
            drift += c.driftRejections();
            pushed += c.statesPushed();
            duplicates += c.duplicateForwards();
            collected += n.replicator.stats().gc().entriesCollected();
        }
        return new long[] {ops.size(), executed, acked, failed, quorumReadsOk, forwards, repaired, drift, collected,
            pushed, duplicates, events.size()};
    }

    /** A digest of the run for replay checks: network counters and every node's states. */
    String trace() {
        String failure = run();
        StringBuilder sb = new StringBuilder(String.valueOf(failure));
        NetworkStats stats = cluster.network.stats();
        sb.append(stats).append(cluster.network.clock().nowMillis());
        for (byte[] key : keys) {
            sb.append(cluster.statesOf(key));
        }
        for (Op op : ops) {
            sb.append(op);
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ scenario

    private void scheduleClientCommands() {
        int count = 25 + random.nextInt(Math.max(1, MAX_OPS - 24));
        for (int i = 0; i < count; i++) {
            Op op = randomOp();
            cluster.network.schedule(random.nextInt((int) CHAOS_MILLIS), () -> submitAtRandomCoordinator(op, -1));
        }
    }

    private Op randomOp() {
        int k = random.nextInt(keys.size());
        byte[] key = keys.get(k);
        String name = new String(key, StandardCharsets.UTF_8);
        ConsistencyLevel level = LEVELS[random.nextInt(LEVELS.length)];
        String field = "f" + random.nextInt(4);
        Kind kind;
        long amount = 0;
        byte[] member = bytes(field);
        if (name.startsWith("ctr:")) {
            kind = random.nextInt(5) == 0 ? Kind.SET : Kind.INCRBY;
            amount = random.nextInt(21) - 10;
            member = bytes(Long.toString(random.nextInt(100)));
        } else if (name.startsWith("str:")) {
            kind = pick(Kind.SET, Kind.SET, Kind.SET_EX, Kind.DEL, Kind.EXPIRE);
            amount = 50 + random.nextInt(950);
            member = bytes("v" + random.nextInt(1000));
        } else if (name.startsWith("hash:")) {
            kind = pick(Kind.HSET, Kind.HSET, Kind.HDEL, Kind.DEL);
        } else if (name.startsWith("set:")) {
            kind = pick(Kind.SADD, Kind.SADD, Kind.SREM, Kind.DEL);
        } else if (name.startsWith("zset:")) {
            kind = pick(Kind.ZADD, Kind.ZINCRBY, Kind.ZINCRBY, Kind.DEL);
            amount = random.nextInt(11) - 5;
        } else if (name.startsWith("wit:")) {
            kind = Kind.WITNESS_ADD;
            member = bytes("m" + nextMember++);
        } else {
            kind = pick(Kind.SET, Kind.SADD, Kind.HSET, Kind.DEL, Kind.EXPIRE);
            amount = 50 + random.nextInt(950);
        }
        return register(kind, key, member, amount, level);
    }

    private Op register(Kind kind, byte[] key, byte[] member, long amount, ConsistencyLevel level) {
        Op op = new Op(ops.size() + 1, kind, key, member, amount, level);
        ops.add(op);
        opsById.put(op.id, op);
        return op;
    }

    @SafeVarargs
    private <T> T pick(T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    /** Submits {@code op} at a random up node (of datacenter {@code dc} if >= 0), as a client would. */
    private void submitAtRandomCoordinator(Op op, int dc) {
        List<SimCluster.Node> candidates = new ArrayList<>();
        for (SimCluster.Node n : cluster.nodes.values()) {
            if (n.up && (dc < 0 || n.datacenter() == dc)) {
                candidates.add(n);
            }
        }
        if (candidates.isEmpty()) {
            op.outcome = "no coordinator up";
            return;
        }
        SimCluster.Node c = candidates.get(random.nextInt(candidates.size()));
        op.coordinator = c.id;
        op.coordinatorDc = c.datacenter();
        int target = c.replicator.chooseReplica(op.key);
        CompletableFuture<byte[]> reply = target == c.id
                ? execute(c, op)
                : c.replicator.forward(target, op.key, ByteBuffer.allocate(4).putInt(op.id).array());
        reply.whenComplete((bytes, error) -> onReply(op, bytes, error));
    }

    private void onReply(Op op, byte[] reply, Throwable error) {
        if (error != null) {
            op.outcome = "failed: " + error.getMessage();
            return;
        }
        op.outcome = "acked " + new String(reply, StandardCharsets.US_ASCII);
        if (op.kind == Kind.WITNESS_ADD && op.level != ConsistencyLevel.ONE) {
            // Read it back at once from another coordinator: a quorum read overlaps the quorum write.
            ConsistencyLevel readLevel = op.level == ConsistencyLevel.ALL ? ConsistencyLevel.ONE : op.level;
            Op read = register(Kind.WITNESS_READ, op.key, op.member, op.id, readLevel);
            int dc = op.level == ConsistencyLevel.LOCAL_QUORUM ? op.coordinatorDc : -1;
            cluster.network.schedule(random.nextInt(5), () -> submitAtRandomCoordinator(read, dc));
        } else if (op.kind == Kind.WITNESS_READ && !Arrays.equals(reply, ONE)) {
            violations.add("lost acknowledged write: " + opsById.get((int) op.amount) + " not seen by read " + op);
        }
    }

    /** Runs {@code op} on replica {@code node} (locally or forwarded there): the test's client path. */
    private CompletableFuture<byte[]> execute(SimCluster.Node node, Op op) {
        Replicator replicator = node.replicator;
        if (op.kind == Kind.WITNESS_READ) {
            return replicator.readRepair(new byte[][] {op.key}, op.level, op.coordinatorDc).thenApply(result -> {
                boolean present = node.engine.withKey(op.key, access -> {
                    KeyState live = access.live();
                    SetValue set = live == null ? null : live.set();
                    return set != null && set.contains(op.member);
                });
                return present ? ONE : ZERO;
            });
        }
        byte[] reply;
        DeltaCapture capture = replicator.beginCapture();
        try {
            reply = node.engine.withKey(op.key, access -> apply(access, op));
        } finally {
            capture.close();
        }
        op.executedOn = node.id;
        return replicator.replicate(capture, op.level, op.coordinatorDc).thenApply(ignored -> reply);
    }

    /** The CRDT mutation of {@code op}, exactly as the command handlers apply theirs. */
    private static byte[] apply(KeyAccess access, Op op) {
        switch (op.kind) {
            case SET, SET_EX -> {
                KeyState ks = access.forWrite();
                long expireAt = op.kind == Kind.SET_EX ? access.nowMs() + op.amount : 0;
                access.written(ks.setString(op.member, expireAt, access.stamp(), access.node()));
                return OK;
            }
            case INCRBY -> {
                KeyState ks = access.forWrite();
                if (ks.type() != null && ks.type() != ValueType.STRING) {
                    return WRONGTYPE;
                }
                StringValue current = ks.string();
                op.observedBaseHlc = current == null ? 0 : current.baseHlc();
                op.observedBaseNode = current == null ? 0 : current.baseNode();
                access.written(ks.incrBy(op.amount, access.stamp(), access.node()));
                return ONE;
            }
            case DEL -> {
                if (access.live() == null) {
                    return ZERO;
                }
                access.written(access.forWrite().delete(access.stamp(), access.node()));
                return ONE;
            }
            case EXPIRE -> {
                if (access.live() == null) {
                    return ZERO;
                }
                access.written(access.forWrite().expire(access.nowMs() + op.amount, access.stamp(), access.node()));
                return ONE;
            }
            case HSET -> {
                KeyState ks = access.forWrite();
                if (ks.type() != null && ks.type() != ValueType.HASH) {
                    return WRONGTYPE;
                }
                access.written(KeyState.wrap(ks.hashForWrite().hset(op.member, bytes("v" + op.id), access.stamp(),
                        access.node())));
                return ONE;
            }
            case HDEL -> {
                KeyState live = access.live();
                if (live == null || live.hash() == null) {
                    return ZERO;
                }
                var delta = access.forWrite().hashForWrite().hdel(op.member, access.stamp(), access.node());
                if (delta != null) {
                    access.written(KeyState.wrap(delta));
                }
                return delta == null ? ZERO : ONE;
            }
            case SADD, WITNESS_ADD -> {
                KeyState ks = access.forWrite();
                if (ks.type() != null && ks.type() != ValueType.SET) {
                    return WRONGTYPE;
                }
                access.written(KeyState.wrap(ks.setForWrite().add(op.member, access.stamp(), access.node())));
                return ONE;
            }
            case SREM -> {
                KeyState live = access.live();
                if (live == null || live.set() == null) {
                    return ZERO;
                }
                SetValue delta = access.forWrite().setForWrite().remove(op.member, access.stamp(), access.node());
                if (delta != null) {
                    access.written(KeyState.wrap(delta));
                }
                return delta == null ? ZERO : ONE;
            }
            case ZADD, ZINCRBY -> {
                KeyState ks = access.forWrite();
                if (ks.type() != null && ks.type() != ValueType.ZSET) {
                    return WRONGTYPE;
                }
                ZSetValue z = ks.zsetForWrite();
                ZSetValue delta = op.kind == Kind.ZADD
                        ? z.add(op.member, op.amount, access.stamp(), access.node())
                        : z.incrBy(op.member, op.amount, access.stamp(), access.node());
                access.written(KeyState.wrap(delta));
                return ONE;
            }
            default -> throw new IllegalStateException("not a write: " + op.kind);
        }
    }

    private void scheduleFaults() {
        int faults = random.nextInt(MAX_FAULTS + 1);
        for (int i = 0; i < faults; i++) {
            long at = random.nextInt((int) CHAOS_MILLIS);
            int kind = random.nextInt(6);
            int node = 1 + random.nextInt(cluster.nodes.size());
            switch (kind) {
                case 0 -> {
                    List<Integer> a = new ArrayList<>();
                    List<Integer> b = new ArrayList<>();
                    for (int id : cluster.nodes.keySet()) {
                        (random.nextBoolean() ? a : b).add(id);
                    }
                    event(at, "partition " + a + " | " + b, () -> cluster.network.partition(List.of(a, b)));
                }
                case 1 -> event(at, "isolate " + node, () -> cluster.network.isolate(node));
                case 2 -> event(at, "heal", cluster.network::heal);
                case 3 -> {
                    long downFor = 50 + random.nextInt(800);
                    event(at, "crash " + node + " for " + downFor + " ms", () -> cluster.crash(node));
                    event(at + downFor, "restart " + node, () -> cluster.restart(node));
                }
                case 4 -> {
                    NetworkConditions c = new NetworkConditions(random.nextDouble() * 0.2, random.nextDouble() * 0.2,
                            1, 1 + random.nextInt(30));
                    event(at, "conditions " + c, () -> cluster.network.setConditions(c));
                }
                default -> {
                    long skew = random.nextInt(3_001) - 1_500;
                    event(at, "skew " + node + " " + skew + " ms", () -> cluster.network.setClockSkew(node, skew));
                }
            }
        }
    }

    private void event(long at, String what, Runnable action) {
        cluster.network.schedule(at, () -> {
            events.add(cluster.network.clock().nowMillis() + " ms: " + what);
            action.run();
        });
    }

    private void heal() {
        events.add(cluster.network.clock().nowMillis() + " ms: heal all, restart all, reliable links");
        cluster.network.heal();
        cluster.network.setConditions(new NetworkConditions(0, 0, 1, 5));
        for (int id : cluster.nodes.keySet()) {
            cluster.restart(id);
        }
    }

    // ------------------------------------------------------------------ checks

    private void checkConvergence() {
        for (byte[] key : keys) {
            ReplicaSet replicas = cluster.replicasOf(key);
            Map<Integer, KeyState> states = cluster.statesOf(key);
            KeyState reference = normalized(states.get(replicas.node(0)));
            for (Map.Entry<Integer, KeyState> e : states.entrySet()) {
                KeyState s = normalized(e.getValue());
                if (replicas.contains(e.getKey())) {
                    if (!equal(reference, s)) {
                        violations.add("replicas of " + str(key) + " " + replicas + " diverge: " + states);
                        break;
                    }
                } else if (s != null) {
                    violations.add("node " + e.getKey() + " is no replica of " + str(key) + " but holds " + s);
                }
            }
        }
    }

    private void checkCounters() {
        for (byte[] key : keys) {
            if (!str(key).startsWith("ctr:")) {
                continue;
            }
            KeyState state = cluster.node(cluster.replicasOf(key).node(0)).engine.stateCopy(key);
            StringValue value = state == null ? null : state.string();
            if (value == null) {
                continue;
            }
            long expected = value.baseBytes() == null ? 0 : Long.parseLong(str(value.baseBytes()));
            for (Op op : ops) {
                if (op.kind == Kind.INCRBY && op.executedOn >= 0 && Arrays.equals(op.key, key)
                        && op.observedBaseHlc == value.baseHlc() && op.observedBaseNode == value.baseNode()) {
                    expected += op.amount;
                }
            }
            if (value.longValue() != expected) {
                violations.add("counter " + str(key) + " is " + value.longValue() + " but its base plus the increments "
                        + "executed on it make " + expected + " (state " + state + ")");
            }
        }
    }

    private void checkWitnesses() {
        for (Op op : ops) {
            if (op.kind != Kind.WITNESS_ADD || op.executedOn < 0) {
                continue;
            }
            KeyState state = cluster.node(cluster.replicasOf(op.key).node(0)).engine.stateCopy(op.key);
            SetValue set = state == null ? null : state.set();
            if (set == null || !set.contains(op.member)) {
                violations.add("executed write lost: " + op);
            }
        }
    }

    private void checkTombstones() {
        for (byte[] key : keys) {
            for (SimCluster.Node n : cluster.nodes.values()) {
                KeyState state = n.engine.stateCopy(key);
                if (state == null) {
                    continue;
                }
                if (state.isGarbage()) {
                    violations.add("node " + n.id + " keeps an empty entry for " + str(key));
                    continue;
                }
                KeyState collected = state.copy();
                collected.gc(n.replicator.sweptThrough());
                if (!collected.equals(state)) {
                    violations.add("node " + n.id + " still holds collectable tombstones of " + str(key) + ": " + state
                            + " (collectable down to " + collected + ")");
                }
            }
        }
    }

    private static KeyState normalized(KeyState s) {
        return s == null || s.isGarbage() ? null : s;
    }

    private static boolean equal(KeyState a, KeyState b) {
        return a == null ? b == null : a.equals(b);
    }

    private String report(String what) {
        StringBuilder sb = new StringBuilder("seed ").append(seed).append(": ").append(what).append("\n  shape: ")
                .append(shape).append("\n  events: ").append(events);
        for (String v : violations) {
            sb.append("\n  ").append(v);
        }
        sb.append("\n  ops:");
        for (Op op : ops) {
            sb.append("\n    ").append(op);
        }
        for (SimCluster.Node n : cluster.nodes.values()) {
            sb.append("\n  node ").append(n.id).append(n.up ? " up" : " down").append(": pending deltas ")
                    .append(n.replicator.pendingDeltas()).append(", pending requests ")
                    .append(n.replicator.pendingRequests()).append(", stable ").append(n.replicator.stableStamp())
                    .append(", swept ").append(n.replicator.sweptThrough());
        }
        return sb.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
