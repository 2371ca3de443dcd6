package io.converge.crdt;

import io.converge.crdt.codec.CrdtWriter;

/**
 * The value part of a key: one CRDT state of one Redis type. States are mutable join
 * semilattices: {@link #merge} joins another state (or a delta, which is a state too) into this
 * one in place. Not thread-safe: the store serialises access per key.
 *
 * @param <T> the concrete type, so merge takes its own kind
 */
public interface CrdtValue<T extends CrdtValue<T>> {

    /** The Redis type this value represents. */
    ValueType type();

    /** Joins {@code other} into this state (commutative, associative, idempotent). */
    void merge(T other);

    /** A deep copy, sharing nothing mutable with this state. */
    T copy();

    /** Whether no element/value is visible (the key would not exist in Redis). */
    boolean isEmpty();

    /** Writes this state (without a type tag) in the binary format. */
    void encode(CrdtWriter w);
}
