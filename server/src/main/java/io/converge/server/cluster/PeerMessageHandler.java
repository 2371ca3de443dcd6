package io.converge.server.cluster;

import io.converge.server.cluster.wire.PeerMessage;

/**
 * Receives what a {@link Transport} delivers. Netty calls it on I/O threads (possibly several
 * at once, one per peer connection), the simulation on its single thread; implementations must
 * be quick and thread-safe, and hand heavy work elsewhere.
 */
public interface PeerMessageHandler {

    /** A message from an authenticated peer. Handshake and keep-alive messages are never delivered. */
    void onMessage(int fromNodeId, PeerMessage message);

    /** The outbound connection to {@code nodeId} changed state. */
    default void onConnectionStateChanged(int nodeId, ConnectionState state) {}
}
