package io.converge.server.cluster.wire;

import java.util.List;

/**
 * Every message exchanged between nodes. Byte arrays inside are owned by the message and must
 * not be mutated after construction; CRDT states and deltas travel as opaque bytes produced by
 * the {@code crdt} codec.
 *
 * <p>Connection set-up (dialer D, acceptor A; see {@link PeerAuth}):
 * {@code D→A Hello}, {@code A→D Challenge}, {@code D→A AuthResponse}, {@code A→D AuthOk}
 * (or {@code Reject} and close). After that, either side may send any of the other messages.
 */
public sealed interface PeerMessage {

    /** The wire type code of this message. */
    MessageType type();

    /**
     * Dialer's opening: who it is, whom it wants, and a fresh nonce for the acceptor to prove
     * knowledge of the secret over.
     */
    record Hello(String clusterName, int fromNodeId, int toNodeId, byte[] nonce) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.HELLO;
        }
    }

    /** Acceptor's proof over both nonces, and its own nonce for the dialer to prove over. */
    record Challenge(int nodeId, byte[] nonce, byte[] proof) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.CHALLENGE;
        }
    }

    /** Dialer's proof over both nonces. */
    record AuthResponse(byte[] proof) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.AUTH_RESPONSE;
        }
    }

    /** Acceptor accepted the dialer; the connection is open for traffic. */
    record AuthOk() implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.AUTH_OK;
        }
    }

    /** Refusal with a human-readable reason; the sender closes the connection right after. */
    record Reject(String reason) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.REJECT;
        }
    }

    /** Liveness beacon for the failure detector, stamped with the sender's clock. */
    record Heartbeat(long sentAtMillis) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.HEARTBEAT;
        }
    }

    /**
     * Deltas {@code firstSeq, firstSeq + 1, ...} from the sender's buffer for this receiver.
     *
     * @param incarnation identifies the sender's buffer (a restarted sender uses a larger one)
     * @param baseSeq     lowest sequence number still buffered: everything below it was either
     *                    acknowledged or dropped (and the sender then schedules a full sync)
     * @param firstSeq    sequence number of {@code entries.get(0)}
     * @param entries     the deltas, consecutive sequence numbers
     */
    record DeltaBatch(long incarnation, long baseSeq, long firstSeq, List<KeyedBytes> entries)
            implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.DELTA_BATCH;
        }
    }

    /** Cumulative acknowledgement: every delta of {@code incarnation} up to {@code ackedSeq} is applied. */
    record DeltaAck(long incarnation, long ackedSeq) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.DELTA_ACK;
        }
    }

    /** Quorum read: send me your CRDT states of these keys. */
    record ReadState(long requestId, List<byte[]> keys) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.READ_STATE;
        }
    }

    /** Answer to {@link ReadState}: one state per key, in order; {@code null} where the key is absent. */
    record ReadStateReply(long requestId, List<byte[]> states) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.READ_STATE_REPLY;
        }
    }

    /** Coordinator to replica: apply this (delta or operation bytes) to {@code key}, then {@link WriteAck}. */
    record Write(long requestId, byte[] key, byte[] payload) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.WRITE;
        }
    }

    /**
     * Replica to coordinator: outcome of a {@link Write}.
     *
     * @param status  {@link #OK} or an error code chosen by the coordinator layer
     * @param payload optional reply bytes (e.g. resulting state, or an error message); may be empty
     */
    record WriteAck(long requestId, int status, byte[] payload) implements PeerMessage {
        /** Status of a successfully applied write. */
        public static final int OK = 0;

        @Override
        public MessageType type() {
            return MessageType.WRITE_ACK;
        }
    }

    /**
     * Tombstone-GC bookkeeping a node gossips to every peer with its heartbeats (see
     * {@code io.converge.server.cluster.replication.GcHorizon}).
     *
     * @param deliveredHlc every delta the sender originated stamped at or before this HLC has been
     *                     acknowledged by every replica it was sent to
     * @param horizonHlc   the sender's GC horizon: at most {@code deliveredHlc}, and at most the
     *                     smallest {@code deliveredHlc} it had heard from every other node when it
     *                     computed it; tombstones stamped at or before the minimum of all nodes'
     *                     horizons may be dropped
     */
    record GcStatus(long deliveredHlc, long horizonHlc) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.GC_STATUS;
        }
    }

    /** Transport-level keep-alive on otherwise idle connections; never delivered to handlers. */
    record Keepalive() implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.KEEPALIVE;
        }
    }
}
