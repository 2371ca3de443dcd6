package io.converge.server.cluster.routing;

import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.replication.write.DeltaCapture;
import io.converge.server.replication.read.ReadResult;
import io.converge.server.replication.Replicator;
import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.NodeServices;
import io.converge.server.command.VirtualClient;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Runs a command on this node as one of the replicas of its keys, at the request's consistency
 * levels:
 * <ul>
 *   <li><b>write</b>: executes now inside a {@link DeltaCapture} (the engine hands each delta to
 *       the replicator, which queues it for the other replicas), then waits for the write level's
 *       acknowledgements; the reply the command wrote stands once they arrived, or is replaced by
 *       the replicator's error (which says where the write was applied). The wait is an
 *       {@link CommandDispatcher.AwaitingAcks}: the connection's later commands run meanwhile.</li>
 *   <li><b>read</b>: at {@code ONE}, executes now from the local state. Above {@code ONE}, first
 *       fetches the other replicas' states and merges them here (read repair), then executes, so
 *       the reply comes from the merged state.</li>
 * </ul>
 * Both complete at once when nothing needs waiting (a write at ONE, a read at ONE, a command that
 * wrote nothing): the reply is then final when {@link #run} returns null.
 */
final class ReplicaRunner {
    private final Replicator replicator;
    private final CommandDispatcher dispatcher;
    private final NodeServices node;

    ReplicaRunner(NodeServices node, Replicator replicator) {
        this.node = node;
        this.replicator = replicator;
        this.dispatcher = node.dispatcher();
    }

    /**
     * Runs {@code cmd} for {@code client} on its connection's thread. Returns null when the reply
     * is written and final, or a future for the rest (see {@link LateReply}).
     *
     * @param keys          the command's keys (replicated here), or empty
     * @param write         whether it writes (waits for the write level) or reads
     * @param coordinatorDc the datacenter LOCAL_QUORUM refers to (the client's node's)
     */
    CompletableFuture<LateReply> run(ClientConnection client, CommandSpec cmd, byte[][] args, byte[][] keys,
                                     boolean write, ConsistencyLevel readLevel, ConsistencyLevel writeLevel,
                                     int coordinatorDc) {
        if (write) {
            String refusal = replicator.writeRefusal();
            if (refusal != null) {
                cmd.stats().recordRejected();
                client.reply().error("ERR " + refusal);
                return null;
            }
            DeltaCapture capture = replicator.beginCapture();
            try {
                dispatcher.execute(client, cmd, args);
            } finally {
                capture.close();
            }
            if (capture.isEmpty()) {
                return null;
            }
            Session.of(client).noteWrite(capture.sequences());
            CompletableFuture<Void> acked = replicator.replicate(capture, writeLevel, coordinatorDc);
            if (acked.isDone() && !acked.isCompletedExceptionally()) {
                return null;
            }
            // Applied here already: later pipelined commands of the connection need not wait.
            CommandDispatcher.AwaitingAcks reply = new CommandDispatcher.AwaitingAcks();
            acked.whenComplete((ok, error) -> reply.complete(error == null ? LateReply.KEEP : failure(error)));
            return reply;
        }
        if (readLevel == ConsistencyLevel.ONE || keys.length == 0) {
            dispatcher.execute(client, cmd, args);
            return null;
        }
        CompletableFuture<ReadResult> repaired = replicator.readRepair(keys, readLevel, coordinatorDc);
        if (repaired.isDone() && !repaired.isCompletedExceptionally()) {
            dispatcher.execute(client, cmd, args);
            return null;
        }
        return repaired.handle((ok, error) -> error == null ? c -> dispatcher.execute(c, cmd, args) : failure(error));
    }

    /**
     * Runs {@code cmd} here in a {@link VirtualClient} speaking {@code protocol}; the future holds
     * the final reply as RESP bytes. The continuation runs on the thread that completes the wait
     * (a transport or timer thread); the virtual session belongs to this one request.
     */
    CompletableFuture<byte[]> runDetached(int protocol, CommandSpec cmd, byte[][] args, byte[][] keys, boolean write,
                                          ConsistencyLevel readLevel, ConsistencyLevel writeLevel, int coordinatorDc) {
        VirtualClient v = new VirtualClient(node, protocol);
        CompletableFuture<LateReply> late = run(v.client(), cmd, args, keys, write, readLevel, writeLevel,
                coordinatorDc);
        return finish(v, late);
    }

    /** The final reply bytes of virtual client {@code v} once {@code late} (null: already final) completed. */
    static CompletableFuture<byte[]> finish(VirtualClient v, CompletableFuture<LateReply> late) {
        byte[] written = v.take();
        if (late == null) {
            return CompletableFuture.completedFuture(written);
        }
        return late.handle((result, error) -> {
            if (error == null && result == LateReply.KEEP) {
                return written;
            }
            if (error != null) {
                v.client().reply().error("ERR " + messageOf(error));
            } else {
                result.write(v.client());
            }
            return v.take();
        });
    }

    /** A reply that reports {@code error} (a missed consistency level, an unreachable replica...). */
    static LateReply failure(Throwable error) {
        String message = "ERR " + messageOf(error);
        return c -> c.reply().error(message);
    }

    /** The client-facing text of {@code error}. */
    static String messageOf(Throwable error) {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
