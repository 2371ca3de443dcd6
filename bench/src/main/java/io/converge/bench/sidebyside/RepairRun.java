package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The repair phase against a cluster of separate node processes ({@link NodeCluster}), three
 * measurements with the last node as the replica that falls behind:
 * <ol>
 *   <li><b>Missed writes</b> (per round): the replica is cut off ({@code CONVERGE PARTITION} on
 *       every node), every key is written through node 1 (round-specific values, so every round
 *       misses all of them again), node 1 and the other nodes agree, then {@code CONVERGE HEAL};
 *       the clock runs until every node holds the same data (no delta pending, no repair owed,
 *       equal {@code CONVERGE DIGEST}s).</li>
 *   <li><b>Divergent keys</b> (per round): {@code CONVERGE DIVERGE} sets some keys on node 1 only
 *       (as if their deltas were lost); {@code CONVERGE REPAIR} on node 1; the clock runs until the
 *       digests agree.</li>
 *   <li><b>Replaced node</b> (per round): the replica is killed ({@code kill -9}), its data
 *       directory deleted and the node started again, empty; the clock runs from the launch until
 *       it serves, and until it is a complete replica ({@code sync_state:complete}) holding what
 *       the others hold.</li>
 * </ol>
 * Every round ends with a read of keys on the nodes that should now hold them.
 */
public final class RepairRun {
    /** Pause between two looks at the cluster while the clock runs. */
    static final long POLL_PAUSE_MILLIS = 10;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(5);
    private static final int SAMPLE_KEYS = 10_000;

    private final RepairPlan plan;
    private final PrintWriter progress;
    /** The round whose values the last load wrote (0: none yet). */
    private int loadedRound;
    /** Keys set since the last load by {@code CONVERGE DIVERGE}, with their values. */
    private final Map<Integer, String> diverged = new HashMap<>();

    /** A run of {@code plan} that prints what it does to {@code progress}. */
    public RepairRun(RepairPlan plan, PrintWriter progress) {
        this.plan = plan;
        this.progress = progress;
    }

    /** The value of key {@code index} in the load of round {@code round}: about {@code valueBytes} bytes. */
    static String value(int round, int index, int valueBytes) {
        String head = "r" + round + ":" + index + ":";
        return head.length() >= valueBytes ? head : head + "x".repeat(valueBytes - head.length());
    }

    /** Runs every measurement on {@code cluster}, started as {@code description} says (for the report). */
    public RepairResults run(NodeCluster cluster, Duration readyTimeout, String description) {
        String loadBefore = MachineInfo.loadAverage();
        List<CatchUpRound> missed = new ArrayList<>();
        for (int round = 1; round <= plan.rounds() && plan.runs("missed"); round++) {
            say("missed writes, round %d of %d: node %d cut off while %,d keys of %,d bytes are written",
                    round, plan.rounds(), cluster.ports().size(), plan.keys(), plan.valueBytes());
            CatchUpRound result = missedWrites(cluster, round);
            say("  %s", describe(result));
            missed.add(result);
        }
        List<DivergenceRound> diverged = new ArrayList<>();
        for (int round = 1; round <= plan.rounds() && plan.runs("divergent"); round++) {
            say("divergent keys, round %d of %d: %,d of %,d keys set on node 1 only, then CONVERGE REPAIR",
                    round, plan.rounds(), plan.divergentKeys(), plan.keys());
            DivergenceRound result = divergence(cluster, round);
            say("  %s", result.error() != null ? "failed: " + result.error()
                    : "digests equal " + result.repairMillis() + " ms after CONVERGE REPAIR; " + result.verification());
            diverged.add(result);
        }
        List<CatchUpRound> replaced = new ArrayList<>();
        for (int round = 1; round <= plan.rounds() && plan.runs("replaced"); round++) {
            say("replaced node, round %d of %d: node %d killed, its data directory deleted, started empty",
                    round, plan.rounds(), cluster.ports().size());
            CatchUpRound result = replacedNode(cluster, round, readyTimeout);
            say("  %s", describe(result));
            replaced.add(result);
        }
        return new RepairResults(plan, cluster.ports().size(), description, loadBefore, MachineInfo.loadAverage(),
                missed, diverged, replaced);
    }

    private void say(String format, Object... args) {
        progress.printf(Locale.ROOT, format + "%n", args);
        progress.flush();
    }

    private static String describe(CatchUpRound r) {
        if (r.error() != null) {
            return "failed: " + r.error();
        }
        return String.format(Locale.ROOT, "%scomplete after %,d ms (%.1f MB/s), %,d repair bytes received, "
                        + "%,d ms CPU (all nodes); %s", r.servingMillis() >= 0 ? "serving after " + r.servingMillis()
                        + " ms, " : "", r.completeMillis(), r.megabytesPerSecond(), r.repairBytes(), r.cpuMillis(),
                r.verification());
    }

    // ------------------------------------------------------------------ missed writes

    private CatchUpRound missedWrites(NodeCluster cluster, int round) {
        List<Integer> ports = cluster.ports();
        int replica = ports.size();
        try (ClusterProbe probe = ClusterProbe.open(ports, TIMEOUT);
             ClusterAdmin admin = ClusterAdmin.open(ports, TIMEOUT)) {
            try {
                probe.await(ClusterProbe.ClusterView::settled, SETTLE_TIMEOUT, "the cluster to be quiet before the round");
                admin.cut(replica);
                probe.await(view -> view.isCut(replica), TIMEOUT, "the cut to take effect");
                load(ports.get(0), round);
                probe.await(view -> othersAgree(probe, replica), SETTLE_TIMEOUT,
                        "the nodes other than " + replica + " to hold the same data");
                ClusterProbe.ClusterView atHeal = probe.look();
                long received = atHeal.nodes().get(replica - 1).repairBytesReceived();

                Duration cpuBefore = cluster.cpuTime();
                long start = System.nanoTime();
                admin.sendToAll("CONVERGE", "HEAL");
                ClusterProbe.Timing timing = probe.time(start, view -> view.converged() && allEqual(probe.digests()),
                        plan.timeout(), POLL_PAUSE_MILLIS);
                if (timing.doneMillis() < 0) {
                    return CatchUpRound.failed(round, plan.keys(), plan.payloadBytes(),
                            "not converged within " + plan.timeout().toSeconds() + " s of the heal");
                }
                long cpu = cluster.cpuTime().minus(cpuBefore).toMillis();
                long repairBytes = probe.look().nodes().get(replica - 1).repairBytesReceived() - received;
                return checked(new CatchUpRound(round, plan.keys(), plan.payloadBytes(), atHeal.pendingDeltas(),
                        atHeal.peersOwed(), -1, timing.connectedMillis(), timing.doneMillis(), repairBytes, cpu, null,
                        null), ports.get(replica - 1), "node " + replica);
            } finally {
                admin.healQuietly(); // never leave a cut behind for the next measurement
            }
        } catch (IOException e) {
            return CatchUpRound.failed(round, plan.keys(), plan.payloadBytes(), message(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CatchUpRound.failed(round, plan.keys(), plan.payloadBytes(), "interrupted");
        }
    }

    /** Writes every key through the node at {@code port} at consistency ONE, with round {@code round}'s values. */
    private void load(int port, int round) throws IOException {
        try (RespConnection connection = RespConnection.open("127.0.0.1", port, TIMEOUT)) {
            Object ok = connection.call("CONSISTENCY", "WRITE", "ONE");
            if (!"OK".equals(ok)) {
                throw new IOException("CONSISTENCY WRITE ONE answered " + ok);
            }
            KeyLoader.LoadResult result = KeyLoader.load(connection, plan.keys(),
                    index -> value(round, index, plan.valueBytes()).getBytes(StandardCharsets.US_ASCII));
            if (!result.isOk()) {
                throw new IOException("loading the keys failed: " + result.firstError());
            }
            loadedRound = round;
            diverged.clear();
            say("  loaded %,d keys through node 1 in %,d ms", result.sent(), result.elapsed().toMillis());
        }
    }

    private static boolean othersAgree(ClusterProbe probe, int replica) throws IOException {
        List<String> digests = new ArrayList<>(probe.digests());
        digests.remove(replica - 1);
        return allEqual(digests);
    }

    // ------------------------------------------------------------------ divergent keys

    private DivergenceRound divergence(NodeCluster cluster, int round) {
        List<Integer> ports = cluster.ports();
        int[] keys = KeyCheck.spread(plan.divergentKeys(), plan.keys(), round - 1);
        try (ClusterProbe probe = ClusterProbe.open(ports, TIMEOUT);
             ClusterAdmin admin = ClusterAdmin.open(ports, TIMEOUT)) {
            probe.await(view -> view.settled() && allEqual(probe.digests()), SETTLE_TIMEOUT,
                    "every node to hold the same data before the round");
            List<byte[][]> commands = new ArrayList<>();
            for (int i = 0; i < keys.length; i++) {
                commands.add(new byte[][] {bytes("CONVERGE"), bytes("DIVERGE"), bytes(KeyLoader.keyName(keys[i],
                        plan.keys())), bytes(divergedValue(round, keys[i]))});
            }
            admin.sendAll(1, commands);
            for (int key : keys) {
                diverged.put(key, divergedValue(round, key));
            }
            if (allEqual(probe.digests())) {
                return DivergenceRound.failed(round, plan.keys(), keys.length,
                        "the digests still agree after CONVERGE DIVERGE");
            }
            long start = System.nanoTime();
            admin.send(1, "CONVERGE", "REPAIR");
            ClusterProbe.Timing timing = probe.time(start, view -> view.converged() && allEqual(probe.digests()),
                    plan.timeout(), POLL_PAUSE_MILLIS);
            if (timing.doneMillis() < 0) {
                return DivergenceRound.failed(round, plan.keys(), keys.length,
                        "not repaired within " + plan.timeout().toSeconds() + " s of CONVERGE REPAIR");
            }
            for (int node = 1; node <= ports.size(); node++) {
                String wrong = KeyCheck.mismatch(ports.get(node - 1), "node " + node, keys, plan.keys(),
                        index -> divergedValue(round, index), TIMEOUT);
                if (wrong != null) {
                    return new DivergenceRound(round, plan.keys(), keys.length, timing.doneMillis(), null, wrong);
                }
            }
            return new DivergenceRound(round, plan.keys(), keys.length, timing.doneMillis(), String.format(Locale.ROOT,
                    "ok: the %,d keys hold node 1's values on %d nodes", keys.length, ports.size()), null);
        } catch (IOException e) {
            return DivergenceRound.failed(round, plan.keys(), keys.length, message(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DivergenceRound.failed(round, plan.keys(), keys.length, "interrupted");
        }
    }

    private static String divergedValue(int round, int index) {
        return "diverged-r" + round + ":" + index;
    }

    // ------------------------------------------------------------------ replaced node

    private CatchUpRound replacedNode(NodeCluster cluster, int round, Duration readyTimeout) {
        List<Integer> ports = cluster.ports();
        int replica = ports.size();
        try {
            try (ClusterProbe probe = ClusterProbe.open(ports, TIMEOUT)) {
                probe.await(view -> view.settled() && allEqual(probe.digests()), SETTLE_TIMEOUT,
                        "every node to hold the same data before the round");
            }
            cluster.kill(replica);
            cluster.wipe(replica);
            Duration cpuBefore = cluster.cpuTime();
            long start = System.nanoTime();
            cluster.restart(replica, readyTimeout);
            long serving = (System.nanoTime() - start) / 1_000_000;
            try (ClusterProbe probe = ClusterProbe.open(ports, TIMEOUT)) {
                ClusterProbe.ClusterView first = probe.look();
                ClusterProbe.Timing timing = probe.time(start, view -> view.converged()
                                && view.nodes().get(replica - 1).syncComplete() && allEqual(probe.digests()),
                        plan.timeout(), POLL_PAUSE_MILLIS);
                if (timing.doneMillis() < 0) {
                    return CatchUpRound.failed(round, plan.keys(), plan.payloadBytes(),
                            "not complete within " + plan.timeout().toSeconds() + " s of its start");
                }
                long cpu = cluster.cpuTime().minus(cpuBefore).toMillis();
                long repairBytes = probe.look().nodes().get(replica - 1).repairBytesReceived();
                return checked(new CatchUpRound(round, plan.keys(), plan.payloadBytes(), first.pendingDeltas(),
                        first.peersOwed(), serving, timing.connectedMillis(), timing.doneMillis(), repairBytes, cpu,
                        null, null), ports.get(replica - 1), "node " + replica);
            }
        } catch (IOException e) {
            return CatchUpRound.failed(round, plan.keys(), plan.payloadBytes(), message(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CatchUpRound.failed(round, plan.keys(), plan.payloadBytes(), "interrupted");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** What key {@code index} should hold now: its diverged value, or the last load's. */
    private String expected(int index) {
        String value = diverged.get(index);
        return value != null ? value : value(loadedRound, index, plan.valueBytes());
    }

    /** {@code result} with the outcome of reading sampled keys on the replica: they must hold what {@link #expected} says. */
    private CatchUpRound checked(CatchUpRound result, int port, String node) throws IOException {
        int[] sample = KeyCheck.spread(SAMPLE_KEYS, plan.keys(), result.round());
        String wrong = KeyCheck.mismatch(port, node, sample, plan.keys(), this::expected, TIMEOUT);
        String verification = wrong != null ? null : String.format(Locale.ROOT,
                "ok: %,d sampled keys as written on %s, equal digests everywhere", sample.length, node);
        return new CatchUpRound(result.round(), result.keys(), result.payloadBytes(), result.deltasAtStart(),
                result.repairsOwed(), result.servingMillis(), result.connectedMillis(), result.completeMillis(),
                result.repairBytes(), result.cpuMillis(), verification, wrong);
    }

    private static boolean allEqual(List<String> values) {
        return values.stream().distinct().count() <= 1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String message(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
