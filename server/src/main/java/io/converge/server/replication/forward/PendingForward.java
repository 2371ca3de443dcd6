package io.converge.server.replication.forward;

import java.util.concurrent.CompletableFuture;

/** A command forwarded to a replica, waiting for its {@code WRITE_ACK} until a deadline. */
final class PendingForward {

    final long requestId;
    final int target;
    final long deadlineMillis;
    final CompletableFuture<byte[]> future = new CompletableFuture<>();

    PendingForward(long requestId, int target, long deadlineMillis) {
        this.requestId = requestId;
        this.target = target;
        this.deadlineMillis = deadlineMillis;
    }
}
