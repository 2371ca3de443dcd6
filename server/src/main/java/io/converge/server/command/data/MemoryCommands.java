package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.NodeServices;
import io.converge.server.store.StorageEngine;

/**
 * MEMORY USAGE, MALLOC-STATS, PURGE and HELP, with Redis 7.0's arguments and errors. USAGE
 * answers the key's share of the dataset estimate that {@code maxmemory} is compared with (its
 * entry, key and value; see INFO memory {@code used_memory_dataset_estimate}), so {@code
 * redis-cli --memkeys} ranks keys by it; like Redis's figure it is an estimate, and SAMPLES is
 * accepted and checked but changes nothing (the estimate needs no sampling).
 */
public final class MemoryCommands {
    private final StorageEngine engine;

    private MemoryCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers MEMORY and its subcommands. */
    public static void register(NodeServices services, StorageEngine engine) {
        MemoryCommands c = new MemoryCommands(engine);
        CommandSpec.Builder memory = CommandSpec.builder("memory").arity(-2).acl(AclCategory.SLOW).group("server")
                .since("4.0.0").summary("A container for memory diagnostics commands").complexity("Depends on subcommand.");
        memory.subcommand(CommandSpec.builder("usage").arity(-3).flags(READONLY).keys(2, 2, 1)
                .keySpecFlags("RO").acl(AclCategory.READ, AclCategory.SLOW).group("server").since("4.0.0")
                .summary("Estimates the memory usage of a key.")
                .complexity("O(N) where N is the number of samples.").handler(c::usage));
        memory.subcommand(CommandSpec.builder("malloc-stats").arity(2).acl(AclCategory.SLOW)
                .tips("nondeterministic_output", "request_policy:all_shards", "response_policy:special")
                .group("server").since("4.0.0").summary("Returns the allocator statistics.")
                .complexity("Depends on how much memory is allocated, could be slow").handler(c::mallocStats));
        memory.subcommand(CommandSpec.builder("purge").arity(2).acl(AclCategory.SLOW)
                .tips("request_policy:all_shards", "response_policy:all_succeeded").group("server").since("4.0.0")
                .summary("Asks the allocator to release memory.")
                .complexity("Depends on how much memory is allocated, could be slow").handler(c::purge));
        memory.subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).acl(AclCategory.SLOW)
                .group("server").since("4.0.0").summary("Returns helpful text about the different subcommands.")
                .complexity("O(1)").handler(c::help));
        services.commands().register(memory.build());
    }

    /** MEMORY USAGE key [SAMPLES count]. */
    private void usage(CommandContext ctx) {
        for (int i = 3; i < ctx.argc(); i++) {
            if (ctx.argIs(i, "samples") && i + 1 < ctx.argc()) {
                if (ctx.argLong(i + 1) < 0) {
                    throw Errors.SYNTAX_ERROR;
                }
                i++;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        long bytes = engine.memoryUsage(ctx.arg(2));
        if (bytes < 0) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().integer(bytes);
        }
    }

    /** What Redis answers when its allocator keeps no statistics: the JVM's collector is not one that does. */
    private void mallocStats(CommandContext ctx) {
        ctx.reply().verbatim("Stats not supported for the current allocator");
    }

    /** Nothing to purge: the JVM's collector returns memory by itself. */
    private void purge(CommandContext ctx) {
        ctx.reply().ok();
    }

    private void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
                "HELP",
                "    Prints this help.");
    }
}
