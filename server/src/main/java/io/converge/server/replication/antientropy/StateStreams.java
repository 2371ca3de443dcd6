package io.converge.server.replication.antientropy;

import io.converge.server.cluster.wire.KeyedBytes;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The two ends of a stream of key states within a repair session (one per leaf batch and
 * direction): the sender cuts the states of a list of keys into parts of about
 * {@code partBytes}, building each state only when its part is cut (so a large repair never holds
 * more than the parts in flight), and keeps at most a window of parts unacknowledged; the
 * receiver tracks which parts arrived, so duplicates and reordering (which the simulated network
 * produces) neither double-count nor end the stream early.
 */
final class StateStreams {

    private StateStreams() {}

    /** Reads this node's current state of a key, stamped for the wire; null when none is held. */
    @FunctionalInterface
    interface StateReader {
        /** The {@code StampedState} bytes of {@code key}, or null. */
        byte[] read(byte[] key);
    }

    /** The sending end. */
    static final class Outgoing {
        final int batch;
        private final List<byte[]> keys;
        private int next;
        private int partsCut;
        private int lastPart = -1;
        private final BitSet acked = new BitSet();
        private int ackedCount;
        long bytes;
        long states;

        Outgoing(int batch, List<byte[]> keys) {
            this.batch = batch;
            this.keys = keys;
        }

        /** Whether every part was cut (the last one is known). */
        boolean allCut() {
            return lastPart >= 0;
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
         * one key if any is left; keys no longer held are skipped); the last part says so.
         */
        PeerMessage.SyncStates cut(int initiator, long sessionId, StateReader reader, int partBytes) {
            List<KeyedBytes> part = new ArrayList<>();
            long size = 0;
            while (next < keys.size() && (part.isEmpty() || size < partBytes)) {
                byte[] key = keys.get(next++);
                byte[] state = reader.read(key);
                if (state != null) {
                    KeyedBytes entry = new KeyedBytes(key, state);
                    part.add(entry);
                    size += entry.encodedSize();
                }
            }
            int index = partsCut++;
            boolean last = next >= keys.size();
            if (last) {
                lastPart = index;
            }
            bytes += size;
            states += part.size();
            return new PeerMessage.SyncStates(initiator, sessionId, batch, index, part, last);
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
