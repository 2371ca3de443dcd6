package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Cheap, repeated looks at every node of a cluster over one open connection each: how many peers
 * its outbound connections reach ({@code connected_peers}), how many deltas wait for a peer's
 * acknowledgement ({@code pending_deltas}) — both from {@code INFO replication} — and its
 * {@code DBSIZE}. One look is two pipelined commands per node.
 */
public final class ClusterProbe implements AutoCloseable {
    private static final byte[][] INFO_REPLICATION = {
        "INFO".getBytes(StandardCharsets.US_ASCII), "replication".getBytes(StandardCharsets.US_ASCII)};
    private static final byte[][] DBSIZE = {"DBSIZE".getBytes(StandardCharsets.US_ASCII)};

    /**
     * One node at one moment.
     *
     * @param connectedPeers peers its outbound connections are authenticated with
     * @param pendingDeltas  deltas it buffered that some peer has not acknowledged yet
     * @param keys           its DBSIZE
     */
    public record NodeView(int connectedPeers, long pendingDeltas, long keys) {}

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

        /**
         * Whether the nodes hold the same data as far as a look can tell: fully connected, nothing
         * unacknowledged anywhere (a peer acknowledges a delta only once it merged it), equal DBSIZE.
         */
        public boolean converged() {
            return fullyConnected() && pendingDeltas() == 0
                    && nodes.stream().mapToLong(NodeView::keys).distinct().count() == 1;
        }
    }

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
            nodes.add(new NodeView((int) field(text, "connected_peers"), field(text, "pending_deltas"), count));
        }
        return new ClusterView(List.copyOf(nodes));
    }

    /** The integer value of {@code name:value} in an INFO reply. */
    static long field(String info, String name) throws IOException {
        String prefix = name + ":";
        for (String line : info.split("\r\n")) {
            if (line.startsWith(prefix)) {
                try {
                    return Long.parseLong(line.substring(prefix.length()).trim());
                } catch (NumberFormatException e) {
                    throw new IOException("INFO field " + name + " is not a number: " + line);
                }
            }
        }
        throw new IOException("INFO replication has no " + name + " field (is this a Converge cluster node?)");
    }

    @Override
    public void close() throws IOException {
        for (RespConnection c : connections) {
            c.close();
        }
    }
}
