package io.converge.server.cluster.net;

import io.converge.server.cluster.wire.PeerCodec;

/**
 * Limits and timeouts of the Netty peer transport.
 *
 * @param bindHost               address to listen on; {@code null} = the node's own host
 * @param maxFrameBytes          largest accepted frame (after the length prefix)
 * @param maxQueuedMessages      per-peer outbound queue bound, in messages
 * @param maxQueuedBytes         per-peer outbound queue bound, in encoded bytes
 * @param connectTimeoutMillis   TCP connect timeout
 * @param handshakeTimeoutMillis time allowed for authentication before the connection is dropped
 * @param idleTimeoutMillis      a connection silent this long is closed (keep-alives go out at a third of it)
 * @param reconnectInitialMillis first reconnect delay; doubles per consecutive failure (up to the cap)
 * @param reconnectMaxMillis     cap of the reconnect delay
 */
public record NettyTransportSettings(String bindHost, int maxFrameBytes, int maxQueuedMessages, long maxQueuedBytes,
                                     int connectTimeoutMillis, long handshakeTimeoutMillis, long idleTimeoutMillis,
                                     long reconnectInitialMillis, long reconnectMaxMillis) {

    /** Validates the settings. */
    public NettyTransportSettings {
        if (maxFrameBytes < 64 || maxQueuedMessages < 1 || maxQueuedBytes < 1 || connectTimeoutMillis < 1
                || handshakeTimeoutMillis < 1 || idleTimeoutMillis < 3 || reconnectInitialMillis < 1
                || reconnectMaxMillis < reconnectInitialMillis) {
            throw new IllegalArgumentException("invalid peer transport settings: " + this);
        }
    }

    /**
     * Defaults: 16 MiB frames, 100k messages / 64 MiB queued per peer, 2 s connect, 5 s handshake,
     * 15 s idle, reconnect 100 ms doubling to 500 ms.
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
        return new NettyTransportSettings(null, PeerCodec.DEFAULT_MAX_FRAME_BYTES, 100_000, 64L << 20, 2_000, 5_000,
                15_000, 100, 500);
    }

    /** A copy with another reconnect backoff. */
    public NettyTransportSettings withReconnect(long initialMillis, long maxMillis) {
        return new NettyTransportSettings(bindHost, maxFrameBytes, maxQueuedMessages, maxQueuedBytes,
                connectTimeoutMillis, handshakeTimeoutMillis, idleTimeoutMillis, initialMillis, maxMillis);
    }

    /** A copy with another idle timeout. */
    public NettyTransportSettings withIdleTimeout(long millis) {
        return new NettyTransportSettings(bindHost, maxFrameBytes, maxQueuedMessages, maxQueuedBytes,
                connectTimeoutMillis, handshakeTimeoutMillis, millis, reconnectInitialMillis, reconnectMaxMillis);
    }

    /** A copy with other outbound queue bounds. */
    public NettyTransportSettings withQueueLimits(int messages, long bytes) {
        return new NettyTransportSettings(bindHost, maxFrameBytes, messages, bytes, connectTimeoutMillis,
                handshakeTimeoutMillis, idleTimeoutMillis, reconnectInitialMillis, reconnectMaxMillis);
    }
}
