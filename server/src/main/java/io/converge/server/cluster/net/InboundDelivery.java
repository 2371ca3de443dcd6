package io.converge.server.cluster.net;

import io.converge.server.cluster.wire.KeyedBytes;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.cluster.wire.PeerProtocolException;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands the messages of one authenticated inbound connection to the transport's handler, in
 * order, without letting a bulky one hold up the connection's event loop.
 *
 * <p>Why: the handler merges every delta of a {@code DELTA_BATCH} before it returns, and a batch
 * of the catch-up after a partition holds thousands of them. Run on the event loop, that work
 * delays everything else the loop serves: handshakes of reconnecting peers (measured: a
 * reconnect waiting up to a second behind merges after a heal), keep-alives, the
 * acknowledgements other peers send, and clients when the loops are shared with them. So a bulky
 * batch ({@link #isBulk}: the size of a catch-up batch, far above what the write path batches in
 * one loop iteration) goes to a delivery thread pinned to this connection; everything else is
 * delivered on the event loop as before (a thread hop per message would only add latency to the
 * write path), unless earlier messages of the connection are still queued, which then keeps the
 * order.
 *
 * <p>A message that arrived in fragments ({@link #deliverReassembled}) is always bulky: it is
 * larger than a frame (1 MiB by default, 16 times the bulk threshold of delta batches), and
 * decoding it (a copy of every byte: 50 ms to over half a second for 200 MB, measured) and
 * merging it (a forwarded SET of a 300 MB value, a quorum read's large state) take long. So it
 * is decoded as well as delivered on the delivery thread; its reassembly happened in the frame
 * decoder, fragment by fragment, so whatever arrived between its fragments (heartbeats,
 * acknowledgements) was delivered meanwhile. If it does not decode, the connection is closed
 * as for any malformed input, and nothing queued behind it is delivered.
 *
 * <p>Two kinds never wait in the queue: heartbeats (the failure detector would otherwise suspect
 * a peer that is merely busy sending us deltas) and delta acknowledgements (they concern what
 * this node sent, not the deltas queued here; held back, they stall this node's own catch-up
 * traffic to the peer once its in-flight window is full). Both are order-insensitive: an
 * acknowledgement is cumulative and stale ones are ignored, a heartbeat only says "alive".
 *
 * <p>Backpressure: once {@link #PAUSE_AT} messages are queued, the connection stops reading
 * (TCP then slows the sender; whatever follows in the stream, heartbeats included, waits too);
 * it reads again once the queue is down to {@link #RESUME_AT}. A sender's delta window keeps the
 * queue below that in normal operation. Messages that arrived in fragments also count by size:
 * reading pauses once those waiting <em>behind</em> the message being delivered reach {@link
 * #PAUSE_BYTES}, and resumes when they are down to {@link #RESUME_BYTES}. So the message being
 * merged, however large, does not pause reading by itself (the heartbeats behind it are read
 * while it is merged), but large messages cannot pile up (32 of 1 GiB each, were only messages
 * counted): a connection holds at most the message being merged, up to {@code PAUSE_BYTES} plus
 * one message queued behind it, and the one being reassembled when reading paused.
 * Pausing and resuming both happen on the event loop; each side re-checks the other's variables
 * after writing its own ({@code paused}; {@code queued}, {@code queuedBytes} and {@code
 * deliveringBytes}, all volatile), so a resume is never missed however the two threads
 * interleave.
 */
final class InboundDelivery {
    /** Delta batches with this many entries or more are merged off the event loop. */
    static final int BULK_ENTRIES = 1024;
    /** Delta batches of this many bytes or more are merged off the event loop. */
    static final int BULK_BYTES = 64 << 10;
    /** Queued messages at which reading pauses: twice a sender's in-flight window of 256 KiB batches (4 MiB). */
    static final int PAUSE_AT = 32;
    static final int RESUME_AT = 8;
    /** Bytes of fragmented messages waiting behind the one being delivered at which reading pauses. */
    static final long PAUSE_BYTES = 64L << 20;
    static final long RESUME_BYTES = 16L << 20;

    private final TransportContext context;
    private final Channel channel;
    private final int peerId;
    private final EventExecutor executor;
    /** Messages handed to {@link #executor} and not yet delivered. */
    private final AtomicInteger queued = new AtomicInteger();
    /** Sizes of the fragmented messages among them. */
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Size of the fragmented message being delivered now (0 if none is); written by the delivery thread. */
    private volatile long deliveringBytes;
    /** Whether reading is paused; written on the event loop only. */
    private volatile boolean paused;
    /** Set once a queued message turned out malformed: nothing after it is delivered. */
    private volatile boolean broken;

    /** Delivery of what {@code channel} receives from {@code peerId}, off-loop on {@code executor}. */
    InboundDelivery(TransportContext context, Channel channel, int peerId, EventExecutor executor) {
        this.context = context;
        this.channel = channel;
        this.peerId = peerId;
        this.executor = executor;
    }

    /** Delivers {@code message} now or queues it behind earlier ones; call on the channel's event loop. */
    void deliver(PeerMessage message) {
        if (message instanceof PeerMessage.DeltaAck || message instanceof PeerMessage.Heartbeat) {
            if (!broken) {
                context.deliver(peerId, message);
            }
            return;
        }
        if (!isBulk(message) && queued.get() == 0) {
            // Nothing queued: the order is kept. broken is read after queued, so a malformed message
            // that emptied the queue as it failed is seen, and what followed it is dropped.
            if (!broken) {
                context.deliver(peerId, message);
            }
            return;
        }
        enqueue(() -> context.deliver(peerId, message), 0);
    }

    /**
     * Queues a message that arrived in fragments, to be decoded and delivered on the delivery
     * thread in its turn; call on the channel's event loop.
     */
    void deliverReassembled(PeerFrameDecoder.Reassembled reassembled) {
        enqueue(() -> {
            PeerMessage message;
            try {
                message = reassembled.decode();
            } catch (PeerProtocolException e) {
                fail(e.getMessage());
                return;
            }
            String misplaced = InboundConnectionHandler.misplaced(message);
            if (misplaced != null) {
                fail(misplaced);
            } else if (!(message instanceof PeerMessage.Keepalive)) {
                context.deliver(peerId, message);
            }
        }, reassembled.size());
    }

    /** Closes the connection for malformed input found on the delivery thread. */
    private void fail(String what) {
        broken = true;
        context.protocolErrors.incrementAndGet();
        TransportContext.LOG.warn("protocol error on peer connection from node {}: {}; closing", peerId, what);
        channel.close();
    }

    /**
     * Hands {@code delivery} (of a fragmented message of {@code bytes}, or 0) to the delivery
     * thread behind what is queued; pauses reading if too much is.
     */
    private void enqueue(Runnable delivery, long bytes) {
        int waiting = queued.incrementAndGet();
        long behind = (bytes == 0 ? queuedBytes.get() : queuedBytes.addAndGet(bytes)) - deliveringBytes;
        try {
            executor.execute(() -> deliverQueued(delivery, bytes));
        } catch (RejectedExecutionException e) {
            queuedBytes.addAndGet(-bytes);
            queued.decrementAndGet(); // the transport is closing: the message is lost, as on a dropped connection
            return;
        }
        if (!paused && (waiting >= PAUSE_AT || behind >= PAUSE_BYTES)) {
            paused = true;
            channel.config().setAutoRead(false);
            resumeIfDrained(); // the queue may have drained before paused was visible to the delivery thread
        }
    }

    /**
     * Whether {@code message}, arrived whole, is a delta batch of at least {@link #BULK_ENTRIES}
     * entries or {@link #BULK_BYTES} bytes (a message that arrived in fragments is always bulk).
     */
    static boolean isBulk(PeerMessage message) {
        if (!(message instanceof PeerMessage.DeltaBatch batch)) {
            return false;
        }
        List<KeyedBytes> entries = batch.entries();
        if (entries.size() >= BULK_ENTRIES) {
            return true;
        }
        long bytes = 0;
        for (int i = 0; i < entries.size() && bytes < BULK_BYTES; i++) {
            bytes += entries.get(i).encodedSize();
        }
        return bytes >= BULK_BYTES;
    }

    private void deliverQueued(Runnable delivery, long bytes) {
        deliveringBytes = bytes;
        if (bytes != 0 && paused) {
            channel.eventLoop().execute(this::resumeIfDrained); // what waits behind this one just shrank
        }
        try {
            if (!broken && !context.cut.contains(peerId)) { // cut off meanwhile: nothing more gets through
                delivery.run();
            }
        } finally {
            long left = bytes == 0 ? queuedBytes.get() : queuedBytes.addAndGet(-bytes);
            deliveringBytes = 0;
            if (drained(queued.decrementAndGet(), left) && paused) {
                channel.eventLoop().execute(this::resumeIfDrained);
            }
        }
    }

    /** Whether {@code count} queued messages, {@code behind} bytes of fragmented ones waiting, let reading resume. */
    private static boolean drained(int count, long behind) {
        return count <= RESUME_AT && behind <= RESUME_BYTES;
    }

    /** Reads again if paused and the queue is short; runs on the event loop. */
    private void resumeIfDrained() {
        if (paused && drained(queued.get(), queuedBytes.get() - deliveringBytes)) {
            paused = false;
            channel.config().setAutoRead(true);
        }
    }
}
