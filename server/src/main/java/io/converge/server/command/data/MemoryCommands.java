package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.NodeServices;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.StorageEngine;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.Map;

/**
 * MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, with Redis 7.0's arguments and errors. USAGE
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
        memory.subcommand(CommandSpec.builder("stats").arity(2).acl(AclCategory.SLOW)
                .tips("nondeterministic_output", "request_policy:all_shards", "response_policy:special")
                .group("server").since("4.0.0").summary("Returns details about memory usage.")
                .complexity("O(1)").handler(c::stats));
        memory.subcommand(CommandSpec.builder("doctor").arity(2).acl(AclCategory.SLOW)
                .tips("nondeterministic_output", "request_policy:all_shards", "response_policy:special")
                .group("server").since("4.0.0").summary("Outputs a memory problems report.")
                .complexity("O(1)").handler(c::doctor));
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

    /**
     * MEMORY STATS: Redis 7.0's fields, filled with what a JVM node knows: the heap in use and its
     * peak for the allocator figures, the dataset estimate ({@code maxmemory}'s measure) for the
     * dataset, the rest of the heap as overhead; Redis's C-allocator specifics (fragmentation,
     * RSS) are reported as the heap's committed size against its use.
     */
    private void stats(CommandContext ctx) {
        Map<String, String> info = ctx.node().info().fields(List.of("memory", "keyspace"));
        long used = parse(info.get("used_memory"));
        long committed = parse(info.get("used_memory_heap_committed"));
        long dataset = parse(info.get("used_memory_dataset_estimate"));
        long keys = engine.size();
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        peak = Math.max(peak, used);
        long overhead = Math.max(0, used - dataset);
        long scripts = parse(ctx.node().info().fields(List.of("memory")).get("used_memory_scripts_eval"));
        ReplyWriter r = ctx.reply();
        r.mapHeader(keys > 0 ? 28 : 27);
        field(r, "peak.allocated", peak);
        field(r, "total.allocated", used);
        field(r, "startup.allocated", 0);
        field(r, "replication.backlog", 0);
        field(r, "clients.slaves", 0);
        field(r, "clients.normal", 0);
        field(r, "cluster.links", 0);
        field(r, "aof.buffer", 0);
        field(r, "lua.caches", scripts);
        field(r, "functions.caches", 0);
        if (keys > 0) {
            r.bulk("db.0");
            r.mapHeader(2);
            field(r, "overhead.hashtable.main", 0);
            field(r, "overhead.hashtable.expires", 0);
        }
        field(r, "overhead.total", overhead);
        field(r, "keys.count", keys);
        field(r, "keys.bytes-per-key", keys == 0 ? 0 : dataset / keys);
        field(r, "dataset.bytes", dataset);
        r.bulk("dataset.percentage");
        r.doubleValue(used == 0 ? 0 : 100.0 * dataset / used);
        r.bulk("peak.percentage");
        r.doubleValue(peak == 0 ? 0 : 100.0 * used / peak);
        field(r, "allocator.allocated", used);
        field(r, "allocator.active", used);
        field(r, "allocator.resident", committed);
        r.bulk("allocator-fragmentation.ratio");
        r.doubleValue(1.0);
        field(r, "allocator-fragmentation.bytes", 0);
        r.bulk("allocator-rss.ratio");
        r.doubleValue(used == 0 ? 1 : (double) committed / used);
        field(r, "allocator-rss.bytes", Math.max(0, committed - used));
        r.bulk("rss-overhead.ratio");
        r.doubleValue(1.0);
        field(r, "rss-overhead.bytes", 0);
        r.bulk("fragmentation");
        r.doubleValue(used == 0 ? 1 : (double) committed / used);
        field(r, "fragmentation.bytes", Math.max(0, committed - used));
    }

    private static void field(ReplyWriter r, String name, long value) {
        r.bulk(name);
        r.integer(value);
    }

    private static long parse(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * MEMORY DOCTOR: Redis's report for an instance with little data; otherwise what matters on a
     * JVM node: the dataset against {@code maxmemory}, and the heap's headroom.
     */
    private void doctor(CommandContext ctx) {
        Map<String, String> info = ctx.node().info().fields(List.of("memory"));
        long used = parse(info.get("used_memory"));
        long heapMax = parse(info.get("used_memory_heap_max"));
        long dataset = parse(info.get("used_memory_dataset_estimate"));
        long maxmemory = ctx.node().config().current().maxmemory();
        if (dataset < 5L << 20) {
            ctx.reply().verbatim("Hi Sam, this instance is empty or is using very little memory, my issues detector "
                    + "can't be used in these conditions. Please, leave for your mission on Earth and fill it with "
                    + "some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n");
            return;
        }
        StringBuilder issues = new StringBuilder();
        if (maxmemory > 0 && dataset > maxmemory * 9 / 10) {
            issues.append(" * Dataset near maxmemory: the dataset estimate is ").append(dataset)
                    .append(" bytes of a maxmemory of ").append(maxmemory)
                    .append("; writes are refused beyond it (noeviction). Raise maxmemory or delete data.\n\n");
        }
        if (heapMax > 0 && used > heapMax * 85 / 100) {
            issues.append(" * High heap use: ").append(used).append(" of ").append(heapMax)
                    .append(" heap bytes are in use; give the JVM a larger heap (-Xmx, server/jvm.options) or set "
                    + "maxmemory well below it.\n\n");
        }
        if (issues.isEmpty()) {
            ctx.reply().verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for "
                    + "what occurs on this base.\n");
        } else {
            ctx.reply().verbatim("Sam, I detected a few issues in this Redis instance memory implants:\n\n" + issues
                    + "I'm here to keep you safe, Sam. I want to help you.\n");
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
                "DOCTOR",
                "    Return memory problems reports.",
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
                "STATS",
                "    Return information about the memory usage of the server.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
                "HELP",
                "    Prints this help.");
    }
}
