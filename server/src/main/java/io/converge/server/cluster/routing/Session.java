package io.converge.server.cluster.routing;

import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What the cluster router remembers about one client connection: its consistency-level
 * overrides ({@code CONSISTENCY}) and where its open transaction must run (the replica set of
 * the keys queued so far and of the WATCHed keys). Attached to the connection lazily; used only
 * on the connection's thread.
 */
final class Session {
    /** Read level chosen with CONSISTENCY, or null for the configured default. */
    ConsistencyLevel readOverride;
    /** Write level chosen with CONSISTENCY, or null for the configured default. */
    ConsistencyLevel writeOverride;

    /** Replica set of the keys queued in the open transaction, or null while none has keys. */
    ReplicaSet transactionSet;
    /** Keys queued in the open transaction (for the read repair of a read-only transaction). */
    final List<byte[]> transactionKeys = new ArrayList<>();
    /** Whether a queued command writes. */
    boolean transactionWrites;
    /** Per node index, the highest delta sequence this connection's writes run here sent it (WAIT); null: none. */
    long[] writeSeqs;
    /** Whether a queued command is flagged ON_PRIMARY (the transaction then runs on the key's first live replica). */
    boolean transactionOnPrimary;
    /** Whether the queued keys span several replica sets (accepted only with cross-slot-transactions split). */
    boolean transactionSpansSets;
    /** The first queued command barred from a transaction over several replica sets (see SplitTransaction.joins). */
    CommandSpec transactionKeylessEffect;

    /** Replica set of the WATCHed keys, or null while none is watched. */
    ReplicaSet watchedSet;
    /** Whether WATCHed keys span several replica sets (EXEC then refuses). */
    boolean watchedCrossSlot;

    /** The session of {@code client}, created on first use. */
    static Session of(ClientConnection client) {
        Object s = client.routingState();
        if (s instanceof Session session) {
            return session;
        }
        Session session = new Session();
        client.routingState(session);
        return session;
    }

    /** The session of {@code client} if it has one, else null (no allocation). */
    static Session peek(ClientConnection client) {
        return client.routingState() instanceof Session s ? s : null;
    }

    /** Records what a write of this connection sent to each node (sequence numbers by node index). */
    void noteWrite(long[] seqByNode) {
        if (writeSeqs == null) {
            writeSeqs = seqByNode.clone();
            return;
        }
        for (int i = 0; i < seqByNode.length; i++) {
            writeSeqs[i] = Math.max(writeSeqs[i], seqByNode[i]);
        }
    }

    /** Forgets the open transaction's placement (MULTI, DISCARD, EXEC). */
    void resetTransaction() {
        transactionSet = null;
        transactionKeys.clear();
        transactionWrites = false;
        transactionOnPrimary = false;
        transactionSpansSets = false;
        transactionKeylessEffect = null;
    }

    /** Forgets the WATCHed keys' placement (UNWATCH, EXEC, DISCARD). */
    void resetWatched() {
        watchedSet = null;
        watchedCrossSlot = false;
    }
}
