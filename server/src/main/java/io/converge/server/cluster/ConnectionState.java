package io.converge.server.cluster;

/** State of this node's outbound connection to one peer. */
public enum ConnectionState {
    /** No connection; a reconnect may be scheduled (with backoff). */
    DISCONNECTED,
    /** Dialling or authenticating. */
    CONNECTING,
    /** Authenticated; messages flow. */
    CONNECTED,
    /** The transport is closed for good. */
    CLOSED
}
