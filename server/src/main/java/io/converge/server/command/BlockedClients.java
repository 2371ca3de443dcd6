package io.converge.server.command;

import io.converge.crdt.Bytes;
import io.converge.server.command.CommandDispatcher.LateReply;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The clients blocked on this node in BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN ... : which keys
 * each waits for, in arrival order per key, until one of them changes, its timeout passes,
 * {@code CLIENT UNBLOCK} releases it or its connection closes.
 *
 * <p>No thread waits. A blocked command leaves a future in place of its reply (the connection
 * runs no later command meanwhile, as in Redis) and an {@link Attempt}: what serves it (pops
 * here, or asks the key's primary replica). The engine reports every key that a write or a
 * merge changed ({@link #keyChanged}, cheap while nobody is blocked); for a key with waiters,
 * the serving thread ({@code converge-unblock}) tries the first waiter of that key, and after a
 * success the next one, so the client blocked first is served first. Attempts of one waiter
 * never overlap, and a change reported while one runs makes it try again. The waiting lists
 * change only on the serving thread.
 */
public final class BlockedClients {

    private static final int WAITING = 0;
    private static final int BUSY = 1;
    private static final int DONE = 2;
    /** Outcomes of one try. */
    private static final int SERVED = 0;
    private static final int EMPTY = 1;
    private static final int PENDING = 2;
    private static final LateReply NOTHING = client -> { };

    /**
     * Tries once to serve a blocked command: completes with the reply to write if it was served
     * (its effects are in place), or with null when its keys still hold nothing for it.
     */
    @FunctionalInterface
    public interface Attempt {
        /** Runs on the serving thread; may complete later (a request to another node). */
        CompletableFuture<LateReply> run();
    }

    /** One blocked command. */
    private static final class Waiter {
        final long clientId;
        final Bytes[] keys;
        final Attempt attempt;
        final LateReply onTimeout;
        final int kind;
        final CompletableFuture<LateReply> future = new CompletableFuture<>();
        final AtomicInteger state = new AtomicInteger(WAITING);
        /** A key changed while an attempt ran: try again if it finds nothing. */
        volatile boolean again;
        /** Set while an attempt runs by a timeout or CLIENT UNBLOCK: the reply if it finds nothing. */
        volatile LateReply interruption;
        ScheduledFuture<?> timer;
        ScheduledFuture<?> poller;

        Waiter(long clientId, Bytes[] keys, Attempt attempt, LateReply onTimeout, int kind) {
            this.clientId = clientId;
            this.keys = keys;
            this.attempt = attempt;
            this.onTimeout = onTimeout;
            this.kind = kind;
        }
    }

    private final ConcurrentHashMap<Bytes, Deque<Waiter>> byKey = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Waiter> byClient = new ConcurrentHashMap<>();
    private final AtomicInteger blocked = new AtomicInteger();
    private final ScheduledExecutorService serving = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "converge-unblock");
        t.setDaemon(true);
        return t;
    });

    /**
     * Blocks {@code client} on {@code keys}: returns the future that finishes its reply (a served
     * attempt's reply, {@code onTimeout} after {@code timeoutMillis}, 0 for never, or the reply
     * CLIENT UNBLOCK asks for). The caller has just found nothing for it; an attempt follows at
     * once in case a key changed in between. {@code kind} groups waiters that take the same
     * things (list pops, sorted-set pops): once one waiting on a key alone found nothing there,
     * the others of its kind on that key are not tried. With {@code pollMillis > 0} it is also
     * tried that often: for a client whose command another node serves, which may change the keys
     * without this node hearing of it.
     */
    public CompletableFuture<LateReply> block(ClientConnection client, byte[][] keys, long timeoutMillis,
            LateReply onTimeout, Attempt attempt, int kind, long pollMillis) {
        Bytes[] wrapped = new Bytes[keys.length];
        for (int i = 0; i < keys.length; i++) {
            wrapped[i] = Bytes.wrap(keys[i]);
        }
        Waiter w = new Waiter(client.id(), wrapped, attempt, onTimeout, kind);
        blocked.incrementAndGet();
        Waiter previous = byClient.put(client.id(), w);
        if (previous != null) {
            interrupt(previous, NOTHING); // cannot happen: a blocked connection runs no command
        }
        serving.execute(() -> {
            if (w.state.get() == DONE) {
                return;
            }
            for (Bytes k : wrapped) {
                byKey.computeIfAbsent(k, x -> new ConcurrentLinkedDeque<>()).addLast(w);
            }
            if (timeoutMillis > 0) {
                w.timer = serving.schedule(() -> interruptNow(w, onTimeout), timeoutMillis, TimeUnit.MILLISECONDS);
            }
            if (pollMillis > 0) {
                w.poller = serving.scheduleWithFixedDelay(() -> tryServe(w), pollMillis, pollMillis,
                        TimeUnit.MILLISECONDS);
            }
            // A key may have changed between the caller's try and now.
            for (Bytes k : wrapped) {
                serve(k);
            }
        });
        return w.future;
    }

    /** A write or a merge changed {@code key} (any thread, possibly under the key's lock: only queues work). */
    public void keyChanged(byte[] key) {
        if (blocked.get() == 0) {
            return;
        }
        Bytes k = Bytes.wrap(key);
        if (byKey.containsKey(k)) {
            serving.execute(() -> serve(k));
        }
    }

    /** Number of clients blocked here (INFO {@code blocked_clients}). */
    public int count() {
        return blocked.get();
    }

    /**
     * CLIENT UNBLOCK: releases client {@code id} with its timeout reply, or with {@code error} (a
     * full error text) when not null. Returns whether it was blocked.
     */
    public boolean unblock(long id, String error) {
        Waiter w = byClient.get(id);
        if (w == null) {
            return false;
        }
        interrupt(w, error == null ? w.onTimeout : c -> c.reply().error(error));
        return true;
    }

    /** The connection of {@code client} closed: it stops waiting, and nothing is taken for it any more. */
    public void forget(ClientConnection client) {
        Waiter w = byClient.get(client.id());
        if (w != null) {
            interrupt(w, NOTHING);
        }
    }

    // ------------------------------------------------------------------ serving (serving thread)

    /**
     * Tries the waiters of {@code key} in arrival order: after one that took something, the next
     * tries. Stops at a waiter whose try is still running (another node answers; its end serves
     * the key again). A waiter of this key alone that found nothing says the key holds nothing
     * for its kind: the later ones of that kind are skipped.
     */
    private void serve(Bytes key) {
        Deque<Waiter> waiters = byKey.get(key);
        if (waiters == null) {
            return;
        }
        long emptyKinds = 0;
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            int s = w.state.get();
            if (s == DONE) {
                it.remove();
                continue;
            }
            if (s == BUSY) {
                w.again = true;
                return;
            }
            long kindBit = 1L << (w.kind & 63);
            if (w.keys.length == 1 && (emptyKinds & kindBit) != 0) {
                continue;
            }
            int outcome = tryServe(w);
            if (outcome == PENDING) {
                return;
            }
            if (outcome == EMPTY && w.keys.length == 1) {
                emptyKinds |= kindBit;
            }
        }
        // Only this thread adds waiters, so an empty list stays empty. A list with waiters is never
        // taken out, not even for a moment: keyChanged() would miss a change made meanwhile.
        if (waiters.isEmpty()) {
            byKey.remove(key, waiters);
        }
    }

    /** Runs one try of {@code w}: {@link #SERVED}, {@link #EMPTY} or {@link #PENDING} (it ends later). */
    private int tryServe(Waiter w) {
        if (!w.state.compareAndSet(WAITING, BUSY)) {
            return PENDING;
        }
        w.again = false;
        CompletableFuture<LateReply> result;
        try {
            result = w.attempt.run();
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        if (result.isDone()) {
            LateReply reply = null;
            Throwable error = null;
            try {
                reply = result.join();
            } catch (RuntimeException e) {
                error = e.getCause() != null ? e.getCause() : e;
            }
            int outcome = settle(w, reply, error);
            if (outcome == SERVED && w.keys.length > 1) {
                for (Bytes k : w.keys) {
                    serving.execute(() -> serve(k)); // the serve loop goes on for one key; the others too
                }
            }
            return outcome;
        }
        result.whenComplete((reply, error) -> serving.execute(() -> {
            if (settle(w, reply, error) == SERVED) {
                for (Bytes k : w.keys) {
                    serve(k); // what is left may serve the next waiters
                }
            }
        }));
        return PENDING;
    }

    /**
     * Ends a try: {@link #SERVED} when it answered the client (or failed), {@link #EMPTY} when it
     * found nothing, or the outcome of the next try when a key changed while it ran.
     */
    private int settle(Waiter w, LateReply reply, Throwable error) {
        if (error != null) {
            String message = error.getMessage() == null ? error.toString() : error.getMessage();
            finish(w, c -> c.reply().error(message.startsWith("ERR") ? message : "ERR " + message));
            return SERVED;
        }
        if (reply != null) {
            finish(w, reply);
            return SERVED;
        }
        if (w.interruption != null) {
            finish(w, w.interruption);
            return EMPTY;
        }
        w.state.set(WAITING);
        if (w.again) {
            return tryServe(w);
        }
        return EMPTY;
    }

    /** CLIENT UNBLOCK or a closed connection (any thread): handled on the serving thread. */
    private void interrupt(Waiter w, LateReply reply) {
        serving.execute(() -> interruptNow(w, reply));
    }

    /** A timeout, CLIENT UNBLOCK or a closed connection: ends the wait now, or after the running attempt. */
    private void interruptNow(Waiter w, LateReply reply) {
        if (w.interruption != null) {
            return; // the first interruption decides the reply
        }
        w.interruption = reply;
        if (w.state.compareAndSet(WAITING, BUSY)) {
            finish(w, reply);
        }
        // BUSY: settle() finishes it with the interruption unless the attempt served it.
    }

    private void finish(Waiter w, LateReply reply) {
        if (w.state.getAndSet(DONE) == DONE) {
            return;
        }
        blocked.decrementAndGet();
        byClient.remove(w.clientId, w);
        if (w.timer != null) {
            w.timer.cancel(false);
        }
        if (w.poller != null) {
            w.poller.cancel(false);
        }
        for (Bytes k : w.keys) {
            Deque<Waiter> d = byKey.get(k);
            if (d != null) {
                d.remove(w);
                if (d.isEmpty()) {
                    byKey.remove(k, d);
                }
            }
        }
        w.future.complete(reply);
    }
}
