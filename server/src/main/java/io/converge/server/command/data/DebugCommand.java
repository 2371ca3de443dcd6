package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.ADMIN;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.crdt.KeyState;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.DebugGate;
import io.converge.server.command.NodeServices;
import io.converge.server.config.ConfigException;
import io.converge.server.store.StorageEngine;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DEBUG, behind {@code enable-debug-command} as in Redis ({@link DebugGate}), with the
 * subcommands that mean something for a Converge node and that test suites and tools use:
 * SLEEP, SET-ACTIVE-EXPIRE, OBJECT, ERROR, LOG and HELP. Redis's others are about its own
 * internals (RDB reload, allocator, ziplists, crashes on purpose) and answer Redis's unknown
 * subcommand error.
 */
public final class DebugCommand {
    private static final Logger log = LoggerFactory.getLogger(DebugCommand.class);
    private final StorageEngine engine;

    private DebugCommand(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers DEBUG. */
    public static void register(NodeServices services, StorageEngine engine) {
        DebugCommand c = new DebugCommand(engine);
        services.commands().register(CommandSpec.builder("debug").arity(-2).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                .acl(AclCategory.ADMIN, AclCategory.SLOW, AclCategory.DANGEROUS).group("server").since("1.0.0")
                .summary("A container for debugging commands").complexity("Depends on subcommand.")
                .handler(c::debug).build());
    }

    private void debug(CommandContext ctx) {
        DebugGate.require(ctx, "DEBUG");
        String sub = ctx.argString(1).toLowerCase(Locale.ROOT);
        switch (sub) {
            case "help" -> help(ctx);
            case "sleep" -> {
                if (ctx.argc() != 3) {
                    throw unknown(ctx);
                }
                sleep(ctx.argString(2));
                ctx.reply().ok();
            }
            case "set-active-expire" -> {
                if (ctx.argc() != 3) {
                    throw unknown(ctx);
                }
                try {
                    ctx.node().settings().set(Map.of("active-expire", atoi(ctx.argString(2)) != 0 ? "yes" : "no"));
                } catch (ConfigException e) {
                    throw new CommandException("ERR " + e.getMessage());
                }
                ctx.reply().ok();
            }
            case "object" -> {
                if (ctx.argc() != 3) {
                    throw unknown(ctx);
                }
                object(ctx);
            }
            case "error" -> {
                if (ctx.argc() != 3) {
                    throw unknown(ctx);
                }
                throw new CommandException(ctx.argString(2));
            }
            case "log" -> {
                if (ctx.argc() != 3) {
                    throw unknown(ctx);
                }
                log.warn("DEBUG LOG: {}", ctx.argString(2));
                ctx.reply().ok();
            }
            default -> throw unknown(ctx);
        }
    }

    /** Sleeps the calling thread (as Redis stops its server: clients of this event loop wait too). */
    private static void sleep(String seconds) {
        double s;
        try {
            s = Double.parseDouble(seconds);
        } catch (NumberFormatException e) {
            s = 0; // Redis reads it with atof: not a number sleeps 0
        }
        if (s <= 0 || Double.isNaN(s)) {
            return;
        }
        try {
            Thread.sleep((long) Math.min(s * 1000, Long.MAX_VALUE / 2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Redis's atoi: leading digits (with a sign), 0 when none. */
    private static long atoi(String text) {
        int i = 0;
        boolean negative = false;
        if (i < text.length() && (text.charAt(i) == '-' || text.charAt(i) == '+')) {
            negative = text.charAt(i) == '-';
            i++;
        }
        long n = 0;
        while (i < text.length() && Character.isDigit(text.charAt(i)) && n < Integer.MAX_VALUE) {
            n = n * 10 + (text.charAt(i++) - '0');
        }
        return negative ? -n : n;
    }

    /** DEBUG OBJECT key: Redis's line, with the encoding OBJECT ENCODING names and the estimated size. */
    private void object(CommandContext ctx) {
        String encoding = engine.withKey(ctx.arg(2), access -> {
            KeyState state = access.live();
            return state == null ? null : ObjectCommands.encodingOf(state, ctx.node().config().current());
        });
        if (encoding == null) {
            throw new CommandException("ERR no such key");
        }
        long size = Math.max(0, engine.memoryUsage(ctx.arg(2)));
        ctx.reply().simple("Value at:0x0 refcount:1 encoding:" + encoding + " serializedlength:" + size
                + " lru:0 lru_seconds_idle:0");
    }

    private static CommandException unknown(CommandContext ctx) {
        return new CommandException("ERR unknown subcommand or wrong number of arguments for '" + ctx.argString(1)
                + "'. Try DEBUG HELP.");
    }

    private static void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "ERROR <string>",
                "    Return a Redis protocol error with <string> as message. Useful for clients",
                "    unit tests to simulate Redis errors.",
                "LOG <message>",
                "    Write <message> to the server log.",
                "OBJECT <key>",
                "    Show low level info about `key` and associated value.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
                "HELP",
                "    Prints this help.");
    }
}
