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

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import io.converge.server.command.KeyFinder;
import io.converge.server.command.KeySpec;
import io.converge.server.protocol.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP, with Redis 7.0's
 * replies and errors. The script runs through the {@link ScriptRunner}; its body is kept in the
 * {@link ScriptCache} (EVAL caches it too, as Redis does).
 */
public final class ScriptCommands {
    private static final String NOSCRIPT_ERROR = "NOSCRIPT No matching script. Please use EVAL.";

    private final ScriptCache cache;
    private final ScriptRunner runner;

    ScriptCommands(ScriptCache cache, ScriptRunner runner) {
        this.cache = cache;
        this.runner = runner;
    }

    /** Registers the family in {@code table}. */
    void register(CommandTable table) {
        table.register(eval("eval", "Executes a server-side Lua script.", this::eval, MAY_REPLICATE).build());
        table.register(eval("evalsha", "Executes a server-side Lua script by SHA1 digest.", this::evalsha,
                MAY_REPLICATE).build());
        table.register(eval("eval_ro", "Executes a read-only server-side Lua script.", this::evalRo, READONLY)
                .since("7.0.0").build());
        table.register(eval("evalsha_ro", "Executes a read-only server-side Lua script by SHA1 digest.",
                this::evalshaRo, READONLY).since("7.0.0").build());
        CommandSpec.Builder script = CommandSpec.builder("script").arity(-2).acl(AclCategory.SLOW)
                .group("scripting").since("2.6.0").summary("A container for Lua scripts management commands.")
                .complexity("Depends on subcommand.");
        script.subcommand(sub("load", 3, "Loads a server-side Lua script to the script cache.",
                "O(N) with N being the length in bytes of the script body.", this::load, NOSCRIPT, STALE));
        script.subcommand(sub("exists", -3, "Determines whether server-side Lua scripts exist in the script cache.",
                "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
                this::exists, NOSCRIPT));
        script.subcommand(sub("flush", -2, "Removes all server-side Lua scripts from the script cache.",
                "O(N) with N being the number of scripts in cache", this::flush, NOSCRIPT));
        script.subcommand(sub("kill", 2, "Terminates a server-side Lua script during execution.", "O(1)",
                this::kill, NOSCRIPT, ALLOW_BUSY));
        script.subcommand(sub("help", 2, "Returns helpful text about the different subcommands.", "O(1)",
                this::help, LOADING, STALE).since("5.0.0"));
        table.register(script.build());
    }

    private static CommandSpec.Builder eval(String name, String summary,
                                            io.converge.server.command.CommandHandler handler, CommandFlag extra) {
        return CommandSpec.builder(name).arity(-3).flags(NOSCRIPT, SKIP_MONITOR, STALE, NO_MANDATORY_KEYS, RUNS_SCRIPT, extra)
                .acl(AclCategory.SLOW, AclCategory.SCRIPTING).group("scripting").since("2.6.0").summary(summary)
                .complexity("Depends on the script that is executed.")
                .keySpecs(KeySpec.keyNum(2, 0, 1, 1, extra == READONLY ? new String[] {"RO", "ACCESS"}
                        : new String[] {"RW", "ACCESS", "UPDATE"}))
                .keyFinder(KeyFinder.numKeys(0, 2)).handler(handler);
    }

    private static CommandSpec.Builder sub(String name, int arity, String summary, String complexity,
                                           io.converge.server.command.CommandHandler handler, CommandFlag... flags) {
        return CommandSpec.builder(name).arity(arity).flags(flags).acl(AclCategory.SLOW, AclCategory.SCRIPTING)
                .group("scripting").since("2.6.0").summary(summary).complexity(complexity).handler(handler);
    }

    private void eval(CommandContext ctx) {
        evalBody(ctx, false);
    }

    private void evalRo(CommandContext ctx) {
        evalBody(ctx, true);
    }

    private void evalsha(CommandContext ctx) {
        evalSha(ctx, false);
    }

    private void evalshaRo(CommandContext ctx) {
        evalSha(ctx, true);
    }

    private void evalBody(CommandContext ctx, boolean readOnly) {
        byte[] body = ctx.arg(1);
        int numKeys = numKeys(ctx);
        String sha = ScriptCache.sha1hex(body);
        if (cache.get(sha) == null) {
            compiled(sha, body); // Redis keeps only scripts that compile
            cache.add(body);
        }
        run(ctx, sha, numKeys, readOnly, ScriptRunner.Prepare.NONE, () -> body, runner.straightLine(sha));
    }

    private void evalSha(CommandContext ctx, boolean readOnly) {
        String sha = new String(ctx.arg(1), StandardCharsets.ISO_8859_1);
        int numKeys = numKeys(ctx);
        byte[][] found = new byte[1][];
        found[0] = cache.get(sha);
        if (found[0] == null && !ctx.mayBlock()) {
            throw new CommandException(NOSCRIPT_ERROR); // EXEC and forwarded commands do not wait for the peers
        }
        run(ctx, sha.toLowerCase(java.util.Locale.ROOT), numKeys, readOnly, () -> {
            if (found[0] == null) {
                found[0] = cache.fetch(sha);
            }
            return found[0] == null ? NOSCRIPT_ERROR : null;
        }, () -> found[0], found[0] != null && runner.straightLine(sha.toLowerCase(java.util.Locale.ROOT)));
    }

    private void run(CommandContext ctx, String sha, int numKeys, boolean readOnly, ScriptRunner.Prepare prepare,
                     java.util.function.Supplier<byte[]> body, boolean straightLine) {
        byte[][] args = ctx.args();
        byte[][] keys = Arrays.copyOfRange(args, 3, 3 + numKeys);
        byte[][] argv = Arrays.copyOfRange(args, 3 + numKeys, args.length);
        long generation = cache.generation();
        runner.run(ctx, sha, readOnly, false, prepare,
                (runtime, call, out) -> runtime.run(call, sha, body.get(), generation, keys, argv, out), straightLine);
    }

    /** The numkeys argument, checked as Redis checks it. */
    private static int numKeys(CommandContext ctx) {
        long n = ctx.argLong(2);
        if (n > ctx.argc() - 3) {
            throw new CommandException("ERR Number of keys can't be greater than number of args");
        }
        if (n < 0) {
            throw new CommandException("ERR Number of keys can't be negative");
        }
        return (int) n;
    }

    private void load(CommandContext ctx) {
        byte[] body = ctx.arg(2);
        String sha = ScriptCache.sha1hex(body);
        if (cache.get(sha) == null) {
            compiled(sha, body);
        }
        ctx.reply().bulk(cache.add(body));
    }

    /** Throws Redis's error when {@code body} does not compile. */
    private void compiled(String sha, byte[] body) {
        String error = runner.compile(sha, body, cache.generation());
        if (error != null && error.startsWith("ERR Lua scripting is not available")) {
            throw new CommandException(error);
        }
        if (error != null) {
            throw new CommandException("ERR Error compiling script (new function): " + error);
        }
    }

    private void exists(CommandContext ctx) {
        ReplyWriter reply = ctx.reply();
        reply.arrayHeader(ctx.argc() - 2);
        for (int i = 2; i < ctx.argc(); i++) {
            reply.integer(cache.get(new String(ctx.arg(i), StandardCharsets.ISO_8859_1)) != null ? 1 : 0);
        }
    }

    private void flush(CommandContext ctx) {
        if (ctx.argc() > 3 || (ctx.argc() == 3 && !ctx.argIs(2, "sync") && !ctx.argIs(2, "async"))) {
            throw new CommandException("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        }
        cache.flush();
        ctx.reply().ok();
    }

    private void kill(CommandContext ctx) {
        String error = ctx.node().scripts().kill(false);
        if (error != null) {
            throw new CommandException(error);
        }
        ctx.reply().ok();
    }

    private void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "DEBUG (YES|SYNC|NO)",
                "    Set the debug mode for subsequent scripts executed.",
                "EXISTS <sha1> [<sha1> ...]",
                "    Return information about the existence of the scripts in the script cache.",
                "FLUSH [ASYNC|SYNC]",
                "    Flush the Lua scripts cache. Very dangerous on replicas.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the scripts cache.",
                "    * SYNC: Synchronously flush the scripts cache.",
                "KILL",
                "    Kill the currently executing Lua script.",
                "LOAD <script>",
                "    Load a script into the scripts cache without executing it.",
                "HELP",
                "    Prints this help.");
    }
}
