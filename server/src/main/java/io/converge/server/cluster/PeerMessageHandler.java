package io.converge.server.cluster;

import io.converge.server.cluster.wire.PeerMessage;

/**
 * Receives what a {@link Transport} delivers. Netty calls it on I/O threads (possibly several
 * at once, one per peer connection), and bulky delta batches (a catch-up after a partition) on
 * a delivery thread of their connection, in the connection's order; heartbeats and delta
 * acknowledgements are not held behind such a batch, so one of those may arrive while an
 * earlier batch of the same peer is still being handled. The simulation calls it on its single
 * thread. Implementations must be quick and thread-safe, and hand heavy work elsewhere.
 */
public interface PeerMessageHandler {

    /** A message from an authenticated peer. Handshake and keep-alive messages are never delivered. */
    void onMessage(int fromNodeId, PeerMessage message);

    /** The outbound connection to {@code nodeId} changed state. */
    default void onConnectionStateChanged(int nodeId, ConnectionState state) {}
}
