package io.converge.server.command;

import static io.converge.server.command.CommandFlag.ADMIN;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.server.protocol.ReplyWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code LATENCY LATEST | HISTORY event | RESET [event ...] | GRAPH event | DOCTOR | HISTOGRAM
 * [command ...] | HELP} as Redis 7.0 answers them, over the node's {@link LatencyMonitor} (events
 * above {@code latency-monitor-threshold}) and the per-command latency histograms every command
 * keeps ({@link CommandStats}: power-of-two microsecond buckets, the ones Redis's HISTOGRAM
 * reports, cumulative and only where calls were seen).
 */
public final class LatencyCommand {
    private static final int GRAPH_COLUMNS = 80;
    private static final int GRAPH_ROWS = 4;
    private static final String GRAPH_CHARSET = "_o#";

    private LatencyCommand() {}

    /** Registers LATENCY and its subcommands in {@code table}. */
    public static void register(CommandTable table) {
        CommandSpec.Builder latency = CommandSpec.builder("latency").arity(-2).acl(AclCategory.SLOW).group("server")
                .since("2.8.13").summary("A container for latency diagnostics commands").complexity("Depends on subcommand.");
        CommandFlag[] flags = {ADMIN, NOSCRIPT, LOADING, STALE};
        AclCategory[] acl = {AclCategory.ADMIN, AclCategory.SLOW, AclCategory.DANGEROUS};
        latency.subcommand(CommandSpec.builder("latest").arity(2).flags(flags).acl(acl)
                .tips("nondeterministic_output", "request_policy:all_nodes", "response_policy:special")
                .group("server").since("2.8.13").summary("Return the latest latency samples for all events.")
                .complexity("O(1)").handler(LatencyCommand::latest));
        latency.subcommand(CommandSpec.builder("history").arity(3).flags(flags).acl(acl)
                .tips("nondeterministic_output", "request_policy:all_nodes", "response_policy:special")
                .group("server").since("2.8.13").summary("Return timestamp-latency samples for the event.")
                .complexity("O(1)").handler(LatencyCommand::history));
        latency.subcommand(CommandSpec.builder("reset").arity(-2).flags(flags).acl(acl)
                .tips("request_policy:all_nodes", "response_policy:all_succeeded")
                .group("server").since("2.8.13").summary("Reset latency data for one or more events.")
                .complexity("O(1)").handler(LatencyCommand::reset));
        latency.subcommand(CommandSpec.builder("graph").arity(3).flags(flags).acl(acl)
                .tips("nondeterministic_output", "request_policy:all_nodes", "response_policy:special")
                .group("server").since("2.8.13").summary("Return a latency graph for the event.")
                .complexity("O(1)").handler(LatencyCommand::graph));
        latency.subcommand(CommandSpec.builder("doctor").arity(2).flags(flags).acl(acl)
                .tips("nondeterministic_output", "request_policy:all_nodes", "response_policy:special")
                .group("server").since("2.8.13").summary("Return a human readable latency analysis report.")
                .complexity("O(1)").handler(LatencyCommand::doctor));
        latency.subcommand(CommandSpec.builder("histogram").arity(-2).flags(flags).acl(acl)
                .tips("nondeterministic_output", "request_policy:all_nodes", "response_policy:special")
                .group("server").since("7.0.0")
                .summary("Return the cumulative distribution of latencies of a subset of commands or all.")
                .complexity("O(N) where N is the number of commands with latency information being retrieved.")
                .handler(LatencyCommand::histogram));
        latency.subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).acl(AclCategory.SLOW)
                .group("server").since("2.8.13").summary("Show helpful text about the different subcommands.")
                .complexity("O(1)").handler(LatencyCommand::help));
        table.register(latency.build());
    }

    private static void latest(CommandContext ctx) {
        Map<String, LatencyMonitor.Series> events = ctx.node().latency().events();
        ReplyWriter r = ctx.reply();
        r.arrayHeader(events.size());
        for (Map.Entry<String, LatencyMonitor.Series> e : events.entrySet()) {
            r.arrayHeader(4);
            r.bulk(e.getKey());
            r.integer(e.getValue().latest.unixSeconds());
            r.integer(e.getValue().latest.millis());
            r.integer(e.getValue().max);
        }
    }

    private static void history(CommandContext ctx) {
        List<LatencyMonitor.Sample> samples = ctx.node().latency().history(ctx.argString(2));
        ReplyWriter r = ctx.reply();
        r.arrayHeader(samples.size());
        for (LatencyMonitor.Sample s : samples) {
            r.arrayHeader(2);
            r.integer(s.unixSeconds());
            r.integer(s.millis());
        }
    }

    private static void reset(CommandContext ctx) {
        List<String> names = new ArrayList<>();
        for (int i = 2; i < ctx.argc(); i++) {
            names.add(ctx.argString(i));
        }
        ctx.reply().integer(ctx.node().latency().reset(names));
    }

    /** An ASCII graph of the event's samples, drawn as Redis's sparklines (4 rows, ages below). */
    private static void graph(CommandContext ctx) {
        String event = ctx.argString(2);
        LatencyMonitor.Series series = ctx.node().latency().events().get(event);
        if (series == null) {
            throw new CommandException("ERR No samples available for event '" + event + "'");
        }
        List<LatencyMonitor.Sample> samples = series.history();
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (LatencyMonitor.Sample s : samples) {
            min = Math.min(min, s.millis());
            max = Math.max(max, s.millis());
        }
        StringBuilder out = new StringBuilder();
        out.append(event).append(" - high ").append(max).append(" ms, low ").append(min).append(" ms (all time high ")
                .append(series.max).append(" ms)\n").append("-".repeat(GRAPH_COLUMNS)).append('\n');
        long now = System.currentTimeMillis() / 1000;
        for (int from = 0; from < samples.size(); from += GRAPH_COLUMNS) {
            List<LatencyMonitor.Sample> part = samples.subList(from, Math.min(samples.size(), from + GRAPH_COLUMNS));
            int steps = GRAPH_CHARSET.length() * GRAPH_ROWS - 1;
            for (int row = 0; row < GRAPH_ROWS; row++) {
                for (LatencyMonitor.Sample s : part) {
                    int step = max == min ? steps : (int) ((double) (s.millis() - min) / (max - min) * steps);
                    int level = step / GRAPH_CHARSET.length();
                    int rowLevel = GRAPH_ROWS - row - 1;
                    out.append(level == rowLevel ? GRAPH_CHARSET.charAt(step % GRAPH_CHARSET.length())
                            : level > rowLevel ? '|' : ' ');
                }
                out.append('\n');
            }
            List<String> labels = new ArrayList<>();
            int height = 0;
            for (LatencyMonitor.Sample s : part) {
                String label = age(now - s.unixSeconds());
                labels.add(label);
                height = Math.max(height, label.length());
            }
            out.append(" ".repeat(part.size())).append('\n');
            for (int row = 0; row < height; row++) {
                for (String label : labels) {
                    out.append(row < label.length() ? label.charAt(row) : ' ');
                }
                out.append('\n');
            }
        }
        ctx.reply().verbatim(out.toString());
    }

    private static String age(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        } else if (seconds < 3600) {
            return seconds / 60 + "m";
        } else if (seconds < 86400) {
            return seconds / 3600 + "h";
        }
        return seconds / 86400 + "d";
    }

    /** A human-readable report: per event its spikes, average, mean deviation and period, then advice. */
    private static void doctor(CommandContext ctx) {
        Map<String, LatencyMonitor.Series> events = ctx.node().latency().events();
        if (events.isEmpty() && ctx.node().config().current().latencyMonitorThreshold() == 0) {
            ctx.reply().verbatim("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
                    + "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to "
                    + "enable it. If we weren't in a deep space mission I'd suggest to take a look at "
                    + "https://redis.io/topics/latency-monitor.\n");
            return;
        }
        if (events.isEmpty()) {
            ctx.reply().verbatim("Dave, no latency spike was observed during the lifetime of this Redis instance, not "
                    + "in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and "
                    + "think things over.\n");
            return;
        }
        StringBuilder out = new StringBuilder("Dave, I have observed latency spikes in this Redis instance. You "
                + "don't mind talking about it, do you Dave?\n\n");
        int n = 1;
        boolean commands = false;
        for (Map.Entry<String, LatencyMonitor.Series> e : events.entrySet()) {
            List<LatencyMonitor.Sample> samples = e.getValue().history();
            double sum = 0;
            for (LatencyMonitor.Sample s : samples) {
                sum += s.millis();
            }
            double avg = sum / samples.size();
            double deviation = 0;
            for (LatencyMonitor.Sample s : samples) {
                deviation += Math.abs(s.millis() - avg);
            }
            deviation /= samples.size();
            double period = samples.size() < 2 ? 0 : (double) (samples.get(samples.size() - 1).unixSeconds()
                    - samples.get(0).unixSeconds()) / samples.size();
            out.append(String.format(Locale.ROOT, "%d. %s: %d latency spikes (average %.0fms, mean deviation %.0fms, "
                    + "period %.2f sec). Worst all time event %dms.%n", n++, e.getKey(), samples.size(), avg, deviation,
                    period, e.getValue().max));
            commands |= e.getKey().equals("command") || e.getKey().equals("fast-command");
        }
        out.append("\nI have a few advices for you:\n\n");
        long threshold = ctx.node().config().current().latencyMonitorThreshold();
        long slowlog = ctx.node().config().current().slowlogLogSlowerThan();
        if (slowlog < 0) {
            out.append("- The system slow log is disabled, and this is bad. Please enable it with 'CONFIG SET "
                    + "slowlog-log-slower-than " + threshold * 1000 + "'.\n");
        } else if (slowlog / 1000 > threshold) {
            out.append("- Your current Slow Log configuration only logs events that are slower than your configured "
                    + "latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than " + threshold * 1000
                    + "'.\n");
        }
        if (commands) {
            out.append("- Check your Slow Log to understand what are the commands you are running which are too slow "
                    + "to execute. Please check https://redis.io/commands/slowlog for more information.\n");
            out.append("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
                    + "operation. If you have very large objects that are often deleted, expired, or evicted, try to "
                    + "fragment those objects into multiple smaller objects.\n");
        }
        ctx.reply().verbatim(out.toString());
    }

    /** Per command with calls: {@code calls} and the cumulative {@code histogram_usec} (bucket upper bound -> calls). */
    private static void histogram(CommandContext ctx) {
        List<CommandSpec> commands = new ArrayList<>();
        if (ctx.argc() == 2) {
            for (CommandSpec cmd : ctx.node().commands().allWithSubcommands()) {
                if (!cmd.isContainer()) {
                    commands.add(cmd);
                }
            }
        } else {
            for (int i = 2; i < ctx.argc(); i++) {
                CommandSpec cmd = ctx.node().commands().lookupFullName(ctx.arg(i));
                if (cmd != null && !cmd.isContainer()) {
                    commands.add(cmd);
                }
            }
        }
        commands.removeIf(cmd -> cmd.stats().calls() == 0);
        ReplyWriter r = ctx.reply();
        r.mapHeader(commands.size());
        for (CommandSpec cmd : commands) {
            r.bulk(cmd.fullName());
            r.mapHeader(2);
            r.bulk("calls");
            r.integer(cmd.stats().calls());
            r.bulk("histogram_usec");
            long[] buckets = cmd.stats().latencyBuckets();
            int used = 0;
            for (long b : buckets) {
                used += b > 0 ? 1 : 0;
            }
            r.mapHeader(used);
            long cumulative = 0;
            for (int i = 0; i < buckets.length; i++) {
                cumulative += buckets[i];
                if (buckets[i] > 0) {
                    double upper = CommandStats.bucketUpperMicros(i);
                    r.integer(Double.isInfinite(upper) ? (long) CommandStats.bucketUpperMicros(i - 1) * 2 : (long) upper);
                    r.integer(cumulative);
                }
            }
        }
    }

    private static void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "DOCTOR",
                "    Return a human readable latency analysis report.",
                "GRAPH <event>",
                "    Return an ASCII latency graph for the <event> class.",
                "HISTORY <event>",
                "    Return time-latency samples for the <event> class.",
                "LATEST",
                "    Return the latest latency samples for all events.",
                "RESET [<event> ...]",
                "    Reset latency data of one or more <event> classes.",
                "    (default: reset all data for all event classes)",
                "HISTOGRAM [COMMAND ...]",
                "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
                "    If no commands are specified then all histograms are replied.",
                "HELP",
                "    Prints this help.");
    }
}
