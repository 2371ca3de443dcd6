package io.converge.server.replication;

import io.converge.crdt.Hlc;
import io.converge.crdt.KeyState;
import io.converge.crdt.ListValue;
import io.converge.crdt.SetValue;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.sim.NetworkConditions;
import io.converge.server.cluster.sim.NetworkStats;
import io.converge.server.replication.antientropy.DeltaBufferSettings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * One seeded run of the replication simulation, on the production request path: a random
 * cluster shape, random client commands (SET, INCRBY, DEL, PEXPIRE, HSET, HDEL, SADD, SREM,
 * ZADD, ZINCRBY, RPUSH, LPUSH, LPOP, LINSERT, SISMEMBER, CONVERGE DIVERGE...) at random consistency levels sent to random
 * coordinators through {@link SimCluster.Client} (the router decides where they run), random
 * faults (partitions, isolation, loss, duplication, delay, clock skew, and through
 * {@link DiskAndClockFaults} kill -9, clean stops, power losses, lost data directories, restored
 * backups, clock jumps, a node away longer than a short gc-grace-ms), then healing, quiescence,
 * an expiry pass, a repair session between every two replicas, tombstone GC, and the checks.
 *
 * <p>The checker knows only what a client knows, the replies, and the replicas' final states. A
 * reply is <em>acked</em> (a success), <em>applied</em> (an error that says the write was applied,
 * e.g. a missed level), <em>not applied</em> (refused before it ran, WRONGTYPE) or
 * <em>unknown</em> (no reply from the replica, a coordinator that went away, no reply at all).
 * One allowance, exact: a write applied only where it ran (acked at ONE, applied, unknown) may be
 * missing when the node that ran it lost the log records it was written as ({@link #excusable}).
 * <ol>
 *   <li>every replica of every key holds an equal state, and non-replicas hold nothing;</li>
 *   <li>counters that only ever get positive INCRBYs: acked+applied sum (excused aside) &lt;= value
 *       &lt;= that plus the unknown ones, exactly equal when no outcome on the key is unknown (a run without
 *       crashes still has unknown outcomes: a forward lost in the network), and never below
 *       a value some INCRBY replied; counters with SET resets (bases of distinct millions, so a
 *       value decodes into base + increments): the base is one of the SETs that may have been
 *       applied, and the increments lie between those that replied on that base and those that
 *       may have been applied on it;</li>
 *   <li>every element of every acked or applied push to a list-witness key is in the list of
 *       every replica exactly once (those excused aside);</li>
 *   <li>every member of every acked or applied witness SADD (single members, or a few thousand
 *       in one command) is present at the end, and a read-back at an overlapping level
 *       (SISMEMBER, from another coordinator, right after the ack of a write above ONE) sees it;
 *       a member acknowledged at ALL and then removed (SREM or DEL sent after that ack, applied)
 *       never comes back, nor does a string value deleted so ({@link #checkStringDeletes});</li>
 *   <li>once GC caught up with the last stamp, no replica holds a collectable tombstone;</li>
 *   <li>replicas report equal key digests (and equal whole-data digests when every node holds
 *       everything);</li>
 *   <li>no node's clock went back across a restart whose directory kept the mark;</li>
 * </ol>
 * and a divergence made with {@code CONVERGE DIVERGE} after the heal, on a key nothing reads,
 * reaches every replica through the background hash-tree pass.
 *
 * <p>Some runs add what anti-entropy must survive: tiny delta buffers (partitions overflow
 * them), repair paced to tens of KB/s, values of 100–300 KB, a SADD of a few thousand members, a
 * long partition (seconds of simulated time) with writes on both sides. {@link #run()} returns
 * null on success, or a report of what failed (with the seed).
 */
final class SimulationRun {

    /**
     * The soak ({@code -Dconverge.sim.soak=true}): longer and harsher runs than the suite's (longer
     * fault phases, more commands and faults, clock jumps of up to five minutes, in more runs).
     */
    static final boolean SOAK = Boolean.getBoolean("converge.sim.soak");
    /** Length of the fault phase ({@code -Dconverge.sim.chaosMillis}). */
    private static final long CHAOS_MILLIS = Long.getLong("converge.sim.chaosMillis", SOAK ? 4_000 : 1_500);
    /** Client commands per run: 25 up to this ({@code -Dconverge.sim.maxOps}). */
    private static final int MAX_OPS = Integer.getInteger("converge.sim.maxOps", SOAK ? 150 : 60);
    /** Fault events per run: 0 up to this ({@code -Dconverge.sim.maxFaults}). */
    private static final int MAX_FAULTS = Integer.getInteger("converge.sim.maxFaults", SOAK ? 12 : 5);
    /** Base values of the resettable counters are multiples of this; all increments of a run sum below it. */
    private static final long BASE_UNIT = 1_000_000;
    /** Longest TTL a command sets, in ms. */
    private static final int MAX_TTL = 1_000;
    /** Largest clock skew, in ms either way. */
    private static final int MAX_SKEW = 1_500;
    /** Largest clock jump, in ms either way ({@code -Dconverge.sim.maxJumpMillis}). */
    private static final long MAX_JUMP = Long.getLong("converge.sim.maxJumpMillis", SOAK ? 300_000 : 120_000);
    /** One run in this many has clock jumps ({@code -Dconverge.sim.jumpEvery}). */
    private static final int JUMP_EVERY = Integer.getInteger("converge.sim.jumpEvery", SOAK ? 10 : 30);
    /**
     * One run in this many has a short gc-grace-ms and a fragile node away longer
     * ({@code -Dconverge.sim.graceEvery}).
     */
    private static final int GRACE_EVERY = Integer.getInteger("converge.sim.graceEvery", 5);
    /** How long the background pass may take to spread the late divergence. */
    private static final long LATE_DIVERGENCE_MILLIS = 10_000;
    private static final ConsistencyLevel[] LEVELS = ConsistencyLevel.values();

    /** The client commands the simulation issues. */
    enum Kind {
        SET, SET_PX, BIG_SET, INCRBY, RESET, DEL, PEXPIRE, HSET, HDEL, SADD, SREM, ZADD, ZINCRBY, WITNESS_ADD,
        WITNESS_BULK, WITNESS_READ, DIVERGE, LIST, LIST_WITNESS
    }

    /** What a client can tell from a reply. */
    enum Outcome {
        /** No reply yet. */
        PENDING,
        /** A success reply. */
        ACKED,
        /** An error that says the write was applied (a missed consistency level). */
        APPLIED,
        /** Refused before it ran (clock drift, not sent, WRONGTYPE...), or a failed read. */
        NOT_APPLIED,
        /** It may or may not have run (no reply from the replica, the coordinator went away). */
        UNKNOWN
    }

    /** One client command and what became of it. */
    static final class Op {
        final int id;
        final Kind kind;
        final byte[] key;
        final String[] args;
        final ConsistencyLevel level;
        /** INCRBY amount; RESET base; for a read-back, the id of the write it reads. */
        final long amount;
        /** Witness members added (or, for a read-back, read). */
        final List<String> members;
        int coordinator;
        int coordinatorDc;
        /** When it was sent, and when its reply came (simulated ms). */
        long sentAt;
        long repliedAt;
        Outcome outcome = Outcome.PENDING;
        String reply = "";

        Op(int id, Kind kind, byte[] key, String[] args, ConsistencyLevel level, long amount, List<String> members) {
            this.id = id;
            this.kind = kind;
            this.key = key;
            this.args = args;
            this.level = level;
            this.amount = amount;
            this.members = members;
        }

        /** Whether it may have been applied. */
        boolean mayBeApplied() {
            return outcome != Outcome.NOT_APPLIED;
        }

        /** Whether it was certainly applied. */
        boolean applied() {
            return outcome == Outcome.ACKED || outcome == Outcome.APPLIED;
        }

        /**
         * Whether this removal (SREM, DEL) may have removed something: applied, and not
         * acknowledged with 0 (it found nothing to remove where it ran, e.g. on a node that had
         * lost its state or had already removed it).
         */
        boolean mayHaveRemoved() {
            Long n = integerReply();
            return applied() && (n == null || n > 0);
        }

        /** The integer an acked command replied, or null. */
        Long integerReply() {
            return outcome == Outcome.ACKED && reply.startsWith(":") ? Long.parseLong(reply.substring(1).trim()) : null;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("#").append(id).append(' ').append(kind).append(" @").append(level)
                    .append(" via ").append(coordinator).append(" at ").append(sentAt).append('-').append(repliedAt)
                    .append(": ");
            for (int i = 0; i < args.length && i < 6; i++) {
                sb.append(i == 0 ? "" : " ").append(args[i].length() > 40 ? args[i].substring(0, 40) + "...("
                        + args[i].length() + ")" : args[i]);
            }
            if (args.length > 6) {
                sb.append(" ...(").append(args.length).append(" args)");
            }
            String r = reply.length() > 160 ? reply.substring(0, 160) + "..." : reply;
            return sb.append(" -> ").append(outcome).append(' ').append(r.trim()).toString();
        }
    }

    final long seed;
    private final Random random;
    private final SimCluster cluster;
    private final String shape;
    private final boolean tinyBuffers;
    private final long repairBytesPerSecond;
    private final long longPartitionMillis;
    /** gc-grace-ms of a short-grace run (a fragile node stays away longer), else 0. */
    private final long shortGraceMillis;
    private final boolean clockJumps;
    private final DiskAndClockFaults faults;
    private final List<String> events = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final List<byte[]> keys = new ArrayList<>();
    /** SADDs to the delete-witness keys acknowledged at ALL: a removal sent later observed them. */
    private final List<Op> removable = new ArrayList<>();
    /** Per delete-witness SADD id: the removals issued after its ack at ALL. */
    private final Map<Integer, List<Op>> removals = new TreeMap<>();
    /** SETs of the string delete-witness keys acknowledged at ALL, with the stamp of the value they wrote. */
    private final Map<Integer, Long> deletableStamps = new TreeMap<>();
    /** Per such SET id: the DELs sent after its ack whose replicas' clocks had all passed its stamp. */
    private final Map<Integer, List<Op>> stringDeletes = new TreeMap<>();
    /** Violations by kind, for the figures (see {@link #TOTALS}). */
    private int lostWrites;
    private int resurrections;
    private int wrongCounters;
    private int divergedKeys;
    /** Applied writes excused because the node that alone ran them lost their records, and of those the missing. */
    private int excused;
    private int excusedMissing;
    private final byte[] lateKey = bytes("late:0");
    private String lateValue;
    private int nextMember;
    /** The key {@link #randomOp} picked last. */
    private byte[] lastKey;
    private boolean crashed;
    private int exactCounterChecks;
    private int removalChecks;
    /** Applied pushes to list-witness keys checked present exactly once on every replica. */
    private int listPushesChecked;
    /** Counter keys that could not be checked exactly in a run without crashes (forwards lost in the network). */
    private int unknownWithoutCrash;
    private long lastTtlMillis;

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
        this.tinyBuffers = shapeRandom.nextInt(5) == 0;
        this.longPartitionMillis = shapeRandom.nextInt(8) == 0 ? 3_000 + shapeRandom.nextInt(3_001) : 0;
        this.repairBytesPerSecond = shapeRandom.nextInt(6) == 0 ? (16 << 10) + shapeRandom.nextInt(48 << 10) : 0;
        // Longer than any absence of the fault phase (a partition or a crash lasts at most that phase).
        this.shortGraceMillis = shapeRandom.nextInt(GRACE_EVERY) == 0 ? CHAOS_MILLIS + 500 + shapeRandom.nextInt(2_000)
                : 0;
        this.clockJumps = shapeRandom.nextInt(JUMP_EVERY) == 0;
        SimDisk.Fsync[] fsync = new SimDisk.Fsync[nodesTotal + 1];
        for (int i = 1; i <= nodesTotal; i++) {
            fsync[i] = SimDisk.Fsync.values()[shapeRandom.nextInt(SimDisk.Fsync.values().length)];
        }
        ReplicationSettings settings = SimCluster.simulationSettings();
        if (shortGraceMillis > 0) {
            settings = settings.withRejoin(shortGraceMillis, settings.rejoinConfirmMillis());
        }
        if (tinyBuffers) {
            settings = settings.withDeltaBuffers(new DeltaBufferSettings(256, 256, 512, 100));
        }
        if (repairBytesPerSecond > 0) {
            settings = settings.withRepair(settings.repair().withPace(settings.repair().intervalMillis(),
                    repairBytesPerSecond));
        }
        this.shape = "nodes per dc " + nodesPerDc + ", racks " + racks + ", rf " + rf + ", initial " + initial
                + (tinyBuffers ? ", tiny delta buffers" : "")
                + (repairBytesPerSecond > 0 ? ", repair paced at " + repairBytesPerSecond + " B/s" : "")
                + (longPartitionMillis > 0 ? ", long partition of " + longPartitionMillis + " ms" : "")
                + (shortGraceMillis > 0 ? ", gc-grace-ms " + shortGraceMillis : "")
                + (clockJumps ? ", clock jumps" : "") + ", appendfsync " + Arrays.toString(fsync).replace("null, ", "");
        this.cluster = new SimCluster(seed, spec, initial, settings, id -> fsync[id]);
        this.random = cluster.network.random();
        this.faults = new DiskAndClockFaults(cluster, random, this::event);
        for (int i = 0; i < 3; i++) {
            keys.add(bytes("ctr:" + i));
            keys.add(bytes("str:" + i));
        }
        for (int i = 0; i < 2; i++) {
            keys.add(bytes("rctr:" + i));
            keys.add(bytes("hash:" + i));
            keys.add(bytes("set:" + i));
            keys.add(bytes("zset:" + i));
            keys.add(bytes("wit:" + i));
            keys.add(bytes("list:" + i));
            keys.add(bytes("lwit:" + i));
        }
        keys.add(bytes("mix:0"));
        keys.add(bytes("div:0"));
        keys.add(bytes("dw:0"));
        keys.add(bytes("dw:1"));
        keys.add(bytes("dl:0"));
        keys.add(bytes("dl:1"));
    }

    /** Runs the scenario and the checks; null on success, else the failure report. */
    String run() {
        cluster.start();
        scheduleClientCommands();
        scheduleFaults();
        cluster.network.runFor(CHAOS_MILLIS);
        if (shortGraceMillis > 0) {
            absence();
        } else if (longPartitionMillis > 0) {
            longPartition();
        }
        heal();
        if (!cluster.runUntil(cluster::quiescent, 50, 30_000)) {
            return report("the cluster did not quiesce after healing");
        }
        long quiescentAt = cluster.network.clock().nowMillis();
        divergeLate();
        // Let every TTL pass on every (skewed) clock, then read every key on each of its replicas,
        // as a client would, so each purges what expired; the purges replicate like any write.
        long expiredBy = lastTtlMillis + MAX_TTL + faults.maxSkew() - faults.minSkew() + 50;
        cluster.network.runFor(Math.max(0, expiredBy - cluster.network.clock().nowMillis()));
        if (!expiryPass()) {
            return report("the expiry pass got no replies");
        }
        if (!cluster.runUntil(cluster::quiescent, 50, 30_000)) {
            return report("the cluster did not quiesce after the expiry pass");
        }
        // Divergences made during the faults (CONVERGE DIVERGE) travel by hash-tree repair only.
        if (!cluster.runUntil(() -> cluster.repairedSince(quiescentAt), 50, 60_000)) {
            return report("some replicas completed no repair session with each other after the heal");
        }
        if (!cluster.runUntil(this::lateDivergenceSpread, 50, LATE_DIVERGENCE_MILLIS)) {
            violations.add("CONVERGE DIVERGE " + str(lateKey) + " " + lateValue + " was not spread to every replica "
                    + "within " + LATE_DIVERGENCE_MILLIS + " ms: " + cluster.statesOf(lateKey));
        }
        // Tombstones go once the stable stamp passes them, and it follows the nodes' clocks: a stamp
        // issued ahead of some wall clock (a clock that jumped ahead, an HLC floored at a mark taken
        // then) is collectable only once every wall clock has passed it. So the wait is that lead
        // plus the 30 s a GC round and a sweep take at most.
        long target = cluster.maxClock();
        long lead = Math.max(0, Hlc.physical(target) - minWallMillis());
        if (!cluster.runUntil(() -> cluster.quiescent() && cluster.sweptThrough(target), 50, 30_000 + lead)) {
            return report("tombstone GC did not reach the last write's stamp (" + lead + " ms ahead of the slowest "
                    + "wall clock)");
        }
        checkConvergence();
        checkCounters();
        checkResettableCounters();
        checkWitnesses();
        checkListWitnesses();
        checkRemovals();
        checkStringDeletes();
        checkTombstones();
        checkDigests();
        violations.addAll(faults.violations());
        return violations.isEmpty() ? null : report(violations.size() + " violation(s)");
    }

    /** The slowest node's wall clock now. */
    private long minWallMillis() {
        long min = Long.MAX_VALUE;
        for (SimCluster.Node n : cluster.nodes.values()) {
            min = Math.min(min, n.engine.wallMillis());
        }
        return min;
    }

    /**
     * Totals of the run, to see that the scenario exercised what it should (summed and printed by
     * the suite): see {@link #TOTALS} for their names.
     */
    long[] totals() {
        long[] t = new long[TOTALS.length];
        t[0] = ops.size();
        for (Op op : ops) {
            t[1 + op.outcome.ordinal()]++;
            t[6] += op.kind == Kind.WITNESS_READ && op.outcome == Outcome.ACKED ? 1 : 0;
            t[7] += op.kind == Kind.BIG_SET ? 1 : 0;
            t[8] += op.kind == Kind.WITNESS_BULK ? 1 : 0;
            t[9] += op.kind == Kind.DIVERGE ? 1 : 0;
        }
        for (SimCluster.Node n : cluster.nodes.values()) {
            ReplicationStats s = n.replicator.stats();
            t[10] += s.counters().forwardsReceived();
            t[11] += s.counters().duplicateForwards();
            t[12] += s.counters().replicasRepaired();
            t[13] += s.counters().digestMismatches();
            t[14] += s.counters().driftRejections();
            t[15] += s.gc().entriesCollected();
            t[16] += s.repair().sessionsCompleted();
            t[17] += s.repair().keysReceived();
            for (ReplicationStats.NodeRow row : s.nodes()) {
                t[18] += row.local() ? 0 : row.outgoing().overflows();
            }
            t[26] += s.counters().writesRefusedClockAhead();
            t[27] += s.gc().expulsions();
            t[28] += s.rebuilds();
            t[29] += n.disk.recordsLost();
        }
        t[19] = exactCounterChecks;
        t[20] = longPartitionMillis > 0 ? 1 : 0;
        t[21] = tinyBuffers ? 1 : 0;
        t[22] = events.size();
        t[23] = removalChecks;
        t[24] = repairBytesPerSecond > 0 ? 1 : 0;
        t[25] = unknownWithoutCrash;
        t[30] = excused;
        t[31] = excusedMissing;
        t[32] = lostWrites;
        t[33] = resurrections;
        t[34] = wrongCounters;
        t[35] = divergedKeys;
        Map<String, Integer> counts = faults.counts();
        for (int i = 0; i < SEEDS_WITH.length; i++) {
            t[36 + i] = counts.getOrDefault(SEEDS_WITH[i], 0) > 0 ? 1 : 0;
        }
        t[36 + SEEDS_WITH.length] = t[27] > 0 ? 1 : 0;
        t[37 + SEEDS_WITH.length] = t[28] > 0 ? 1 : 0;
        t[38 + SEEDS_WITH.length] = shortGraceMillis > 0 ? 1 : 0;
        t[39 + SEEDS_WITH.length] = listPushesChecked;
        return t;
    }

    /** Names of {@link #totals()}. */
    static final String[] TOTALS = {"ops", "pending", "acked", "applied (level missed)", "not applied", "unknown",
        "read-backs ok", "big values", "bulk SADDs", "DIVERGEs", "forwards run", "duplicate forwards ignored",
        "replicas read-repaired", "digest mismatches", "drift rejections", "tombstone entries collected",
        "repair passes", "keys repaired", "buffer overflows", "exact counter checks", "long partitions",
        "tiny-buffer runs", "fault events", "removals checked", "paced-repair runs",
        "inexact counter checks without crashes", "client writes refused (clock ahead)", "expulsions",
        "rebuilds", "log records lost", "applied ONE-class witness adds whose records were lost (excusable)",
        "applied writes missing and excused", "LOST WRITES", "RESURRECTED DELETES", "WRONG COUNTERS",
        "DIVERGED KEYS", "seeds with a kill -9", "seeds with a clean stop", "seeds with a power loss",
        "seeds with a lost directory", "seeds with a restored backup", "seeds with a backup",
        "seeds with a backup at a kill", "seeds with a clock jump ahead", "seeds with a clock jump back", "seeds with a long absence",
        "seeds with an expulsion", "seeds with a rebuild", "short-grace seeds", "list pushes checked"};

    /** The fault counts of {@link DiskAndClockFaults#counts()} the suite counts seeds of, in {@link #TOTALS} order. */
    private static final String[] SEEDS_WITH = {"killed", "stopped", "power lost", "wiped", "restored", "backups",
        "backups at a kill", "clock jumps ahead", "clock jumps back", "long absences"};

    /** A digest of the run for replay checks: network counters, outcomes, and every node's states. */
    String trace() {
        String failure = run();
        StringBuilder sb = new StringBuilder(String.valueOf(failure));
        NetworkStats stats = cluster.network.stats();
        sb.append(stats).append(cluster.network.clock().nowMillis());
        for (byte[] key : cluster.allKeys()) {
            sb.append(str(key)).append(String.valueOf(cluster.statesOf(key)).hashCode()).append(';');
        }
        for (Op op : ops) {
            sb.append(op).append('\n');
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ scenario

    /** Schedules the run's random client commands over the fault phase, now and then a big value or a bulk SADD. */
    private void scheduleClientCommands() {
        int count = 25 + random.nextInt(Math.max(1, MAX_OPS - 24));
        for (int i = 0; i < count; i++) {
            scheduleRandom(random.nextInt((int) CHAOS_MILLIS));
        }
        // Now and then what anti-entropy must carry in pieces: a large value, a SADD of thousands of members.
        if (random.nextInt(8) == 0) {
            schedule(random.nextInt((int) CHAOS_MILLIS), bigSet());
        }
        if (random.nextInt(8) == 0) {
            schedule(random.nextInt((int) CHAOS_MILLIS), bulkWitness());
        }
    }

    /** Sends {@code op} at {@code at} to a random up coordinator. */
    private void schedule(long at, Op op) {
        cluster.network.schedule(at, () -> submit(op, coordinatorsFor(op, null)));
    }

    /** Schedules a random command (one on the delete-witness key is decided when it is sent). */
    private void scheduleRandom(long at) {
        Op op = randomOp();
        if (op != null) {
            schedule(at, op);
            return;
        }
        byte[] key = lastKey;
        cluster.network.schedule(at, () -> {
            Op late = str(key).startsWith("dw:") ? deleteWitnessOp(key) : stringDeleteWitnessOp(key);
            submit(late, coordinatorsFor(late, null));
        });
    }

    /** A random command on a random key, by the key's kind (null: a delete-witness command, decided when sent). */
    private Op randomOp() {
        byte[] key = keys.get(random.nextInt(keys.size()));
        lastKey = key;
        String name = str(key);
        ConsistencyLevel level = LEVELS[random.nextInt(LEVELS.length)];
        String field = "f" + random.nextInt(4);
        if (name.startsWith("ctr:")) {
            long n = 1 + random.nextInt(10);
            return register(Kind.INCRBY, key, level, n, null, "INCRBY", name, Long.toString(n));
        }
        if (name.startsWith("rctr:")) {
            if (random.nextInt(4) == 0) {
                long base = (ops.size() + 1) * BASE_UNIT;
                return register(Kind.RESET, key, level, base, null, "SET", name, Long.toString(base));
            }
            long n = 1 + random.nextInt(10);
            return register(Kind.INCRBY, key, level, n, null, "INCRBY", name, Long.toString(n));
        }
        if (name.startsWith("str:")) {
            Kind kind = pick(Kind.SET, Kind.SET, Kind.SET_PX, Kind.DEL, Kind.PEXPIRE);
            return stringOp(kind, key, level);
        }
        if (name.startsWith("hash:")) {
            return switch (pick(Kind.HSET, Kind.HSET, Kind.HDEL, Kind.DEL)) {
                case HSET -> register(Kind.HSET, key, level, 0, null, "HSET", name, field, "v" + (ops.size() + 1));
                case HDEL -> register(Kind.HDEL, key, level, 0, null, "HDEL", name, field);
                default -> register(Kind.DEL, key, level, 0, null, "DEL", name);
            };
        }
        if (name.startsWith("set:")) {
            return switch (pick(Kind.SADD, Kind.SADD, Kind.SREM, Kind.DEL)) {
                case SADD -> register(Kind.SADD, key, level, 0, null, "SADD", name, field);
                case SREM -> register(Kind.SREM, key, level, 0, null, "SREM", name, field);
                default -> register(Kind.DEL, key, level, 0, null, "DEL", name);
            };
        }
        if (name.startsWith("zset:")) {
            long n = random.nextInt(11) - 5;
            return switch (pick(Kind.ZADD, Kind.ZINCRBY, Kind.ZINCRBY, Kind.DEL)) {
                case ZADD -> register(Kind.ZADD, key, level, n, null, "ZADD", name, Long.toString(n), field);
                case ZINCRBY -> register(Kind.ZINCRBY, key, level, n, null, "ZINCRBY", name, Long.toString(n), field);
                default -> register(Kind.DEL, key, level, 0, null, "DEL", name);
            };
        }
        if (name.startsWith("list:")) {
            String value = "v" + (ops.size() + 1);
            return switch (random.nextInt(6)) {
                case 0, 1 -> register(Kind.LIST, key, level, 0, null, "RPUSH", name, value, value + "b");
                case 2 -> register(Kind.LIST, key, level, 0, null, "LPUSH", name, value);
                case 3 -> register(Kind.LIST, key, level, 0, null, "LPOP", name, Integer.toString(1 + random.nextInt(2)));
                case 4 -> register(Kind.LIST, key, level, 0, null, "LINSERT", name, "AFTER", "v" + random.nextInt(
                        ops.size() + 1), value);
                default -> register(Kind.DEL, key, level, 0, null, "DEL", name);
            };
        }
        if (name.startsWith("lwit:")) {
            String value = "e" + nextMember++;
            return register(Kind.LIST_WITNESS, key, level, 0, List.of(value), random.nextBoolean() ? "RPUSH" : "LPUSH",
                    name, value);
        }
        if (name.startsWith("wit:")) {
            String member = "m" + nextMember++;
            return register(Kind.WITNESS_ADD, key, level, 0, List.of(member), "SADD", name, member);
        }
        if (name.startsWith("dw:") || name.startsWith("dl:")) {
            return null; // decided when it is sent (see deleteWitnessOp, stringDeleteWitnessOp)
        }
        if (name.startsWith("div:")) {
            if (random.nextBoolean()) {
                return register(Kind.DIVERGE, key, ConsistencyLevel.ONE, 0, null, "CONVERGE", "DIVERGE", name,
                        "d" + (ops.size() + 1));
            }
            return register(Kind.SET, key, level, 0, null, "SET", name, "v" + (ops.size() + 1));
        }
        // mix: type clashes
        return switch (pick(Kind.SET, Kind.SADD, Kind.HSET, Kind.DEL, Kind.PEXPIRE, Kind.LIST)) {
            case SET -> register(Kind.SET, key, level, 0, null, "SET", name, "v" + (ops.size() + 1));
            case SADD -> register(Kind.SADD, key, level, 0, null, "SADD", name, field);
            case HSET -> register(Kind.HSET, key, level, 0, null, "HSET", name, field, "v" + (ops.size() + 1));
            case DEL -> register(Kind.DEL, key, level, 0, null, "DEL", name);
            case LIST -> register(Kind.LIST, key, level, 0, null, "RPUSH", name, "v" + (ops.size() + 1));
            default -> stringOp(Kind.PEXPIRE, key, level);
        };
    }

    /**
     * A command on the delete-witness set, decided when it is sent: mostly a SADD of a new member,
     * otherwise an SREM of a member acknowledged at ALL before, or a DEL of the whole set.
     */
    private Op deleteWitnessOp(byte[] key) {
        String name = str(key);
        List<Op> candidates = new ArrayList<>();
        for (Op add : removable) {
            if (Arrays.equals(add.key, key)) {
                candidates.add(add);
            }
        }
        if (random.nextBoolean() || candidates.isEmpty()) {
            // At ALL half the time: a removal sent after its ack observed it wherever it runs.
            ConsistencyLevel level = random.nextBoolean() ? ConsistencyLevel.ALL
                    : LEVELS[random.nextInt(LEVELS.length)];
            String member = "w" + nextMember++;
            return register(Kind.SADD, key, level, 0, List.of(member), "SADD", name, member);
        }
        ConsistencyLevel level = LEVELS[random.nextInt(LEVELS.length)];
        Op add = candidates.get(random.nextInt(candidates.size()));
        if (random.nextBoolean()) {
            return register(Kind.DEL, key, level, add.id, null, "DEL", name);
        }
        return register(Kind.SREM, key, level, add.id, add.members, "SREM", name, add.members.get(0));
    }

    /**
     * A command on a string delete-witness key, decided when it is sent: a SET of a new value (at
     * ALL half the time), or a DEL, which removes every value acknowledged at ALL before it. Such
     * a DEL is checked only when the clocks of every replica up had passed the value's stamp when
     * it was sent: then wherever it runs, its delete is stamped after the value (otherwise the
     * value, stamped ahead of that replica's clock, legitimately outlives it).
     */
    private Op stringDeleteWitnessOp(byte[] key) {
        String name = str(key);
        List<Integer> candidates = new ArrayList<>();
        for (Map.Entry<Integer, Long> e : deletableStamps.entrySet()) {
            if (Arrays.equals(ops.get(e.getKey() - 1).key, key)) {
                candidates.add(e.getKey());
            }
        }
        ConsistencyLevel level = LEVELS[random.nextInt(LEVELS.length)];
        if (random.nextBoolean() || candidates.isEmpty()) {
            return register(Kind.SET, key, random.nextBoolean() ? ConsistencyLevel.ALL : level, 0, null, "SET", name,
                    "d" + (ops.size() + 1));
        }
        Op del = register(Kind.DEL, key, level, 0, null, "DEL", name);
        ReplicaSet replicas = cluster.replicasOf(key);
        for (int set : candidates) {
            boolean clocksPassed = true;
            for (int r = 0; r < replicas.size(); r++) {
                SimCluster.Node n = cluster.node(replicas.node(r));
                clocksPassed &= !n.up || n.engine.clock().current() > deletableStamps.get(set);
            }
            if (clocksPassed) {
                stringDeletes.computeIfAbsent(set, id -> new ArrayList<>()).add(del);
            }
        }
        return del;
    }

    /** A SET, SET PX, DEL or PEXPIRE of {@code key}, with a random TTL. */
    private Op stringOp(Kind kind, byte[] key, ConsistencyLevel level) {
        String name = str(key);
        int ttl = 50 + random.nextInt(MAX_TTL - 49);
        String value = "v" + (ops.size() + 1);
        return switch (kind) {
            case SET -> register(Kind.SET, key, level, 0, null, "SET", name, value);
            case SET_PX -> register(Kind.SET_PX, key, level, ttl, null, "SET", name, value, "PX",
                    Integer.toString(ttl));
            case DEL -> register(Kind.DEL, key, level, 0, null, "DEL", name);
            default -> register(Kind.PEXPIRE, key, level, ttl, null, "PEXPIRE", name, Integer.toString(ttl));
        };
    }

    /** A SET of 100–300 KB on a string key. */
    private Op bigSet() {
        String name = "str:" + random.nextInt(3);
        int size = 100_000 + random.nextInt(200_001);
        StringBuilder sb = new StringBuilder(size);
        sb.append("big").append(ops.size() + 1).append(':');
        while (sb.length() < size) {
            sb.append((char) ('a' + random.nextInt(26)));
        }
        ConsistencyLevel level = LEVELS[random.nextInt(LEVELS.length)];
        return register(Kind.BIG_SET, bytes(name), level, 0, null, "SET", name, sb.toString());
    }

    /** A SADD of 2,000–4,000 new members to a witness set, in one command. */
    private Op bulkWitness() {
        String name = "wit:" + random.nextInt(2);
        int n = 2_000 + random.nextInt(2_001);
        List<String> members = new ArrayList<>(n);
        String[] args = new String[n + 2];
        args[0] = "SADD";
        args[1] = name;
        for (int i = 0; i < n; i++) {
            String m = "b" + nextMember++;
            members.add(m);
            args[i + 2] = m;
        }
        ConsistencyLevel level = LEVELS[random.nextInt(LEVELS.length)];
        return register(Kind.WITNESS_BULK, bytes(name), level, 0, members, args);
    }

    /** Records a new command (ids are positions in {@link #ops}, from 1). */
    private Op register(Kind kind, byte[] key, ConsistencyLevel level, long amount, List<String> members,
                        String... args) {
        Op op = new Op(ops.size() + 1, kind, key, args, level, amount, members);
        ops.add(op);
        return op;
    }

    @SafeVarargs
    private <T> T pick(T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    /**
     * The up nodes that may coordinate {@code op}: any (of datacenter {@code dc} if given), or for
     * CONVERGE DIVERGE, the key's replicas (it writes on the node it is sent to only).
     */
    private List<SimCluster.Node> coordinatorsFor(Op op, Integer dc) {
        List<SimCluster.Node> candidates = new ArrayList<>();
        ReplicaSet replicas = cluster.replicasOf(op.key);
        for (SimCluster.Node n : cluster.nodes.values()) {
            if (n.up && (dc == null || n.datacenter() == dc) && (op.kind != Kind.DIVERGE || replicas.contains(n.id))) {
                candidates.add(n);
            }
        }
        return candidates;
    }

    /** Sends {@code op} to a random one of {@code candidates}, as a new client connection at its level would. */
    private void submit(Op op, List<SimCluster.Node> candidates) {
        if (candidates.isEmpty()) {
            op.outcome = Outcome.NOT_APPLIED;
            op.reply = "no coordinator up";
            return;
        }
        SimCluster.Node c = candidates.get(random.nextInt(candidates.size()));
        op.coordinator = c.id;
        op.sentAt = cluster.network.clock().nowMillis();
        op.coordinatorDc = c.datacenter();
        if (str(op.key).startsWith("dw:") && (op.kind == Kind.DEL || op.kind == Kind.SREM)) {
            if (op.kind == Kind.SREM) {
                removals.computeIfAbsent((int) op.amount, id -> new ArrayList<>()).add(op);
            } else {
                for (Op add : removable) {
                    if (Arrays.equals(add.key, op.key)) {
                        removals.computeIfAbsent(add.id, id -> new ArrayList<>()).add(op);
                    }
                }
            }
        }
        if (op.kind == Kind.SET_PX || op.kind == Kind.PEXPIRE) {
            lastTtlMillis = cluster.network.clock().nowMillis();
        }
        cluster.origins.run(op.id, () -> Clusters.client(c, op.level).command(op.args)
                .whenComplete((bytes, error) -> onReply(op, bytes, error)));
    }

    /** Records what a reply tells; a read-back that misses its write is a violation; acked witness adds get one. */
    private void onReply(Op op, byte[] bytes, Throwable error) {
        op.repliedAt = cluster.network.clock().nowMillis();
        if (error != null) {
            op.outcome = Outcome.NOT_APPLIED; // the connection was refused: nothing was sent
            op.reply = String.valueOf(error.getMessage());
            return;
        }
        op.reply = new String(bytes, StandardCharsets.UTF_8);
        op.outcome = classify(op.reply);
        if (str(op.key).startsWith("dw:") && op.kind == Kind.SADD && op.outcome == Outcome.ACKED
                && op.level == ConsistencyLevel.ALL) {
            removable.add(op); // on every replica now: whatever replica runs a later removal observes it
        }
        if (str(op.key).startsWith("dl:") && op.kind == Kind.SET && op.outcome == Outcome.ACKED
                && op.level == ConsistencyLevel.ALL) {
            Long stamp = stampOf(op);
            if (stamp != null) {
                deletableStamps.put(op.id, stamp);
            }
        }
        if (op.kind == Kind.WITNESS_READ) {
            if (op.outcome == Outcome.ACKED && !op.reply.equals(":1\r\n")) {
                violations.add("lost acknowledged write: " + ops.get((int) op.amount - 1) + " not seen by read-back "
                        + op);
            }
        } else if ((op.kind == Kind.WITNESS_ADD || op.kind == Kind.WITNESS_BULK) && op.outcome == Outcome.ACKED
                && op.level != ConsistencyLevel.ONE) {
            readBack(op);
        }
    }

    /** The stamp of the value {@code set} wrote, as a replica holding it visibly has it (null if none does). */
    private Long stampOf(Op set) {
        ReplicaSet replicas = cluster.replicasOf(set.key);
        for (int r = 0; r < replicas.size(); r++) {
            SimCluster.Node n = cluster.node(replicas.node(r));
            KeyState state = n.up ? n.engine.stateCopy(set.key) : null;
            byte[] value = state == null ? null : state.stringBytes();
            if (value != null && str(value).equals(set.args[2])) {
                return state.lastWriteHlc();
            }
        }
        return null;
    }

    /** Right after the ack of a witness add above ONE: SISMEMBER at an overlapping level, from another coordinator. */
    private void readBack(Op write) {
        ConsistencyLevel level = write.level == ConsistencyLevel.ALL ? ConsistencyLevel.ONE : write.level;
        String member = write.members.get(write.members.size() - 1);
        Op read = register(Kind.WITNESS_READ, write.key, level, write.id, List.of(member), "SISMEMBER",
                str(write.key), member);
        Integer dc = write.level == ConsistencyLevel.LOCAL_QUORUM ? write.coordinatorDc : null;
        cluster.network.schedule(random.nextInt(5), () -> {
            List<SimCluster.Node> candidates = coordinatorsFor(read, dc);
            if (candidates.size() > 1) {
                candidates.removeIf(n -> n.id == write.coordinator);
            }
            submit(read, candidates);
        });
    }

    /** What a client can tell from {@code reply}. */
    private static Outcome classify(String reply) {
        if (!reply.startsWith("-")) {
            return Outcome.ACKED;
        }
        if (reply.contains("the write was applied on")) {
            return Outcome.APPLIED;
        }
        if (reply.startsWith("-WRONGTYPE") || reply.contains("refused and not applied") || reply.contains("not sent")
                || reply.contains("the read was not answered") || reply.contains("does not replicate this key")) {
            return Outcome.NOT_APPLIED;
        }
        return Outcome.UNKNOWN;
    }

    /**
     * Schedules the fault phase: backups of the nodes that may lose state, in some runs one or two
     * clock jumps (each back before the phase ends), and 0 to {@link #MAX_FAULTS} random faults:
     * partitions, lossy links, clock skews, crashes of every kind (see {@link DiskAndClockFaults}).
     */
    private void scheduleFaults() {
        faults.backups(CHAOS_MILLIS);
        if (clockJumps) {
            for (int i = 1 + random.nextInt(2); i > 0; i--) {
                long at = random.nextInt((int) CHAOS_MILLIS);
                faults.clockJump(at, 1 + random.nextInt(cluster.nodes.size()), MAX_JUMP,
                        1 + random.nextInt((int) CHAOS_MILLIS - (int) at));
            }
        }
        int count = random.nextInt(MAX_FAULTS + 1);
        for (int i = 0; i < count; i++) {
            long at = random.nextInt((int) CHAOS_MILLIS);
            int kind = random.nextInt(6);
            int node = 1 + random.nextInt(cluster.nodes.size());
            switch (kind) {
                case 0 -> {
                    List<List<Integer>> groups = randomSplit();
                    event(at, "partition " + groups, () -> cluster.network.partition(groups));
                }
                case 1 -> event(at, "isolate " + node, () -> cluster.network.isolate(node));
                case 2 -> event(at, "heal", cluster.network::heal);
                case 3 -> {
                    crashed = true;
                    faults.crash(at, node, 50 + random.nextInt(800));
                }
                case 4 -> {
                    NetworkConditions c = new NetworkConditions(random.nextDouble() * 0.2, random.nextDouble() * 0.2,
                            1, 1 + random.nextInt(30));
                    event(at, "conditions " + c, () -> cluster.network.setConditions(c));
                }
                default -> {
                    long skew = random.nextInt(2 * MAX_SKEW + 1) - MAX_SKEW;
                    event(at, "skew " + node + " " + skew + " ms", () -> faults.skew(node, skew));
                }
            }
        }
    }

    /** The nodes split in two random groups. */
    private List<List<Integer>> randomSplit() {
        List<Integer> a = new ArrayList<>();
        List<Integer> b = new ArrayList<>();
        for (int id : cluster.nodes.keySet()) {
            (random.nextBoolean() ? a : b).add(id);
        }
        return List.of(a, b);
    }

    /**
     * Splits the cluster in two for {@link #longPartitionMillis} (far longer than the delta
     * buffers' resend timeouts and the repair session timeout), with client commands on both
     * sides all along.
     */
    private void longPartition() {
        List<List<Integer>> groups = randomSplit();
        events.add(cluster.network.clock().nowMillis() + " ms: long partition " + groups + " for "
                + longPartitionMillis + " ms");
        cluster.network.partition(groups);
        int count = 10 + random.nextInt(30);
        for (int i = 0; i < count; i++) {
            scheduleRandom(random.nextInt((int) longPartitionMillis));
        }
        cluster.network.runFor(longPartitionMillis);
    }

    /** Runs {@code action} at {@code at}, noting it in the run's events. */
    private void event(long at, String what, Runnable action) {
        cluster.network.schedule(at, () -> {
            events.add(cluster.network.clock().nowMillis() + " ms: " + what);
            action.run();
        });
    }

    /**
     * A short-grace run: one fragile node away (isolated, or down after a crash) for longer than
     * gc-grace-ms, with client commands all along, so its peers expel it and it rebuilds when it
     * returns; the network heals first, so no other node is away that long.
     */
    private void absence() {
        cluster.network.heal();
        long millis = shortGraceMillis + 500 + random.nextInt(3_000);
        String what = faults.absence(millis);
        if (what == null) {
            return; // no node may lose state in this shape
        }
        crashed |= !what.startsWith("isolate");
        events.add(cluster.network.clock().nowMillis() + " ms: " + what);
        int count = 10 + random.nextInt(30);
        for (int i = 0; i < count; i++) {
            scheduleRandom(random.nextInt((int) millis));
        }
        cluster.network.runFor(millis);
    }

    /** Ends the faults: no partition, reliable links, every crashed node restarted (skews stay). */
    private void heal() {
        events.add(cluster.network.clock().nowMillis() + " ms: heal all, restart all, reliable links");
        cluster.network.heal();
        cluster.network.setConditions(new NetworkConditions(0, 0, 1, 5));
        faults.allUp();
    }

    /** After the heal: {@code CONVERGE DIVERGE} on one replica of a key nothing else writes or reads. */
    private void divergeLate() {
        ReplicaSet replicas = cluster.replicasOf(lateKey);
        int node = replicas.node(random.nextInt(replicas.size()));
        lateValue = "late-" + seed;
        events.add(cluster.network.clock().nowMillis() + " ms: CONVERGE DIVERGE " + str(lateKey) + " on " + node);
        cluster.node(node).command("CONVERGE", "DIVERGE", str(lateKey), lateValue);
    }

    /** Whether every replica of the late key holds the diverged value. */
    private boolean lateDivergenceSpread() {
        ReplicaSet replicas = cluster.replicasOf(lateKey);
        for (int r = 0; r < replicas.size(); r++) {
            if (!lateValue.equals(Clusters.get(cluster.node(replicas.node(r)), str(lateKey)))) {
                return false;
            }
        }
        return true;
    }

    /** EXISTS at ONE on every replica of every key (the late one aside); true once every reply came. */
    private boolean expiryPass() {
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (byte[] key : keys) {
            ReplicaSet replicas = cluster.replicasOf(key);
            for (int r = 0; r < replicas.size(); r++) {
                replies.add(Clusters.client(cluster.node(replicas.node(r)), ConsistencyLevel.ONE)
                        .command("EXISTS", str(key)));
            }
        }
        return cluster.network.runUntil(() -> replies.stream().allMatch(CompletableFuture::isDone), 5_000);
    }

    // ------------------------------------------------------------------ checks

    /** Every key known to the run or held by any node. */
    private List<byte[]> everyKey() {
        Set<ByteBuffer> seen = new LinkedHashSet<>();
        List<byte[]> all = new ArrayList<>();
        List<byte[]> candidates = new ArrayList<>(keys);
        candidates.add(lateKey);
        candidates.addAll(cluster.allKeys());
        for (byte[] key : candidates) {
            if (seen.add(ByteBuffer.wrap(key))) {
                all.add(key);
            }
        }
        return all;
    }

    /** Check 1: replicas hold equal states, non-replicas nothing. */
    private void checkConvergence() {
        for (byte[] key : everyKey()) {
            ReplicaSet replicas = cluster.replicasOf(key);
            Map<Integer, KeyState> states = cluster.statesOf(key);
            KeyState reference = normalized(states.get(replicas.node(0)));
            for (Map.Entry<Integer, KeyState> e : states.entrySet()) {
                KeyState s = normalized(e.getValue());
                if (replicas.contains(e.getKey())) {
                    if (!equal(reference, s)) {
                        divergedKeys++;
                        violations.add("replicas of " + str(key) + " " + replicas + " diverge: " + brief(states));
                        break;
                    }
                } else if (s != null) {
                    violations.add("node " + e.getKey() + " is no replica of " + str(key) + " but holds "
                            + brief(Map.of(e.getKey(), s)));
                }
            }
        }
    }

    /** The visible integer of {@code key} on its first replica (0 when absent). */
    private long finalValue(byte[] key) {
        KeyState state = cluster.node(cluster.replicasOf(key).node(0)).engine.stateCopy(key);
        byte[] value = state == null ? null : state.stringBytes();
        return value == null ? 0 : Long.parseLong(str(value));
    }

    /**
     * Whether {@code op} may be missing at the end: it was applied at most on the node that ran it
     * (acknowledged at ONE, a missed level, an unknown outcome) and that node lost the records it
     * logged it as (a power loss, a lost or restored directory, a rebuild) before it was anywhere
     * else. Writes acknowledged at a quorum level are never excused: the run never lets a quorum
     * of their replicas lose state (see {@link DiskAndClockFaults}).
     */
    private boolean excusable(Op op) {
        boolean onlyWhereItRan = op.outcome == Outcome.APPLIED || op.outcome == Outcome.UNKNOWN
                || (op.outcome == Outcome.ACKED && op.level == ConsistencyLevel.ONE);
        return onlyWhereItRan && cluster.origins.lost(op.id);
    }

    /** Notes that an applied write is missing: a violation unless it is {@linkplain #excusable excused}. */
    private void missing(Op op, String violation) {
        if (excusable(op)) {
            excusedMissing++;
        } else {
            lostWrites++;
            violations.add(violation);
        }
    }

    /**
     * Check 2, positive-only counters: at least the increments acknowledged or applied (those
     * excused aside), at most those that may have been applied, exact when every outcome is known
     * and nothing was excused; and never below a value some INCRBY replied, less what was excused.
     */
    private void checkCounters() {
        for (byte[] key : keys) {
            if (!str(key).startsWith("ctr:")) {
                continue;
            }
            long acked = 0;
            long unknown = 0;
            long excusedAmount = 0;
            long maxReply = 0;
            for (Op op : opsOn(key)) {
                if (op.applied() && !excusable(op)) {
                    acked += op.amount;
                } else if (op.mayBeApplied()) {
                    unknown += op.amount;
                }
                excusedAmount += op.mayBeApplied() && cluster.origins.lost(op.id) ? op.amount : 0;
                Long r = op.integerReply();
                maxReply = r == null ? maxReply : Math.max(maxReply, r);
            }
            long value = finalValue(key);
            if (value < acked || value > acked + unknown) {
                wrongCounters++;
                violations.add("counter " + str(key) + " is " + value + ", outside [" + acked + ", " + (acked + unknown)
                        + "] (increments acknowledged or applied and not excused, plus the others that may have been "
                        + "applied)");
            }
            if (value < maxReply - excusedAmount) {
                wrongCounters++;
                violations.add("counter " + str(key) + " is " + value + " but an INCRBY replied " + maxReply
                        + (excusedAmount > 0 ? " (" + excusedAmount + " of it excused)" : ""));
            }
            if (unknown == 0) {
                exactCounterChecks++;
            } else if (!crashed) {
                unknownWithoutCrash++;
            }
        }
    }

    /**
     * Check 2, counters with SET resets: a base some SET may have set, increments within what the
     * replies allow (those excused aside).
     */
    private void checkResettableCounters() {
        for (byte[] key : keys) {
            if (!str(key).startsWith("rctr:")) {
                continue;
            }
            long value = finalValue(key);
            long base = value / BASE_UNIT * BASE_UNIT;
            long increments = value - base;
            List<Op> on = opsOn(key);
            boolean baseKnown = base == 0;
            for (Op op : on) {
                if (op.kind == Kind.RESET) {
                    baseKnown |= op.amount == base && op.mayBeApplied();
                    if (base == 0 && op.applied() && !excusable(op)) {
                        wrongCounters++;
                        violations.add("counter " + str(key) + " has no base but " + op + " was applied");
                    }
                }
            }
            if (!baseKnown) {
                wrongCounters++;
                violations.add("counter " + str(key) + " is " + value + ": its base " + base
                        + " is no SET that may have been applied");
                continue;
            }
            long least = 0;
            long most = 0;
            for (Op op : on) {
                if (op.kind != Kind.INCRBY || !op.mayBeApplied()) {
                    continue;
                }
                Long r = op.integerReply();
                if (r == null || excusable(op)) {
                    most += op.amount; // applied on some base, or maybe applied
                } else if (r / BASE_UNIT * BASE_UNIT == base) {
                    least += op.amount; // it replied a value on the winning base: it counts
                    most += op.amount;
                }
            }
            if (increments < least || increments > most) {
                wrongCounters++;
                violations.add("counter " + str(key) + " is " + value + ": " + increments + " over base " + base
                        + ", outside [" + least + ", " + most + "] (increments that replied on that base, and those "
                        + "that may have been applied on it)");
            }
        }
    }

    /** Check 3: every member of every acked or applied witness SADD is on every replica (those excused aside). */
    private void checkWitnesses() {
        for (Op op : ops) {
            if ((op.kind != Kind.WITNESS_ADD && op.kind != Kind.WITNESS_BULK) || !op.applied()) {
                continue;
            }
            excused += excusable(op) ? 1 : 0;
            ReplicaSet replicas = cluster.replicasOf(op.key);
            for (int r = 0; r < replicas.size(); r++) {
                KeyState state = cluster.node(replicas.node(r)).engine.stateCopy(op.key);
                SetValue set = state == null ? null : state.set();
                int missing = 0;
                for (String m : op.members) {
                    missing += set != null && set.contains(bytes(m)) ? 0 : 1;
                }
                if (missing > 0) {
                    missing(op, "acknowledged write lost on node " + replicas.node(r) + " (" + missing + " of "
                            + op.members.size() + " members missing; ran on " + cluster.origins.nodesOf(op.id) + "): "
                            + op);
                    break;
                }
            }
        }
    }

    /**
     * Check 3 for lists: every element of every acked or applied push to a list-witness key (which
     * only ever gets pushes of distinct elements) is in the list of every replica, exactly once.
     */
    private void checkListWitnesses() {
        for (Op op : ops) {
            if (op.kind != Kind.LIST_WITNESS || !op.applied()) {
                continue;
            }
            excused += excusable(op) ? 1 : 0;
            listPushesChecked++;
            ReplicaSet replicas = cluster.replicasOf(op.key);
            for (int r = 0; r < replicas.size(); r++) {
                KeyState state = cluster.node(replicas.node(r)).engine.stateCopy(op.key);
                ListValue list = state == null ? null : state.list();
                byte[] element = bytes(op.members.get(0));
                int[] found = {0};
                if (list != null) {
                    list.forEach(0, list.size(), (i, v) -> {
                        found[0] += Arrays.equals(v, element) ? 1 : 0;
                        return true;
                    });
                }
                if (found[0] == 0) {
                    missing(op, "acknowledged list push lost on node " + replicas.node(r) + " (ran on "
                            + cluster.origins.nodesOf(op.id) + "): " + op);
                    break;
                }
                if (found[0] > 1) {
                    violations.add("list push present " + found[0] + " times on node " + replicas.node(r) + ": " + op);
                    break;
                }
            }
        }
    }

    /**
     * Members of the delete-witness set that were acknowledged at ALL and then removed by an
     * applied SREM or DEL issued after that ack (one that answered 0 removed nothing where it ran)
     * are gone for good (removals take what they
     * observed, and the member is never added again): a tombstone collected too early, or a
     * repair carrying an older state, would bring them back.
     */
    private void checkRemovals() {
        for (Map.Entry<Integer, List<Op>> e : removals.entrySet()) {
            Op add = ops.get(e.getKey() - 1);
            Op removal = null;
            for (Op r : e.getValue()) {
                removal = r.mayHaveRemoved() && !excusable(r) ? r : removal;
            }
            if (removal == null) {
                continue;
            }
            removalChecks++;
            ReplicaSet replicas = cluster.replicasOf(add.key);
            for (int r = 0; r < replicas.size(); r++) {
                KeyState state = cluster.node(replicas.node(r)).engine.stateCopy(add.key);
                SetValue set = state == null ? null : state.set();
                if (set != null && set.contains(bytes(add.members.get(0)))) {
                    resurrections++;
                    violations.add("removed member came back on node " + replicas.node(r) + ": " + add + ", removed by "
                            + removal);
                    break;
                }
            }
        }
    }

    /**
     * String values acknowledged at ALL and then deleted by an applied DEL sent after that ack (not
     * one that answered 0)
     * (whose replicas' clocks had passed the value's stamp, and not excused) are gone for good:
     * their delete records are collected once the stable stamp passes them, so a replica that
     * kept the value past that (an old backup, a node away longer than the grace) and handed it
     * back would resurrect it.
     */
    private void checkStringDeletes() {
        for (Map.Entry<Integer, List<Op>> e : stringDeletes.entrySet()) {
            Op set = ops.get(e.getKey() - 1);
            Op delete = null;
            for (Op d : e.getValue()) {
                delete = d.mayHaveRemoved() && !excusable(d) ? d : delete;
            }
            if (delete == null) {
                continue;
            }
            removalChecks++;
            ReplicaSet replicas = cluster.replicasOf(set.key);
            for (int r = 0; r < replicas.size(); r++) {
                KeyState state = cluster.node(replicas.node(r)).engine.stateCopy(set.key);
                byte[] value = state == null ? null : state.stringBytes();
                if (value != null && str(value).equals(set.args[2])) {
                    resurrections++;
                    violations.add("deleted value came back on node " + replicas.node(r) + ": " + set + " (stamp "
                            + Hlc.toString(deletableStamps.get(set.id)) + "), deleted by " + delete);
                    break;
                }
            }
        }
    }

    /** Check 4: no empty entries, nothing a GC at the swept stamp would still drop. */
    private void checkTombstones() {
        for (byte[] key : everyKey()) {
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
                    violations.add("node " + n.id + " still holds collectable tombstones of " + str(key) + ": "
                            + brief(Map.of(n.id, state)));
                }
            }
        }
    }

    /** Check 5: equal key digests on the replicas (0 elsewhere), equal data digests when every node holds all. */
    private void checkDigests() {
        for (byte[] key : everyKey()) {
            ReplicaSet replicas = cluster.replicasOf(key);
            long reference = cluster.node(replicas.node(0)).replicator.keyDigest(key);
            for (SimCluster.Node n : cluster.nodes.values()) {
                long d = n.replicator.keyDigest(key);
                long expected = replicas.contains(n.id) ? reference : 0;
                if (d != expected) {
                    violations.add("digest of " + str(key) + " on node " + n.id + " is " + Long.toHexString(d)
                            + ", expected " + Long.toHexString(expected));
                }
            }
        }
        if (cluster.topology.totalReplicationFactor() == cluster.topology.nodeCount()) {
            long[] first = null;
            for (SimCluster.Node n : cluster.nodes.values()) {
                long[] d = n.replicator.dataDigest();
                if (first == null) {
                    first = d;
                } else if (!Arrays.equals(first, d)) {
                    violations.add("data digest of node " + n.id + " " + Arrays.toString(d) + " differs from node 1's "
                            + Arrays.toString(first));
                }
            }
        }
    }

    /** The commands sent on {@code key}, read-backs aside. */
    private List<Op> opsOn(byte[] key) {
        List<Op> on = new ArrayList<>();
        for (Op op : ops) {
            if (Arrays.equals(op.key, key) && op.kind != Kind.WITNESS_READ) {
                on.add(op);
            }
        }
        return on;
    }

    private static KeyState normalized(KeyState s) {
        return s == null || s.isGarbage() ? null : s;
    }

    private static boolean equal(KeyState a, KeyState b) {
        return a == null ? b == null : a.equals(b);
    }

    /** States for a report, large ones cut short. */
    private static String brief(Map<Integer, KeyState> states) {
        Map<Integer, String> out = new TreeMap<>();
        for (Map.Entry<Integer, KeyState> e : states.entrySet()) {
            String s = String.valueOf(e.getValue());
            out.put(e.getKey(), s.length() > 600 ? s.substring(0, 600) + "...(" + s.length() + " chars)" : s);
        }
        return out.toString();
    }

    /** The failure report: seed, shape, events, violations, commands and every node's replication state. */
    private String report(String what) {
        StringBuilder sb = new StringBuilder("seed ").append(seed).append(": ").append(what).append("\n  shape: ")
                .append(shape).append(crashed ? ", with crashes" : "").append(", nodes that may lose state ")
                .append(faults.fragile()).append("\n  events: ").append(events);
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
                    .append(n.replicator.pendingRequests()).append(", repair owed ").append(n.replicator.repairOwed())
                    .append(", stable ").append(n.replicator.stableStamp()).append(", swept ")
                    .append(n.replicator.sweptThrough()).append(", gc ").append(n.replicator.stats().gc())
                    .append(", rejoin ").append(n.replicator.stats().rejoinState()).append(", rebuilds ")
                    .append(n.replicator.stats().rebuilds()).append(", replica ")
                    .append(n.replicator.stats().replicaId()).append(", repair ")
                    .append(n.replicator.stats().repair());
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
