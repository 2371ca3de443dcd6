package io.converge.server.util;

import java.util.function.Consumer;

/**
 * Node-level state that a cluster shares and that converges by exchanging encoded entries (the
 * function libraries, the cluster-wide settings): the cluster layer sends each local change to
 * the other nodes at once, and regularly asks them for everything they hold and merges it, so a
 * node that was down or cut off catches up.
 */
public interface SharedState {
    /** Everything held, encoded for another node's {@link #merge}. */
    byte[] encodeAll();

    /**
     * Merges what another node sent ({@link #encodeAll} or a change); returns whether anything
     * changed here. Throws IllegalArgumentException when the bytes are damaged.
     */
    boolean merge(byte[] encoded);

    /** Where this node's own changes go, encoded (the cluster layer, at startup). */
    void announceTo(Consumer<byte[]> peers);
}
