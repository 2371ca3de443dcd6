package io.converge.server.cluster.net;

import io.converge.server.cluster.wire.PeerCodec;

/**
 * Limits and timeouts of the Netty peer transport.
 *
 * @param bindHost               address to listen on; {@code null} = the node's own host
 * @param maxFrameBytes          largest frame sent or accepted (after the length prefix); a larger
 *                               message travels as fragments of at most this size
 * @param maxMessageBytes        largest message (its encoding after the length prefix) sent or
 *                               reassembled from fragments
 * @param maxQueuedMessages      per-peer outbound queue bound, in messages
 * @param maxQueuedBytes         per-peer outbound queue bound, in encoded bytes
 * @param connectTimeoutMillis   TCP connect timeout
 * @param handshakeTimeoutMillis time allowed for authentication before the connection is dropped
 * @param idleTimeoutMillis      a connection silent this long is closed (keep-alives go out at a third of it)
 * @param reconnectInitialMillis first reconnect delay; doubles per consecutive failure (up to the cap)
 * @param reconnectMaxMillis     cap of the reconnect delay
 */
public record NettyTransportSettings(String bindHost, int maxFrameBytes, int maxMessageBytes, int maxQueuedMessages,
                                     long maxQueuedBytes, int connectTimeoutMillis, long handshakeTimeoutMillis,
                                     long idleTimeoutMillis, long reconnectInitialMillis, long reconnectMaxMillis) {

    /** Validates the settings. */
    public NettyTransportSettings {
        if (maxFrameBytes < PeerCodec.MIN_FRAME_BYTES || maxMessageBytes < maxFrameBytes
                || maxMessageBytes > PeerCodec.MAX_MESSAGE_BYTES || maxQueuedMessages < 1 || maxQueuedBytes < 1
                || connectTimeoutMillis < 1 || handshakeTimeoutMillis < 1 || idleTimeoutMillis < 3 || reconnectInitialMillis < 1
                || reconnectMaxMillis < reconnectInitialMillis) {
            throw new IllegalArgumentException("invalid peer transport settings: " + this);
        }
    }

    /**
     * Defaults: 1 MiB frames, 1 GiB messages, 100k messages / 64 MiB queued per peer, 2 s
     * connect, 5 s handshake, 15 s idle, reconnect 100 ms doubling to 500 ms.
     *
     * <p>Why 1 MiB frames: a heartbeat or an acknowledgement can only go out between two frames,
     * so a frame is the longest it waits behind a large message, on top of what already sits in
     * the socket's write buffer (Netty's, at most its 4 MiB high-water mark, and the kernel's).
     * At 100 Mbit/s 1 MiB takes 84 ms, well inside the ~2.5 s after which a silent peer is
     * declared down; 16 MiB frames (the old bound) would take 1.3 s. Smaller frames cost more
     * per byte (a header, a decoder pass and a buffer per frame) for no gain that matters: the
     * write path's frames are far below 1 MiB anyway (delta batches stop at 256 KiB), so they
     * are unaffected. Why 1 GiB messages: twice Redis's own {@code proto-max-bulk-len} (512 MB),
     * room for a key's state (a sorted set of millions of members) to exceed its largest value.
     *
     * <p>Why the reconnect cap is 500 ms: after a partition heals or a node restarts, the deltas
     * buffered for a peer wait for the first reconnect, which comes up to one capped delay (plus
     * 20% jitter) later, or sooner when the peer's own timer fires first and it dials in (see
     * OutboundConnection). Measured (issue 4's benchmark, 100k divergent keys): with a 1 s cap the
     * reconnect alone took up to 1.2 s, over the 1 s time-to-converge target; the catch-up itself
     * takes a few hundred ms. Two failed attempts a second per unreachable peer (a SYN answered by
     * a reset, or one pending connect bounded by the connect timeout) cost next to nothing; Redis
     * Cluster retries a missing link on every 100 ms cron tick.
     */
    public static NettyTransportSettings defaults() {
        return new NettyTransportSettings(null, PeerCodec.DEFAULT_MAX_FRAME_BYTES, PeerCodec.DEFAULT_MAX_MESSAGE_BYTES,
                100_000, 64L << 20, 2_000, 5_000, 15_000, 100, 500);
    }

    /** A copy with another reconnect backoff. */
    public NettyTransportSettings withReconnect(long initialMillis, long maxMillis) {
        return new NettyTransportSettings(bindHost, maxFrameBytes, maxMessageBytes, maxQueuedMessages, maxQueuedBytes,
                connectTimeoutMillis, handshakeTimeoutMillis, idleTimeoutMillis, initialMillis, maxMillis);
    }

    /** A copy with another idle timeout. */
    public NettyTransportSettings withIdleTimeout(long millis) {
        return new NettyTransportSettings(bindHost, maxFrameBytes, maxMessageBytes, maxQueuedMessages, maxQueuedBytes,
                connectTimeoutMillis, handshakeTimeoutMillis, millis, reconnectInitialMillis, reconnectMaxMillis);
    }

    /** A copy with other outbound queue bounds. */
    public NettyTransportSettings withQueueLimits(int messages, long bytes) {
        return new NettyTransportSettings(bindHost, maxFrameBytes, maxMessageBytes, messages, bytes, connectTimeoutMillis,
                handshakeTimeoutMillis, idleTimeoutMillis, reconnectInitialMillis, reconnectMaxMillis);
    }

    /** A copy with another frame bound (messages above it are fragmented) and message bound. */
    public NettyTransportSettings withFrameLimits(int frameBytes, int messageBytes) {
        return new NettyTransportSettings(bindHost, frameBytes, messageBytes, maxQueuedMessages, maxQueuedBytes,
                connectTimeoutMillis, handshakeTimeoutMillis, idleTimeoutMillis, reconnectInitialMillis,
                reconnectMaxMillis);
    }
}
