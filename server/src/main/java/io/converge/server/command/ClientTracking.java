package io.converge.server.command;

import io.converge.crdt.Bytes;
import io.converge.server.protocol.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Server-assisted client-side caching (CLIENT TRACKING, Redis 6+): tells clients when keys they
 * may have cached change. Default mode remembers, per key, the clients that read it with a
 * read-only command (all of them, or with OPTIN only after {@code CLIENT CACHING yes}, with OPTOUT
 * unless {@code CLIENT CACHING no}); the first change of the key sends each of them one
 * invalidation and forgets them. BCAST mode remembers nothing: every change of a key under one of
 * the client's prefixes (or of any key, without prefixes) is sent. A change is any write made on
 * this node, any delta merged from another node (so writes on every node of a cluster
 * invalidate), and an expiry; FLUSHALL and FLUSHDB send the null invalidation ("everything").
 *
 * <p>Invalidations go to the client itself as a RESP3 push ({@code >2 invalidate [keys]}), or to
 * its REDIRECT client: a RESP3 push there too, or in RESP2 a message on the
 * {@code __redis__:invalidate} channel if that client is subscribed. NOLOOP skips the changes the
 * client made itself. The table of remembered keys is bounded ({@value #MAX_KEYS} keys): beyond
 * it, keys are invalidated early to make room, as Redis's {@code tracking-table-max-keys} does.
 *
 * <p>Threads: changes are reported under the key's lock ({@link #keyChanged}), so delivery only
 * queues the message on the receiving connection's thread.
 */
public final class ClientTracking {
    /** The most keys remembered for default-mode clients. */
    static final int MAX_KEYS = 1_000_000;
    private static final byte[] INVALIDATE = "invalidate".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHANNEL = "__redis__:invalidate".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REDIR_BROKEN = "tracking-redir-broken".getBytes(StandardCharsets.US_ASCII);

    private final ClientRegistry clients;
    private final Map<Bytes, Set<Long>> readers = new ConcurrentHashMap<>();
    private final List<ClientConnection> broadcasters = new CopyOnWriteArrayList<>();
    /** Clients with tracking on: zero makes every hook a single read. */
    private volatile int enabled;
    /** The client whose command runs on this thread (for NOLOOP). */
    private final ThreadLocal<ClientConnection> running = new ThreadLocal<>();

    ClientTracking(ClientRegistry clients) {
        this.clients = clients;
    }

    /** One client's tracking settings (immutable; replaced when they change). */
    public record Mode(boolean bcast, boolean optin, boolean optout, boolean noloop, long redirect,
                       List<byte[]> prefixes) {
        /** Whether key {@code key} is one this BCAST client follows. */
        boolean follows(byte[] key) {
            if (prefixes.isEmpty()) {
                return true;
            }
            for (byte[] p : prefixes) {
                if (key.length >= p.length && java.util.Arrays.equals(key, 0, p.length, p, 0, p.length)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Whether any client tracks keys (the dispatcher asks before doing any tracking work). */
    boolean active() {
        return enabled > 0;
    }

    /** Turns tracking on for {@code client} with {@code mode} (replacing its settings if it was on). */
    synchronized void enable(ClientConnection client, Mode mode) {
        Mode old = client.tracking();
        if (old == null) {
            enabled++;
        }
        client.tracking(mode);
        broadcasters.remove(client);
        if (mode.bcast()) {
            broadcasters.add(client);
        }
    }

    /** Turns tracking off for {@code client} (also when it disconnects). */
    public synchronized void disable(ClientConnection client) {
        if (client.tracking() == null) {
            return;
        }
        client.tracking(null);
        client.caching(null);
        broadcasters.remove(client);
        enabled--;
    }

    /** Marks the command of {@code client} starting on this thread (NOLOOP needs to know who writes). */
    void commandStarted(ClientConnection client) {
        running.set(client);
    }

    /** Marks the command of this thread done. */
    void commandEnded() {
        running.remove();
    }

    /**
     * Remembers that {@code client} read {@code keys} with read-only command (default mode,
     * subject to OPTIN/OPTOUT and CLIENT CACHING).
     */
    void read(ClientConnection client, List<byte[]> keys) {
        Mode mode = client.tracking();
        if (mode == null || mode.bcast()) {
            return;
        }
        Boolean caching = client.caching();
        if ((mode.optin() && !Boolean.TRUE.equals(caching)) || (mode.optout() && Boolean.FALSE.equals(caching))) {
            return;
        }
        for (byte[] key : keys) {
            readers.computeIfAbsent(Bytes.wrap(key.clone()), k -> ConcurrentHashMap.newKeySet()).add(client.id());
        }
        if (readers.size() > MAX_KEYS) {
            makeRoom();
        }
    }

    /** Invalidates keys early until the table is back under its bound. */
    private void makeRoom() {
        Iterator<Map.Entry<Bytes, Set<Long>>> it = readers.entrySet().iterator();
        while (readers.size() > MAX_KEYS && it.hasNext()) {
            Map.Entry<Bytes, Set<Long>> e = it.next();
            it.remove();
            for (long id : e.getValue()) {
                send(id, e.getKey().array(), null);
            }
        }
    }

    /** A write or a merge changed {@code key} here, or it expired (called under the key's lock). */
    public void keyChanged(byte[] key) {
        if (enabled == 0) {
            return;
        }
        ClientConnection writer = running.get();
        Set<Long> ids = readers.remove(Bytes.wrap(key));
        if (ids != null) {
            for (long id : ids) {
                send(id, key, writer);
            }
        }
        for (ClientConnection c : broadcasters) {
            Mode mode = c.tracking();
            if (mode != null && mode.follows(key)) {
                send(c.id(), key, writer);
            }
        }
    }

    /** FLUSHALL or FLUSHDB ran: every tracking client gets the null invalidation ("everything"). */
    public void flushed() {
        if (enabled == 0) {
            return;
        }
        readers.clear();
        for (ClientConnection c : clients.all()) {
            if (c.tracking() != null) {
                send(c.id(), null, null);
            }
        }
    }

    /** Delivers the invalidation of {@code key} (null: all keys) to tracking client {@code id}. */
    private void send(long id, byte[] key, ClientConnection writer) {
        ClientConnection client = clients.byId(id);
        if (client == null) {
            return;
        }
        Mode mode = client.tracking();
        if (mode == null || (mode.noloop() && client == writer)) {
            return;
        }
        ClientConnection target = client;
        if (mode.redirect() > 0) {
            target = clients.byId(mode.redirect());
            if (target == null) {
                if (client.protocol() == 3) {
                    client.channel().push(w -> {
                        w.pushHeader(2);
                        w.bulk(REDIR_BROKEN);
                        w.integer(mode.redirect());
                    });
                }
                return;
            }
        }
        ClientConnection to = target;
        if (to.protocol() == 3) {
            to.channel().push(w -> {
                w.pushHeader(2);
                w.bulk(INVALIDATE);
                keys(w, key);
            });
        } else if (mode.redirect() > 0 && to.subscribed()) {
            to.channel().push(w -> {
                w.arrayHeader(3);
                w.bulk("message".getBytes(StandardCharsets.US_ASCII));
                w.bulk(CHANNEL);
                keys(w, key);
            });
        }
    }

    private static void keys(ReplyWriter w, byte[] key) {
        if (key == null) {
            w.nullValue();
        } else {
            w.arrayHeader(1);
            w.bulk(key);
        }
    }

    /**
     * Redis's error when a new prefix overlaps (one is a prefix of the other) an existing prefix of
     * the client or another new one, or null.
     */
    static String overlap(List<byte[]> existing, List<byte[]> added) {
        for (byte[] p : added) {
            for (byte[] e : existing) {
                if (overlaps(p, e)) {
                    return "ERR Prefix '" + text(p) + "' overlaps with an existing prefix '" + text(e)
                            + "'. Prefixes for a single client must not overlap.";
                }
            }
        }
        for (int i = 0; i < added.size(); i++) {
            for (int j = i + 1; j < added.size(); j++) {
                if (overlaps(added.get(i), added.get(j))) {
                    return "ERR Prefix '" + text(added.get(i)) + "' overlaps with another provided prefix '"
                            + text(added.get(j)) + "'. Prefixes for a single client must not overlap.";
                }
            }
        }
        return null;
    }

    private static boolean overlaps(byte[] p, byte[] q) {
        int n = Math.min(p.length, q.length);
        return java.util.Arrays.equals(p, 0, n, q, 0, n);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
