package io.converge.server.cluster.routing;

import io.converge.server.replication.Replicator;
import io.converge.server.replication.broadcast.Broadcaster;
import io.converge.server.util.SharedState;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One piece of node-level {@link SharedState} (the function libraries, the cluster-wide
 * settings) across the cluster, over the replicator's node-level broadcasts on two topics of
 * its own: a change made on one node is sent to the others reachable then; when a node sees a
 * peer become reachable (the peer or the node itself started, or a partition healed) it sends
 * everything it holds and asks for everything ({@link #exchange}), so what either side changed
 * while they were apart reaches the other at once; and every node regularly asks the others for
 * everything they hold, as a backstop. So a node that was down or cut off when something changed
 * converges to the same state as the others.
 */
final class SharedStateRelay {
    private static final Logger log = LoggerFactory.getLogger(SharedStateRelay.class);
    /** How often a node asks the others for their state. */
    static final long SYNC_MILLIS = 30_000;
    private static final byte[] NONE = new byte[0];

    private final String what;
    private final int topicChanged;
    private final int topicAll;
    private final Replicator replicator;
    private final SharedState state;
    private final Executor background;

    /**
     * The relay of {@code state} (named {@code what} in the log) on topics {@code topicChanged}
     * (a change) and {@code topicAll} (a request for everything); merges run on
     * {@code background} (they may write a file).
     */
    SharedStateRelay(String what, int topicChanged, int topicAll, Replicator replicator, SharedState state,
                     Executor background) {
        this.what = what;
        this.topicChanged = topicChanged;
        this.topicAll = topicAll;
        this.replicator = replicator;
        this.state = state;
        this.background = background;
        state.announceTo(change -> replicator.broadcast(topicChanged, change));
    }

    /** Whether {@code topic} is one of this relay's. */
    boolean handles(int topic) {
        return topic == topicChanged || topic == topicAll;
    }

    /** Asks every reachable node for all its state and merges what comes back. */
    void sync() {
        replicator.broadcast(topicAll, NONE).thenAcceptAsync(this::mergeAll, background);
    }

    /**
     * Sends everything this node holds to every reachable node (merged there as a change) and asks
     * them for theirs: run when a peer became reachable. Changes made here while the peer was
     * unreachable were sent to no one else but the nodes reachable then, and a peer's own changes
     * made meanwhile never reached this node; waiting for {@link #sync} would leave them apart for
     * up to {@link #SYNC_MILLIS}, and a node that alone held a change (a setting is not saved, a
     * library is saved on one disk) could be lost with it meanwhile.
     */
    void exchange() {
        replicator.broadcast(topicChanged, state.encodeAll());
        sync();
    }

    private void mergeAll(Broadcaster.Answers answers) {
        for (byte[] reply : answers.replies()) {
            if (reply != null && reply.length > 0) {
                merge(reply);
            }
        }
    }

    private void merge(byte[] encoded) {
        try {
            if (state.merge(encoded)) {
                log.info("{} updated from a peer", what);
            }
        } catch (IllegalArgumentException e) {
            log.warn("a peer sent {} this node cannot take: {}", what, e.getMessage());
        }
    }

    /** Answers a peer: merges its change, or sends everything. */
    CompletableFuture<byte[]> handle(int topic, byte[] payload) {
        if (topic == topicAll) {
            return CompletableFuture.completedFuture(state.encodeAll());
        }
        return CompletableFuture.supplyAsync(() -> {
            merge(payload);
            return NONE;
        }, background);
    }
}
