package io.converge.server.cluster.wire;

/** Wire codes of {@link PeerMessage} types (one byte after the version byte of every frame). */
public enum MessageType {
    /** {@link PeerMessage.Hello}. */
    HELLO(1),
    /** {@link PeerMessage.Challenge}. */
    CHALLENGE(2),
    /** {@link PeerMessage.AuthResponse}. */
    AUTH_RESPONSE(3),
    /** {@link PeerMessage.AuthOk}. */
    AUTH_OK(4),
    /** {@link PeerMessage.Reject}. */
    REJECT(5),
    /** {@link PeerMessage.Heartbeat}. */
    HEARTBEAT(6),
    /** {@link PeerMessage.DeltaBatch}. */
    DELTA_BATCH(7),
    /** {@link PeerMessage.DeltaAck}. */
    DELTA_ACK(8),
    /** {@link PeerMessage.ReadState}. */
    READ_STATE(9),
    /** {@link PeerMessage.ReadStateReply}. */
    READ_STATE_REPLY(10),
    /** {@link PeerMessage.Write}. */
    WRITE(11),
    /** {@link PeerMessage.WriteAck}. */
    WRITE_ACK(12),
    /** {@link PeerMessage.Keepalive}. */
    KEEPALIVE(13),
    /** {@link PeerMessage.GcStatus}. */
    GC_STATUS(14),
    /** {@link PeerMessage.DigestRequest}. */
    DIGEST_REQUEST(15),
    /** {@link PeerMessage.DigestReply}. */
    DIGEST_REPLY(16),
    /** {@link PeerMessage.SyncOpen}. */
    SYNC_OPEN(17),
    /** {@link PeerMessage.SyncTreeQuery}. */
    SYNC_TREE_QUERY(18),
    /** {@link PeerMessage.SyncTreeReply}. */
    SYNC_TREE_REPLY(19),
    /** {@link PeerMessage.SyncLeafDiff}. */
    SYNC_LEAF_DIFF(20),
    /** {@link PeerMessage.SyncLeafReply}. */
    SYNC_LEAF_REPLY(21),
    /** {@link PeerMessage.SyncStates}. */
    SYNC_STATES(22),
    /** {@link PeerMessage.SyncStatesAck}. */
    SYNC_STATES_ACK(23),
    /** {@link PeerMessage.SyncEnd}. */
    SYNC_END(24),
    /** {@link PeerMessage.Broadcast}. */
    BROADCAST(25),
    /** {@link PeerMessage.BroadcastReply}. */
    BROADCAST_REPLY(26);

    private static final MessageType[] BY_CODE = new MessageType[27];

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    /** The byte on the wire. */
    public int code() {
        return code;
    }

    /** The type for a wire code, or {@code null} if unknown. */
    public static MessageType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
