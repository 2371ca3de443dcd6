package io.converge.server.command;

import static io.converge.server.command.AclCategory.CONNECTION;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.server.protocol.ReplyWriter;
import io.converge.server.util.Glob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The COMMAND command: plain COMMAND, COUNT, INFO, DOCS, LIST, GETKEYS, HELP — the introspection
 * client libraries and redis-cli use. Replies follow Redis 7.0's shapes (10-element info arrays
 * with flag sets, ACL categories, tips, key specifications and subcommands).
 */
public final class CommandCommands {

    /** Registers COMMAND and its subcommands in {@code table}. */
    public static void register(CommandTable table) {
        CommandCommands c = new CommandCommands();
        CommandSpec.Builder command = CommandSpec.builder("command").arity(-1).flags(LOADING, STALE).acl(CONNECTION)
                .tips("nondeterministic_output_order").group("server").since("2.8.13")
                .summary("Returns detailed information about all commands.").complexity("O(N) where N is the total number of Redis commands")
                .handler(c::all);
        command.subcommand(sub("count", 2, "Returns a count of commands.", c::count));
        command.subcommand(sub("info", -2, "Returns information about one, multiple or all commands.", c::info)
                .tips("nondeterministic_output_order"));
        command.subcommand(sub("docs", -2, "Returns documentary information about one, multiple or all commands.", c::docs)
                .tips("nondeterministic_output_order"));
        command.subcommand(sub("list", -2, "Returns a list of command names.", c::list)
                .tips("nondeterministic_output_order"));
        command.subcommand(sub("getkeys", -4, "Extracts the key names from an arbitrary command.", c::getkeys));
        command.subcommand(sub("help", 2, "Returns helpful text about the different subcommands.", c::help));
        table.register(command.build());
    }

    private static CommandSpec.Builder sub(String name, int arity, String summary, CommandHandler handler) {
        return CommandSpec.builder(name).arity(arity).flags(LOADING, STALE).acl(CONNECTION).group("server")
                .since("7.0.0").summary(summary).complexity("O(N)").handler(handler);
    }

    private void all(CommandContext ctx) {
        List<CommandSpec> commands = ctx.node().commands().all();
        ctx.reply().arrayHeader(commands.size());
        for (CommandSpec cmd : commands) {
            writeInfo(ctx.reply(), cmd);
        }
    }

    private void count(CommandContext ctx) {
        ctx.reply().integer(ctx.node().commands().size());
    }

    private void info(CommandContext ctx) {
        if (ctx.argc() == 2) {
            all(ctx);
            return;
        }
        ReplyWriter r = ctx.reply();
        r.arrayHeader(ctx.argc() - 2);
        for (int i = 2; i < ctx.argc(); i++) {
            CommandSpec cmd = ctx.node().commands().lookupFullName(ctx.arg(i));
            if (cmd == null) {
                r.nullBulk();
            } else {
                writeInfo(r, cmd);
            }
        }
    }

    /** The 10-element COMMAND INFO entry of {@code cmd}. */
    static void writeInfo(ReplyWriter r, CommandSpec cmd) {
        r.arrayHeader(10);
        r.bulk(cmd.fullName());
        r.integer(cmd.arity());
        List<String> flags = new ArrayList<>();
        for (CommandFlag f : CommandFlag.values()) {
            if (cmd.has(f) && f.redisName() != null) {
                flags.add(f.redisName());
            }
        }
        if (cmd.movableKeys()) {
            flags.add("movablekeys"); // Redis lists it after the declared flags
        }
        r.setHeader(flags.size());
        for (String f : flags) {
            r.simple(f);
        }
        r.integer(cmd.firstKey());
        r.integer(cmd.lastKey());
        r.integer(cmd.keyStep());
        List<String> categories = new ArrayList<>();
        for (AclCategory a : AclCategory.values()) {
            if (cmd.inCategory(a)) {
                categories.add(a.redisName());
            }
        }
        r.setHeader(categories.size());
        for (String a : categories) {
            r.simple(a);
        }
        r.setHeader(cmd.tips().size());
        for (String tip : cmd.tips()) {
            r.bulk(tip);
        }
        List<KeySpec> keySpecs = cmd.keySpecs();
        r.setHeader(keySpecs.size());
        for (KeySpec spec : keySpecs) {
            writeKeySpec(r, spec);
        }
        if (cmd.isContainer()) {
            List<CommandSpec> subs = cmd.subcommands().all();
            r.setHeader(subs.size());
            for (CommandSpec sub : subs) {
                writeInfo(r, sub);
            }
        } else {
            r.setHeader(0);
        }
    }

    /** One key specification: optional notes, flags, begin_search (index or unknown), find_keys (range, keynum or unknown). */
    private static void writeKeySpec(ReplyWriter r, KeySpec spec) {
        r.mapHeader(spec.notes() == null ? 3 : 4);
        if (spec.notes() != null) {
            r.bulk("notes");
            r.bulk(spec.notes());
        }
        r.bulk("flags");
        r.setHeader(spec.flags().size());
        for (String f : spec.flags()) {
            r.simple(f);
        }
        if (spec.findKeys() instanceof KeySpec.Unknown) {
            writeUnknown(r, "begin_search");
            writeUnknown(r, "find_keys");
            return;
        }
        r.bulk("begin_search");
        r.mapHeader(2);
        r.bulk("type");
        r.bulk("index");
        r.bulk("spec");
        r.mapHeader(1);
        r.bulk("index");
        r.integer(spec.beginIndex());
        r.bulk("find_keys");
        r.mapHeader(2);
        r.bulk("type");
        switch (spec.findKeys()) {
            case KeySpec.Range range -> {
                r.bulk("range");
                r.bulk("spec");
                r.mapHeader(3);
                r.bulk("lastkey");
                r.integer(range.lastKey());
                r.bulk("keystep");
                r.integer(range.keyStep());
                r.bulk("limit");
                r.integer(range.limit());
            }
            case KeySpec.KeyNum keyNum -> {
                r.bulk("keynum");
                r.bulk("spec");
                r.mapHeader(3);
                r.bulk("keynumidx");
                r.integer(keyNum.keyNumIndex());
                r.bulk("firstkey");
                r.integer(keyNum.firstKey());
                r.bulk("keystep");
                r.integer(keyNum.keyStep());
            }
            case KeySpec.Unknown unknown -> throw new IllegalStateException("written above");
        }
    }

    /** A {@code begin_search} or {@code find_keys} entry of type {@code unknown}, with an empty spec. */
    private static void writeUnknown(ReplyWriter r, String name) {
        r.bulk(name);
        r.mapHeader(2);
        r.bulk("type");
        r.bulk("unknown");
        r.bulk("spec");
        r.mapHeader(0);
    }

    private void docs(CommandContext ctx) {
        ReplyWriter r = ctx.reply();
        List<CommandSpec> selected = new ArrayList<>();
        if (ctx.argc() == 2) {
            selected.addAll(ctx.node().commands().all());
        } else {
            for (int i = 2; i < ctx.argc(); i++) {
                CommandSpec cmd = ctx.node().commands().lookupFullName(ctx.arg(i));
                if (cmd != null) {
                    selected.add(cmd);
                }
            }
        }
        r.mapHeader(selected.size());
        for (CommandSpec cmd : selected) {
            r.bulk(cmd.fullName());
            writeDocs(r, cmd);
        }
    }

    private static void writeDocs(ReplyWriter r, CommandSpec cmd) {
        int fields = 3 + (cmd.complexity() != null ? 1 : 0) + (cmd.isContainer() ? 1 : 0);
        r.mapHeader(fields);
        r.bulk("summary");
        r.bulk(cmd.summary());
        r.bulk("since");
        r.bulk(cmd.since());
        r.bulk("group");
        r.bulk(cmd.group());
        if (cmd.complexity() != null) {
            r.bulk("complexity");
            r.bulk(cmd.complexity());
        }
        if (cmd.isContainer()) {
            List<CommandSpec> subs = cmd.subcommands().all();
            r.bulk("subcommands");
            r.mapHeader(subs.size());
            for (CommandSpec sub : subs) {
                r.bulk(sub.fullName());
                writeDocs(r, sub);
            }
        }
    }

    private void list(CommandContext ctx) {
        List<CommandSpec> all = ctx.node().commands().allWithSubcommands();
        List<String> names = new ArrayList<>();
        if (ctx.argc() == 2) {
            for (CommandSpec cmd : all) {
                names.add(cmd.fullName());
            }
        } else if (ctx.argc() == 5 && ctx.argIs(2, "filterby")) {
            byte[] value = ctx.arg(4);
            if (ctx.argIs(3, "module")) {
                // No modules in Converge: nothing matches.
            } else if (ctx.argIs(3, "aclcat")) {
                String wanted = new String(value, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
                AclCategory category = null;
                for (AclCategory a : AclCategory.values()) {
                    if (a.name().toLowerCase(Locale.ROOT).equals(wanted)) {
                        category = a;
                    }
                }
                for (CommandSpec cmd : all) {
                    if (category != null && cmd.inCategory(category)) {
                        names.add(cmd.fullName());
                    }
                }
            } else if (ctx.argIs(3, "pattern")) {
                for (CommandSpec cmd : all) {
                    if (Glob.matches(value, cmd.fullName().getBytes(StandardCharsets.US_ASCII), true)) {
                        names.add(cmd.fullName());
                    }
                }
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        } else {
            throw Errors.SYNTAX_ERROR;
        }
        ReplyWriter r = ctx.reply();
        r.arrayHeader(names.size());
        for (String n : names) {
            r.bulk(n);
        }
    }

    private void getkeys(CommandContext ctx) {
        byte[][] target = java.util.Arrays.copyOfRange(ctx.args(), 2, ctx.argc());
        CommandSpec cmd = ctx.node().commands().lookup(target[0]);
        if (cmd != null && cmd.isContainer() && target.length > 1) {
            cmd = cmd.subcommands().lookup(target[1]);
        }
        if (cmd == null) {
            throw new CommandException("ERR Invalid command specified");
        }
        if (!cmd.hasKeys()) {
            throw new CommandException("ERR The command has no key arguments");
        }
        if (!cmd.arityAccepts(target.length)) {
            throw new CommandException("ERR Invalid number of arguments specified for command");
        }
        List<byte[]> keys = cmd.keys(target);
        if (keys.isEmpty()) {
            throw new CommandException("ERR Invalid arguments specified for command");
        }
        ReplyWriter r = ctx.reply();
        r.arrayHeader(keys.size());
        for (byte[] k : keys) {
            r.bulk(k);
        }
    }

    private void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "(no subcommand)",
                "    Return details about all commands.",
                "COUNT",
                "    Return the total number of commands in this server.",
                "LIST",
                "    Return a list of all commands in this server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "GETKEYS <full-command>",
                "    Return the keys from a full command.",
                "HELP",
                "    Print this help.");
    }
}
