package io.converge.server.store;

import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's background tombstone sweeper hook into the {@link EmbeddedEngine}: re-runs
 * tombstone GC, with the engine's current {@link TombstonePolicy}, over every entry of one
 * partition.
 *
 * <p>Why it is needed: the engine collects a key's delete records when a write settles it (and
 * once more for keys queued by HDEL or PERSIST), judged by the policy's horizon at that moment.
 * In a cluster the horizon ("every replica acknowledged everything up to here") only passes a
 * delete's stamp a round trip or more <em>after</em> the delete, so those collections find
 * nothing to drop yet. The replicator calls this, partition by partition, after the horizon
 * advanced, so delete records are dropped once every replica acknowledged them.
 *
 * <p>Added by the replication work as the smallest hook that reaches the engine's
 * package-private GC step ({@code collectGarbage}), without changing {@link EmbeddedEngine}.
 */
public final class TombstoneCollector {

    private TombstoneCollector() {}

    /**
     * Collects the tombstones of every entry in partition {@code partition} (0 <= partition <
     * {@link EmbeddedEngine#partitions()}) under its lock; returns how many entries were removed
     * as garbage. Does nothing while the policy reports 0 ("nothing is stable").
     */
    public static int collect(EmbeddedEngine engine, int partition) {
        Stripe s = engine.stripes()[partition];
        s.lock.lock();
        try {
            if (s.size() == 0 || !s.mayHoldTombstones) {
                return 0;
            }
            // Collect first: a collection may unlink entries (and shrink the table) while we walk it.
            List<KeyEntry> entries = new ArrayList<>();
            s.forEach(e -> {
                if (e.state.gcMayChange()) {
                    entries.add(e); // the others hold nothing to collect (see collectGarbage)
                }
            });
            // Settling a state that may still hold something collectable sets the flag again.
            s.mayHoldTombstones = false;
            int removed = 0;
            for (KeyEntry e : entries) {
                if (!e.removed) {
                    engine.collectGarbage(s, e);
                    if (e.removed) {
                        removed++;
                    } else if (e.state.gcMayChange()) {
                        s.mayHoldTombstones = true; // not collectable yet (collectGarbage may not settle it)
                    }
                }
            }
            return removed;
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Collects the tombstones of {@code key} (if held) with the current policy, under its lock: for
     * a state just merged from a replica that carried delete records this replica had collected.
     */
    public static void collect(EmbeddedEngine engine, byte[] key) {
        Stripe s = engine.stripes()[engine.stripeOf(key)];
        s.lock.lock();
        try {
            KeyEntry e = s.find(key, EmbeddedEngine.hash(key));
            if (e != null) {
                engine.collectGarbage(s, e);
            }
        } finally {
            s.lock.unlock();
        }
    }
}
