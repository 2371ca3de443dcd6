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
    GC_STATUS(14);

    private static final MessageType[] BY_CODE = new MessageType[15];

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
