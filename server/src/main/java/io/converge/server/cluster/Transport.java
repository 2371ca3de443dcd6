package io.converge.server.cluster;

import io.converge.server.cluster.wire.PeerMessage;

/**
 * Node-to-node messaging as the replication and repair state machines see it: fire-and-forget
 * sends to a peer by node id, and a handler for what arrives. Delivery is best effort (a
 * message may be lost when a connection drops or a queue is full); everything built on top
 * retries idempotently. Implemented over Netty in production
 * ({@code io.converge.server.cluster.net.NettyTransport}) and over a deterministic simulated
 * network in tests ({@code io.converge.server.cluster.sim.SimulatedTransport}).
 */
public interface Transport extends AutoCloseable {

    /** The id of the node this transport belongs to. */
    int localNodeId();

    /** Installs the receiver of incoming messages; call before {@link #start()}. */
    void setHandler(PeerMessageHandler handler);

    /** Starts listening and connecting to peers. */
    void start();

    /**
     * Queues {@code message} for {@code toNodeId} without blocking. Returns {@code false} if it
     * was dropped at once (queue full, transport closed, peer unknown); {@code true} does not
     * mean it will arrive. Sending to {@link #localNodeId()} is a programming error.
     */
    boolean send(int toNodeId, PeerMessage message);

    /**
     * Runs {@code task} once the calling thread has finished its present work: on a network
     * thread, after the events it is handling now (so work piled up meanwhile can be sent in one
     * message); elsewhere, now. The default runs it now.
     */
    default void runSoon(Runnable task) {
        task.run();
    }

    /** State of the outbound connection to {@code nodeId}. */
    ConnectionState connectionState(int nodeId);

    /** Stops listening, closes every connection and drops queued messages. */
    @Override
    void close();
}
