package io.converge.server.scripting;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import party.iroiro.luajava.Lua;

/**
 * Turns a command's RESP reply into the Lua value {@code redis.call} returns, as Redis 7.0 does.
 * RESP2: integer to number, bulk to string, null bulk and null array to {@code false}, array to
 * table, status to {@code {ok=...}}, error to {@code {err=...}}. RESP3 (after
 * {@code redis.setresp(3)}) adds: null to {@code nil}, boolean to boolean, double to
 * {@code {double=n}}, big number to {@code {big_number=s}}, verbatim to
 * {@code {verbatim_string={format=f, string=s}}}, map to {@code {map={k=v}}} and set to
 * {@code {set={k=true}}}; attributes are dropped.
 */
final class RespToLua {
    private final LuaBytes strings;
    private byte[] in;
    private int pos;

    RespToLua(LuaBytes strings) {
        this.strings = strings;
    }

    /**
     * Pushes the value of reply {@code resp}; when the reply is an error, pushes nothing and
     * returns its text in Redis's script form ({@code CODE message}), otherwise returns null.
     */
    String push(Lua lua, byte[] resp) {
        in = resp;
        pos = 0;
        try {
            if (resp.length > 0 && resp[0] == '-') {
                pos = 1;
                return errorText(line());
            }
            value(lua);
            return null;
        } finally {
            in = null;
        }
    }

    /** Redis's form of an error text: no leading '-', and 'ERR ' before a message without a code; no trailing newline. */
    static String errorText(byte[] raw) {
        String e = new String(raw, StandardCharsets.UTF_8).stripTrailing();
        if (e.startsWith("-")) {
            e = e.substring(1);
        }
        return e.indexOf(' ') < 0 ? "ERR " + e : e;
    }

    private void value(Lua lua) {
        lua.checkStack(4);
        byte type = in[pos++];
        switch (type) {
            case '+' -> field(lua, "ok", line());
            case '-' -> {
                lua.createTable(0, 1);
                strings.push(lua, errorText(line()));
                lua.setField(-2, "err");
            }
            case ':' -> lua.push(Long.parseLong(ascii(line())));
            case '$' -> {
                int n = (int) Long.parseLong(ascii(line()));
                if (n < 0) {
                    lua.push(false);
                } else {
                    strings.push(lua, Arrays.copyOfRange(in, pos, pos + n));
                    pos += n + 2;
                }
            }
            case '*' -> {
                int n = (int) Long.parseLong(ascii(line()));
                if (n < 0) {
                    lua.push(false);
                    return;
                }
                lua.createTable(n, 0);
                for (int i = 1; i <= n; i++) {
                    value(lua);
                    lua.rawSetI(-2, i);
                }
            }
            case '_' -> {
                line();
                lua.pushNil();
            }
            case '#' -> lua.push(line()[0] == 't');
            case ',' -> {
                lua.createTable(0, 1);
                lua.push(parseDouble(ascii(line())));
                lua.setField(-2, "double");
            }
            case '(' -> field(lua, "big_number", line());
            case '=' -> {
                int n = (int) Long.parseLong(ascii(line()));
                String format = new String(in, pos, 3, StandardCharsets.US_ASCII);
                byte[] text = Arrays.copyOfRange(in, pos + 4, pos + n);
                pos += n + 2;
                lua.createTable(0, 1);
                lua.createTable(0, 2);
                strings.push(lua, format);
                lua.setField(-2, "format");
                strings.push(lua, text);
                lua.setField(-2, "string");
                lua.setField(-2, "verbatim_string");
            }
            case '%', '~' -> {
                int n = (int) Long.parseLong(ascii(line()));
                lua.createTable(0, 1);
                lua.createTable(0, n);
                for (int i = 0; i < n; i++) {
                    value(lua);
                    if (type == '%') {
                        value(lua);
                    } else {
                        lua.push(true);
                    }
                    if (lua.isNil(-2)) {
                        lua.pop(2); // a nil key cannot be stored
                    } else {
                        lua.rawSet(-3);
                    }
                }
                lua.setField(-2, type == '%' ? "map" : "set");
            }
            case '|' -> {
                int n = (int) Long.parseLong(ascii(line()));
                for (int i = 0; i < 2 * n; i++) {
                    value(lua);
                    lua.pop(1);
                }
                value(lua); // the value the attributes were about
            }
            default -> throw new IllegalStateException("unexpected RESP type '" + (char) type + "' in a reply");
        }
    }

    private void field(Lua lua, String name, byte[] text) {
        lua.createTable(0, 1);
        strings.push(lua, text);
        lua.setField(-2, name);
    }

    /** The bytes up to the next CRLF, moving past it. */
    private byte[] line() {
        int start = pos;
        while (in[pos] != '\r') {
            pos++;
        }
        byte[] out = Arrays.copyOfRange(in, start, pos);
        pos += 2;
        return out;
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static double parseDouble(String s) {
        return switch (s) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }
}
