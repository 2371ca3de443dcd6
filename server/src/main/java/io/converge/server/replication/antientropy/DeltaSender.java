package io.converge.server.replication.antientropy;

import io.converge.server.cluster.Clock;
import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.store.StorageEngine;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves buffered deltas from the {@link DeltaOutbox} to the transport: soon after writes (one
 * batch per peer for everything buffered meanwhile), after acknowledgements and reconnects, and
 * on every timer tick (resends).
 *
 * <p><b>The node's own log first.</b> A delta leaves for a peer only once this node's append-only
 * log holds the write as {@code appendfsync} promises ({@link StorageEngine#awaitDurable}, the same
 * wait replies make). Otherwise a {@code kill -9} right after sending could leave a peer holding a
 * write, with its causal identity (a set dot, a counter version), that this node lost: after the
 * restart this node would hand out that identity again for another write, and the peers would
 * take the new write for one they already have. While the log cannot be written, nothing is sent
 * (the deltas stay buffered).
 *
 * <p>Thread-safe: any thread may ask for a drain; the per-peer buffers have their own locks.
 */
public final class DeltaSender {

    private static final Logger log = LoggerFactory.getLogger(DeltaSender.class);
    private static final long LOG_FAILURE_INTERVAL_MILLIS = 10_000;

    private final Transport transport;
    private final DeltaOutbox outbox;
    private final Clock clock;
    private final StorageEngine engine;
    private final int[] peerIds;
    /** Per node id: a drain of that peer is scheduled and has not started yet. */
    private final AtomicBoolean[] scheduled;
    private volatile boolean closed;
    /** Peers whose deltas are held back (expelled from the GC horizon, see {@code GcHorizon}). */
    private volatile java.util.function.IntPredicate held = peer -> false;
    private volatile long lastFailureLogMillis = Long.MIN_VALUE;

    /** Sends {@code outbox}'s deltas over {@code transport}, after {@code engine}'s log has them. */
    public DeltaSender(Transport transport, DeltaOutbox outbox, Clock clock, StorageEngine engine) {
        this.transport = transport;
        this.outbox = outbox;
        this.clock = clock;
        this.engine = engine;
        this.peerIds = outbox.peerIds();
        int max = transport.localNodeId();
        for (int id : peerIds) {
            max = Math.max(max, id);
        }
        this.scheduled = new AtomicBoolean[max + 1];
        for (int id : peerIds) {
            scheduled[id] = new AtomicBoolean();
        }
    }

    /**
     * Holds back the deltas of the peers {@code held} accepts: nothing is sent to them (their
     * buffers keep filling, and overflow as usual) while it does.
     */
    public void hold(java.util.function.IntPredicate held) {
        this.held = held;
    }

    /**
     * Sends what was just buffered for {@code peerId}, soon: once the current thread finished its
     * present work ({@link Transport#runSoon}); one scheduled drain serves every delta buffered
     * before it starts, so the writes of a whole batch of client input leave as one DELTA_BATCH
     * per peer and come back as one DELTA_ACK.
     */
    public void drainSoon(int peerId) {
        AtomicBoolean flag = scheduled[peerId];
        if (flag.compareAndSet(false, true)) {
            transport.runSoon(() -> {
                flag.set(false); // before draining: a delta buffered from now on schedules another drain
                drain(peerId, clock.nowMillis());
            });
        }
    }

    /** Sends every batch the peer's buffer lets out now, if its connection is up and the local log has them. */
    public void drain(int peerId, long nowMillis) {
        if (closed || transport.connectionState(peerId) != ConnectionState.CONNECTED || held.test(peerId)) {
            return;
        }
        PeerDeltaBuffer buffer = outbox.buffer(peerId);
        if (!buffer.hasUnsent() || !localLogHasWrites(nowMillis)) {
            return;
        }
        PeerMessage.DeltaBatch batch;
        while ((batch = buffer.nextBatch(nowMillis)) != null) {
            if (!transport.send(peerId, batch)) {
                break; // dropped at once: the resend timer brings it back
            }
        }
    }

    /** Resends timed-out deltas and sends what is waiting, for every peer (the timer tick). */
    public void tick(long nowMillis) {
        outbox.tick(nowMillis);
        for (int peer : peerIds) {
            drain(peer, nowMillis);
        }
    }

    /** Stops sending. */
    public void close() {
        closed = true;
    }

    private boolean localLogHasWrites(long nowMillis) {
        try {
            engine.awaitDurable();
            return true;
        } catch (RuntimeException e) {
            if (nowMillis - lastFailureLogMillis >= LOG_FAILURE_INTERVAL_MILLIS) {
                lastFailureLogMillis = nowMillis;
                log.warn("not sending deltas to peers: this node's log is not writable ({})", e.toString());
            }
            return false;
        }
    }
}
