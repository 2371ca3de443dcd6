package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Cheap, repeated looks at every node of a cluster over one open connection each: from
 * {@code INFO replication}, how many peers its outbound connections reach ({@code connected_peers}),
 * how many deltas wait for a peer's acknowledgement ({@code pending_deltas}), how many peers it owes a
 * hash-tree repair ({@code peers_needing_full_sync}, after a delta buffer overflowed or a restart),
 * whether it is a complete replica ({@code sync_state}), its running repair passes and the repair
 * bytes it received; and its {@code DBSIZE}. One look is two pipelined commands per node;
 * {@link #digests} asks every node for the digest of all it holds ({@code CONVERGE DIGEST}).
 */
public final class ClusterProbe implements AutoCloseable {
    private static final byte[][] INFO_REPLICATION = {
        "INFO".getBytes(StandardCharsets.US_ASCII), "replication".getBytes(StandardCharsets.US_ASCII)};
    private static final byte[][] DBSIZE = {"DBSIZE".getBytes(StandardCharsets.US_ASCII)};
    private static final byte[][] DIGEST = {
        "CONVERGE".getBytes(StandardCharsets.US_ASCII), "DIGEST".getBytes(StandardCharsets.US_ASCII)};

    /**
     * One node at one moment.
     *
     * @param connectedPeers       peers its outbound connections are authenticated with
     * @param pendingDeltas        deltas it buffered that some peer has not acknowledged yet
     * @param keys                 its DBSIZE
     * @param peersOwed            peers it owes a hash-tree repair ({@code needs_full_sync})
     * @param syncComplete         whether it serves reads as a complete replica ({@code sync_state:complete})
     * @param repairsRunning       repair passes it initiated that are running
     * @param repairBytesReceived  repair bytes it received since it started (either role)
     */
    public record NodeView(int connectedPeers, long pendingDeltas, long keys, int peersOwed, boolean syncComplete,
                           int repairsRunning, long repairBytesReceived) {}

    /** Every node at (about) one moment, node 1 first. */
    public record ClusterView(List<NodeView> nodes) {
        /** Whether every node's outbound connections reach all other nodes. */
        public boolean fullyConnected() {
            return nodes.stream().allMatch(n -> n.connectedPeers() == nodes.size() - 1);
        }

        /** Deltas waiting for acknowledgement, summed over the nodes. */
        public long pendingDeltas() {
            return nodes.stream().mapToLong(NodeView::pendingDeltas).sum();
        }

        /** Repairs owed, summed over the nodes (a node owing two peers counts twice). */
        public int peersOwed() {
            return nodes.stream().mapToInt(NodeView::peersOwed).sum();
        }

        /**
         * Whether the nodes hold the same data as far as a look can tell: fully connected, nothing
         * unacknowledged anywhere (a peer acknowledges a delta only once it merged it), no repair
         * owed (a dropped delta is only brought by one), equal DBSIZE.
         */
        public boolean converged() {
            return fullyConnected() && pendingDeltas() == 0 && peersOwed() == 0
                    && nodes.stream().mapToLong(NodeView::keys).distinct().count() == 1;
        }

        /** Whether node {@code isolated} (1-based) is cut off from all others and they still reach each other. */
        public boolean isCut(int isolated) {
            for (int i = 0; i < nodes.size(); i++) {
                int expected = i + 1 == isolated ? 0 : nodes.size() - 2;
                if (nodes.get(i).connectedPeers() != expected) {
                    return false;
                }
            }
            return true;
        }

        /** {@link #converged}, every node a complete replica, and no repair pass running. */
        public boolean settled() {
            return converged() && nodes.stream().allMatch(n -> n.syncComplete() && n.repairsRunning() == 0);
        }
    }

    /** A condition on a look, which may ask the nodes more (their digests). */
    @FunctionalInterface
    public interface Check {
        /** Whether the condition holds for {@code view}. */
        boolean holds(ClusterView view) throws IOException;
    }

    /**
     * When, after a start, the cluster was first seen fully connected and a condition first held.
     *
     * @param connectedMillis every node's outbound connections reached every peer, -1 if never
     * @param doneMillis      the condition held, -1 if not within the timeout
     * @param polls           looks taken
     */
    public record Timing(long connectedMillis, long doneMillis, int polls) {}

    private final List<RespConnection> connections;

    private ClusterProbe(List<RespConnection> connections) {
        this.connections = connections;
    }

    /** Opens one connection to each of {@code ports} (node 1 first). */
    public static ClusterProbe open(List<Integer> ports, Duration timeout) throws IOException {
        List<RespConnection> connections = new ArrayList<>();
        try {
            for (int port : ports) {
                connections.add(RespConnection.open("127.0.0.1", port, timeout));
            }
        } catch (IOException e) {
            for (RespConnection c : connections) {
                c.close();
            }
            throw e;
        }
        return new ClusterProbe(connections);
    }

    /** Looks at every node: requests go to all nodes first, then the replies are read. */
    public ClusterView look() throws IOException {
        for (RespConnection c : connections) {
            c.writeCommand(INFO_REPLICATION);
            c.writeCommand(DBSIZE);
            c.flush();
        }
        List<NodeView> nodes = new ArrayList<>(connections.size());
        for (RespConnection c : connections) {
            Object info = c.readReply();
            Object keys = c.readReply();
            if (!(info instanceof String text) || !(keys instanceof Long count)) {
                throw new IOException("unexpected replies to INFO replication / DBSIZE: " + info + " / " + keys);
            }
            nodes.add(new NodeView((int) field(text, "connected_peers"), field(text, "pending_deltas"), count,
                    (int) field(text, "peers_needing_full_sync"), "complete".equals(text(text, "sync_state")),
                    (int) field(text, "repair_sessions_running"), field(text, "repair_bytes_received")));
        }
        return new ClusterView(List.copyOf(nodes));
    }

    /**
     * Looks every 10 ms until {@code condition} holds; throws, with the last look, after
     * {@code timeout} waiting for {@code what}.
     */
    public ClusterView await(Check condition, Duration timeout, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ClusterView view = look();
        while (!condition.holds(view)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("timed out after " + timeout.toSeconds() + " s waiting for " + what
                        + " (last look: " + view.nodes() + ")");
            }
            Thread.sleep(10);
            view = look();
        }
        return view;
    }

    /**
     * Looks every {@code pauseMillis} until {@code done} holds or {@code timeout} passed since
     * {@code startNanos} ({@link System#nanoTime}); times are from {@code startNanos}.
     */
    public Timing time(long startNanos, Check done, Duration timeout, long pauseMillis)
            throws IOException, InterruptedException {
        long connected = -1;
        int polls = 0;
        long deadline = startNanos + timeout.toNanos();
        while (true) {
            ClusterView view = look();
            long elapsed = (System.nanoTime() - startNanos) / 1_000_000;
            polls++;
            if (connected < 0 && view.fullyConnected()) {
                connected = elapsed;
            }
            if (done.holds(view)) {
                return new Timing(connected, (System.nanoTime() - startNanos) / 1_000_000, polls);
            }
            if (System.nanoTime() > deadline) {
                return new Timing(connected, -1, polls);
            }
            Thread.sleep(pauseMillis);
        }
    }

    /**
     * Every node's {@code CONVERGE DIGEST} (the digest of everything it holds, then its key count),
     * node 1 first: equal strings mean equal data.
     */
    public List<String> digests() throws IOException {
        for (RespConnection c : connections) {
            c.writeCommand(DIGEST);
            c.flush();
        }
        List<String> digests = new ArrayList<>(connections.size());
        for (RespConnection c : connections) {
            Object reply = c.readReply();
            if (!(reply instanceof List<?> pair) || pair.size() != 2) {
                throw new IOException("unexpected reply to CONVERGE DIGEST: " + reply);
            }
            digests.add(pair.get(0) + "/" + pair.get(1));
        }
        return List.copyOf(digests);
    }

    /** The text of {@code name:value} in an INFO reply. */
    static String text(String info, String name) throws IOException {
        String prefix = name + ":";
        for (String line : info.split("\r\n")) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
        }
        throw new IOException("INFO replication has no " + name + " field (is this a Converge cluster node?)");
    }

    /** The integer value of {@code name:value} in an INFO reply. */
    static long field(String info, String name) throws IOException {
        String value = text(info, name);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IOException("INFO field " + name + " is not a number: " + value);
        }
    }

    @Override
    public void close() throws IOException {
        for (RespConnection c : connections) {
            c.close();
        }
    }
}
