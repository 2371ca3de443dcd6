package io.converge.server.scripting;

import static io.converge.server.command.CommandFlag.ALLOW_BUSY;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.MAY_REPLICATE;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.NO_MANDATORY_KEYS;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.RUNS_SCRIPT;
import static io.converge.server.command.CommandFlag.SKIP_MONITOR;
import static io.converge.server.command.CommandFlag.STALE;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandHandler;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import io.converge.server.command.KeyFinder;
import io.converge.server.command.KeySpec;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.util.Glob;
import io.converge.server.util.LastWriterMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/KILL/HELP, FCALL and FCALL_RO, with Redis
 * 7.0's replies and errors. The libraries live in {@link FunctionLibraries} (persisted, shared
 * by the cluster); what each library registers is learnt by loading it in a Lua state, kept in a
 * catalogue rebuilt when the libraries change.
 */
public final class FunctionCommands {
    private static final String NAME_RULE =
            "can only contain letters, numbers, or underscores(_) and must be at least one character long";

    private final FunctionLibraries libraries;
    private final ScriptRunner runner;
    private Catalog catalog = new Catalog(-1, Map.of(), Map.of());

    FunctionCommands(FunctionLibraries libraries, ScriptRunner runner) {
        this.libraries = libraries;
        this.runner = runner;
    }

    /** The functions of every library, by library and by function name, for one libraries version. */
    private record Catalog(long version, Map<String, List<LuaRuntime.FunctionInfo>> byLibrary,
                           Map<String, String> libraryOf) {}

    /** Registers the family in {@code table}. */
    void register(CommandTable table) {
        table.register(fcall("fcall", "Invoke a function", this::fcall, MAY_REPLICATE).build());
        table.register(fcall("fcall_ro", "Invoke a read-only function", this::fcallRo, READONLY).build());
        CommandSpec.Builder function = CommandSpec.builder("function").arity(-2).acl(AclCategory.SLOW)
                .group("scripting").since("7.0.0").summary("A container for function commands")
                .complexity("Depends on subcommand.");
        function.subcommand(sub("load", -3, "Create a function with the given arguments (name, code, description)",
                "O(1) (considering compilation time is redundant)", this::load, WRITE, CommandFlag.DENYOOM, NOSCRIPT));
        function.subcommand(sub("list", -2, "List information about all the functions",
                "O(N) where N is the number of functions", this::list, NOSCRIPT));
        function.subcommand(sub("delete", 3, "Delete a function by name", "O(1)", this::delete, WRITE, NOSCRIPT));
        function.subcommand(sub("flush", -2, "Deleting all functions", "O(N) where N is the number of functions deleted",
                this::flush, WRITE, NOSCRIPT));
        function.subcommand(sub("dump", 2, "Dump all functions into a serialized binary payload",
                "O(N) where N is the number of functions", this::dump, NOSCRIPT));
        function.subcommand(sub("restore", -3, "Restore all the functions on the given payload",
                "O(N) where N is the number of functions on the payload", this::restore, WRITE, CommandFlag.DENYOOM,
                NOSCRIPT));
        function.subcommand(sub("stats", 2, "Return information about the function currently running (name, description, "
                + "duration)", "O(1)", this::stats, NOSCRIPT, ALLOW_BUSY));
        function.subcommand(sub("kill", 2, "Kill the function currently in execution.", "O(1)", this::kill, NOSCRIPT,
                ALLOW_BUSY));
        function.subcommand(sub("help", 2, "Show helpful text about the different subcommands", "O(1)", this::help,
                LOADING, STALE));
        table.register(function.build());
    }

    private static CommandSpec.Builder fcall(String name, String summary, CommandHandler handler, CommandFlag extra) {
        return CommandSpec.builder(name).arity(-3).flags(NOSCRIPT, SKIP_MONITOR, STALE, NO_MANDATORY_KEYS, RUNS_SCRIPT, extra)
                .acl(AclCategory.SLOW, AclCategory.SCRIPTING).group("scripting").since("7.0.0").summary(summary)
                .complexity("Depends on the function that is executed.")
                .keySpecs(KeySpec.keyNum(2, 0, 1, 1, extra == READONLY ? new String[] {"RO", "ACCESS"}
                        : new String[] {"RW", "ACCESS", "UPDATE"}))
                .keyFinder(KeyFinder.numKeys(0, 2)).handler(handler);
    }

    private static CommandSpec.Builder sub(String name, int arity, String summary, String complexity,
                                           CommandHandler handler, CommandFlag... flags) {
        return CommandSpec.builder(name).arity(arity).flags(flags).acl(AclCategory.SLOW, AclCategory.SCRIPTING)
                .group("scripting").since("7.0.0").summary(summary).complexity(complexity).handler(handler);
    }

    /** The catalogue of the current libraries (rebuilt, by loading them, when they changed). */
    private synchronized Catalog catalog() {
        long version = libraries.version();
        if (catalog.version() == version) {
            return catalog;
        }
        Map<String, List<LuaRuntime.FunctionInfo>> byLibrary = new LinkedHashMap<>();
        Map<String, String> libraryOf = new HashMap<>();
        for (Map.Entry<String, byte[]> library : libraries.live().entrySet()) {
            try {
                List<LuaRuntime.FunctionInfo> functions = runner.inspectLibrary(library.getValue());
                byLibrary.put(library.getKey(), functions);
                for (LuaRuntime.FunctionInfo f : functions) {
                    libraryOf.put(f.name(), library.getKey());
                }
            } catch (LuaRuntime.LibraryError e) {
                byLibrary.put(library.getKey(), List.of()); // stored by another node, does not load here
            }
        }
        catalog = new Catalog(version, byLibrary, libraryOf);
        return catalog;
    }

    // ------------------------------------------------------------------ FCALL

    private void fcall(CommandContext ctx) {
        call(ctx, false);
    }

    private void fcallRo(CommandContext ctx) {
        call(ctx, true);
    }

    private void call(CommandContext ctx, boolean roCommand) {
        String name = ctx.argString(1);
        long numKeys = ctx.argLong(2);
        if (numKeys > ctx.argc() - 3) {
            throw new CommandException("ERR Number of keys can't be greater than number of args");
        }
        if (numKeys < 0) {
            throw new CommandException("ERR Number of keys can't be negative");
        }
        Catalog c = catalog();
        String library = c.libraryOf().get(name);
        if (library == null) {
            throw new CommandException("ERR Function not found");
        }
        LuaRuntime.FunctionInfo info = null;
        for (LuaRuntime.FunctionInfo f : c.byLibrary().get(library)) {
            if (f.name().equals(name)) {
                info = f;
            }
        }
        boolean noWrites = info != null && info.flags().contains("no-writes");
        if (roCommand && !noWrites) {
            throw new CommandException("ERR Can not execute a script with write flag using *_ro command.");
        }
        if (info != null && info.flags().contains("no-cluster") && !ctx.node().holdsEveryKey()) {
            throw new CommandException("ERR Can not run script on cluster, 'no-cluster' flag is set.");
        }
        byte[][] args = ctx.args();
        byte[][] keys = Arrays.copyOfRange(args, 3, 3 + (int) numKeys);
        byte[][] argv = Arrays.copyOfRange(args, 3 + (int) numKeys, args.length);
        runner.run(ctx, name, noWrites, true, ScriptRunner.Prepare.NONE, (runtime, call, out) -> {
            runtime.syncLibraries(libraries);
            runtime.callFunction(call, name, keys, argv, out);
        }, false); // functions keep the script thread
    }

    // ------------------------------------------------------------------ FUNCTION

    private void load(CommandContext ctx) {
        boolean replace = false;
        int i = 2;
        for (; i < ctx.argc() - 1; i++) {
            if (ctx.argIs(i, "replace")) {
                replace = true;
            } else {
                throw new CommandException("ERR Unknown option given: " + ctx.argString(i));
            }
        }
        byte[] code = ctx.arg(ctx.argc() - 1);
        String name = libraryName(code);
        if (!replace && libraries.code(name) != null) {
            throw new CommandException("ERR Library '" + name + "' already exists");
        }
        List<LuaRuntime.FunctionInfo> functions = inspect(code);
        checkCollisions(name, functions);
        libraries.put(name, code);
        ctx.reply().bulk(name);
    }

    /** The functions of library {@code code}, or Redis's error. */
    private List<LuaRuntime.FunctionInfo> inspect(byte[] code) {
        List<LuaRuntime.FunctionInfo> functions;
        try {
            functions = runner.inspectLibrary(code);
        } catch (LuaRuntime.LibraryError e) {
            throw new CommandException(e.getMessage());
        }
        if (functions.isEmpty()) {
            throw new CommandException("ERR No functions registered");
        }
        return functions;
    }

    /** Refuses functions of library {@code name} already registered by another library. */
    private void checkCollisions(String name, List<LuaRuntime.FunctionInfo> functions) {
        Catalog c = catalog();
        for (LuaRuntime.FunctionInfo f : functions) {
            String owner = c.libraryOf().get(f.name());
            if (owner != null && !owner.equals(name)) {
                throw new CommandException("ERR Function " + f.name() + " already exists");
            }
        }
    }

    /** The library name of {@code code}'s shebang line ({@code #!lua name=<name>}), as Redis checks it. */
    static String libraryName(byte[] code) {
        String text = new String(code, StandardCharsets.UTF_8);
        if (!text.startsWith("#!")) {
            throw new CommandException("ERR Missing library metadata");
        }
        int end = text.indexOf('\n');
        String[] parts = (end < 0 ? text.substring(2) : text.substring(2, end)).trim().split(" +");
        String engine = parts[0];
        String name = null;
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].startsWith("name=")) {
                name = parts[i].substring(5);
            } else {
                throw new CommandException("ERR Invalid metadata value given: " + parts[i]);
            }
        }
        if (!engine.equalsIgnoreCase("lua")) {
            throw new CommandException("ERR Engine '" + engine + "' not found");
        }
        if (name == null) {
            throw new CommandException("ERR Library name was not given");
        }
        if (name.isEmpty() || !name.matches("[A-Za-z0-9_]+")) {
            throw new CommandException("ERR Library names " + NAME_RULE);
        }
        return name;
    }

    private void list(CommandContext ctx) {
        boolean withCode = false;
        byte[] pattern = null;
        for (int i = 2; i < ctx.argc(); i++) {
            if (ctx.argIs(i, "withcode")) {
                withCode = true;
            } else if (ctx.argIs(i, "libraryname")) {
                if (i + 1 >= ctx.argc()) {
                    throw new CommandException("ERR library name argument was not given");
                }
                pattern = ctx.arg(++i);
            } else {
                throw new CommandException("ERR Unknown argument " + ctx.argString(i));
            }
        }
        Catalog c = catalog();
        List<String> names = new ArrayList<>();
        for (String library : c.byLibrary().keySet()) {
            if (pattern == null || Glob.matches(pattern, library.getBytes(StandardCharsets.UTF_8), false)) {
                names.add(library);
            }
        }
        ReplyWriter reply = ctx.reply();
        reply.arrayHeader(names.size());
        for (String library : names) {
            reply.mapHeader(withCode ? 4 : 3);
            reply.bulk("library_name");
            reply.bulk(library);
            reply.bulk("engine");
            reply.bulk("LUA");
            reply.bulk("functions");
            List<LuaRuntime.FunctionInfo> functions = c.byLibrary().get(library);
            reply.arrayHeader(functions.size());
            for (LuaRuntime.FunctionInfo f : functions) {
                reply.mapHeader(3);
                reply.bulk("name");
                reply.bulk(f.name());
                reply.bulk("description");
                if (f.description() == null) {
                    reply.nullValue();
                } else {
                    reply.bulk(f.description());
                }
                reply.bulk("flags");
                reply.setHeader(f.flags().size());
                for (String flag : f.flags()) {
                    reply.simple(flag);
                }
            }
            if (withCode) {
                reply.bulk("library_code");
                byte[] code = libraries.code(library);
                reply.bulk(code == null ? new byte[0] : code);
            }
        }
    }

    private void delete(CommandContext ctx) {
        String name = ctx.argString(2);
        if (libraries.code(name) == null) {
            throw new CommandException("ERR Library not found");
        }
        libraries.delete(name);
        ctx.reply().ok();
    }

    private void flush(CommandContext ctx) {
        if (ctx.argc() > 3 || (ctx.argc() == 3 && !ctx.argIs(2, "sync") && !ctx.argIs(2, "async"))) {
            throw new CommandException("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        }
        libraries.flush();
        ctx.reply().ok();
    }

    private void dump(CommandContext ctx) {
        List<LastWriterMap.Entry> live = new ArrayList<>();
        for (Map.Entry<String, byte[]> library : libraries.live().entrySet()) {
            live.add(new LastWriterMap.Entry(library.getKey(), library.getValue(), 0, ""));
        }
        ctx.reply().bulk(FunctionLibraries.encode(live));
    }

    private void restore(CommandContext ctx) {
        String policy = "append";
        if (ctx.argc() > 4) {
            throw new CommandException("ERR syntax error");
        }
        if (ctx.argc() == 4) {
            policy = ctx.argString(3).toLowerCase(java.util.Locale.ROOT);
            if (!policy.equals("append") && !policy.equals("replace") && !policy.equals("flush")) {
                throw new CommandException("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
            }
        }
        List<LastWriterMap.Entry> restored;
        try {
            restored = FunctionLibraries.decode(ctx.arg(2));
        } catch (IllegalArgumentException e) {
            throw new CommandException("ERR DUMP payload version or checksum are wrong");
        }
        Map<String, List<LuaRuntime.FunctionInfo>> loaded = new LinkedHashMap<>();
        for (LastWriterMap.Entry e : restored) {
            if (e.value() == null) {
                continue;
            }
            String name = libraryName(e.value());
            if (policy.equals("append") && libraries.code(name) != null) {
                throw new CommandException("ERR Library " + name + " already exists");
            }
            loaded.put(name, inspect(e.value()));
        }
        if (!policy.equals("flush")) {
            for (Map.Entry<String, List<LuaRuntime.FunctionInfo>> library : loaded.entrySet()) {
                checkCollisions(library.getKey(), library.getValue());
            }
        }
        if (policy.equals("flush")) {
            libraries.flush();
        }
        for (LastWriterMap.Entry e : restored) {
            if (e.value() != null) {
                libraries.put(libraryName(e.value()), e.value());
            }
        }
        ctx.reply().ok();
    }

    private void stats(CommandContext ctx) {
        Catalog c = catalog();
        ReplyWriter reply = ctx.reply();
        reply.mapHeader(2);
        reply.bulk("running_script");
        ScriptRunner.Running running = runner.running();
        if (running == null) {
            reply.nullValue();
        } else {
            reply.mapHeader(3);
            reply.bulk("name");
            reply.bulk(running.name());
            reply.bulk("command");
            reply.bulkArray(running.command());
            reply.bulk("duration_ms");
            reply.integer(running.elapsedMillis());
        }
        reply.bulk("engines");
        reply.mapHeader(1);
        reply.bulk("LUA");
        reply.mapHeader(2);
        reply.bulk("libraries_count");
        reply.integer(c.byLibrary().size());
        reply.bulk("functions_count");
        reply.integer(c.libraryOf().size());
    }

    private void kill(CommandContext ctx) {
        String error = ctx.node().scripts().kill(true);
        if (error != null) {
            throw new CommandException(error);
        }
        ctx.reply().ok();
    }

    private void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "LOAD [REPLACE] <FUNCTION CODE>",
                "    Create a new library with the given library name and code.",
                "DELETE <LIBRARY NAME>",
                "    Delete the given library.",
                "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
                "    Return general information on all the libraries:",
                "    * Library name",
                "    * The engine used to run the Library",
                "    * Library description",
                "    * Functions list",
                "    * Library code (if WITHCODE is given)",
                "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
                "STATS",
                "    Return information about the current function running:",
                "    * Function name",
                "    * Command used to run the function",
                "    * Duration in MS that the function is running",
                "    If no function is running, return nil",
                "    In addition, returns a list of available engines.",
                "KILL",
                "    Kill the current running function.",
                "FLUSH [ASYNC|SYNC]",
                "    Delete all the libraries.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the libraries.",
                "    * SYNC: Synchronously flush the libraries.",
                "DUMP",
                "    Return a serialized payload representing the current libraries, can be restored using FUNCTION "
                        + "RESTORE command",
                "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
                "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
                "    control how to handle existing libraries (default APPEND):",
                "    * FLUSH: delete all existing libraries.",
                "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
                "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
                "      libraries with the new libraries (notice that even on this option there is a chance of failure",
                "      in case of functions name collision with another library).",
                "HELP",
                "    Prints this help.");
    }
}
