package io.converge.server.command;

import static io.converge.server.command.AclCategory.DANGEROUS;
import static io.converge.server.command.CommandFlag.ADMIN;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.server.node.Version;
import io.converge.server.config.ConfigException;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.node.InfoRegistry;
import io.converge.server.node.ServerStats;
import io.converge.server.protocol.ReplyWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Server commands: INFO, CONFIG (GET, SET, RESETSTAT, HELP), TIME, ROLE; and the core INFO sections. */
public final class ServerCommands {

    /** Registers the family in {@code table}. */
    public static void register(CommandTable table) {
        ServerCommands c = new ServerCommands();
        table.register(CommandSpec.builder("info").arity(-1).flags(LOADING, STALE).acl(DANGEROUS)
                .tips("nondeterministic_output", "request_policy:all_shards", "response_policy:special")
                .group("server").summary("Returns information and statistics about the server.")
                .complexity("O(1)").handler(c::info).build());
        table.register(CommandSpec.builder("time").arity(1).flags(LOADING, STALE, FAST)
                .tips("nondeterministic_output").group("server").since("2.6.0")
                .summary("Returns the server time.").complexity("O(1)").handler(c::time).build());
        table.register(CommandSpec.builder("role").arity(1).flags(NOSCRIPT, LOADING, STALE, FAST)
                .acl(AclCategory.ADMIN, DANGEROUS).group("server").since("2.8.12")
                .summary("Return the role of the instance in the context of replication").complexity("O(1)").handler(c::role).build());
        CommandSpec.Builder config = CommandSpec.builder("config").arity(-2).group("server").since("2.0.0")
                .summary("A container for server configuration commands.").complexity("Depends on subcommand.");
        config.subcommand(CommandSpec.builder("get").arity(-3).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                .group("server").since("2.0.0").summary("Returns the effective values of configuration parameters.")
                .complexity("O(N) when N is the number of configuration parameters provided").handler(c::configGet));
        config.subcommand(CommandSpec.builder("set").arity(-4).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                .tips("request_policy:all_nodes", "response_policy:all_succeeded")
                .group("server").since("2.0.0").summary("Sets configuration parameters in-flight.")
                .complexity("O(N) when N is the number of configuration parameters provided").handler(c::configSet));
        config.subcommand(CommandSpec.builder("resetstat").arity(2).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                .group("server").since("2.0.0").summary("Resets the server's statistics.")
                .complexity("O(1)").handler(c::configResetStat));
        config.subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).group("server")
                .since("5.0.0").summary("Returns helpful text about the different subcommands.")
                .complexity("O(1)").handler(c::configHelp));
        table.register(config.build());
    }

    /** Adds the server, clients, stats, commandstats and errorstats INFO sections. */
    public static void registerInfo(NodeServices node) {
        // A Redis parameter that tools query (redis-benchmark reads it at start): Converge never
        // writes RDB snapshots.
        node.config().registerReadOnly("save", () -> "");
        InfoRegistry info = node.info();
        info.add("server", out -> {
            long now = System.currentTimeMillis();
            long uptime = (now - node.startMillis()) / 1000;
            ConvergeConfig config = node.config().current();
            out.field("redis_version", Version.REDIS_COMPATIBLE)
                    .field("converge_version", Version.CONVERGE)
                    .field("redis_mode", "standalone")
                    .field("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"))
                    .field("arch_bits", System.getProperty("os.arch").contains("64") ? 64 : 32)
                    .field("multiplexing_api", node.transportName())
                    .field("java_version", System.getProperty("java.version"))
                    .field("process_id", ProcessHandle.current().pid())
                    .field("run_id", node.runId())
                    .field("node_id", node.nodeId())
                    .field("engine", node.engine().name())
                    .field("tcp_port", node.port() != 0 ? node.port() : node.tlsPort()) // Redis's: the TLS port when TLS-only
                    .field("server_time_usec", now * 1000)
                    .field("uptime_in_seconds", uptime)
                    .field("uptime_in_days", uptime / 86400)
                    .field("hz", config.hz())
                    .field("configured_hz", config.hz())
                    .field("io_threads_active", 0);
        });
        info.add("clients", out -> out
                .field("connected_clients", node.clients().count())
                .field("cluster_connections", 0)
                .field("maxclients", node.config().current().maxclients())
                .field("blocked_clients", node.blocked().count())
                .field("tracking_clients", 0)
                .field("clients_in_timeout_table", node.blocked().count()));
        info.add("stats", out -> {
            ServerStats s = node.stats();
            out.field("total_connections_received", s.connectionsReceived())
                    .field("total_commands_processed", s.commandsProcessed())
                    .field("instantaneous_ops_per_sec", s.instantaneousOpsPerSec())
                    .field("total_net_input_bytes", s.netInputBytes())
                    .field("total_net_output_bytes", s.netOutputBytes())
                    .field("instantaneous_input_kbps", s.instantaneousInputKbps())
                    .field("instantaneous_output_kbps", s.instantaneousOutputKbps())
                    .field("rejected_connections", s.rejectedConnections())
                    .field("pubsub_channels", node.pubsub().channelCount())
                    .field("pubsub_patterns", node.pubsub().patternCount())
                    .field("pubsubshard_channels", node.pubsub().shardChannelCount())
                    .field("total_error_replies", s.errorReplies());
        });
        info.add("errorstats", out -> {
            for (Map.Entry<String, Long> e : node.stats().errorCodes().entrySet()) {
                out.field("errorstat_" + e.getKey(), "count=" + e.getValue());
            }
        });
        info.add("commandstats", out -> {
            for (CommandSpec cmd : node.commands().allWithSubcommands()) {
                CommandStats st = cmd.stats();
                if (!st.isUsed()) {
                    continue;
                }
                long calls = st.calls();
                long usec = st.micros();
                double perCall = calls == 0 ? 0 : (double) usec / calls;
                out.field("cmdstat_" + cmd.fullName(), "calls=" + calls + ",usec=" + usec
                        + ",usec_per_call=" + String.format(Locale.ROOT, "%.2f", perCall)
                        + ",rejected_calls=" + st.rejectedCalls() + ",failed_calls=" + st.failedCalls());
            }
        });
    }

    private void info(CommandContext ctx) {
        List<String> sections = new ArrayList<>();
        for (int i = 1; i < ctx.argc(); i++) {
            sections.add(ctx.argString(i).toLowerCase(Locale.ROOT));
        }
        ctx.reply().verbatim(ctx.node().info().render(sections));
    }

    private void time(CommandContext ctx) {
        Instant now = Instant.now();
        ReplyWriter r = ctx.reply();
        r.arrayHeader(2);
        r.bulk(now.getEpochSecond());
        r.bulk(now.getNano() / 1000);
    }

    private void configGet(CommandContext ctx) {
        List<byte[]> patterns = new ArrayList<>();
        for (int i = 2; i < ctx.argc(); i++) {
            patterns.add(ctx.arg(i));
        }
        Map<String, String> values = ctx.node().config().get(patterns);
        ReplyWriter r = ctx.reply();
        r.mapHeader(values.size());
        for (Map.Entry<String, String> e : values.entrySet()) {
            r.bulk(e.getKey());
            r.bulk(e.getValue());
        }
    }

    private void configSet(CommandContext ctx) {
        if (ctx.argc() % 2 != 0) {
            throw Errors.SYNTAX_ERROR;
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 2; i < ctx.argc(); i += 2) {
            String name = ctx.argString(i).toLowerCase(Locale.ROOT);
            if (values.containsKey(name)) {
                throw new CommandException("ERR CONFIG SET failed (possibly related to argument '" + name + "') - duplicate parameter");
            }
            values.put(name, ctx.argString(i + 1));
        }
        try {
            ctx.node().settings().set(values);
        } catch (ConfigException e) {
            throw new CommandException("ERR " + e.getMessage());
        }
        if (values.containsKey("requirepass")) {
            // As Redis: requirepass is the default user's password (here, on every node of a cluster).
            ctx.node().acl().requirepass(ctx.node().config().current().requirepass());
        }
        ctx.reply().ok();
    }

    private void configResetStat(CommandContext ctx) {
        ctx.node().stats().reset();
        ctx.node().engine().resetStats();
        for (CommandSpec cmd : ctx.node().commands().allWithSubcommands()) {
            cmd.stats().reset();
        }
        ctx.reply().ok();
    }

    /**
     * ROLE: every node is a master (it takes writes for every key it holds) with no Redis
     * replicas; its peers are replicas of the CRDT kind, shown by INFO replication and CONVERGE RING.
     */
    private void role(CommandContext ctx) {
        ReplyWriter reply = ctx.reply();
        reply.arrayHeader(3);
        reply.bulk("master");
        reply.integer(0);
        reply.emptyArray();
    }

    private void configHelp(CommandContext ctx) {
        ctx.reply().simpleArray(
                "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.",
                "HELP",
                "    Print this help.");
    }
}
