package io.converge.server.scripting;

import io.converge.server.util.AtomicFiles;
import io.converge.server.util.LastWriterMap;
import io.converge.server.util.SharedState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The function libraries of a node (FUNCTION LOAD), kept so that they converge across the
 * cluster and survive restarts: a {@link LastWriterMap} from library name to code (a tombstone
 * after FUNCTION DELETE/FLUSH), so every node that has seen the same changes holds the same
 * libraries whatever the order they arrived in. Changes are saved to {@code functions.bin} in the
 * data directory (written whole, atomically) and announced to the other nodes; a node that
 * starts, or a peer it sees again, exchanges the whole set with the others ({@link SharedState}).
 *
 * <p>Thread safety: all methods are synchronized; the map is small (a few libraries).
 */
public final class FunctionLibraries implements SharedState {
    private static final int FORMAT = 0xF1;
    private static final String WHAT = "function libraries";

    private final LastWriterMap entries;
    private final Path file;
    private long version;
    private Consumer<byte[]> peers = changes -> { };

    /** The libraries of node {@code nodeId}, saved in {@code file} (null: not saved); loads what the file holds. */
    public FunctionLibraries(Path file, String nodeId) {
        this.file = file;
        this.entries = new LastWriterMap(nodeId);
        if (file != null && Files.exists(file)) {
            entries.merge(decode(readFile(file)));
        }
    }

    @Override
    public synchronized void announceTo(Consumer<byte[]> peers) {
        this.peers = peers;
    }

    /** Changes whenever the set of libraries changes (Lua states reload when it does). */
    public synchronized long version() {
        return version;
    }

    /** The live library {@code name}'s code, or null. */
    public synchronized byte[] code(String name) {
        LastWriterMap.Entry e = entries.get(name);
        return e == null ? null : e.value();
    }

    /** The live libraries, by name. */
    public synchronized Map<String, byte[]> live() {
        return entries.live();
    }

    /** Every entry, tombstones included (what a peer needs to converge). */
    public synchronized List<LastWriterMap.Entry> all() {
        return entries.all();
    }

    /** Stores library {@code name} with {@code code} (FUNCTION LOAD, RESTORE). */
    public synchronized void put(String name, byte[] code) {
        changed(entries.write(Map.of(name, code)), true);
    }

    /** Deletes library {@code name} (FUNCTION DELETE). */
    public synchronized void delete(String name) {
        Map<String, byte[]> gone = new HashMap<>();
        gone.put(name, null);
        changed(entries.write(gone), true);
    }

    /** Deletes every live library (FUNCTION FLUSH; a RESTORE with FLUSH). */
    public synchronized void flush() {
        Map<String, byte[]> gone = new HashMap<>();
        for (String name : entries.live().keySet()) {
            gone.put(name, null);
        }
        changed(entries.write(gone), true);
    }

    /** Merges entries another node sent; returns whether anything changed here. */
    public synchronized boolean merge(Collection<LastWriterMap.Entry> received) {
        return changed(entries.merge(received), false);
    }

    @Override
    public synchronized boolean merge(byte[] encoded) {
        return merge(decode(encoded));
    }

    @Override
    public synchronized byte[] encodeAll() {
        return encode(entries.all());
    }

    private boolean changed(List<LastWriterMap.Entry> applied, boolean announce) {
        if (applied.isEmpty()) {
            return false;
        }
        version++;
        save();
        if (announce) {
            peers.accept(encode(applied));
        }
        return true;
    }

    private void save() {
        if (file == null) {
            return;
        }
        try {
            AtomicFiles.replace(file, encodeAll());
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

    /** The entries as bytes (the file, the messages between nodes and FUNCTION DUMP's payload). */
    public static byte[] encode(Collection<LastWriterMap.Entry> list) {
        return LastWriterMap.encode(FORMAT, list);
    }

    /** The entries of {@link #encode}d bytes; throws IllegalArgumentException when they are damaged. */
    public static List<LastWriterMap.Entry> decode(byte[] data) {
        return LastWriterMap.decode(FORMAT, WHAT, data);
    }
}
