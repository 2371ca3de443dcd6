package io.converge.server.node;

import java.util.List;

/**
 * The engine of a node that has no keyspace (yet): only connection and server commands work. No
 * key ever changes, so {@link #keyVersion} is constant and exclusive execution needs no lock.
 */
public final class NoEngine implements Engine {
    @Override
    public String name() {
        return "none";
    }

    @Override
    public void runExclusive(List<byte[]> keys, boolean wholeKeyspace, Runnable body) {
        body.run();
    }

    @Override
    public long keyVersion(byte[] key) {
        return 0;
    }

    @Override
    public void close() {}
}
