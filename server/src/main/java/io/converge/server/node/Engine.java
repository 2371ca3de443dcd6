package io.converge.server.node;

import java.util.List;

/**
 * The node's view of its storage engine: lifecycle plus the hooks the command framework needs
 * (MULTI/EXEC atomicity, WATCH, maxmemory refusal). The storage engines of the {@code store}
 * package implement this interface (and add their CRDT operations on top); data-command families
 * receive the concrete engine when they are registered.
 *
 * <p>Threading: commands run on the network event loop threads (one per core), several at once,
 * so every method must be thread-safe.
 */
public interface Engine extends AutoCloseable {

    /** Short engine name shown in the ready line and INFO ("embedded", "redis"). */
    String name();

    /** Loads/recovers data; called once before the node accepts clients. */
    default void start() throws Exception {}

    /**
     * Runs {@code body} so that no other client's command observes or modifies the given keys
     * while it runs (EXEC). {@code keys} holds every key of the queued commands and every WATCHed
     * key (possibly with duplicates); {@code wholeKeyspace} is true when a queued command reads or
     * writes data without declaring key positions (FLUSHALL, KEYS, DBSIZE...), so the engine must
     * exclude everything. {@code body} runs on the calling thread before this method returns.
     */
    void runExclusive(List<byte[]> keys, boolean wholeKeyspace, Runnable body);

    /**
     * A value that changes whenever {@code key} changes in any way (write, delete, expiry, merge
     * of a remote delta). WATCH records it and EXEC compares it inside {@link #runExclusive}.
     */
    long keyVersion(byte[] key);

    /** Whether memory use exceeds {@code maxmemory}: commands flagged DENYOOM are then refused with OOM. */
    default boolean overMemoryLimit() {
        return false;
    }

    /**
     * Resets the engine's own INFO stats counters (keyspace hits and misses, expired keys...):
     * CONFIG RESETSTAT calls it. Default: the engine keeps no counters.
     */
    default void resetStats() {}

    /**
     * Waits until every write applied so far is as durable as the engine's configuration promises
     * (the embedded engine: with {@code appendfsync always} forced to its log, otherwise at least
     * written to the OS so a process crash loses nothing). The network layer calls it before it
     * sends a batch of replies, so no reply acknowledges a write that a crash could lose. Throws (an unchecked exception) if that cannot be guaranteed; the replies must
     * then not be sent. Default: nothing to wait for.
     */
    default void awaitDurable() {}

    /**
     * {@link #awaitDurable()} before a batch of client replies; {@code acknowledgesWrites} tells
     * whether the batch ran a write command. While the engine cannot persist (see
     * {@link #writeRefusal()}), a batch that acknowledges no write is let through at once, so reads
     * keep being served, and one that does throws at once; nothing waits for the disk then.
     * Default: {@link #awaitDurable()}.
     */
    default void awaitDurable(boolean acknowledgesWrites) {
        awaitDurable();
    }

    /**
     * The error (without the leading '-') that write commands are refused with, before they run,
     * while the engine cannot persist them: Redis's
     * {@code MISCONF Errors writing to the AOF file: <reason>} while its append-only log cannot be
     * written. Null when writes are accepted (default: always).
     */
    default String writeRefusal() {
        return null;
    }

    /** Flushes and releases everything; called once at shutdown. */
    @Override
    void close();

    /**
     * Has {@code listener} told of the keys that expire here and of those a client's write
     * creates here, under the key's lock: it must not block. Default: nothing to tell of.
     */
    default void keyListener(KeyListener listener) {}

    /**
     * Installs what is told the key of every write and merge that changed a key here (blocked
     * clients wait on it); called under the key's lock, so it must only queue work.
     */
    default void changeListener(java.util.function.Consumer<byte[]> listener) {}

    /** What {@link #keyListener} is told (keyspace notifications). */
    interface KeyListener {
        /**
         * {@code key} expired here: purged on access or by the background cycle, or removed by
         * another replica's purge of the same expiry before this node purged it.
         */
        void expired(byte[] key);

        /** A client's write on this node is making {@code key} exist, where it did not before (its first delta). */
        void created(byte[] key);

        /** A client's read on this node found no {@code key} (a keyspace miss). */
        void missed(byte[] key);
    }
}
