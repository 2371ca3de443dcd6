package io.converge.server.cluster.routing;

import io.converge.server.replication.Replicator;
import io.converge.server.replication.broadcast.Broadcaster;
import io.converge.server.scripting.ScriptCache;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The script cache across the cluster, over the replicator's node-level broadcasts: a script
 * added on one node is announced to the others (best effort), and a node asked for a script it
 * does not hold asks the others for it ({@link ScriptCache.Peers}). So SCRIPT LOAD on any node
 * makes EVALSHA work on every node, including one that was down or restarted since.
 */
final class ScriptRelay implements ScriptCache.Peers {
    static final int TOPIC_ADDED = 4;
    static final int TOPIC_FETCH = 5;
    private static final byte[] NONE = new byte[0];

    private final Replicator replicator;
    private final ScriptCache cache;
    private final long timeoutMillis;

    ScriptRelay(Replicator replicator, ScriptCache cache, long timeoutMillis) {
        this.replicator = replicator;
        this.cache = cache;
        this.timeoutMillis = timeoutMillis;
    }

    /** Whether {@code topic} is one of the relay's. */
    static boolean handles(int topic) {
        return topic == TOPIC_ADDED || topic == TOPIC_FETCH;
    }

    @Override
    public void added(byte[] body) {
        replicator.broadcast(TOPIC_ADDED, body);
    }

    @Override
    public byte[] fetch(String sha) {
        try {
            Broadcaster.Answers answers = replicator.broadcast(TOPIC_FETCH, sha.getBytes(StandardCharsets.US_ASCII))
                    .get(timeoutMillis, TimeUnit.MILLISECONDS);
            for (byte[] reply : answers.replies()) {
                if (reply != null && reply.length > 0) {
                    return reply;
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            return null; // as if no node had it: the client gets NOSCRIPT and sends EVAL
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    /** Answers a peer: stores an announced script, or sends the asked one (empty when not held). */
    CompletableFuture<byte[]> handle(int topic, byte[] payload) {
        if (topic == TOPIC_ADDED) {
            cache.addFromPeer(payload);
            return CompletableFuture.completedFuture(NONE);
        }
        byte[] body = cache.get(new String(payload, StandardCharsets.US_ASCII));
        return CompletableFuture.completedFuture(body == null ? NONE : body);
    }
}
