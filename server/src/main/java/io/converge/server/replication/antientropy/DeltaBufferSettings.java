package io.converge.server.replication.antientropy;

/**
 * Limits and timing of the per-peer delta buffers.
 *
 * @param maxBufferBytes      bytes a peer's buffer may hold before it overflows (then the leaves
 *                            of the dropped deltas are left to hash-tree repair and the buffer
 *                            starts over)
 * @param maxBatchBytes       target size of one DELTA_BATCH (a single larger delta goes alone)
 * @param maxInFlightBytes    bytes sent but not yet acknowledged before sending pauses
 * @param resendTimeoutMillis time without an acknowledgement after which unacked deltas are resent
 */
public record DeltaBufferSettings(long maxBufferBytes, int maxBatchBytes, long maxInFlightBytes,
                                  long resendTimeoutMillis) {

    /** Validates the settings. */
    public DeltaBufferSettings {
        if (maxBufferBytes < 1 || maxBatchBytes < 1 || maxInFlightBytes < 1 || resendTimeoutMillis < 1) {
            throw new IllegalArgumentException("delta buffer limits and timeout must be positive");
        }
        if (maxBatchBytes > maxBufferBytes) {
            throw new IllegalArgumentException("maxBatchBytes must not exceed maxBufferBytes");
        }
    }

    /** Production defaults: 64 MiB per peer, 256 KiB batches, 4 MiB in flight, resend after 1 s. */
    public static DeltaBufferSettings defaults() {
        return new DeltaBufferSettings(64L << 20, 256 << 10, 4L << 20, 1_000);
    }
}
