package io.converge.server.command;

import static io.converge.server.command.AclCategory.ADMIN;
import static io.converge.server.command.AclCategory.DANGEROUS;
import static io.converge.server.command.AclCategory.SLOW;
import static io.converge.server.command.CommandFlag.NOSCRIPT;

import io.converge.server.store.persist.Persistence;

/** BGREWRITEAOF: starts a log rewrite (a snapshot that replaces the segments written so far). */
public final class PersistenceCommands {
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
