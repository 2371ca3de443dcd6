package io.converge.server.store;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtWriter;
import io.converge.server.keyspace.LeafLayout;
import io.converge.server.keyspace.Murmur3;
import java.util.Arrays;

/**
 * The leaves of the anti-entropy hash trees (DESIGN §5 layer 4), kept by the embedded engine:
 * per leaf of a {@link LeafLayout}, the XOR of the digests of every key held in it, and how many
 * keys that is.
 *
 * <p><b>Key digest.</b> 64 bits of Murmur3 over the key's canonical {@link CrdtCodec} encoding,
 * seeded with the key's own hash. Equal CRDT states encode to equal bytes, so two replicas
 * holding the same state of a key compute the same digest, and two leaves holding the same keys
 * in the same states the same XOR: comparing digests is exact up to hash collisions. Tombstones
 * and other invisible states count like any other (replicas must agree on them too).
 *
 * <p><b>Incremental, and lazy.</b> Writes and merges must not pay for hashing: encoding a large
 * set on every SADD would cost as much as the set. So a change only puts the entry on its
 * stripe's dirty list (once, O(1)); the entry's old digest stays in its leaf until {@link
 * #refresh} recomputes every dirty entry of the stripe and swaps old for new in the leaf (XOR
 * out, XOR in). Refreshing happens when digests are read, so a key written a thousand times
 * between two comparisons is hashed once. An entry that leaves the table takes its digest out of
 * its leaf at once ({@link #removed}).
 *
 * <p><b>Locking.</b> Every leaf lies inside one stripe (the engine places keys in stripes by ring
 * token, and leaves nest in stripes), so a leaf's digest and count are guarded by that stripe's
 * lock, like the entries themselves. Every method here is called with the stripe's lock held.
 */
final class LeafDigests {

    /** {@link KeyEntry#leaf} of an entry whose digest is in no leaf. */
    static final int NO_LEAF = -1;

    final LeafLayout layout;
    private final long[] digest;
    private final int[] keys;
    /** First leaf of each stripe, and the leaf count at the end. */
    private final int[] firstLeafOfStripe;

    LeafDigests(LeafLayout layout, int stripeBits) {
        this.layout = layout;
        this.digest = new long[layout.leafCount()];
        this.keys = new int[layout.leafCount()];
        int stripes = 1 << stripeBits;
        this.firstLeafOfStripe = new int[stripes + 1];
        for (int s = 0; s <= stripes; s++) {
            firstLeafOfStripe[s] = layout.firstLeafOfPart(s, stripeBits);
        }
    }

    /** The first leaf of stripe {@code s}. */
    int firstLeaf(int s) {
        return firstLeafOfStripe[s];
    }

    /** One past the last leaf of stripe {@code s}. */
    int endLeaf(int s) {
        return firstLeafOfStripe[s + 1];
    }

    /** The stripe holding leaf {@code leaf}. */
    int stripeOfLeaf(int leaf) {
        int i = Arrays.binarySearch(firstLeafOfStripe, leaf);
        if (i < 0) {
            return -i - 2;
        }
        // Several empty-leaf stripes cannot exist (every stripe holds at least one slice), so
        // the match is the stripe that starts at this leaf.
        return i;
    }

    /** Notes that {@code e}'s state changed: it goes on the dirty list once. */
    static void markDirty(Stripe s, KeyEntry e) {
        if (e.dirty) {
            return;
        }
        e.dirty = true;
        if (s.dirtyCount == s.dirty.length) {
            s.dirty = Arrays.copyOf(s.dirty, s.dirty.length << 1);
        }
        s.dirty[s.dirtyCount++] = e;
    }

    /** Takes a removed entry's digest out of its leaf. */
    void removed(KeyEntry e) {
        if (e.leaf != NO_LEAF) {
            digest[e.leaf] ^= e.digest;
            keys[e.leaf]--;
            e.leaf = NO_LEAF;
        }
    }

    /** Recomputes the digest of every dirty entry of {@code s} and updates their leaves. */
    void refresh(Stripe s) {
        int n = s.dirtyCount;
        if (n == 0) {
            return;
        }
        KeyEntry[] list = s.dirty;
        CrdtWriter w = CrdtWriter.scratch();
        try {
            for (int i = 0; i < n; i++) {
                KeyEntry e = list[i];
                list[i] = null;
                e.dirty = false;
                if (e.removed) {
                    continue;
                }
                w.reset();
                CrdtCodec.encode(e.state, w);
                place(e, Murmur3.hash64(w.buffer(), 0, w.size(), Murmur3.hash64(e.key)));
            }
        } finally {
            w.release();
        }
        s.dirtyCount = 0;
        if (list.length > 64 && n < list.length / 4) {
            s.dirty = new KeyEntry[Math.max(16, list.length >> 1)];
        }
    }

    /** Puts {@code e}'s new digest {@code d} in its leaf (placing it in one first if it is in none). */
    private void place(KeyEntry e, long d) {
        if (e.leaf == NO_LEAF) {
            e.leaf = layout.leafOfKey(e.key);
            keys[e.leaf]++;
        } else {
            digest[e.leaf] ^= e.digest;
        }
        e.digest = d;
        digest[e.leaf] ^= d;
    }

    /** The digest of leaf {@code leaf} (refresh its stripe first). */
    long digest(int leaf) {
        return digest[leaf];
    }

    /** The number of keys in leaf {@code leaf} (refresh its stripe first). */
    int keys(int leaf) {
        return keys[leaf];
    }

    /** The current digest of {@code e} (refreshing its stripe if it is dirty). */
    long digestOfEntry(Stripe s, KeyEntry e) {
        if (e.dirty) {
            refresh(s);
        }
        return e.digest;
    }

    /** The digest of {@code key} holding {@code state}: see the class comment. */
    static long digestOf(byte[] key, KeyState state) {
        CrdtWriter w = CrdtWriter.scratch();
        CrdtCodec.encode(state, w);
        long d = Murmur3.hash64(w.buffer(), 0, w.size(), Murmur3.hash64(key));
        w.release();
        return d;
    }
}
