package io.converge.server.command;

import static io.converge.server.command.CommandFlag.NOSCRIPT;

import java.util.concurrent.CompletableFuture;

/**
 * WAIT numreplicas timeout: how many other nodes acknowledged this connection's writes, waiting up
 * to {@code timeout} ms (0: as long as it takes) for at least {@code numreplicas}, without holding
 * a thread (a {@link BlockedClients} waiter with no keys, tried every {@value #POLL_MILLIS} ms).
 * The count comes from {@link NodeServices#acknowledgements()}: on a single node 0, as from a
 * Redis without replicas; in a cluster, the other nodes that acknowledged every delta of the
 * connection's writes run on this node (see docs/cluster.md). Inside MULTI it answers at once.
 */
public final class WaitCommand {
    private static final long POLL_MILLIS = 10;
    /** Waiter kind of WAIT (it waits on no key). */
    private static final int KIND = 3;
    private static final CommandException TIMEOUT_NOT_INTEGER =
            new CommandException("ERR timeout is not an integer or out of range");
    private static final CommandException TIMEOUT_NEGATIVE = new CommandException("ERR timeout is negative");
    private static final byte[][] NO_KEYS = new byte[0][];

    private WaitCommand() {}

    /** Registers WAIT in {@code table}. */
    public static void register(CommandTable table) {
        table.register(CommandSpec.builder("wait").arity(3).flags(NOSCRIPT).acl(AclCategory.CONNECTION)
                .group("generic").since("3.0.0").tips("request_policy:all_shards", "response_policy:agg_min")
                .summary("Blocks until the asynchronous replication of all preceding write commands sent by the "
                        + "connection is completed.").complexity("O(1)").handler(WaitCommand::waitFor).build());
    }

    private static void waitFor(CommandContext ctx) {
        long wanted = ctx.argLong(1);
        long timeout;
        try {
            timeout = ctx.argLong(2);
        } catch (CommandException e) {
            throw TIMEOUT_NOT_INTEGER;
        }
        if (timeout < 0) {
            throw TIMEOUT_NEGATIVE;
        }
        NodeServices.Acknowledgements acks = ctx.node().acknowledgements();
        ClientConnection client = ctx.connection();
        int now = acks.acknowledged(client);
        if (now >= wanted || !ctx.mayBlock()) {
            ctx.reply().integer(now);
            return;
        }
        CommandDispatcher.LateReply count = c -> c.reply().integer(acks.acknowledged(c));
        ctx.blockOn(ctx.node().blocked().block(client, NO_KEYS, timeout, count,
                () -> CompletableFuture.completedFuture(acks.acknowledged(client) >= wanted ? count : null),
                KIND, POLL_MILLIS));
    }
}
