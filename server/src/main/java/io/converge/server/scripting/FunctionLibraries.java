package io.converge.server.scripting;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The function libraries of a node (FUNCTION LOAD), kept so that they converge across the
 * cluster and survive restarts. Each library name maps to an entry: its code, or a tombstone
 * after FUNCTION DELETE/FLUSH, with a stamp (microseconds, made larger than any stamp seen) and
 * the writing node; for one name the entry with the larger (stamp, node) wins, so every node that
 * has seen the same entries holds the same libraries whatever the order they arrived in (a
 * last-writer-wins map with tombstones). Changes are saved to {@code functions.bin} in the data
 * directory (written whole, atomically) and announced to the other nodes; a node that starts, or
 * a peer it sees again, exchanges the whole set with the others ({@link Peers}).
 *
 * <p>Thread safety: all methods are synchronized; the map is small (a few libraries).
 */
public final class FunctionLibraries {
    private static final int FORMAT = 0xF1;

    /** One library name's latest entry: {@code code} null for a deleted library. */
    public record Entry(String name, byte[] code, long stamp, String node) {
        boolean newerThan(Entry other) {
            return other == null || stamp > other.stamp || (stamp == other.stamp && node.compareTo(other.node) > 0);
        }
    }

    /** How the libraries reach the other nodes of a cluster. */
    public interface Peers {
        /** A single node: nobody to tell. */
        Peers NONE = entries -> { };

        /** Tells the other nodes about changed entries (best effort, in the background). */
        void changed(List<Entry> entries);
    }

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Path file;
    private final String nodeId;
    private long lastStamp;
    private long version;
    private Peers peers = Peers.NONE;

    /** The libraries of node {@code nodeId}, saved in {@code file} (null: not saved); loads what the file holds. */
    public FunctionLibraries(Path file, String nodeId) {
        this.file = file;
        this.nodeId = nodeId;
        if (file != null && Files.exists(file)) {
            for (Entry e : decode(readFile(file))) {
                entries.put(e.name(), e);
                lastStamp = Math.max(lastStamp, e.stamp());
            }
        }
    }

    /** Connects to the other nodes (the cluster layer, at startup). */
    public synchronized void peers(Peers peers) {
        this.peers = peers;
    }

    /** Changes whenever the set of libraries changes (Lua states reload when it does). */
    public synchronized long version() {
        return version;
    }

    /** The live library {@code name}'s code, or null. */
    public synchronized byte[] code(String name) {
        Entry e = entries.get(name);
        return e == null ? null : e.code();
    }

    /** The live libraries, by name. */
    public synchronized Map<String, byte[]> live() {
        Map<String, byte[]> out = new TreeMap<>();
        for (Entry e : entries.values()) {
            if (e.code() != null) {
                out.put(e.name(), e.code());
            }
        }
        return out;
    }

    /** Every entry, tombstones included (what a peer needs to converge). */
    public synchronized List<Entry> all() {
        return new ArrayList<>(entries.values());
    }

    /** Stores library {@code name} with {@code code} (FUNCTION LOAD, RESTORE). */
    public synchronized void put(String name, byte[] code) {
        apply(List.of(new Entry(name, code, nextStamp(), nodeId)), true);
    }

    /** Deletes library {@code name} (FUNCTION DELETE). */
    public synchronized void delete(String name) {
        apply(List.of(new Entry(name, null, nextStamp(), nodeId)), true);
    }

    /** Deletes every live library (FUNCTION FLUSH; a RESTORE with FLUSH). */
    public synchronized void flush() {
        List<Entry> gone = new ArrayList<>();
        long stamp = nextStamp();
        for (Entry e : entries.values()) {
            if (e.code() != null) {
                gone.add(new Entry(e.name(), null, stamp, nodeId));
            }
        }
        apply(gone, true);
    }

    /** Merges entries another node sent; returns whether anything changed here. */
    public synchronized boolean merge(Collection<Entry> received) {
        for (Entry e : received) {
            lastStamp = Math.max(lastStamp, e.stamp());
        }
        return apply(received, false);
    }

    private boolean apply(Collection<Entry> changes, boolean announce) {
        List<Entry> applied = new ArrayList<>();
        for (Entry e : changes) {
            if (e.newerThan(entries.get(e.name()))) {
                entries.put(e.name(), e);
                applied.add(e);
            }
        }
        if (applied.isEmpty()) {
            return false;
        }
        version++;
        save();
        if (announce) {
            peers.changed(applied);
        }
        return true;
    }

    private long nextStamp() {
        lastStamp = Math.max(lastStamp + 1, System.currentTimeMillis() * 1000);
        return lastStamp;
    }

    private void save() {
        if (file == null) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, encode(entries.values()));
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the function libraries to " + file, e);
        }
    }

    private static byte[] readFile(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the function libraries from " + file, e);
        }
    }

    /** The entries as bytes: a format byte, a count, the entries, and a CRC32C of what precedes it. */
    public static byte[] encode(Collection<Entry> list) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT);
            out.writeInt(list.size());
            for (Entry e : list) {
                out.writeUTF(e.name());
                out.writeLong(e.stamp());
                out.writeUTF(e.node());
                out.writeInt(e.code() == null ? -1 : e.code().length);
                if (e.code() != null) {
                    out.write(e.code());
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

    /** The entries of {@link #encode}d bytes; throws IllegalArgumentException when they are damaged. */
    public static List<Entry> decode(byte[] data) {
        if (data.length < 9) {
            throw new IllegalArgumentException("function libraries: too short");
        }
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        int stored = ((data[data.length - 4] & 0xff) << 24) | ((data[data.length - 3] & 0xff) << 16)
                | ((data[data.length - 2] & 0xff) << 8) | (data[data.length - 1] & 0xff);
        if ((int) crc.getValue() != stored) {
            throw new IllegalArgumentException("function libraries: checksum mismatch");
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data, 0, data.length - 4))) {
            if (in.readUnsignedByte() != FORMAT) {
                throw new IllegalArgumentException("function libraries: unknown format");
            }
            int n = in.readInt();
            if (n < 0 || n > data.length) {
                throw new IllegalArgumentException("function libraries: bad count");
            }
            List<Entry> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                long stamp = in.readLong();
                String node = in.readUTF();
                int len = in.readInt();
                if (len > data.length) {
                    throw new IllegalArgumentException("function libraries: bad length");
                }
                byte[] code = null;
                if (len >= 0) {
                    code = new byte[len];
                    in.readFully(code);
                }
                list.add(new Entry(name, code, stamp, node));
            }
            return list;
        } catch (IOException e) {
            throw new IllegalArgumentException("function libraries: truncated", e);
        }
    }
}
