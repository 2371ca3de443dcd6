package io.converge.server.replication.read;

import io.converge.crdt.KeyState;

/**
 * The outcome of a successful {@link ReadRepair#readRepair}: the keys this node replicates were
 * brought up to date in its own engine (read them there); for keys it does not replicate, the
 * merged state the replicas returned is held here.
 */
public final class ReadResult {

    /** Every key is local: read the engine. */
    static final ReadResult LOCAL = new ReadResult(null);

    private final KeyState[] remoteStates;

    ReadResult(KeyState[] remoteStates) {
        this.remoteStates = remoteStates;
    }

    /**
     * The merged state of the {@code i}-th key when this node is not one of its replicas ({@code
     * null} when no replica holds it); {@code null} for keys this node replicates (use the engine).
     */
    public KeyState remoteState(int i) {
        return remoteStates == null ? null : remoteStates[i];
    }
}
