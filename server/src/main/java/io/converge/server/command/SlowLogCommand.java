package io.converge.server.command;

import static io.converge.server.command.CommandFlag.ADMIN;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.server.protocol.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@code SLOWLOG GET [count] | LEN | RESET | HELP} over the node's {@link SlowLog}, as Redis 7.0 answers them. */
public final class SlowLogCommand {
    private static final String COUNT_RANGE = "ERR count should be greater than or equal to -1";

    private SlowLogCommand() {}

    /** Registers SLOWLOG and its subcommands in {@code table}. */
    public static void register(CommandTable table) {
        CommandSpec.Builder slowlog = CommandSpec.builder("slowlog").arity(-2).acl(AclCategory.SLOW).group("server")
                .since("2.2.12").summary("A container for slow log commands.").complexity("Depends on subcommand.");
        slowlog.subcommand(CommandSpec.builder("get").arity(-2).flags(ADMIN, LOADING, STALE)
                .acl(AclCategory.ADMIN, AclCategory.SLOW, AclCategory.DANGEROUS)
                .tips("request_policy:all_nodes", "nondeterministic_output").group("server").since("2.2.12")
                .summary("Get the slow log's entries").complexity("O(N) where N is the number of entries returned")
                .handler(SlowLogCommand::get));
        slowlog.subcommand(CommandSpec.builder("len").arity(2).flags(ADMIN, LOADING, STALE)
                .acl(AclCategory.ADMIN, AclCategory.SLOW, AclCategory.DANGEROUS)
                .tips("request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output")
                .group("server").since("2.2.12").summary("Get the slow log's length")
                .complexity("O(1)").handler(ctx -> ctx.reply().integer(ctx.node().slowLog().size())));
        slowlog.subcommand(CommandSpec.builder("reset").arity(2).flags(ADMIN, LOADING, STALE)
                .acl(AclCategory.ADMIN, AclCategory.SLOW, AclCategory.DANGEROUS)
                .tips("request_policy:all_nodes", "response_policy:all_succeeded").group("server").since("2.2.12")
                .summary("Clear all entries from the slow log")
                .complexity("O(N) where N is the number of entries in the slowlog").handler(ctx -> {
                    ctx.node().slowLog().reset();
                    ctx.reply().ok();
                }));
        slowlog.subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).acl(AclCategory.SLOW)
                .group("server").since("6.2.0").summary("Show helpful text about the different subcommands")
                .complexity("O(1)").handler(SlowLogCommand::help));
        table.register(slowlog.build());
    }

    /** SLOWLOG GET [count]: the newest {@code count} entries (10 by default, -1 for all). */
    private static void get(CommandContext ctx) {
        if (ctx.argc() > 3) {
            throw new CommandException("ERR unknown subcommand or wrong number of arguments for '" + ctx.argString(1)
                    + "'. Try SLOWLOG HELP.");
        }
        long count = 10;
        if (ctx.argc() == 3) {
            try {
                count = ctx.argLong(2);
            } catch (CommandException e) {
                throw new CommandException(COUNT_RANGE);
            }
            if (count < -1) {
                throw new CommandException(COUNT_RANGE);
            }
        }
        List<SlowLog.Entry> entries = ctx.node().slowLog().newest(count);
        ReplyWriter reply = ctx.reply();
        reply.arrayHeader(entries.size());
        for (SlowLog.Entry e : entries) {
            reply.arrayHeader(6);
            reply.integer(e.id());
            reply.integer(e.unixTime());
            reply.integer(e.micros());
            reply.bulkArray(e.args());
            reply.bulk(e.client().getBytes(StandardCharsets.UTF_8));
            reply.bulk(e.clientName().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name",
                "LEN",
                "    Return the length of the slowlog.",
                "RESET",
                "    Reset the slowlog.",
                "HELP",
                "    Prints this help.");
    }
}
