package io.converge.bench.sidebyside;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Everything a run started and must stop (server processes, a running redis-benchmark), closed
 * newest first. Closed at the end of a run and, through a shutdown hook, on Ctrl-C.
 */
public final class Cleanup implements AutoCloseable {
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private boolean closed;

    /** Thrown when something is registered after cleanup began (the run is being stopped). */
    public static final class StoppedException extends IllegalStateException {
        StoppedException() {
            super("the benchmark is stopping");
        }
    }

    /**
     * Registers a resource to close later; returns it. Once cleanup has begun (Ctrl-C arrived
     * while the main thread was still starting something) the resource is closed at once and
     * {@link StoppedException} thrown, so nothing started late outlives the run.
     */
    public <T extends AutoCloseable> T register(T resource) {
        synchronized (this) {
            if (!closed) {
                resources.push(resource);
                return resource;
            }
        }
        closeQuietly(resource);
        throw new StoppedException();
    }

    /** Forgets a resource that was already closed normally. */
    public synchronized void unregister(AutoCloseable resource) {
        resources.remove(resource);
    }

    /** Closes every registered resource, newest first; one failing does not stop the others. */
    @Override
    public void close() {
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                closed = true;
                next = resources.poll();
            }
            if (next == null) {
                return;
            }
            closeQuietly(next);
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            System.err.println("converge bench: while cleaning up: " + e);
        }
    }
}
