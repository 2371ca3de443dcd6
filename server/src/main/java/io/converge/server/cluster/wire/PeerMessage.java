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

    /**
     * Liveness beacon for the failure detector, stamped with the sender's wall clock, the
     * incarnation of its process (grows across restarts, so a quick restart is noticed) and its
     * HLC (the receiver remembers the highest: if the sender restarts from a data directory whose
     * high-water mark is below it, that directory lost something).
     */
    record Heartbeat(long sentAtMillis, long incarnation, long hlc) implements PeerMessage {
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
     * {@code io.converge.server.replication.GcHorizon}).
     *
     * @param deliveredHlc every delta the sender originated stamped at or before this HLC has been
     *                     acknowledged by every replica it was sent to
     * @param horizonHlc   the sender's GC horizon: at most {@code deliveredHlc}, and at most the
     *                     smallest {@code deliveredHlc} it had heard from every other node when it
     *                     computed it; tombstones stamped at or before the minimum of all nodes'
     *                     horizons may be dropped
     * @param stableHlc    the sender's stable stamp (what its tombstone GC has reached)
     * @param yourIncarnation the receiver's latest process incarnation the sender heard of (0: none)
     * @param yourPriorMaxHlc the highest HLC the sender heard from the receiver's processes before
     *                     that one (0: none); a restarted node whose data directory's high-water
     *                     mark is below it lost something
     * @param expelledAt   0, or the sender stopped waiting for the receiver in its GC horizon (it
     *                     was away longer than {@code gc-grace-ms}) and the receiver counts again
     *                     once it discarded its state and rebuilt it from its peers at a
     *                     {@code rebuiltAt} at least this
     * @param rebuiltAt    the stable stamp the sender last discarded its state against (0: never)
     */
    record GcStatus(long deliveredHlc, long horizonHlc, long stableHlc, long yourIncarnation, long yourPriorMaxHlc,
                    long expelledAt,
                    long rebuiltAt) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.GC_STATUS;
        }
    }

    /** Read-repair check at ONE: send me the digests of your states of these keys. */
    record DigestRequest(long requestId, List<byte[]> keys) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.DIGEST_REQUEST;
        }
    }

    /** Answer to {@link DigestRequest}: one digest per key, in order (0 where the key is absent). */
    record DigestReply(long requestId, long[] digests) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.DIGEST_REPLY;
        }
    }

    /*
     * Hash-tree repair (anti-entropy layer 4). A session is opened by its initiator, which drives
     * it; the other node responds. Messages that flow both ways name the initiator, so a node
     * that is initiator of one session and responder of another with the same peer tells them
     * apart. See io.converge.server.replication.antientropy.HashTreeRepair for the protocol.
     */

    /**
     * Initiator opens a session over {@code leaves} (ascending leaf ids of the sender's and the
     * receiver's shared leaf layout, whose fingerprint both must have) and asks for the digests
     * of the top tree nodes {@code nodes} at {@code level}: every later message of the session
     * follows an answer, so none can overtake the opening.
     */
    record SyncOpen(long sessionId, long layoutFingerprint, int[] leaves, int level, int[] nodes)
            implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.SYNC_OPEN;
        }
    }

    /** Initiator asks for the digests of tree nodes {@code nodes} at {@code level} (0 = leaves of the scope). */
    record SyncTreeQuery(long sessionId, int level, int[] nodes) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.SYNC_TREE_QUERY;
        }
    }

    /** Responder's digests of the queried tree nodes, in order. */
    record SyncTreeReply(long sessionId, int level, int[] nodes, long[] digests) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.SYNC_TREE_REPLY;
        }
    }

    /**
     * Initiator's keys of the differing {@code leaves}, for batch {@code batch}: per key (in the
     * order of {@code keys}) the digest of its state and the HLC of the latest write the state
     * holds ({@code latest}: a hint of which side is ahead, see {@link SyncLeafReply}).
     */
    record SyncLeafDiff(long sessionId, int batch, int[] leaves, PackedKeys keys, long[] digests, long[] latest)
            implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.SYNC_LEAF_DIFF;
        }
    }

    /**
     * Responder's answer to a leaf diff, as bitmaps over the indexes of the diff's keys
     * ({@code bitmap[i >> 6] >>> i & 1}): {@code want}, the keys whose states the initiator
     * streams now (the responder lacks them, or holds them differently and the initiator seems
     * ahead); {@code later}, keys both hold differently where the responder seems ahead: the
     * responder streams its states of them first (with the keys the initiator lacks), and once it
     * merged that whole stream the initiator streams those whose digest then differs from the
     * responder's, {@code laterDigests} (one per key of {@code later}, in key order).
     */
    record SyncLeafReply(long sessionId, int batch, long[] want, long[] later, long[] laterDigests)
            implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.SYNC_LEAF_REPLY;
        }
    }

    /**
     * Part {@code part} of the states one side streams to the other for batch {@code batch} of the
     * session {@code initiator} opened; {@code last} ends the stream. {@code entries[0..length)}
     * holds {@code count} keys with their {@code CrdtCodec} states ({@link StateEntries}; the
     * sender hands over the buffer it encoded them into, the receiver gets an exact array);
     * {@code stamp} is the sender's HLC after it read them, at or above every stamp inside them
     * (the receiver applies the HLC receive rule to it, as to a {@code StampedState}'s).
     */
    record SyncStates(int initiator, long sessionId, int batch, int part, boolean last, long stamp, int count,
                      byte[] entries, int length) implements PeerMessage {
        /** Validates the length. */
        public SyncStates {
            if (length < 0 || length > entries.length) {
                throw new IllegalArgumentException("entries length " + length + " of a " + entries.length + "-byte array");
            }
        }

        /** A part whose entries fill {@code entries}. */
        public SyncStates(int initiator, long sessionId, int batch, int part, boolean last, long stamp, int count,
                          byte[] entries) {
            this(initiator, sessionId, batch, part, last, stamp, count, entries, entries.length);
        }

        @Override
        public MessageType type() {
            return MessageType.SYNC_STATES;
        }
    }

    /** The receiver merged (and logged) part {@code part} of a {@link SyncStates} stream. */
    record SyncStatesAck(int initiator, long sessionId, int batch, int part) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.SYNC_STATES_ACK;
        }
    }

    /**
     * The sender closed the session {@code initiator} opened and merges nothing more of it;
     * {@code confirm} false asks the receiver to close it too and answer with {@code confirm}
     * true. {@code completed}: the initiator finished every batch (both now hold the join of
     * what they had in the scope when it was compared), rather than giving up.
     */
    record SyncEnd(int initiator, long sessionId, boolean confirm, boolean completed) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.SYNC_END;
        }
    }

    /**
     * A node-level request the sender makes of every peer at once (pub/sub delivery, PUBSUB
     * queries), answered with a {@link BroadcastReply}; opaque to the transport and replication.
     *
     * @param topic   what the payload is, as the layer that sends it numbers its topics
     * @param payload the request, encoded by that layer
     */
    record Broadcast(long requestId, int topic, byte[] payload) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.BROADCAST;
        }
    }

    /** A peer's answer to a {@link Broadcast}, encoded by the layer that sent it. */
    record BroadcastReply(long requestId, byte[] payload) implements PeerMessage {
        @Override
        public MessageType type() {
            return MessageType.BROADCAST_REPLY;
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
