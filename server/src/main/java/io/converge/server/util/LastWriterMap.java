package io.converge.server.util;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * A small map from names to values that converges across nodes by last writer, with tombstones:
 * each name maps to its latest entry (a value, or null once deleted), stamped with a time in
 * microseconds made larger than any stamp this map has seen and with the writing node; for one
 * name the entry with the larger (stamp, node) wins. So every node that has seen the same entries
 * holds the same map, whatever order they arrived in. The node-level state shared by a cluster
 * (function libraries, cluster-wide settings) is kept in one.
 *
 * <p>Thread safety: all methods are synchronized; such maps hold a handful of names.
 */
public final class LastWriterMap {

    /** One name's latest entry: {@code value} null for a deleted name. */
    public record Entry(String name, byte[] value, long stamp, String node) {
        /** Whether this entry wins over {@code other} (null: nothing there yet). */
        public boolean newerThan(Entry other) {
            return other == null || stamp > other.stamp || (stamp == other.stamp && node.compareTo(other.node) > 0);
        }
    }

    private final Map<String, Entry> entries = new TreeMap<>();
    private final String nodeId;
    private long lastStamp;

    /** An empty map written to by node {@code nodeId}. */
    public LastWriterMap(String nodeId) {
        this.nodeId = nodeId;
    }

    /** The entry of {@code name}, tombstone included, or null. */
    public synchronized Entry get(String name) {
        return entries.get(name);
    }

    /** Every entry, tombstones included (what another node needs to converge), by name. */
    public synchronized List<Entry> all() {
        return new ArrayList<>(entries.values());
    }

    /** The live values (tombstones left out), by name. */
    public synchronized Map<String, byte[]> live() {
        Map<String, byte[]> out = new TreeMap<>();
        for (Entry e : entries.values()) {
            if (e.value() != null) {
                out.put(e.name(), e.value());
            }
        }
        return out;
    }

    /**
     * Writes {@code name -> value} (null deletes) for every pair of {@code values} with one new
     * stamp of this node; returns the entries written.
     */
    public synchronized List<Entry> write(Map<String, byte[]> values) {
        lastStamp = Math.max(lastStamp + 1, System.currentTimeMillis() * 1000);
        List<Entry> written = new ArrayList<>(values.size());
        for (Map.Entry<String, byte[]> v : values.entrySet()) {
            written.add(new Entry(v.getKey(), v.getValue(), lastStamp, nodeId));
        }
        return apply(written);
    }

    /** Merges entries from another node (or a file); returns those that won here. */
    public synchronized List<Entry> merge(Collection<Entry> received) {
        for (Entry e : received) {
            lastStamp = Math.max(lastStamp, e.stamp());
        }
        return apply(received);
    }

    private List<Entry> apply(Collection<Entry> changes) {
        List<Entry> applied = new ArrayList<>();
        for (Entry e : changes) {
            if (e.newerThan(entries.get(e.name()))) {
                entries.put(e.name(), e);
                applied.add(e);
            }
        }
        return applied;
    }

    /**
     * The entries as bytes: {@code format} (a byte naming what they are), a count, the entries,
     * and a CRC32C of what precedes it.
     */
    public static byte[] encode(int format, Collection<Entry> list) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(format);
            out.writeInt(list.size());
            for (Entry e : list) {
                out.writeUTF(e.name());
                out.writeLong(e.stamp());
                out.writeUTF(e.node());
                out.writeInt(e.value() == null ? -1 : e.value().length);
                if (e.value() != null) {
                    out.write(e.value());
                }
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes.toByteArray());
            out.writeInt((int) crc.getValue());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The entries of bytes {@link #encode}d with {@code format}; throws IllegalArgumentException,
     * its message starting with {@code what}, when they are damaged or of another format.
     */
    public static List<Entry> decode(int format, String what, byte[] data) {
        if (data.length < 9) {
            throw new IllegalArgumentException(what + ": too short");
        }
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        int stored = ((data[data.length - 4] & 0xff) << 24) | ((data[data.length - 3] & 0xff) << 16)
                | ((data[data.length - 2] & 0xff) << 8) | (data[data.length - 1] & 0xff);
        if ((int) crc.getValue() != stored) {
            throw new IllegalArgumentException(what + ": checksum mismatch");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 4))) {
            if (in.readUnsignedByte() != format) {
                throw new IllegalArgumentException(what + ": unknown format");
            }
            int n = in.readInt();
            if (n < 0 || n > data.length) {
                throw new IllegalArgumentException(what + ": bad count");
            }
            List<Entry> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                long stamp = in.readLong();
                String node = in.readUTF();
                int len = in.readInt();
                if (len > data.length) {
                    throw new IllegalArgumentException(what + ": bad length");
                }
                byte[] value = null;
                if (len >= 0) {
                    value = new byte[len];
                    in.readFully(value);
                }
                list.add(new Entry(name, value, stamp, node));
            }
            return list;
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": truncated", e);
        }
    }
}
