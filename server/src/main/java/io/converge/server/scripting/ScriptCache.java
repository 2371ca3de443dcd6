package io.converge.server.scripting;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scripts EVAL and SCRIPT LOAD were given, by SHA1 (lowercase hex), for EVALSHA. Like
 * Redis's, the cache is not persisted and SCRIPT FLUSH empties it. In a cluster it is shared
 * through {@link Peers}: a script added here is announced to the other nodes, and EVALSHA of a
 * script this node never saw (it was down, or restarted) asks them for it, so a script loaded on
 * any node runs on every node.
 */
public final class ScriptCache {
    private final ConcurrentHashMap<String, byte[]> bodies = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private volatile Peers peers = Peers.NONE;

    /** How the cache reaches the other nodes of a cluster. */
    public interface Peers {
        /** A single node: nobody to tell or ask. */
        Peers NONE = new Peers() {
            @Override
            public void added(byte[] body) {
                // nobody to tell
            }

            @Override
            public byte[] fetch(String sha) {
                return null;
            }
        };

        /** Tells the other nodes about a script added here (best effort, in the background). */
        void added(byte[] body);

        /** Asks the other nodes for the script {@code sha}; waits for their answers (bounded), null if none has it. */
        byte[] fetch(String sha);
    }

    /** Connects the cache to the other nodes (the cluster layer, at startup). */
    public void peers(Peers peers) {
        this.peers = peers;
    }

    /** Adds {@code body} (announcing it to the peers if it is new here); returns its SHA1. */
    public String add(byte[] body) {
        String sha = sha1hex(body);
        if (store(sha, body)) {
            peers.added(body);
        }
        return sha;
    }

    /** Adds a script another node announced or sent (not announced again). */
    public void addFromPeer(byte[] body) {
        store(sha1hex(body), body);
    }

    private boolean store(String sha, byte[] body) {
        if (bodies.putIfAbsent(sha, body) == null) {
            bytes.addAndGet(body.length);
            return true;
        }
        return false;
    }

    /** The script with SHA1 {@code sha} (any case) held here, or null. */
    public byte[] get(String sha) {
        return sha.length() == 40 ? bodies.get(sha.toLowerCase(java.util.Locale.ROOT)) : null;
    }

    /** The script with SHA1 {@code sha}, asking the other nodes when it is not held here; may wait. Null if unknown. */
    public byte[] fetch(String sha) {
        byte[] body = get(sha);
        if (body != null || sha.length() != 40) {
            return body;
        }
        body = peers.fetch(sha.toLowerCase(java.util.Locale.ROOT));
        if (body == null || !sha1hex(body).equalsIgnoreCase(sha)) {
            return null;
        }
        addFromPeer(body);
        return body;
    }

    /** SCRIPT FLUSH: forgets every script (here only; compiled copies are dropped on their next use). */
    public void flush() {
        bodies.clear();
        bytes.set(0);
        generation.incrementAndGet();
    }

    /** Changes with every flush: Lua states compare it to drop their compiled scripts. */
    public long generation() {
        return generation.get();
    }

    /** Number of scripts held. */
    public int size() {
        return bodies.size();
    }

    /** Bytes of script source held. */
    public long bytes() {
        return bytes.get();
    }

    /** The lowercase hex SHA1 of {@code data}, as redis.sha1hex and EVALSHA name scripts. */
    public static String sha1hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every Java platform", e);
        }
    }
}
