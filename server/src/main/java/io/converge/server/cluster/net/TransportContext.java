package io.converge.server.cluster.net;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.wire.PeerAuth;
import io.converge.server.cluster.wire.PeerMessage;
import io.netty.channel.IoEventLoopGroup;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the transport's connections share: identity, secret, settings, event loops, handler, counters. */
final class TransportContext {

    static final Logger LOG = LoggerFactory.getLogger("io.converge.server.cluster.net");

    final Topology topology;
    final int localNodeId;
    final String clusterName;
    final PeerAuth auth;
    final NettyTransportSettings settings;
    final IoEventLoopGroup group;
    final PeerFrameEncoder encoder;
    volatile PeerMessageHandler handler = (from, message) -> { };
    final AtomicLong authFailures = new AtomicLong();
    final AtomicLong protocolErrors = new AtomicLong();

    TransportContext(Topology topology, int localNodeId, NettyTransportSettings settings, IoEventLoopGroup group) {
        this.topology = topology;
        this.localNodeId = localNodeId;
        this.clusterName = topology.spec().name();
        this.auth = new PeerAuth(topology.spec().secret());
        this.settings = settings;
        this.group = group;
        this.encoder = new PeerFrameEncoder(settings.maxFrameBytes());
    }

    /** Delivers to the handler, never letting its exceptions break a connection. */
    void deliver(int fromNodeId, PeerMessage message) {
        try {
            handler.onMessage(fromNodeId, message);
        } catch (RuntimeException e) {
            LOG.warn("peer message handler failed on {} from node {}", message.type(), fromNodeId, e);
        }
    }

    void notifyState(int nodeId, ConnectionState state) {
        try {
            handler.onConnectionStateChanged(nodeId, state);
        } catch (RuntimeException e) {
            LOG.warn("connection state handler failed for node {}", nodeId, e);
        }
    }
}
