package io.converge.server.cluster.wire;

/**
 * A key and its bytes (a delta or a state) as carried in a {@link PeerMessage.DeltaBatch}.
 * Arrays are shared, not copied: never mutate them after construction.
 */
public record KeyedBytes(byte[] key, byte[] value) {

    /** Bytes this entry occupies inside a frame (two 4-byte lengths plus contents). */
    public int encodedSize() {
        return 8 + key.length + value.length;
    }
}
