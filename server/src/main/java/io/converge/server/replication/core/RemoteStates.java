package io.converge.server.replication.core;

import io.converge.crdt.ClockDriftException;
import io.converge.crdt.CrdtCodec;
import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.server.cluster.Clock;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the {@link StampedState} bytes a peer sent (a delta, a quorum-read reply, a repair
 * state) into a {@link KeyState}, applying the HLC receive rule to the sender's stamp so that
 * later local writes are stamped after what is merged.
 *
 * <p><b>Clock drift.</b> A stamp more than the maximum drift ahead of local time is counted and
 * logged (at most once a minute) and the clock is not moved, but the state is returned all the
 * same: refusing it would only keep the replicas apart forever (the client write path is where
 * such timestamps are refused). Malformed bytes are counted, logged and skipped.
 *
 * <p>Thread-safe; called by every part that receives states.
 */
public final class RemoteStates {

    private static final Logger log = LoggerFactory.getLogger(RemoteStates.class);
    private static final long DRIFT_LOG_INTERVAL_MILLIS = 60_000;

    private final HybridLogicalClock hlc;
    private final Clock clock;
    private final LongAdder driftRejections = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private long lastDriftLogMillis = Long.MIN_VALUE;

    /** Decoding for a node whose clock is {@code hlc}; {@code clock} paces the drift log. */
    public RemoteStates(HybridLogicalClock hlc, Clock clock) {
        this.hlc = hlc;
        this.clock = clock;
    }

    /** Decodes stamped bytes from {@code from} and applies the HLC receive rule; null (counted, logged) if malformed. */
    public KeyState decode(int from, byte[] bytes) {
        KeyState state;
        long stamp;
        try {
            stamp = StampedState.stamp(bytes);
            state = StampedState.decode(bytes);
        } catch (CrdtCodecException e) {
            corrupt.increment();
            log.error("node {} sent a malformed CRDT state ({} bytes), skipped: {}", from, bytes.length, e.getMessage());
            return null;
        }
        try {
            hlc.receive(stamp);
        } catch (ClockDriftException e) {
            driftRejections.increment();
            logDrift(from, e);
        }
        return state;
    }

    /**
     * Applies the HLC receive rule to a stamp {@code from} sent with states it encoded (see {@link
     * #decodeState}): at or above every stamp inside them.
     */
    public void receiveStamp(int from, long stamp) {
        if (stamp < 0) {
            corrupt.increment();
            log.error("node {} sent a negative stamp, ignored", from);
            return;
        }
        try {
            hlc.receive(stamp);
        } catch (ClockDriftException e) {
            driftRejections.increment();
            logDrift(from, e);
        }
    }

    /**
     * Decodes the {@code CrdtCodec} state {@code bytes[offset..offset + length)} from {@code from},
     * whose stamp went to {@link #receiveStamp}; null (counted, logged) if malformed.
     */
    public KeyState decodeState(int from, byte[] bytes, int offset, int length) {
        return decodeState(from, new CrdtReader(bytes, offset, length));
    }

    /**
     * As {@link #decodeState(int, byte[], int, int)}, for the state {@code r} holds from where it
     * stands to its end (a reader reused over many states of one array).
     */
    public KeyState decodeState(int from, CrdtReader r) {
        int length = r.remaining();
        try {
            KeyState state = CrdtCodec.decode(r);
            r.expectEnd();
            return state;
        } catch (CrdtCodecException e) {
            corrupt.increment();
            log.error("node {} sent a malformed CRDT state ({} bytes), skipped: {}", from, length, e.getMessage());
            return null;
        }
    }

    private void logDrift(int from, ClockDriftException e) {
        long now = clock.nowMillis();
        boolean logIt;
        synchronized (this) {
            logIt = now - lastDriftLogMillis >= DRIFT_LOG_INTERVAL_MILLIS;
            if (logIt) {
                lastDriftLogMillis = now;
            }
        }
        if (logIt) {
            log.warn("node {} sent a timestamp beyond the maximum clock drift ({}); merged anyway, clock not moved "
                    + "({} such timestamps so far; check NTP)", from, e.getMessage(), driftRejections.sum());
        }
    }

    /** Remote stamps beyond the maximum clock drift (merged, clock not moved). */
    public long driftRejections() {
        return driftRejections.sum();
    }

    /** Malformed states received and skipped. */
    public long corrupt() {
        return corrupt.sum();
    }
}
