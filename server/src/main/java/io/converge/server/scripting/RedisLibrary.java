package io.converge.server.scripting;

import io.converge.server.command.NodeServices;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import party.iroiro.luajava.JFunction;
import party.iroiro.luajava.Lua;

/**
 * The Java functions of the {@code redis} table: {@code call}, {@code pcall}, {@code sha1hex},
 * {@code log}, {@code setresp}, {@code set_repl}, {@code error_reply}, {@code status_reply} and
 * {@code acl_check_cmd}, with Redis 7.0's argument checks and messages. Errors are raised the way
 * Redis raises them: an error table {@code {err = "CODE message"}} thrown by the function itself
 * (a Java function returning -1 raises the value on top of the stack).
 */
final class RedisLibrary {
    private static final Logger scriptLog = LoggerFactory.getLogger("io.converge.scripts");
    private static final Logger log = LoggerFactory.getLogger(RedisLibrary.class);

    private final NodeServices node;
    private final LuaBytes strings;
    private final RespToLua replies;
    private final Supplier<ScriptCall> current;
    /** The last error text raised by a function here, so the error handler can tell it from the script's own errors. */
    private String raised;

    /** The library of a Lua state; {@code current} gives the script run in progress (null between runs). */
    RedisLibrary(NodeServices node, LuaBytes strings, Supplier<ScriptCall> current) {
        this.node = node;
        this.strings = strings;
        this.replies = new RespToLua(strings);
        this.current = current;
    }

    /** Pushes a table of the Java functions (the sandbox copies them into {@code redis}). */
    void push(Lua lua) {
        lua.createTable(0, 9);
        function(lua, "call", l -> call(l, true));
        function(lua, "pcall", l -> call(l, false));
        function(lua, "sha1hex", this::sha1hex);
        function(lua, "log", this::log);
        function(lua, "setresp", this::setresp);
        function(lua, "set_repl", this::setRepl);
        function(lua, "error_reply", this::errorReply);
        function(lua, "status_reply", this::statusReply);
        function(lua, "acl_check_cmd", this::aclCheck);
        function(lua, "__raised", this::lastRaised); // taken out again by the sandbox
    }

    private static void function(Lua lua, String name, JFunction f) {
        lua.push(f);
        lua.setField(-2, name);
    }

    /** Pushes {@code {err = text}}. */
    void pushError(Lua l, String text) {
        l.createTable(0, 1);
        strings.push(l, text);
        l.setField(-2, "err");
    }

    /**
     * Raises {@code text} in the script, as Redis 7.0 does: a plain string (what a {@code pcall}
     * around the call returns), which the error handler recognises ({@link #raised}) and reports
     * without the "ERR " and position a script's own error gets.
     */
    private int raise(Lua l, String text) {
        raised = text;
        strings.push(l, text);
        return -1;
    }

    /** The sandbox's question: the last error text raised by a redis function (null if none). */
    int lastRaised(Lua l) {
        if (raised == null) {
            l.pushNil();
        } else {
            strings.push(l, raised);
        }
        return 1;
    }

    /** redis.call ({@code raise}) and redis.pcall (the error table is returned instead). */
    private int call(Lua l, boolean raise) {
        ScriptCall c = current.get();
        String error = c == null ? "ERR redis.call is only available while a script runs" : run(l, c);
        if (error == null) {
            return 1;
        }
        if (raise) {
            return raise(l, error);
        }
        pushError(l, error);
        return 1;
    }

    /** Runs the command of the arguments: pushes its reply and returns null, or returns the error. */
    private String run(Lua l, ScriptCall c) {
        int n = l.getTop();
        if (n == 0) {
            return "ERR Please specify at least one argument for this redis lib call";
        }
        byte[][] args = new byte[n][];
        for (int i = 1; i <= n; i++) {
            Lua.LuaType t = l.type(i);
            if (t != Lua.LuaType.STRING && t != Lua.LuaType.NUMBER) {
                return "ERR Lua redis lib command arguments must be strings or integers";
            }
            args[i - 1] = LuaBytes.bytes(l, i);
        }
        try {
            return replies.push(l, c.execute(args));
        } catch (ScriptCall.Refused e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            log.warn("redis.call of {} failed in script {}", new String(args[0], StandardCharsets.UTF_8), c.name, e);
            return "ERR internal error while running '" + new String(args[0], StandardCharsets.UTF_8) + "': " + e;
        }
    }

    private int sha1hex(Lua l) {
        if (l.getTop() != 1) {
            return raise(l, "ERR wrong number of arguments");
        }
        byte[] value = LuaBytes.bytes(l, 1);
        l.push(ScriptCache.sha1hex(value == null ? new byte[0] : value));
        return 1;
    }

    private int log(Lua l) {
        int n = l.getTop();
        if (n < 2) {
            return raise(l, "ERR redis.log() requires two arguments or more.");
        }
        if (!l.isNumber(1)) {
            return raise(l, "ERR First argument must be a number (log level).");
        }
        int level = (int) l.toNumber(1);
        if (level < 0 || level > 3) {
            return raise(l, "ERR Invalid debug level.");
        }
        StringBuilder message = new StringBuilder();
        for (int i = 2; i <= n; i++) {
            Lua.LuaType t = l.type(i);
            if (t == Lua.LuaType.STRING || t == Lua.LuaType.NUMBER) {
                if (i > 2) {
                    message.append(' ');
                }
                message.append(new String(LuaBytes.bytes(l, i), StandardCharsets.UTF_8));
            }
        }
        switch (level) {
            case 0, 1 -> scriptLog.debug("{}", message);
            case 2 -> scriptLog.info("{}", message);
            default -> scriptLog.warn("{}", message);
        }
        return 0;
    }

    private int setresp(Lua l) {
        if (l.getTop() != 1) {
            return raise(l, "ERR redis.setresp() requires one argument.");
        }
        double v = l.isNumber(1) ? l.toNumber(1) : 0;
        if (v != 2 && v != 3) {
            return raise(l, "ERR RESP version must be 2 or 3.");
        }
        ScriptCall c = current.get();
        if (c != null) {
            c.resp((int) v);
        }
        return 0;
    }

    /**
     * Converge always replicates a script's effects (CRDT deltas) to every replica: REPL_ALL, the
     * default, is accepted; asking for less is refused rather than silently ignored.
     */
    private int setRepl(Lua l) {
        if (l.getTop() != 1) {
            return raise(l, "ERR redis.set_repl() requires one argument.");
        }
        double flags = l.isNumber(1) ? l.toNumber(1) : -1;
        if (flags != 0 && flags != 1 && flags != 2 && flags != 3) {
            return raise(l, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
        }
        if (flags != 3) {
            return raise(l, "ERR redis.set_repl(): Converge replicates every effect of a script to every replica; "
                    + "only redis.REPL_ALL is supported");
        }
        return 0;
    }

    /** redis.error_reply(text); with a wrong argument it returns (not raises) an error, as Redis. */
    private int errorReply(Lua l) {
        if (l.getTop() != 1 || l.type(1) != Lua.LuaType.STRING) {
            pushError(l, "ERR wrong number or type of arguments");
            return 1;
        }
        pushError(l, RespToLua.errorText(LuaBytes.bytes(l, 1)));
        return 1;
    }

    /** redis.status_reply(text); with a wrong argument it returns (not raises) an error, as Redis. */
    private int statusReply(Lua l) {
        if (l.getTop() != 1 || l.type(1) != Lua.LuaType.STRING) {
            pushError(l, "ERR wrong number or type of arguments");
            return 1;
        }
        l.createTable(0, 1);
        l.pushValue(1);
        l.setField(-2, "ok");
        return 1;
    }

    /** redis.acl_check_cmd(cmd, ...): whether the command may run (every user may run every command). */
    private int aclCheck(Lua l) {
        if (l.getTop() == 0) {
            return raise(l, "ERR Please specify at least one argument for this redis lib call");
        }
        byte[] name = LuaBytes.bytes(l, 1);
        if (name == null || node.commands().lookup(name) == null) {
            return raise(l, "ERR Invalid command passed to redis.acl_check_cmd()");
        }
        l.push(true);
        return 1;
    }
}
