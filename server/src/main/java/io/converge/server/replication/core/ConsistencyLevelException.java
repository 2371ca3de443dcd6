package io.converge.server.replication.core;

/**
 * A read or write whose consistency level was not met (too few replicas answered in time, or
 * too many are known to be down). The message is meant for the client, after {@code -ERR }; for
 * a write it says where the write was applied: that is not rolled back and converges.
 */
public final class ConsistencyLevelException extends RuntimeException {

    /** An error with the client-facing {@code message}. */
    public ConsistencyLevelException(String message) {
        super(message, null, false, false);
    }
}
