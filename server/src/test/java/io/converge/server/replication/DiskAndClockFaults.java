package io.converge.server.replication;

import io.converge.crdt.Hlc;
import io.converge.server.replication.gc.ExpulsionLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The faults of a simulation run that cost state or time: crashes of every kind (kill -9, clean
 * stop, power loss, lost data directory, restored backup), backups to restore (taken while a node
 * runs, or of a killed node's directory and restored after the next process ran on it), clock
 * jumps of up to minutes, and the long absences that make peers expel a node after {@code
 * gc-grace-ms}.
 *
 * <p><b>Who may lose state.</b> A write acknowledged at a quorum level is held by a quorum of some
 * datacenter's replicas; if all of them lost their state, nothing could bring it back. So, as
 * the production code limits expulsions ({@link ExpulsionLimit}), the run draws a set of
 * <em>fragile</em> nodes that never holds a quorum of any datacenter's replicas of any replica
 * set, and only fragile nodes lose state: a power loss without {@code appendfsync always}, a lost
 * directory, a restored backup, or an absence longer than the grace (the peers expel it and it
 * rebuilds). Every node may be killed, stopped cleanly, or lose power with {@code always}.
 *
 * <p>Each fault is noted in the run's events and counted (see {@link #counts()}).
 */
final class DiskAndClockFaults {

    /** How the run schedules and logs an event. */
    @FunctionalInterface
    interface Events {
        /** Runs {@code action} at {@code at} (simulated ms from now), noting {@code what}. */
        void at(long at, String what, Runnable action);
    }

    /** What a crash does, as the run chooses it. */
    enum Kind { KILL, STOP, POWER_LOSS, WIPE, RESTORE }

    private final SimCluster cluster;
    private final Random random;
    private final Events events;
    private final Set<Integer> fragile = new TreeSet<>();
    private final Map<Integer, List<SimDisk.Copy>> backups = new TreeMap<>();
    /** Each node's clock skew as the run set it (jumps included). */
    private final Map<Integer, Long> skews = new TreeMap<>();
    /** Per node: the highest HLC its process had when it went down with a directory that keeps the mark. */
    private final Map<Integer, Long> clockAtCrash = new TreeMap<>();
    private final Map<String, Integer> counts = new TreeMap<>();
    private final List<String> violations = new ArrayList<>();
    private long maxSkew;
    private long minSkew;

    /** Faults for {@code cluster}, drawn from {@code random}, scheduled through {@code events}. */
    DiskAndClockFaults(SimCluster cluster, Random random, Events events) {
        this.cluster = cluster;
        this.random = random;
        this.events = events;
        ExpulsionLimit limit = ExpulsionLimit.of(cluster.ring);
        List<Integer> ids = new ArrayList<>(cluster.nodes.keySet());
        java.util.Collections.shuffle(ids, random);
        for (int id : ids) {
            fragile.add(id);
            if (random.nextBoolean() || !limit.allows(fragile)) {
                fragile.remove(id);
            }
        }
    }

    /** The nodes that may lose state. */
    Set<Integer> fragile() {
        return fragile;
    }

    /** A crash of {@code node} at {@code at}, of a kind it may suffer, for {@code downFor} ms. */
    void crash(long at, int node, long downFor) {
        Kind kind = kindFor(node);
        events.at(at, kind + " " + node + " for " + downFor + " ms", () -> down(node, kind));
        events.at(at + downFor, "restart " + node, () -> up(node));
        if (kind == Kind.KILL && fragile.contains(node) && random.nextInt(3) == 0) {
            // An operator copies the killed node's directory; the copy is restored after the next
            // process ran on the directory. It proves itself whole, yet it recorded only the number
            // of the process before that one: its peers must not take it for the one that ran since.
            SimDisk.Copy[] copy = new SimDisk.Copy[1];
            events.at(at, "copy the directory of killed " + node, () -> {
                copy[0] = cluster.backup(node);
                count("backups at a kill");
            });
            long restoreAt = at + downFor + 20 + random.nextInt(600);
            events.at(restoreAt, "restore " + node + " from the copy taken at its kill", () -> {
                clockAtCrash.remove(node); // the directory goes back: so may the clock
                cluster.crash(node, SimCluster.Crash.KILL);
                cluster.restore(node, copy[0], random.nextBoolean());
                count("restored");
            });
            events.at(restoreAt + 50 + random.nextInt(400), "restart " + node, () -> up(node));
        }
    }

    /** Backups of every fragile node, 1 to 3 each, at random times up to {@code withinMillis} from now. */
    void backups(long withinMillis) {
        for (int node : fragile) {
            for (int i = 1 + random.nextInt(3); i > 0; i--) {
                backup(random.nextInt((int) withinMillis), node);
            }
        }
    }

    /** A backup of the directory of {@code node} at {@code at}. */
    private void backup(long at, int node) {
        events.at(at, "backup " + node, () -> {
            backups.computeIfAbsent(node, n -> new ArrayList<>()).add(cluster.backup(node));
            count("backups");
        });
    }

    /**
     * A jump of {@code node}'s clock at {@code at} by up to {@code maxJumpMillis} either way, and
     * back to where it was {@code backAfter} ms later.
     */
    void clockJump(long at, int node, long maxJumpMillis, long backAfter) {
        long size = maxJumpMillis / 10 + (long) (random.nextDouble() * (maxJumpMillis - maxJumpMillis / 10));
        long jump = random.nextBoolean() ? size : -size;
        long[] before = new long[1];
        events.at(at, "clock of " + node + " jumps " + jump + " ms", () -> {
            before[0] = skews.getOrDefault(node, 0L);
            skew(node, before[0] + jump);
            count(jump > 0 ? "clock jumps ahead" : "clock jumps back");
        });
        events.at(at + backAfter, "clock of " + node + " jumps back", () -> skew(node, before[0]));
    }

    /** Sets {@code node}'s clock skew now. */
    void skew(int node, long millis) {
        skews.put(node, millis);
        maxSkew = Math.max(maxSkew, millis);
        minSkew = Math.min(minSkew, millis);
        cluster.network.setClockSkew(node, millis);
    }

    /** The largest skew any node had (0 if none was ahead). */
    long maxSkew() {
        return maxSkew;
    }

    /** The smallest skew any node had (0 if none was behind). */
    long minSkew() {
        return minSkew;
    }

    /**
     * One fragile node away for {@code millis} from now (isolated, or down after a crash of a kind
     * it may suffer); returns a description, or null when no node is fragile. Call {@link #up}
     * (and heal the network) afterwards.
     */
    String absence(long millis) {
        if (fragile.isEmpty()) {
            return null;
        }
        int node = pick(new ArrayList<>(fragile));
        count("long absences");
        if (random.nextInt(3) == 0) {
            cluster.network.isolate(node);
            return "isolate " + node + " for " + millis + " ms";
        }
        Kind kind = kindFor(node);
        down(node, kind);
        return kind + " " + node + " for " + millis + " ms";
    }

    /** Restarts {@code node} if it is down; its clock must not go back when its directory kept the mark. */
    void up(int node) {
        SimCluster.Node n = cluster.node(node);
        if (n.up) {
            return;
        }
        cluster.restart(node);
        Long before = clockAtCrash.remove(node);
        if (before != null && n.engine.clock().current() < before) {
            violations.add("the clock of node " + node + " went back across its restart: " + Hlc.toString(before)
                    + " before, " + Hlc.toString(n.engine.clock().current()) + " after");
        }
    }

    /** Every node up again (heal). */
    void allUp() {
        for (int id : cluster.nodes.keySet()) {
            up(id);
        }
    }

    /** What went wrong that the faults themselves observe (a clock that went back across a restart). */
    List<String> violations() {
        return violations;
    }

    /** How many faults of each kind happened (a name per kind). */
    Map<String, Integer> counts() {
        return counts;
    }

    private Kind kindFor(int node) {
        if (fragile.contains(node)) {
            return Kind.values()[random.nextInt(Kind.values().length)];
        }
        boolean forcesAll = cluster.node(node).disk.fsync() == SimDisk.Fsync.ALWAYS;
        return switch (random.nextInt(forcesAll ? 3 : 2)) {
            case 0 -> Kind.KILL;
            case 1 -> Kind.STOP;
            default -> Kind.POWER_LOSS;
        };
    }

    /** Takes {@code node} down the {@code kind} way (a restore without a backup loses the directory). */
    private void down(int node, Kind kind) {
        SimCluster.Node n = cluster.node(node);
        if (n.up && (kind == Kind.KILL || kind == Kind.STOP || kind == Kind.POWER_LOSS)) {
            clockAtCrash.put(node, n.engine.clock().current());
        } else {
            clockAtCrash.remove(node); // its directory loses the mark: the clock may go back, as documented
        }
        List<SimDisk.Copy> copies = backups.getOrDefault(node, List.of());
        switch (kind) {
            case KILL -> cluster.crash(node, SimCluster.Crash.KILL);
            case STOP -> cluster.crash(node, SimCluster.Crash.STOP);
            case POWER_LOSS -> cluster.crash(node, SimCluster.Crash.POWER_LOSS);
            case WIPE -> cluster.crash(node, SimCluster.Crash.WIPE);
            case RESTORE -> {
                cluster.crash(node, SimCluster.Crash.KILL);
                if (copies.isEmpty()) {
                    cluster.crash(node, SimCluster.Crash.WIPE);
                    count("wiped");
                    return;
                }
                SimDisk.Copy copy = copies.get(random.nextInt(copies.size()));
                cluster.restore(node, copy, random.nextBoolean());
                count("restored");
                return;
            }
        }
        count(switch (kind) {
            case KILL -> "killed";
            case STOP -> "stopped";
            case POWER_LOSS -> "power lost";
            default -> "wiped";
        });
    }

    private void count(String what) {
        counts.merge(what, 1, Integer::sum);
    }

    private <T> T pick(List<T> from) {
        return from.get(random.nextInt(from.size()));
    }
}
