package io.converge.server.replication.forward;

import io.converge.server.cluster.Clock;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Commands run on another node (DESIGN §4): a node that does not replicate a key sends the whole
 * command to a replica ({@link #forward}), whose {@link ForwardHandler} runs it and answers with
 * the reply bytes. A forwarded command is never retried (it may not be idempotent), and one that
 * arrives twice (a network that duplicates) runs once.
 *
 * <p><b>Threads.</b> Any thread: the client path forwards from event-loop threads, requests and
 * replies arrive on I/O threads, the timer expires deadlines.
 */
public final class Forwarder {

    /** {@code WRITE_ACK} status of a forwarded command that could not be run; the payload is the reason. */
    public static final int FORWARD_FAILED = 1;

    private static final byte[] EMPTY = new byte[0];
    private static final int RECENT_IDS_CAPACITY = 1 << 14;

    private final int self;
    private final Transport transport;
    private final Clock clock;
    private final long timeoutMillis;
    private final AtomicLong nextRequestId;
    private final Map<Long, PendingForward> pending = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<PendingForward> deadlines = new ConcurrentLinkedQueue<>();
    /** Per node id: the request ids recently received from it. */
    private final RecentRequestIds[] recent;
    private volatile ForwardHandler handler;
    private volatile boolean closed;

    private final LongAdder sent = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder duplicates = new LongAdder();

    /**
     * Forwarding for node {@code self} among {@code nodeIds}; a forwarded command waits at most
     * {@code timeoutMillis} for its reply; request ids start above {@code incarnation}.
     */
    public Forwarder(int self, int[] nodeIds, Transport transport, Clock clock, long timeoutMillis, long incarnation) {
        this.self = self;
        this.transport = transport;
        this.clock = clock;
        this.timeoutMillis = timeoutMillis;
        this.nextRequestId = new AtomicLong(incarnation);
        int max = self;
        for (int id : nodeIds) {
            max = Math.max(max, id);
        }
        this.recent = new RecentRequestIds[max + 1];
        long now = clock.nowMillis();
        for (int id : nodeIds) {
            recent[id] = new RecentRequestIds(RECENT_IDS_CAPACITY, 2 * timeoutMillis, now);
        }
    }

    /** Installs what runs commands forwarded to this node. */
    public void setHandler(ForwardHandler handler) {
        this.handler = handler;
    }

    /**
     * Sends {@code payload} (a whole command, opaque here) for {@code key} to replica {@code nodeId},
     * whose {@link ForwardHandler} runs it; the future completes with the reply bytes, or fails with
     * a {@link ForwardException} (no reply within the timeout, unreachable, or the replica could not
     * run it).
     */
    public CompletableFuture<byte[]> forward(int nodeId, byte[] key, byte[] payload) {
        if (nodeId == self) {
            throw new IllegalArgumentException("forwarding to the local node " + self);
        }
        long id = nextRequestId.incrementAndGet();
        PendingForward f = new PendingForward(id, nodeId, clock.nowMillis() + timeoutMillis);
        sent.increment();
        if (closed) {
            f.future.completeExceptionally(new ForwardException("node " + self + " is shutting down; the command was "
                    + "not sent"));
            return f.future;
        }
        pending.put(id, f);
        deadlines.add(f);
        if (!transport.send(nodeId, new PeerMessage.Write(id, key, payload))) {
            pending.remove(id);
            failed.increment();
            f.future.completeExceptionally(new ForwardException("replica " + nodeId + " is unreachable (send queue "
                    + "full or transport closed); the command was not sent"));
        }
        return f.future;
    }

    /** A peer forwards a command here: run it (once) and reply. */
    public void onWrite(int from, PeerMessage.Write write) {
        long id = write.requestId();
        if (id == 0 || !recent[from].firstTime(id, clock.nowMillis())) {
            duplicates.increment();
            return;
        }
        received.increment();
        ForwardHandler h = handler;
        CompletableFuture<byte[]> reply;
        if (h == null) {
            reply = CompletableFuture.failedFuture(new ForwardException("node " + self
                    + " does not accept forwarded commands yet"));
        } else {
            try {
                reply = h.execute(from, write.key(), write.payload());
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
        }
        reply.whenComplete((bytes, error) -> {
            if (closed) {
                return;
            }
            PeerMessage.WriteAck ack = error == null
                    ? new PeerMessage.WriteAck(id, PeerMessage.WriteAck.OK, bytes == null ? EMPTY : bytes)
                    : new PeerMessage.WriteAck(id, FORWARD_FAILED, messageOf(error).getBytes(StandardCharsets.UTF_8));
            transport.send(from, ack);
        });
    }

    /** A replica answers a command this node forwarded. */
    public void onWriteAck(PeerMessage.WriteAck ack) {
        PendingForward f = pending.remove(ack.requestId());
        if (f == null) {
            return; // late or duplicate
        }
        if (ack.status() == PeerMessage.WriteAck.OK) {
            f.future.complete(ack.payload());
        } else {
            failed.increment();
            f.future.completeExceptionally(new ForwardException(new String(ack.payload(), StandardCharsets.UTF_8)));
        }
    }

    /** Fails the forwards whose deadline passed (the timer tick). */
    public void expire(long nowMillis) {
        PendingForward f;
        while ((f = deadlines.peek()) != null && (f.future.isDone() || f.deadlineMillis <= nowMillis)) {
            deadlines.poll();
            if (pending.remove(f.requestId) != null) {
                failed.increment();
                f.future.completeExceptionally(new ForwardException("no reply from replica " + f.target + " within "
                        + timeoutMillis + " ms; the command may or may not have been applied there"));
            }
        }
    }

    /** Fails every waiting forward: the node is going away. */
    public void close() {
        closed = true;
        PendingForward f;
        while ((f = deadlines.poll()) != null) {
            f.future.completeExceptionally(new ForwardException("node " + self + " is shutting down; the command "
                    + "forwarded to node " + f.target + " may or may not have been applied"));
        }
        pending.clear();
    }

    /** Forwards waiting for a reply. */
    public int pending() {
        return pending.size();
    }

    /** Commands forwarded to a replica. */
    public long sent() {
        return sent.sum();
    }

    /** Of those, how many got no reply or an error. */
    public long failed() {
        return failed.sum();
    }

    /** Commands run for other nodes. */
    public long received() {
        return received.sum();
    }

    /** Forwarded commands received twice and not run again. */
    public long duplicates() {
        return duplicates.sum();
    }

    private static String messageOf(Throwable error) {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
