package io.converge.server.cluster.net;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.wire.PeerAuth;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.util.WarningThrottle;
import io.netty.channel.IoEventLoopGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the transport's connections share: identity, secret, settings, event loops, handler,
 * the operator's network cut, counters.
 */
final class TransportContext {

    static final Logger LOG = LoggerFactory.getLogger("io.converge.server.cluster.net");
    /** On an inbound channel: the node id the dialer claimed in its HELLO. */
    static final AttributeKey<Integer> PEER_ID = AttributeKey.valueOf("converge.peer-id");

    final Topology topology;
    final int localNodeId;
    final String clusterName;
    final PeerAuth auth;
    final NettyTransportSettings settings;
    final IoEventLoopGroup group;
    final PeerFrameEncoder encoder;
    final NetworkCut cut;
    /**
     * Where bulky inbound messages are decoded and handed to the handler (see InboundDelivery), and
     * large outbound messages encoded (see OutboundConnection): off the event loops.
     */
    final EventExecutorGroup deliveryExecutors;
    volatile PeerMessageHandler handler = (from, message) -> { };
    /** The TLS handlers of the peer links, or null when they are plaintext. */
    volatile PeerTls tls;
    /** Told when a peer dialled in and authenticated: it is evidently reachable. */
    volatile IntConsumer peerReachable = id -> { };
    /** Warnings that would repeat with every reconnect attempt: at most one a minute per subject. */
    final WarningThrottle repeatedWarnings = new WarningThrottle(LOG, 60_000);
    final AtomicLong authFailures = new AtomicLong();
    final AtomicLong protocolErrors = new AtomicLong();
    /** Inbound connections not authenticated yet, and those closed at once because too many were. */
    final AtomicInteger unauthenticated = new AtomicInteger();
    final AtomicLong unauthenticatedRefused = new AtomicLong();
    /**
     * Most inbound connections waiting to authenticate at once: each may hold a handshake frame
     * for up to the handshake timeout, so their number bounds that memory. Peers dial once each
     * (again after a drop), so a healthy cluster stays far below it.
     */
    final int maxUnauthenticated;
    /** Fragmentation and reassembly of messages larger than a frame. */
    final FrameStats frames = new FrameStats();

    TransportContext(Topology topology, int localNodeId, NettyTransportSettings settings, IoEventLoopGroup group) {
        this.topology = topology;
        this.localNodeId = localNodeId;
        this.clusterName = topology.spec().name();
        this.auth = new PeerAuth(topology.spec().secret());
        this.settings = settings;
        this.group = group;
        this.encoder = new PeerFrameEncoder(settings.maxFrameBytes());
        this.maxUnauthenticated = Math.max(64, 4 * topology.nodeCount());
        int maxId = 0;
        for (int id : topology.nodeIds()) {
            maxId = Math.max(maxId, id);
        }
        this.cut = new NetworkCut(maxId);
        this.deliveryExecutors = new DefaultEventExecutorGroup(Math.max(1, Math.min(2, topology.nodeCount() - 1)),
                new DefaultThreadFactory("converge-peer-delivery-" + localNodeId, true));
    }

    /** A frame decoder for a new connection, with this transport's limits and counters. */
    PeerFrameDecoder newDecoder() {
        return new PeerFrameDecoder(settings.maxFrameBytes(), settings.maxMessageBytes(), frames);
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
