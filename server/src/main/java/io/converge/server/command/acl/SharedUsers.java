package io.converge.server.command.acl;

import io.converge.server.util.AtomicFiles;
import io.converge.server.util.LastWriterMap;
import io.converge.server.util.SharedState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users changed at run time, shared by the cluster: a {@link LastWriterMap} from user name to
 * the user's rules as ACL LIST writes them, or a tombstone for a deleted user. ACL SETUSER,
 * DELUSER and LOAD (and CONFIG SET requirepass, for the default user) stamp their changes here;
 * they are sent to the other nodes at once and pulled by every node from the others regularly, so
 * each user converges to its latest change, whole (two concurrent SETUSERs of one user: the later
 * stamp wins entirely, the other's rules are lost). Saved to {@code acl.bin} in the data directory
 * on every change, so a restarted node keeps them and catches up from there.
 *
 * <p>Guarded by the ACL's lock (passed in), so merges and local changes apply to the users in
 * the order they won here.
 */
final class SharedUsers implements SharedState {
    private static final Logger log = LoggerFactory.getLogger(SharedUsers.class);
    private static final int FORMAT = 0xAC;
    private static final String WHAT = "ACL users";

    private final Object lock;
    private final LastWriterMap entries;
    private final Path file;
    private final Consumer<List<LastWriterMap.Entry>> onMerged;
    private Consumer<byte[]> peers = changes -> { };

    /**
     * The shared users of node {@code nodeId}, saved in {@code file} (null: not saved), loaded from
     * it now; {@code onMerged} gets the entries a peer sent that won here (called holding {@code lock}).
     */
    SharedUsers(Object lock, Path file, String nodeId, Consumer<List<LastWriterMap.Entry>> onMerged) {
        this.lock = lock;
        this.file = file;
        this.onMerged = onMerged;
        this.entries = new LastWriterMap(nodeId);
        if (file != null && Files.exists(file)) {
            try {
                entries.merge(LastWriterMap.decode(FORMAT, WHAT, Files.readAllBytes(file)));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalStateException("cannot read the ACL users from " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** The latest entry of {@code name} (a tombstone for a deleted user), or null if it never changed. */
    LastWriterMap.Entry get(String name) {
        return entries.get(name);
    }

    /** Every entry, tombstones included. */
    List<LastWriterMap.Entry> all() {
        return entries.all();
    }

    /** Stamps {@code changes} (name to rules, null to delete) with one new stamp, saves and announces them. */
    void write(Map<String, byte[]> changes) {
        List<LastWriterMap.Entry> applied = entries.write(changes);
        save();
        peers.accept(LastWriterMap.encode(FORMAT, applied));
    }

    /** Merges entries stamped elsewhere (the ACL file at start, as of its modification time); saves. */
    List<LastWriterMap.Entry> mergeLocal(Collection<LastWriterMap.Entry> stamped) {
        List<LastWriterMap.Entry> applied = entries.merge(stamped);
        if (!applied.isEmpty()) {
            save();
        }
        return applied;
    }

    @Override
    public boolean merge(byte[] encoded) {
        List<LastWriterMap.Entry> received = LastWriterMap.decode(FORMAT, WHAT, encoded);
        synchronized (lock) {
            List<LastWriterMap.Entry> applied = entries.merge(received);
            if (applied.isEmpty()) {
                return false;
            }
            save();
            onMerged.accept(applied);
            return true;
        }
    }

    @Override
    public byte[] encodeAll() {
        return LastWriterMap.encode(FORMAT, entries.all());
    }

    @Override
    public void announceTo(Consumer<byte[]> peers) {
        synchronized (lock) {
            this.peers = peers;
        }
    }

    private void save() {
        if (file == null) {
            return;
        }
        try {
            AtomicFiles.replace(file, encodeAll());
        } catch (IOException e) {
            // The change stands (in memory and on the other nodes); it is lost here only if this node restarts alone.
            log.warn("cannot save the ACL users to {}: {}", file, e.toString());
        }
    }
}
