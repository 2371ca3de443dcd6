package io.converge.server.cluster.wire;

/** Malformed, oversized or unexpected peer input; the connection that produced it is closed. */
public final class PeerProtocolException extends RuntimeException {

    /** An exception with a message naming what was wrong. */
    public PeerProtocolException(String message) {
        super(message);
    }
}
