package io.converge.server.scripting;

import io.converge.server.protocol.ReplyWriter;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.Lua;

/**
 * Writes a script's Lua result as the client's reply, as Redis 7.0 converts it: number to integer
 * (truncated), string to bulk, {@code true} to 1 and {@code false}/{@code nil} to null (under
 * {@code redis.setresp(3)}: booleans), a table with a string {@code err} field to an error, with
 * {@code ok} to a status, with {@code double}, {@code big_number}, {@code map}, {@code set} or
 * {@code verbatim_string} to those RESP3 types, and any other table to an array of its elements
 * 1..n up to the first nil. Fields are read raw (metatables are not consulted).
 */
final class LuaToReply {
    /** How deep tables may nest in a result before the reply is an error (Lua's C stack is the real limit). */
    private static final int MAX_DEPTH = 1000;

    private LuaToReply() {}

    /** Writes the value at absolute stack index {@code index}; {@code resp} is the script's RESP version. */
    static void write(Lua lua, int index, ReplyWriter out, int resp) {
        write(lua, index, out, resp, 0);
    }

    private static void write(Lua lua, int index, ReplyWriter out, int resp, int depth) {
        switch (lua.type(index)) {
            case NUMBER -> out.integer(toLong(lua.toNumber(index)));
            case STRING -> out.bulk(LuaBytes.bytes(lua, index));
            case BOOLEAN -> {
                boolean b = lua.toBoolean(index);
                if (resp == 3) {
                    out.bool(b);
                } else if (b) {
                    out.integer(1);
                } else {
                    out.nullValue();
                }
            }
            case TABLE -> table(lua, index, out, resp, depth);
            default -> out.nullValue();
        }
    }

    private static void table(Lua lua, int index, ReplyWriter out, int resp, int depth) {
        if (depth >= MAX_DEPTH) {
            out.error("ERR reached lua stack limit");
            return;
        }
        lua.checkStack(4);
        byte[] text = stringField(lua, index, "err");
        if (text != null) {
            out.error(text);
            return;
        }
        text = stringField(lua, index, "ok");
        if (text != null) {
            out.simple(new String(text, StandardCharsets.UTF_8).replace('\r', ' ').replace('\n', ' '));
            return;
        }
        rawField(lua, index, "double");
        if (lua.type(-1) == Lua.LuaType.NUMBER) {
            double d = lua.toNumber(-1);
            lua.pop(1);
            out.doubleValue(d);
            return;
        }
        lua.pop(1);
        text = stringField(lua, index, "big_number");
        if (text != null) {
            out.bigNumber(new String(text, StandardCharsets.US_ASCII).replace('\r', ' ').replace('\n', ' '));
            return;
        }
        if (collection(lua, index, out, resp, depth, "map") || collection(lua, index, out, resp, depth, "set")) {
            return;
        }
        rawField(lua, index, "verbatim_string");
        if (lua.type(-1) == Lua.LuaType.TABLE) {
            int v = lua.getTop();
            byte[] format = stringField(lua, v, "format");
            byte[] string = stringField(lua, v, "string");
            lua.pop(1);
            if (format != null && string != null && format.length == 3) {
                out.verbatim(string, new String(format, StandardCharsets.US_ASCII));
                return;
            }
            out.error("ERR bad verbatim_string: expected a table with a 3-letter 'format' and a 'string'");
            return;
        }
        lua.pop(1);
        int token = out.beginDeferred();
        int n = 0;
        while (true) {
            lua.rawGetI(index, n + 1);
            if (lua.isNil(-1)) {
                lua.pop(1);
                break;
            }
            write(lua, lua.getTop(), out, resp, depth + 1);
            lua.pop(1);
            n++;
        }
        out.endDeferredArray(token, n);
    }

    /** Writes a {@code {map={...}}} or {@code {set={...}}} table; false when the field is not a table. */
    private static boolean collection(Lua lua, int index, ReplyWriter out, int resp, int depth, String kind) {
        rawField(lua, index, kind);
        if (lua.type(-1) != Lua.LuaType.TABLE) {
            lua.pop(1);
            return false;
        }
        int t = lua.getTop();
        boolean map = kind.equals("map");
        int token = out.beginDeferred();
        int n = 0;
        lua.pushNil();
        while (lua.next(t) != 0) {
            // key at -2, value at -1; the key is copied before writing, since reading a number
            // key as a string would convert it in place and confuse next().
            lua.pushValue(-2);
            write(lua, lua.getTop(), out, resp, depth + 1);
            lua.pop(1);
            if (map) {
                write(lua, lua.getTop(), out, resp, depth + 1);
            }
            lua.pop(1);
            n++;
        }
        lua.pop(1);
        if (map) {
            out.endDeferredMap(token, n);
        } else {
            out.endDeferredSet(token, n);
        }
        return true;
    }

    /** The raw field {@code name} of the table at {@code index} if it is a string, else null (stack unchanged). */
    private static byte[] stringField(Lua lua, int index, String name) {
        rawField(lua, index, name);
        byte[] out = lua.type(-1) == Lua.LuaType.STRING ? LuaBytes.bytes(lua, -1) : null;
        lua.pop(1);
        return out;
    }

    /** Pushes the raw field {@code name} of the table at absolute {@code index}. */
    private static void rawField(Lua lua, int index, String name) {
        lua.push(name);
        lua.rawGet(index);
    }

    /** A Lua number as Redis's integer reply: C's cast, which gives LLONG_MIN out of range and for NaN on x86. */
    static long toLong(double d) {
        if (Double.isNaN(d) || d >= 0x1p63 || d < -0x1p63) {
            return Long.MIN_VALUE;
        }
        return (long) d;
    }
}
