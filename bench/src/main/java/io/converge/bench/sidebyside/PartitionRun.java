package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The partition phase against a running local cluster: per round, cut the last node off from
 * the others ({@code CONVERGE PARTITION} on every node, as a network failure affects both sides),
 * write on both sides at consistency ONE for the plan's duration ({@link DivergentWorkload},
 * paced and pipelined), heal ({@code CONVERGE HEAL} on every node), then look at the cluster every
 * few milliseconds ({@link ClusterProbe}) until every node holds the same data, and verify
 * afterwards by reading every key from every node ({@link ConvergenceVerifier}).
 *
 * <p>Times are measured from just before the first {@code HEAL} is sent, so they include the
 * heal commands themselves and the resolution of the polling (a few ms).
 */
public final class PartitionRun {
    /** Pause between two looks at the cluster after the heal. */
    static final long POLL_PAUSE_MILLIS = 2;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CUT_TIMEOUT = Duration.ofSeconds(10);

    private final PartitionPlan plan;
    private final PrintWriter progress;

    /** A run of {@code plan} that prints what it does to {@code progress}. */
    public PartitionRun(PartitionPlan plan, PrintWriter progress) {
        this.plan = plan;
        this.progress = progress;
    }

    /**
     * Runs every round on the cluster whose nodes listen on {@code ports} (node 1 first, at least
     * 2), started as {@code cluster} says (for the report).
     */
    public PartitionResults run(List<Integer> ports, String cluster) {
        if (ports.size() < 2) {
            throw new IllegalArgumentException("a partition needs at least 2 nodes");
        }
        String loadBefore = MachineInfo.loadAverage();
        List<PartitionRound> rounds = new ArrayList<>();
        for (int round = 1; round <= plan.rounds(); round++) {
            progress.printf("partition round %d of %d: node %d cut off from the others for %d s, %,d keys diverging%n",
                    round, plan.rounds(), ports.size(), plan.partition().toSeconds(), plan.keys());
            progress.flush();
            PartitionRound result = round(round, ports);
            progress.printf("  %s%n", result.error() != null ? "failed: " + result.error()
                    : String.format(java.util.Locale.ROOT, "%,d deltas buffered, %d repairs owed; reconnected after %s, "
                                    + "converged after %s; %s", result.deltasBuffered(), result.repairsOwed(), millis(result.reconnectMillis()), millis(result.convergeMillis()),
                            result.verification() == null ? "not verified" : result.verification().summary()));
            progress.flush();
            rounds.add(result);
        }
        return new PartitionResults(plan, ports.size(), cluster, loadBefore, MachineInfo.loadAverage(), rounds);
    }

    private static String millis(long value) {
        return value < 0 ? "never" : value + " ms";
    }

    private PartitionRound round(int round, List<Integer> ports) {
        DivergentWorkload workload = new DivergentWorkload(round, plan.keys(), plan.valueBytes());
        int isolated = ports.size();
        try (ClusterProbe probe = ClusterProbe.open(ports, TIMEOUT);
             ClusterAdmin admin = ClusterAdmin.open(ports, TIMEOUT)) {
            try {
                probe.await(ClusterProbe.ClusterView::converged, SETTLE_TIMEOUT,
                        "the cluster to be connected and quiet before the round");
                admin.cut(isolated);
                probe.await(view -> view.isCut(isolated), CUT_TIMEOUT, "the cut to take effect");

                WriteOutcome writes = writeBothSides(workload, ports);
                ClusterProbe.ClusterView atHeal = probe.look();

                long healStart = System.nanoTime();
                admin.sendToAll("CONVERGE", "HEAL");
                ClusterProbe.Timing timing = probe.time(healStart, ClusterProbe.ClusterView::converged,
                        plan.convergeTimeout(), POLL_PAUSE_MILLIS);
                long converge = timing.doneMillis();
                ConvergenceVerifier.Verification verification = converge < 0 ? null
                        : ConvergenceVerifier.verify(workload, ports, TIMEOUT);
                return new PartitionRound(round, workload.keys(), writes.majority().sent(), writes.isolated().sent(),
                        writes.problem(), atHeal.pendingDeltas(), atHeal.peersOwed(), timing.connectedMillis(), converge,
                        timing.polls(), verification,
                        converge < 0 ? "not converged within " + plan.convergeTimeout().toSeconds() + " s of the heal"
                                : null);
            } finally {
                admin.healQuietly(); // never leave a cut behind for the next round
            }
        } catch (IOException e) {
            return PartitionRound.failed(round, workload.keys(), e.getMessage() != null ? e.getMessage() : e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return PartitionRound.failed(round, workload.keys(), "interrupted");
        }
    }

    /** The two sides' writes. */
    private record WriteOutcome(PacedWriter.Result majority, PacedWriter.Result isolated) {
        String problem() {
            if (!majority.isOk()) {
                return "node 1: " + majority.firstError();
            }
            return isolated.isOk() ? null : "isolated node: " + isolated.firstError();
        }
    }

    /** Side 0 writes through node 1, side 1 through the isolated node, at the same time. */
    private WriteOutcome writeBothSides(DivergentWorkload workload, List<Integer> ports)
            throws IOException, InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "partition-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<PacedWriter.Result> majority = pool.submit(() -> writeSide(workload, 0, ports.get(0)));
            Future<PacedWriter.Result> isolated = pool.submit(() -> writeSide(workload, 1, ports.get(ports.size() - 1)));
            return new WriteOutcome(majority.get(), isolated.get());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private PacedWriter.Result writeSide(DivergentWorkload workload, int side, int port) throws IOException {
        try (RespConnection connection = RespConnection.open("127.0.0.1", port, TIMEOUT)) {
            Object ok = connection.call("CONSISTENCY", "WRITE", "ONE");
            if (!"OK".equals(ok)) {
                throw new IOException("CONSISTENCY WRITE ONE answered " + ok);
            }
            return PacedWriter.send(connection, workload.operations(side), plan.partition(),
                    n -> workload.command(side, n), (n, reply) -> workload.isSuccess(side, n, reply));
        }
    }
}
