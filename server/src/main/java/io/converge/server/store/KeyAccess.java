package io.converge.server.store;

import io.converge.crdt.KeyState;

/**
 * Exclusive access to one key during a {@link StorageEngine#withKey} operation: read its live
 * state, get a state to write to, stamp writes and report their deltas. Valid only inside the
 * operation.
 *
 * <p>Typical write, e.g. SADD: {@code KeyState ks = access.forWrite();} check the type
 * ({@code ks.type()} null or SET, else WRONGTYPE), {@code long hlc = access.stamp();}
 * {@code SetValue d = ks.setForWrite().add(member, hlc, access.node());}
 * {@code access.written(KeyState.wrap(d));}. Key-level mutators of {@link KeyState}
 * ({@code setString}, {@code delete}, {@code expire} ...) already return key deltas.
 */
public interface KeyAccess {

    /** The key. Do not mutate. */
    byte[] key();

    /**
     * The key's state if the key exists and has not expired, else null. An expired key is purged
     * first (its expiry delete is reported as a delta), as Redis deletes on access.
     */
    KeyState live();

    /**
     * The state to apply a write to: the live state, or an empty state installed in the keyspace
     * (so that {@code KeyState} mutators can create the value). Purges an expired key first.
     */
    KeyState forWrite();

    /** A fresh HLC timestamp for one write (strictly greater than any this node issued before). */
    long stamp();

    /** This node's replica id, the {@code node} argument of every mutator. */
    long node();

    /** The engine's current wall-clock time in ms (the time expiry is judged against). */
    long nowMs();

    /**
     * Reports the delta of a write applied to {@link #forWrite()}'s state: it goes to the delta
     * listeners (log, replication), memory accounting is updated and a state left with nothing
     * visible is cleaned up. Call once per mutator result (null is ignored). When the operation
     * ends with the key not existing but still carrying a TTL (a collection emptied by its own
     * removes), the engine also removes the TTL, as Redis deletes the key with it, and reports
     * that delta too: commands need not do it themselves.
     */
    void written(KeyState delta);
}
