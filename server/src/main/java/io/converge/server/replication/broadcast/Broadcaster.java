package io.converge.server.replication.broadcast;

import io.converge.server.cluster.Clock;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node-level requests to every peer at once, for what concerns nodes rather than keys (pub/sub
 * messages and PUBSUB queries): {@link #broadcast} sends a {@code BROADCAST} to each peer that can
 * be reached now, whose {@link Handler} answers with a {@code BROADCAST_REPLY}; the future
 * completes with the answers once every peer answered or the timeout passed (the default one, or
 * a longer one for requests that take long to answer). Nothing is retried:
 * a peer that is down or cut off misses the request (a message published meanwhile is not
 * delivered there, as Redis delivers nothing to a client that is not connected).
 *
 * <p>Requests to one peer travel in order over its connection and are handled there in order,
 * so what one node broadcasts reaches each peer's handler in the order it was sent.
 *
 * <p><b>Threads.</b> Any thread broadcasts; requests and replies arrive on I/O threads; the
 * replicator's timer expires deadlines.
 */
public final class Broadcaster {
    private static final Logger log = LoggerFactory.getLogger(Broadcaster.class);

    /**
     * What came back from one broadcast.
     *
     * @param asked   the peers it was sent to
     * @param replies the answers that came in time, one per answering peer
     */
    public record Answers(int asked, List<byte[]> replies) {
        /** Whether every peer asked answered. */
        public boolean complete() {
            return replies.size() == asked;
        }
    }

    /** Answers a peer's broadcast (installed by the request path). Must not block. */
    @FunctionalInterface
    public interface Handler {
        /** The answer to {@code payload} on {@code topic} from {@code fromNodeId}; a failed future sends none. */
        CompletableFuture<byte[]> handle(int fromNodeId, int topic, byte[] payload);
    }

    private final int[] peers;
    private final IntPredicate reachable;
    private final Transport transport;
    private final Clock clock;
    private final long timeoutMillis;
    private final AtomicLong nextRequestId;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    /** The pending broadcasts by deadline (the earliest first: timeouts differ per request). */
    private final PriorityBlockingQueue<Pending> deadlines = new PriorityBlockingQueue<>(16,
            (a, b) -> Long.compare(a.deadlineMillis, b.deadlineMillis));
    private volatile Handler handler;

    /**
     * Broadcasts to {@code peers} that are {@code reachable} when a request is made; answers are
     * awaited at most {@code timeoutMillis}; request ids start above {@code incarnation}.
     */
    public Broadcaster(int[] peers, IntPredicate reachable, Transport transport, Clock clock, long timeoutMillis,
                       long incarnation) {
        this.peers = peers.clone();
        this.reachable = reachable;
        this.transport = transport;
        this.clock = clock;
        this.timeoutMillis = timeoutMillis;
        this.nextRequestId = new AtomicLong(incarnation);
    }

    /** Installs what answers the peers' broadcasts. */
    public void setHandler(Handler handler) {
        this.handler = handler;
    }

    /**
     * Sends {@code payload} on {@code topic} to every peer that can be reached now; the future
     * completes with their answers (those that came within the timeout); at once with none when no
     * peer can be reached.
     */
    public CompletableFuture<Answers> broadcast(int topic, byte[] payload) {
        return broadcast(topic, payload, timeoutMillis);
    }

    /**
     * Like {@link #broadcast(int, byte[])}, awaiting answers at most {@code timeoutMillis} (a
     * request whose answers take long to compute, e.g. a walk over every key).
     */
    public CompletableFuture<Answers> broadcast(int topic, byte[] payload, long timeoutMillis) {
        List<Integer> to = new ArrayList<>(peers.length);
        for (int peer : peers) {
            if (reachable.test(peer)) {
                to.add(peer);
            }
        }
        if (to.isEmpty()) {
            return CompletableFuture.completedFuture(new Answers(0, List.of()));
        }
        long id = nextRequestId.incrementAndGet();
        Pending p = new Pending(id, to.size(), clock.nowMillis() + timeoutMillis);
        pending.put(id, p);
        deadlines.add(p);
        PeerMessage.Broadcast message = new PeerMessage.Broadcast(id, topic, payload);
        for (int peer : to) {
            transport.send(peer, message);
        }
        return p.future;
    }

    /** A peer's broadcast: answered by the handler. */
    public void onBroadcast(int fromNodeId, PeerMessage.Broadcast message) {
        Handler h = handler;
        if (h == null) {
            return; // not serving yet: the sender's deadline covers it
        }
        CompletableFuture<byte[]> answer;
        try {
            answer = h.handle(fromNodeId, message.topic(), message.payload());
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((bytes, error) -> {
            if (error != null) {
                log.warn("broadcast {} (topic {}) from node {} not answered: {}", message.requestId(), message.topic(),
                        fromNodeId, error.toString());
            } else {
                transport.send(fromNodeId, new PeerMessage.BroadcastReply(message.requestId(), bytes));
            }
        });
    }

    /** A peer's answer to one of this node's broadcasts. */
    public void onReply(int fromNodeId, PeerMessage.BroadcastReply reply) {
        Pending p = pending.get(reply.requestId());
        if (p != null && p.answer(fromNodeId, reply.payload())) {
            pending.remove(p.id);
        }
    }

    /** Completes the broadcasts whose deadline passed with the answers they have. */
    public void expire(long nowMillis) {
        Pending p;
        while ((p = deadlines.peek()) != null && (p.future.isDone() || p.deadlineMillis <= nowMillis)) {
            deadlines.poll();
            pending.remove(p.id);
            p.finish();
        }
    }

    /** Completes every pending broadcast with the answers it has. */
    public void close() {
        for (Pending p : pending.values()) {
            p.finish();
        }
        pending.clear();
        deadlines.clear();
    }

    /** Broadcasts awaiting answers. */
    public int pending() {
        return pending.size();
    }

    /** One broadcast awaiting its answers. */
    private static final class Pending {
        final long id;
        final long deadlineMillis;
        final CompletableFuture<Answers> future = new CompletableFuture<>();
        private final List<byte[]> answers = new ArrayList<>();
        private final List<Integer> answered = new ArrayList<>();
        private final int expected;

        Pending(long id, int expected, long deadlineMillis) {
            this.id = id;
            this.expected = expected;
            this.deadlineMillis = deadlineMillis;
        }

        /** Records an answer (once per peer); true when it was the last one expected. */
        synchronized boolean answer(int peer, byte[] payload) {
            if (future.isDone() || answered.contains(peer)) {
                return false;
            }
            answered.add(peer);
            answers.add(payload);
            if (answers.size() == expected) {
                future.complete(new Answers(expected, List.copyOf(answers)));
                return true;
            }
            return false;
        }

        synchronized void finish() {
            future.complete(new Answers(expected, List.copyOf(answers)));
        }
    }
}
