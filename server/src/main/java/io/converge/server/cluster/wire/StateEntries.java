package io.converge.server.cluster.wire;

import java.util.Arrays;

/**
 * Keys with their state bytes packed back to back in one array, as a {@link
 * PeerMessage.SyncStates} part carries them: per entry an unsigned LEB128 varint key length, the
 * key, a varint length of the state, the state. A part of half a megabyte holds a few thousand
 * states; packing them spares both ends an array per key and per state (the sender encodes each
 * state straight into the part, the receiver decodes each from it).
 */
public final class StateEntries {

    private StateEntries() {}

    /**
     * Checks that {@code entries} holds exactly {@code count} well-formed entries (lengths within
     * the array, nothing after the last).
     *
     * @throws PeerProtocolException otherwise
     */
    public static void check(byte[] entries, int count) {
        if (count < 0) {
            throw new PeerProtocolException("negative state count " + count);
        }
        Cursor c = new Cursor(entries);
        for (int i = 0; i < count; i++) {
            if (!c.nextChecked()) {
                throw new PeerProtocolException("states end after " + i + " of " + count + " entries");
            }
        }
        if (c.pos != entries.length) {
            throw new PeerProtocolException((entries.length - c.pos) + " bytes after the last of " + count + " states");
        }
    }

    /** Reads the entries of an array that passed {@link #check}, one {@link #next} at a time. */
    public static final class Cursor {
        private final byte[] data;
        private final int end;
        private int pos;
        private int keyStart;
        private int keyEnd;
        private int stateStart;
        private int stateEnd;

        /** A cursor before the first entry of {@code data}. */
        public Cursor(byte[] data) {
            this(data, data.length);
        }

        /** A cursor before the first entry of {@code data[0..length)}. */
        public Cursor(byte[] data, int length) {
            if (length < 0 || length > data.length) {
                throw new IllegalArgumentException("length " + length + " of a " + data.length + "-byte array");
            }
            this.data = data;
            this.end = length;
        }

        /** Moves to the next entry; false at the end. */
        public boolean next() {
            if (pos >= end) {
                return false;
            }
            if (!nextChecked()) {
                throw new PeerProtocolException("malformed state entries");
            }
            return true;
        }

        private boolean nextChecked() {
            if (pos >= end) {
                return false;
            }
            long keyLength = readVarInt();
            if (keyLength < 0 || keyLength > end - pos) {
                return false;
            }
            keyStart = pos;
            keyEnd = pos + (int) keyLength;
            pos = keyEnd;
            long stateLength = readVarInt();
            if (stateLength < 0 || stateLength > end - pos) {
                return false;
            }
            stateStart = pos;
            stateEnd = pos + (int) stateLength;
            pos = stateEnd;
            return true;
        }

        /** A varint of at most five bytes below 2^31, or -1 when malformed or truncated. */
        private long readVarInt() {
            long v = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                if (pos >= end) {
                    return -1;
                }
                int b = data[pos++] & 0xFF;
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v > Integer.MAX_VALUE ? -1 : v;
                }
            }
            return -1;
        }

        /** The array the entries are in. */
        public byte[] data() {
            return data;
        }

        /** A copy of the current entry's key. */
        public byte[] key() {
            return Arrays.copyOfRange(data, keyStart, keyEnd);
        }

        /** Where the current entry's state starts in {@link #data()}. */
        public int stateStart() {
            return stateStart;
        }

        /** The length of the current entry's state. */
        public int stateLength() {
            return stateEnd - stateStart;
        }
    }

    /** Bytes a varint of {@code v} (non-negative) takes. */
    public static int varIntSize(int v) {
        int n = 1;
        while ((v & ~0x7F) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }
}
