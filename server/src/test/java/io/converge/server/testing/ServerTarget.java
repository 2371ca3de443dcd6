package io.converge.server.testing;

/** A server the tests talk to: a real redis-server or a Converge node. */
public interface ServerTarget extends AutoCloseable {
    /** "redis" or "converge" (used in test names). */
    String name();

    /** Host to connect to. */
    default String host() {
        return "127.0.0.1";
    }

    /** Port to connect to. */
    int port();

    /** Whether this is the reference redis-server. */
    boolean isRedis();

    /** Stops the server. */
    @Override
    void close();
}
