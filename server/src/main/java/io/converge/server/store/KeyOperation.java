package io.converge.server.store;

/** An operation on one key, run under that key's exclusive access. */
@FunctionalInterface
public interface KeyOperation<R> {
    /** Runs the operation; what it returns is returned by {@link StorageEngine#withKey}. */
    R apply(KeyAccess access);
}
