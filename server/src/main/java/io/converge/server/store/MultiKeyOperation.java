package io.converge.server.store;

/** An operation on several keys, run with all of them exclusively held. */
@FunctionalInterface
public interface MultiKeyOperation<R> {
    /**
     * Runs the operation; {@code access[i]} is the access to the i-th key passed to
     * {@link StorageEngine#withKeys} (duplicates share one instance).
     */
    R apply(KeyAccess[] access);
}
