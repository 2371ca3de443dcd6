package io.converge.server.scripting;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.JFunction;
import party.iroiro.luajava.Lua;

/**
 * Registers Java functions in Lua tables as the libraries Redis bundles (C libraries) behave: an
 * error a function raises ({@link LuaError}) carries the caller's position, like
 * {@code luaL_error}'s {@code "user_script:3: message"}. One instance per Lua state.
 */
final class LuaFunctions {
    /** Returns "source:line: " of the Lua code that called the Java function calling this one. */
    private static final String WHERE = """
            local getinfo = debug.getinfo
            return function()
              local i = getinfo(3, 'Sl')
              if i and i.currentline > 0 then return i.short_src .. ':' .. i.currentline .. ': ' end
              return ''
            end
            """;

    private final int where;

    /** Prepares the position lookup in {@code lua} (before the sandbox removes {@code debug}). */
    LuaFunctions(Lua lua) {
        byte[] code = WHERE.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocateDirect(code.length);
        b.put(code).flip();
        lua.load(b, "=where");
        lua.pCall(0, 1);
        where = lua.ref();
    }

    /** Sets field {@code name} of the table on top of the stack to {@code f}. */
    void add(Lua lua, String name, JFunction f) {
        lua.push((JFunction) l -> {
            try {
                return f.__call(l);
            } catch (LuaError e) {
                throw new LuaError(position(l) + e.getMessage());
            }
        });
        lua.setField(-2, name);
    }

    private String position(Lua l) {
        l.refGet(where);
        l.pCall(0, 1);
        byte[] text = LuaBytes.bytes(l, -1);
        l.pop(1);
        return text == null ? "" : new String(text, StandardCharsets.UTF_8);
    }
}
