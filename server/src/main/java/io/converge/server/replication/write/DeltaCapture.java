package io.converge.server.replication.write;

import io.converge.server.cluster.ReplicaSet;
import java.util.Arrays;

/**
 * What one command execution wrote, as far as acknowledgements are concerned: the replica sets
 * of the keys it wrote and, per peer, the highest delta sequence number it was given in that
 * peer's buffer. Opened with {@link WriteAcks#beginCapture()} on the thread that runs the
 * command, closed when the command is done, then passed to {@link WriteAcks#replicate}.
 *
 * <pre>{@code
 * DeltaCapture capture = replicator.beginCapture();
 * try {
 *     handler.execute(ctx);            // engine.withKey(...) -> access.written(delta) ...
 * } finally {
 *     capture.close();
 * }
 * replicator.replicate(capture, writeLevel).whenComplete(...);  // reply once the level is met
 * }</pre>
 *
 * <p>The deltas themselves are queued for the peers the moment the engine reports them (under
 * the key's lock); the capture only remembers where they went. Captures nest (EXEC around its
 * commands): closing an inner one folds what it recorded into the outer one. A capture belongs
 * to one thread; it must be closed on the thread that opened it.
 */
public final class DeltaCapture implements AutoCloseable {


    private final WriteAcks owner;
    final DeltaCapture outer;
    /** Highest sequence number per node index; 0 = nothing for that node. */
    final long[] seqByNode;
    ReplicaSet[] sets = new ReplicaSet[2];
    int setCount;
    int deltas;
    private boolean closed;

    DeltaCapture(WriteAcks owner, DeltaCapture outer, int nodeCount) {
        this.owner = owner;
        this.outer = outer;
        this.seqByNode = new long[nodeCount];
    }

    /** The highest sequence number recorded per node index (0 = none); do not modify. */
    public long[] sequences() {
        return seqByNode;
    }

    /** Number of deltas the command reported. */
    public int deltaCount() {
        return deltas;
    }

    /** Whether the command wrote nothing (then {@link WriteAcks#replicate} completes at once). */
    public boolean isEmpty() {
        return setCount == 0;
    }

    /** Ends the capture on this thread; later writes on the thread are no longer recorded here. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            owner.endCapture(this);
            if (outer != null) {
                outer.absorb(this);
            }
        }
    }

    /** Records that a delta of a key replicated on {@code replicas} was reported. */
    void touch(ReplicaSet replicas) {
        deltas++;
        for (int i = 0; i < setCount; i++) {
            if (sets[i] == replicas) {
                return;
            }
        }
        if (setCount == sets.length) {
            sets = Arrays.copyOf(sets, setCount * 2);
        }
        sets[setCount++] = replicas;
    }

    /** Records the sequence number a delta got in the buffer of the node at {@code nodeIndex}. */
    void record(int nodeIndex, long seq) {
        seqByNode[nodeIndex] = Math.max(seqByNode[nodeIndex], seq);
    }

    private void absorb(DeltaCapture inner) {
        deltas += inner.deltas - inner.setCount; // touch() below counts one per set again
        for (int i = 0; i < inner.setCount; i++) {
            touch(inner.sets[i]);
        }
        for (int n = 0; n < seqByNode.length; n++) {
            record(n, inner.seqByNode[n]);
        }
    }
}
