package io.converge.server.replication.forward;

import java.util.concurrent.CompletableFuture;

/**
 * Runs a command another node forwarded to this replica (see {@link Forwarder#forward}). The
 * client-path layer plugs in "decode these RESP arguments, run them at the given levels here,
 * return the reply bytes". Called on a transport I/O thread (or the simulation's thread): it
 * must not block; complete the future when the reply is ready (for a write, after its
 * consistency level was met or missed: the reply then carries the error).
 */
@FunctionalInterface
public interface ForwardHandler {

    /**
     * Runs {@code payload} (opaque to the replicator) forwarded by {@code fromNodeId} for
     * {@code key}; the future's bytes go back as the reply. A failed future is reported to the
     * forwarding node as a {@link ForwardException} carrying the failure's message.
     */
    CompletableFuture<byte[]> execute(int fromNodeId, byte[] key, byte[] payload);
}
