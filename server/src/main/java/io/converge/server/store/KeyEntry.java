package io.converge.server.store;

import io.converge.crdt.KeyState;

/**
 * One key of a {@link Stripe}: the key bytes, its CRDT state and the engine's bookkeeping about
 * it (WATCH version, position in the TTL index, counted existence, memory estimate, anti-entropy
 * digest). Guarded by
 * the stripe's lock.
 */
final class KeyEntry {
    final byte[] key;
    final int hash;
    KeyState state;
    /** Next entry of the same bucket (separate chaining). */
    KeyEntry next;
    /** Changes whenever the key changes (WATCH); drawn from the stripe's version counter. */
    long version;
    /** Index in the stripe's TTL index, or -1 when the state has no expiry. */
    int ttlPos = -1;
    /** Whether the state was counted as existing (DBSIZE) at the last settle. */
    boolean counted;
    /** Whether the entry was unlinked from its stripe (a stale reference must look the key up again). */
    boolean removed;
    /** Whether a tombstone GC is due at the next background cycle. */
    boolean gcPending;
    /** Visible elements of a hash, set or sorted set at the last settle (0 for strings). */
    int elements;
    /** Estimated bytes of the whole entry at the last settle, as counted in the dataset total (0: none yet). */
    long accountedBytes;
    /** Digest of the state as last hashed into its leaf ({@link LeafDigests}); meaningful while {@code leaf >= 0}. */
    long digest;
    /** The anti-entropy leaf whose digest includes {@link #digest}, or {@link LeafDigests#NO_LEAF}. */
    int leaf = LeafDigests.NO_LEAF;
    /** Whether the state changed since {@link #digest} was computed (the entry is on its stripe's dirty list). */
    boolean dirty;

    KeyEntry(byte[] key, int hash, KeyState state) {
        this.key = key;
        this.hash = hash;
        this.state = state;
    }

    /** The value part of {@link #accountedBytes} (see {@link DatasetEstimate}). */
    long valueBytes() {
        return accountedBytes == 0 ? 0 : accountedBytes - DatasetEstimate.entryBytes(key.length, 0);
    }
}
