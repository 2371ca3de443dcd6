package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;

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
             Admin admin = Admin.open(ports)) {
            try {
                awaitView(probe, ClusterProbe.ClusterView::converged, SETTLE_TIMEOUT,
                        "the cluster to be connected and quiet before the round");
                cut(admin, isolated);
                awaitView(probe, view -> isCut(view, isolated), CUT_TIMEOUT, "the cut to take effect");

                WriteOutcome writes = writeBothSides(workload, ports);
                ClusterProbe.ClusterView atHeal = probe.look();

                long healStart = System.nanoTime();
                admin.sendToAll("CONVERGE", "HEAL");
                long reconnect = -1;
                long converge = -1;
                int polls = 0;
                long deadline = healStart + plan.convergeTimeout().toNanos();
                while (true) {
                    ClusterProbe.ClusterView view = probe.look();
                    long elapsed = (System.nanoTime() - healStart) / 1_000_000;
                    polls++;
                    if (reconnect < 0 && view.fullyConnected()) {
                        reconnect = elapsed;
                    }
                    if (view.converged()) {
                        converge = elapsed;
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        break;
                    }
                    Thread.sleep(POLL_PAUSE_MILLIS);
                }
                ConvergenceVerifier.Verification verification = converge < 0 ? null
                        : ConvergenceVerifier.verify(workload, ports, TIMEOUT);
                return new PartitionRound(round, workload.keys(), writes.majority().sent(), writes.isolated().sent(),
                        writes.problem(), atHeal.pendingDeltas(), atHeal.peersOwed(), reconnect, converge, polls, verification,
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

    /** Cuts node {@code isolated} off: PARTITION of every other node on it, and of it on every other node. */
    private static void cut(Admin admin, int isolated) throws IOException {
        List<String> others = new ArrayList<>();
        for (int node = 1; node < isolated; node++) {
            others.add(Integer.toString(node));
        }
        List<String> args = new ArrayList<>(List.of("CONVERGE", "PARTITION"));
        args.addAll(others);
        admin.send(isolated, args.toArray(String[]::new));
        for (int node = 1; node < isolated; node++) {
            admin.send(node, "CONVERGE", "PARTITION", Integer.toString(isolated));
        }
    }

    private static boolean isCut(ClusterProbe.ClusterView view, int isolated) {
        List<ClusterProbe.NodeView> nodes = view.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            int expected = i + 1 == isolated ? 0 : nodes.size() - 2;
            if (nodes.get(i).connectedPeers() != expected) {
                return false;
            }
        }
        return true;
    }

    private static void awaitView(ClusterProbe probe, Predicate<ClusterProbe.ClusterView> condition, Duration timeout,
                                  String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ClusterProbe.ClusterView view = probe.look();
        while (!condition.test(view)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("timed out after " + timeout.toSeconds() + " s waiting for " + what + " (last look: "
                        + view.nodes() + ")");
            }
            Thread.sleep(10);
            view = probe.look();
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

    /** One connection per node for the PARTITION and HEAL commands. */
    private static final class Admin implements AutoCloseable {
        private final List<RespConnection> nodes;

        private Admin(List<RespConnection> nodes) {
            this.nodes = nodes;
        }

        static Admin open(List<Integer> ports) throws IOException {
            List<RespConnection> nodes = new ArrayList<>();
            try {
                for (int port : ports) {
                    nodes.add(RespConnection.open("127.0.0.1", port, TIMEOUT));
                }
            } catch (IOException e) {
                for (RespConnection c : nodes) {
                    c.close();
                }
                throw e;
            }
            return new Admin(nodes);
        }

        /** Sends a command to node {@code node} (1-based); anything but +OK is an error. */
        void send(int node, String... args) throws IOException {
            Object reply = nodes.get(node - 1).call(args);
            if (!"OK".equals(reply)) {
                throw new IOException("node " + node + " answered " + String.join(" ", args) + " with " + describe(reply));
            }
        }

        /** Sends a command to every node at once (pipelined to all, then the replies read). */
        void sendToAll(String... args) throws IOException {
            byte[][] encoded = new byte[args.length][];
            for (int i = 0; i < args.length; i++) {
                encoded[i] = args[i].getBytes(StandardCharsets.UTF_8);
            }
            for (RespConnection c : nodes) {
                c.writeCommand(encoded);
                c.flush();
            }
            for (int i = 0; i < nodes.size(); i++) {
                Object reply = nodes.get(i).readReply();
                if (!"OK".equals(reply)) {
                    throw new IOException("node " + (i + 1) + " answered " + String.join(" ", args) + " with "
                            + describe(reply));
                }
            }
        }

        void healQuietly() {
            for (RespConnection c : nodes) {
                try {
                    c.call("CONVERGE", "HEAL");
                } catch (IOException e) {
                    // the round already failed; the next one reports what is still wrong
                }
            }
        }

        private static String describe(Object reply) {
            return reply instanceof RespConnection.ErrorReply e ? "-" + e.message() : String.valueOf(reply);
        }

        @Override
        public void close() throws IOException {
            for (RespConnection c : nodes) {
                c.close();
            }
        }
    }
}
