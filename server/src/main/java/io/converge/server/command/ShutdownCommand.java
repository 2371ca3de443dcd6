package io.converge.server.command;

import static io.converge.server.command.AclCategory.ADMIN;
import static io.converge.server.command.AclCategory.DANGEROUS;
import static io.converge.server.command.AclCategory.SLOW;
import static io.converge.server.command.CommandFlag.ALLOW_BUSY;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.NO_MULTI;
import static io.converge.server.command.CommandFlag.STALE;

/**
 * {@code SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]}: stops the node as Redis 7.0 does, with
 * Redis's argument checks. The client gets no reply: its connection closes as the node stops
 * ({@link NodeServices#requestShutdown}: clients disconnected, replication handed over to the
 * connected peers unless {@code NOW}, the log flushed). The log is Converge's persistence, so
 * {@code SAVE} and {@code NOSAVE} change nothing (there are no RDB save points), nor does
 * {@code FORCE} (nothing it would override can fail). {@code ABORT} always answers that no
 * shutdown is in progress: one that is has disconnected every client already.
 */
public final class ShutdownCommand {
    private ShutdownCommand() {}

    /** Registers SHUTDOWN in {@code table}. */
    public static void register(CommandTable table) {
        table.register(CommandSpec.builder("shutdown").arity(-1)
                .flags(CommandFlag.ADMIN, NOSCRIPT, LOADING, STALE, NO_MULTI, ALLOW_BUSY).acl(ADMIN, SLOW, DANGEROUS)
                .group("server").since("1.0.0")
                .summary("Synchronously saves the database(s) to disk and shuts down the Redis server.")
                .complexity("O(N) when saving, where N is the total number of keys in all databases when saving data, "
                        + "otherwise O(1)")
                .handler(ShutdownCommand::shutdown).build());
    }

    private static void shutdown(CommandContext ctx) {
        boolean save = false;
        boolean noSave = false;
        boolean now = false;
        boolean force = false;
        boolean abort = false;
        for (int i = 1; i < ctx.argc(); i++) {
            if (ctx.argIs(i, "nosave")) {
                noSave = true;
            } else if (ctx.argIs(i, "save")) {
                save = true;
            } else if (ctx.argIs(i, "now")) {
                now = true;
            } else if (ctx.argIs(i, "force")) {
                force = true;
            } else if (ctx.argIs(i, "abort")) {
                abort = true;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        if ((abort && (save || noSave || now || force)) || (save && noSave)) {
            throw Errors.SYNTAX_ERROR;
        }
        if (abort) {
            throw new CommandException("ERR No shutdown in progress.");
        }
        if (!ctx.node().requestShutdown(now)) {
            throw new CommandException("ERR Errors trying to SHUTDOWN. Check logs.");
        }
        ctx.connection().channel().close(); // no reply, as from Redis: the connection just ends
    }
}
