package io.converge.server.cluster.routing;

import io.converge.server.command.NodeStatus;
import io.converge.server.replication.Replicator;
import io.converge.server.replication.broadcast.Broadcaster;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster's vital signs as one node gathers them: its own {@link NodeStatus} and that of
 * every peer it can reach, asked over the replicator's node-level broadcast (each node answers
 * with its own status), for the admin dashboard, {@code CONVERGE STATUS} and
 * {@code ./converge status}. A node that does not answer in time is simply missing from
 * {@code nodes}; its state as this node sees it is in this node's {@code view}.
 */
final class ClusterStatus implements NodeStatus.Cluster {
    static final int TOPIC = 10;
    private final Replicator replicator;
    private final NodeStatus self;
    private final int selfId;

    /** The status of node {@code selfId}, whose own signs are {@code self}. */
    ClusterStatus(Replicator replicator, NodeStatus self, int selfId) {
        this.replicator = replicator;
        this.self = self;
        this.selfId = selfId;
    }

    @Override
    public CompletableFuture<String> json() {
        String mine = self.json();
        return replicator.broadcast(TOPIC, new byte[0]).thenApply(answers -> combine(mine, answers));
    }

    private String combine(String mine, Broadcaster.Answers answers) {
        StringBuilder sb = new StringBuilder(1024).append("{\"self\":").append(selfId).append(",\"nodes\":[")
                .append(mine);
        for (byte[] reply : answers.replies()) {
            if (reply != null && reply.length > 0) {
                sb.append(',').append(new String(reply, StandardCharsets.UTF_8));
            }
        }
        return sb.append("]}").toString();
    }

    /** Answers a peer's request: this node's own status. */
    CompletableFuture<byte[]> handle() {
        return CompletableFuture.completedFuture(self.json().getBytes(StandardCharsets.UTF_8));
    }
}
