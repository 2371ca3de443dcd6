package io.converge.server.replication.antientropy;

import io.converge.server.cluster.wire.KeyedBytes;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The receiving end of delta anti-entropy on one node: one {@link InboundDeltaWindow} per
 * sending peer, applying only new deltas and producing the acknowledgement to send back.
 *
 * <p>Acknowledge only what the store has taken: the ack returned by {@link #receive} covers
 * deltas passed to the sink, so the sink must have applied them (and, with fsync
 * {@code always}, made them durable) before the ack is sent. A delta is recorded as received
 * only after the sink returned; if the sink throws, the exception propagates, that delta and
 * the rest of the batch stay unrecorded, and the sender's resend delivers them again.
 */
public final class DeltaReceiver {

    /** Where new deltas go (the storage engine's merge). */
    @FunctionalInterface
    public interface DeltaSink {
        /** Merges {@code delta} into the state of {@code key}. */
        void apply(byte[] key, byte[] delta);
    }

    private final Map<Integer, InboundDeltaWindow> windows = new ConcurrentSkipListMap<>();

    /** The window tracking sender {@code peerId} (created on first use). */
    public InboundDeltaWindow window(int peerId) {
        return windows.computeIfAbsent(peerId, id -> new InboundDeltaWindow());
    }

    /**
     * Applies the new deltas of {@code batch} from {@code fromNodeId} to {@code sink} and returns the
     * acknowledgement to send back, or {@code null} for a stale batch (older sender incarnation).
     * Sends an ack even when every delta was a duplicate, so a sender whose ack got lost learns.
     */
    public PeerMessage.DeltaAck receive(int fromNodeId, PeerMessage.DeltaBatch batch, DeltaSink sink) {
        InboundDeltaWindow window = window(fromNodeId);
        // One batch at a time per sender: the window's decisions and the applies stay in order.
        synchronized (window) {
            if (!window.beginBatch(batch.incarnation(), batch.baseSeq())) {
                return null;
            }
            List<KeyedBytes> entries = batch.entries();
            for (int i = 0; i < entries.size(); i++) {
                KeyedBytes e = entries.get(i);
                long seq = batch.firstSeq() + i;
                if (window.isNew(seq)) {
                    sink.apply(e.key(), e.value());
                }
                window.accept(seq);
            }
            return new PeerMessage.DeltaAck(batch.incarnation(), window.ackedSeq());
        }
    }

    /** Forgets a sender (it left the cluster). */
    public void forget(int peerId) {
        windows.remove(peerId);
    }

    /** One row per sender, ascending by node id. */
    public List<InboundDeltaStats> stats() {
        List<InboundDeltaStats> rows = new ArrayList<>(windows.size());
        for (Map.Entry<Integer, InboundDeltaWindow> e : windows.entrySet()) {
            InboundDeltaWindow w = e.getValue();
            synchronized (w) {
                rows.add(new InboundDeltaStats(e.getKey(), w.incarnation(), w.ackedSeq(), w.accepted(),
                        w.duplicates(), w.beyondWindow(), w.staleBatches()));
            }
        }
        return rows;
    }
}
