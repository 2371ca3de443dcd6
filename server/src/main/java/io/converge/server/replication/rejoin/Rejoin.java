package io.converge.server.replication.rejoin;

import io.converge.crdt.Hlc;
import io.converge.server.cluster.Clock;
import io.converge.server.store.NodeIds;
import io.converge.server.store.ReplicaIdentity;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node comes back (DESIGN §5, issue 9): which replica incarnation it stamps with, and
 * whether it must discard its state and rebuild it from its peers.
 *
 * <p><b>Incarnation at start.</b> A node keeps the replica id it stamped with before only if its
 * data directory proves it holds everything it stamped ({@link ReplicaIdentity#provenComplete}),
 * at least one peer vouches for it and none contradicts it: its peers remember the highest HLC
 * they heard from its earlier processes, and if one of them is above the high-water mark the
 * directory was loaded with, the directory lost something (it was restored from a backup, or
 * replaced). A directory restored from a cleanly stopped node proves nothing by itself; only the
 * peers can tell. So the node waits, before it serves clients or hands its state to anyone, for
 * every peer's first report ({@link #settled}, at most {@code confirmMillis}); when no peer could
 * vouch (they restarted too, or are away) it takes a new incarnation anyway, which is always safe:
 * it costs a version-vector entry per key written afterwards.
 *
 * <p>A node whose engine holds nothing when it starts settles at once: it has nothing to hand
 * back and stamps with a new incarnation.
 *
 * <p><b>Rebuild.</b> A node must discard its state when a peer expelled it from the tombstone-GC
 * horizon (it was away longer than {@code gc-grace-ms}), or when its directory lost something and
 * is older than what the peers' GC has reached: what it holds may include writes whose deletes
 * were dropped everywhere else, and would come back. It then refuses writes for the moment it
 * takes, takes a new incarnation, forgets every key (locally: this is no delete), starts its
 * replication state over (buffers, debts, completeness), makes its log forget too, and reports the
 * stable stamp it discarded against, after which the peers take its data again and it pulls
 * everything back. Writes it alone held (acknowledged at ONE while it was away) are lost; the
 * docs say so.
 *
 * <p><b>Threads.</b> Reports arrive on I/O threads; decisions are under this object's lock; the
 * rebuild runs on the given executor (the repair thread).
 */
public final class Rejoin {

    private static final Logger log = LoggerFactory.getLogger(Rejoin.class);

    /** What a rebuild does to the rest of replication (buffers, debts, rounds, completeness). */
    @FunctionalInterface
    public interface Reset {
        /** Starts replication state over after the engine forgot everything. */
        void reset();
    }

    private final int self;
    private final int[] peers;
    private final long processIncarnation;
    private final ReplicaIdentity identity;
    private final Runnable clearEngine;
    private final Reset reset;
    private final long confirmMillis;
    private final Executor executor;

    private final long startMillis;
    private boolean started;
    private boolean settled;
    private boolean freshIncarnation;
    private final boolean[] reported;
    private int vouched;
    /** The highest stamp a confirming peer heard from this node's earlier processes. */
    private long vouchedMaxHlc;
    private int contradictedBy = -1;
    private long peersStable;
    /** The highest expulsion stamp a peer reported: a rebuild is recorded at least at it. */
    private long expelledAtMost;
    private volatile boolean trusted;
    private boolean rebuilding;
    private boolean lostOldStateHandled;
    private long rebuilds;

    /**
     * The rejoin of node {@code self} among {@code peers}, whose process announces itself with
     * {@code processIncarnation} in its heartbeats, keeping its identity with {@code identity}; a
     * rebuild forgets the engine's keys with {@code clearEngine} and starts replication over with
     * {@code reset}, on {@code executor}.
     */
    public Rejoin(int self, int[] peers, long processIncarnation, ReplicaIdentity identity, Runnable clearEngine,
                  Reset reset, Clock clock, long confirmMillis, Executor executor) {
        this.self = self;
        this.peers = peers.clone();
        this.processIncarnation = processIncarnation;
        this.identity = identity;
        this.clearEngine = clearEngine;
        this.reset = reset;
        this.confirmMillis = confirmMillis;
        this.executor = executor;
        this.startMillis = clock.nowMillis();
        this.reported = new boolean[peers.length];
    }

    /**
     * Chooses the incarnation to start with: the stored one if the data directory proves itself
     * (the peers may still overturn it), otherwise a new one at once. {@code empty}: the engine
     * holds no key. Call before anything is stamped.
     */
    public synchronized void start(boolean empty) {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        long stored = identity.storedReplicaId();
        if (!empty && identity.provenComplete() && stored != 0 && NodeIds.nodeOf(stored) == self) {
            identity.adopt(stored);
            log.info("node {} resumes replica incarnation {} (its data directory proves it is whole); waiting for "
                    + "its peers to confirm", self, ReplicaIdentity.epochOf(stored));
        } else {
            long id = identity.newIncarnation(self);
            freshIncarnation = true;
            log.info("node {} stamps as replica incarnation {}", self, ReplicaIdentity.epochOf(id));
        }
        if (empty || peers.length == 0) {
            settle();
        }
    }

    /**
     * A peer's GC status: its stable stamp; the latest process incarnation of this node it heard
     * of and the highest HLC it heard from this node's processes before that one; and (when not 0)
     * the rebuild stamp it expects before it counts this node again.
     */
    public void onPeerStatus(int peer, long stableHlc, long yourIncarnation, long yourPriorMaxHlc, long expelledAt) {
        boolean rebuild = false;
        String why = null;
        synchronized (this) {
            if (!started) {
                return;
            }
            peersStable = Math.max(peersStable, stableHlc);
            expelledAtMost = Math.max(expelledAtMost, expelledAt);
            int i = indexOf(peer);
            if (!settled && i >= 0 && yourIncarnation == processIncarnation && !reported[i]) {
                // The peer heard this process: what it reports of the earlier ones is final.
                reported[i] = true;
                if (yourPriorMaxHlc > identity.loadedMark()) {
                    contradictedBy = peer;
                } else if (yourPriorMaxHlc > 0) {
                    vouched++;
                    vouchedMaxHlc = Math.max(vouchedMaxHlc, yourPriorMaxHlc);
                }
                if (contradictedBy >= 0 || allReported()) {
                    settle();
                }
            }
            if (!rebuilding) {
                if (expelledAt > 0 && identity.rebuiltAt() < expelledAt) {
                    rebuild = true;
                    why = "node " + peer + " expelled it from the tombstone-GC horizon (it was away longer than "
                            + "gc-grace-ms)";
                } else if (contradictedBy >= 0 && !lostOldStateHandled && identity.loadedMark() < peersStable) {
                    rebuild = true;
                    why = "its data directory lost stamps its peers saw (restored from a backup, or replaced) and "
                            + "is older than what their tombstone GC reached";
                }
                if (rebuild) {
                    rebuilding = true;
                    trusted = false;
                }
            }
        }
        if (rebuild) {
            log.warn("node {} must rebuild its state from its peers: {}", self, why);
            executor.execute(this::rebuild);
        }
    }

    /** Settles at the end of the confirmation window (the timer tick). */
    public synchronized void tick(long nowMillis) {
        if (started && !settled && nowMillis - startMillis >= confirmMillis) {
            settle();
        }
    }

    /** Decides the incarnation (lock held). */
    private void settle() {
        settled = true;
        trusted = !rebuilding;
        if (freshIncarnation) {
            return;
        }
        if (contradictedBy >= 0 || vouched == 0) {
            long id = identity.newIncarnation(self);
            freshIncarnation = true;
            log.warn("node {} takes a new replica incarnation {}: {}", self, ReplicaIdentity.epochOf(id),
                    contradictedBy >= 0 ? "node " + contradictedBy + " heard later stamps from it than its data "
                            + "directory holds (restored from a backup, or replaced)"
                            : "no peer could confirm its data directory is its latest");
        } else {
            log.info("node {} keeps replica incarnation {} ({} of {} peers confirmed it: the last stamp they heard "
                    + "from its processes before this one ({}), {}, is within its data directory's mark {})", self,
                    ReplicaIdentity.epochOf(identity.storedReplicaId()), vouched, peers.length,
                    processIncarnation, Hlc.toString(vouchedMaxHlc), Hlc.toString(identity.loadedMark()));
        }
    }

    private boolean allReported() {
        for (boolean r : reported) {
            if (!r) {
                return false;
            }
        }
        return true;
    }

    private int indexOf(int peer) {
        for (int i = 0; i < peers.length; i++) {
            if (peers[i] == peer) {
                return i;
            }
        }
        return -1;
    }

    /** Whether the incarnation is decided (the node may serve clients). */
    public synchronized boolean settled() {
        return settled;
    }

    /**
     * Whether this node's state may be handed to others (read replies, repair, forwarded
     * commands): settled, and not discarding it.
     */
    public boolean trusted() {
        return trusted;
    }

    /** Why writes are refused now (before the incarnation is settled, or during a rebuild), or null. */
    public String writeRefusal() {
        if (trusted) {
            return null;
        }
        synchronized (this) {
            if (rebuilding) {
                return "node " + self + " is discarding its state to rebuild it from its peers (it was away longer "
                        + "than gc-grace-ms, or its data directory was restored); retry in a moment";
            }
            return settled ? null : "node " + self + " is starting (waiting for its peers to confirm its data "
                    + "directory); retry in a moment";
        }
    }

    /** {@code starting}, {@code rebuilding} or {@code ready} (INFO). */
    public synchronized String state() {
        return rebuilding ? "rebuilding" : settled ? "ready" : "starting";
    }

    /** Rebuilds done by this process (INFO). */
    public synchronized long rebuilds() {
        return rebuilds;
    }

    private void rebuild() {
        long stable;
        synchronized (this) {
            // At least the stamp it was expelled at: a peer whose stable stamp was still 0 expels
            // at 1, and a rebuild recorded at 0 would not let it back in, so it would rebuild again
            // at every report, discarding what it pulled back each time.
            stable = Math.max(peersStable, expelledAtMost);
        }
        boolean done = false;
        try {
            long id = identity.newIncarnation(self);
            clearEngine.run();
            reset.reset();
            identity.rebuilt(stable);
            done = true;
            log.warn("node {} discarded its state (incarnation {} from now on) and rebuilds it from its peers",
                    self, ReplicaIdentity.epochOf(id));
        } catch (RuntimeException e) {
            log.error("node {}: the rebuild failed; the next report of a peer retries it: {}", self, e.toString());
        } finally {
            synchronized (this) {
                rebuilding = false;
                if (done) {
                    rebuilds++;
                    freshIncarnation = true;
                    lostOldStateHandled = true;
                    settled = true;
                }
                trusted = settled;
            }
        }
    }
}
