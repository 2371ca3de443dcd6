package io.converge.server.replication.antientropy;

import io.converge.crdt.codec.CrdtWriter;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The two ends of a stream of key states within a repair session (one per leaf batch and
 * direction): the sender cuts the states of a list of keys (which may grow until it is sealed)
 * into parts of about {@code partBytes}, building each state only when its part is cut (so a
 * large repair never holds more than the parts in flight), and keeps at most a window of parts
 * unacknowledged; the receiver tracks which parts arrived, so duplicates and reordering (which
 * the simulated network produces) neither double-count nor end the stream early.
 */
final class StateStreams {

    private StateStreams() {}

    /** Appends this node's current state of a key to a part. */
    interface StateReader {
        /**
         * Appends {@code key} and its current state to {@code out} as a {@code StateEntries}
         * entry; false (nothing appended) when none is held.
         */
        boolean append(byte[] key, CrdtWriter out);

        /** This node's clock now: read after the states of a part, it is at or above every stamp in them. */
        long stamp();
    }

    /**
     * The sending end. Its keys are known from the start ({@link #Outgoing(int, List)}), or added
     * as they become known ({@link #add}) until it is {@link #seal sealed}: only then can the last
     * part be cut.
     */
    static final class Outgoing {
        final int batch;
        private final List<byte[]> keys;
        private boolean sealed;
        private int next;
        private int partsCut;
        private int lastPart = -1;
        private final BitSet acked = new BitSet();
        private int ackedCount;
        long bytes;
        long states;

        /** A stream of exactly {@code keys}. */
        Outgoing(int batch, List<byte[]> keys) {
            this(batch, keys, true);
        }

        /** A stream of {@code keys} and, unless {@code sealed}, of those {@link #add added} later. */
        Outgoing(int batch, List<byte[]> keys, boolean sealed) {
            this.batch = batch;
            this.keys = new ArrayList<>(keys);
            this.sealed = sealed;
        }

        /** Adds keys to an unsealed stream. */
        void add(List<byte[]> more) {
            if (sealed) {
                throw new IllegalStateException("the stream of batch " + batch + " is sealed");
            }
            keys.addAll(more);
        }

        /** No more keys will be added: the part that takes the last key (or an empty one) ends the stream. */
        void seal() {
            sealed = true;
        }

        /** Whether a part can be cut now: the stream is not over, and it has keys left or is sealed. */
        boolean canCut() {
            return lastPart < 0 && (next < keys.size() || sealed);
        }

        /** Parts sent and not acknowledged. */
        int inFlight() {
            return partsCut - ackedCount;
        }

        /** Whether every part was acknowledged. */
        boolean done() {
            return lastPart >= 0 && ackedCount == lastPart + 1;
        }

        /**
         * Cuts the next part: the states of the following keys up to {@code partBytes} (at least
         * one key if any is left; keys no longer held are skipped); the last part of a sealed
         * stream says so. Call only when {@link #canCut}.
         */
        PeerMessage.SyncStates cut(int initiator, long sessionId, StateReader reader, int partBytes) {
            // Sized for the part (a few states may end it past partBytes), or for the keys left if
            // fewer: an empty last part, common once a batch's deferred keys all turned out equal,
            // needs no half-megabyte buffer.
            long left = (long) (keys.size() - next) * 256 + 64;
            CrdtWriter out = new CrdtWriter((int) Math.min(left, Math.min(partBytes, 1 << 20) + 4096L));
            int count = 0;
            while (next < keys.size() && (count == 0 || out.size() < partBytes)) {
                byte[] key = keys.get(next++);
                if (reader.append(key, out)) {
                    count++;
                }
            }
            long stamp = reader.stamp();
            int index = partsCut++;
            boolean last = sealed && next >= keys.size();
            if (last) {
                lastPart = index;
            }
            bytes += out.size();
            states += count;
            // The writer's buffer is handed over with its length: no copy of the part.
            return new PeerMessage.SyncStates(initiator, sessionId, batch, index, last, stamp, count, out.buffer(),
                    out.size());
        }

        /** Records the acknowledgement of part {@code part}; false for a duplicate or unknown part. */
        boolean ack(int part) {
            if (part < 0 || part >= partsCut || acked.get(part)) {
                return false;
            }
            acked.set(part);
            ackedCount++;
            return true;
        }
    }

    /** The receiving end. */
    static final class Incoming {
        private final BitSet received = new BitSet();
        private int count;
        private int lastPart = -1;

        /** Records part {@code part}; returns false for a duplicate. */
        boolean accept(int part, boolean last) {
            if (part < 0 || received.get(part)) {
                return false;
            }
            received.set(part);
            count++;
            if (last) {
                lastPart = part;
            }
            return true;
        }

        /** Whether every part up to the last arrived. */
        boolean complete() {
            return lastPart >= 0 && count == lastPart + 1;
        }
    }
}
