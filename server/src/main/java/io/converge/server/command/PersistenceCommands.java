package io.converge.server.command;

import static io.converge.server.command.AclCategory.ADMIN;
import static io.converge.server.command.AclCategory.DANGEROUS;
import static io.converge.server.command.AclCategory.SLOW;
import static io.converge.server.command.CommandFlag.NOSCRIPT;

import io.converge.server.store.persist.Persistence;
import java.io.IOException;

/**
 * BGREWRITEAOF, and Redis's snapshot commands mapped onto the log: the log's snapshot is the
 * node's only dump, so BGSAVE starts a log rewrite (which writes one), SAVE runs one and waits
 * (blocking its I/O thread, as Redis's SAVE blocks the server), and LASTSAVE answers when the last
 * one completed (before any, the node's start). Backup scripts that BGSAVE and poll LASTSAVE
 * work as with Redis; the files to copy are the log directory's (docs/persistence.md).
 */
public final class PersistenceCommands {
    private static final String SAVE_RUNNING = "ERR Background save already in progress";
    private final Persistence persistence;

    private PersistenceCommands(Persistence persistence) {
        this.persistence = persistence;
    }

    /** Registers the commands in {@code table}; {@code persistence} may be null (a node without it). */
    public static void register(CommandTable table, Persistence persistence) {
        PersistenceCommands c = new PersistenceCommands(persistence);
        table.register(CommandSpec.builder("bgrewriteaof").arity(1).flags(CommandFlag.ADMIN,
                        NOSCRIPT).acl(ADMIN, SLOW, DANGEROUS).group("server").since("1.0.0")
                .summary("Asynchronously rewrites the append-only file to disk.").complexity("O(1)")
                .handler(c::bgrewriteaof).build());
        table.register(CommandSpec.builder("bgsave").arity(-1).flags(CommandFlag.ADMIN, NOSCRIPT)
                .acl(ADMIN, SLOW, DANGEROUS).group("server").since("1.0.0")
                .summary("Asynchronously save the dataset to disk").complexity("O(1)").handler(c::bgsave).build());
        table.register(CommandSpec.builder("save").arity(1).flags(CommandFlag.ADMIN, NOSCRIPT, CommandFlag.NO_MULTI)
                .acl(ADMIN, SLOW, DANGEROUS).group("server").since("1.0.0")
                .summary("Synchronously save the dataset to disk")
                .complexity("O(N) where N is the total number of keys in all databases").handler(c::save).build());
        table.register(CommandSpec.builder("lastsave").arity(1)
                .flags(CommandFlag.LOADING, CommandFlag.STALE, CommandFlag.FAST).acl(ADMIN, DANGEROUS)
                .tips("nondeterministic_output").group("server").since("1.0.0")
                .summary("Returns the Unix timestamp of the last successful save to disk.").complexity("O(1)")
                .handler(c::lastsave).build());
    }

    /** BGSAVE [SCHEDULE]. */
    private void bgsave(CommandContext ctx) {
        boolean schedule = ctx.argc() == 2 && ctx.argIs(1, "schedule");
        if (ctx.argc() > 2 || (ctx.argc() == 2 && !schedule)) {
            throw Errors.SYNTAX_ERROR;
        }
        requireLog();
        if (schedule) {
            ctx.reply().simple(persistence.requestRewriteOrSchedule() ? "Background saving started"
                    : "Background saving scheduled");
            return;
        }
        if (!persistence.requestRewrite()) {
            throw new CommandException(SAVE_RUNNING);
        }
        ctx.reply().simple("Background saving started");
    }

    /** SAVE: a rewrite on this thread. */
    private void save(CommandContext ctx) {
        requireLog();
        try {
            if (!persistence.rewriteNow()) {
                throw new CommandException(SAVE_RUNNING);
            }
        } catch (IOException e) {
            throw new CommandException("ERR " + e.getMessage());
        }
        ctx.reply().ok();
    }

    private void lastsave(CommandContext ctx) {
        ctx.reply().integer((persistence == null ? ctx.node().startMillis() : persistence.lastSnapshotAtMillis()) / 1000);
    }

    private void requireLog() {
        if (persistence == null || !persistence.appendOnly()) {
            throw new CommandException("ERR Append only file is disabled (appendonly no): nothing to save");
        }
    }

    private void bgrewriteaof(CommandContext ctx) {
        if (persistence == null || !persistence.appendOnly()) {
            throw new CommandException("ERR Append only file is disabled (appendonly no): nothing to rewrite");
        }
        if (!persistence.requestRewrite()) {
            throw new CommandException("ERR Background append only file rewriting already in progress");
        }
        ctx.reply().simple("Background append only file rewriting started");
    }
}
