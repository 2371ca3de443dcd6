package io.converge.server.cluster.sim;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;

/**
 * One node's {@link Transport} on a {@link SimulatedNetwork}: sends become delivery events,
 * deliveries call the handler on the simulation's single thread.
 */
public final class SimulatedTransport implements Transport {

    private final SimulatedNetwork network;
    private final int nodeId;
    private PeerMessageHandler handler = (from, message) -> { };
    private boolean closed;

    SimulatedTransport(SimulatedNetwork network, int nodeId) {
        this.network = network;
        this.nodeId = nodeId;
    }

    @Override
    public int localNodeId() {
        return nodeId;
    }

    /** Installs the handler; may be called again, e.g. for the fresh state machine of a restarted node. */
    @Override
    public void setHandler(PeerMessageHandler handler) {
        this.handler = handler;
    }

    @Override
    public void start() {
        closed = false;
    }

    @Override
    public boolean send(int toNodeId, PeerMessage message) {
        if (toNodeId == nodeId) {
            throw new IllegalArgumentException("node " + nodeId + " cannot send to itself");
        }
        return !closed && network.submit(nodeId, toNodeId, message);
    }

    @Override
    public ConnectionState connectionState(int nodeId) {
        return closed ? ConnectionState.CLOSED : network.stateBetween(this.nodeId, nodeId);
    }

    @Override
    public void close() {
        closed = true;
    }

    void deliver(int from, PeerMessage message) {
        if (!closed) {
            handler.onMessage(from, message);
        }
    }

    void notifyState(int peer, ConnectionState state) {
        if (!closed) {
            handler.onConnectionStateChanged(peer, state);
        }
    }
}
