package io.converge.server.cluster.routing;

import io.converge.server.replication.Replicator;
import io.converge.server.replication.broadcast.Broadcaster;
import io.converge.server.scripting.FunctionLibraries;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The function libraries across the cluster, over the replicator's node-level broadcasts: a
 * change made on one node (FUNCTION LOAD, DELETE, FLUSH, RESTORE) is sent to the others at once,
 * and every node regularly asks the others for all their entries (tombstones included) and
 * merges them, so a node that was down or cut off when a library changed converges to the same
 * libraries as the others ({@link FunctionLibraries} merges by last writer).
 */
final class FunctionRelay implements FunctionLibraries.Peers {
    private static final Logger log = LoggerFactory.getLogger(FunctionRelay.class);
    static final int TOPIC_CHANGED = 6;
    static final int TOPIC_ALL = 7;
    /** How often a node asks the others for their libraries. */
    static final long SYNC_MILLIS = 30_000;
    private static final byte[] NONE = new byte[0];

    private final Replicator replicator;
    private final FunctionLibraries libraries;
    private final Executor background;

    /** The relay of {@code libraries}; merges run on {@code background} (they write a file). */
    FunctionRelay(Replicator replicator, FunctionLibraries libraries, Executor background) {
        this.replicator = replicator;
        this.libraries = libraries;
        this.background = background;
    }

    /** Whether {@code topic} is one of the relay's. */
    static boolean handles(int topic) {
        return topic == TOPIC_CHANGED || topic == TOPIC_ALL;
    }

    @Override
    public void changed(List<FunctionLibraries.Entry> entries) {
        replicator.broadcast(TOPIC_CHANGED, FunctionLibraries.encode(entries));
    }

    /** Asks every reachable node for all its entries and merges what comes back. */
    void sync() {
        replicator.broadcast(TOPIC_ALL, NONE).thenAcceptAsync(this::mergeAll, background);
    }

    private void mergeAll(Broadcaster.Answers answers) {
        for (byte[] reply : answers.replies()) {
            try {
                if (reply != null && reply.length > 0 && libraries.merge(FunctionLibraries.decode(reply))) {
                    log.info("function libraries updated from a peer");
                }
            } catch (IllegalArgumentException e) {
                log.warn("a peer sent damaged function libraries: {}", e.getMessage());
            }
        }
    }

    /** Answers a peer: merges its change, or sends all entries. */
    CompletableFuture<byte[]> handle(int topic, byte[] payload) {
        if (topic == TOPIC_ALL) {
            return CompletableFuture.completedFuture(FunctionLibraries.encode(libraries.all()));
        }
        return CompletableFuture.supplyAsync(() -> {
            libraries.merge(FunctionLibraries.decode(payload));
            return NONE;
        }, background);
    }
}
