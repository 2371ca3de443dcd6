package io.converge.server.scripting;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.Lua;

/**
 * Moves binary strings between Java and Lua exactly. The JNI binding's own string push goes
 * through Java's modified UTF-8, which changes bytes 0 and 128-255; so such strings are pushed by
 * loading a tiny chunk {@code return "\ddd..."} (Lua's string literal escapes cover every byte),
 * and plain ASCII, the common case, is pushed directly. Reads use the binding's buffer copy,
 * which is byte-exact. One instance per Lua state (it keeps a scratch buffer).
 */
final class LuaBytes {
    private static final byte[] PREFIX = "return \"".getBytes(StandardCharsets.US_ASCII);
    private ByteBuffer scratch = ByteBuffer.allocateDirect(1024);

    /** Pushes {@code value} as a Lua string. */
    void push(Lua lua, byte[] value) {
        if (plainAscii(value)) {
            lua.push(new String(value, StandardCharsets.ISO_8859_1));
            return;
        }
        int need = PREFIX.length + value.length * 4 + 2;
        if (scratch.capacity() < need) {
            scratch = ByteBuffer.allocateDirect(Math.max(need, scratch.capacity() * 2));
        }
        ByteBuffer b = scratch;
        b.clear();
        b.put(PREFIX);
        for (byte x : value) {
            int c = x & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                b.put(x);
            } else {
                b.put((byte) '\\');
                b.put((byte) ('0' + c / 100));
                b.put((byte) ('0' + c / 10 % 10));
                b.put((byte) ('0' + c % 10));
            }
        }
        b.put((byte) '"');
        b.flip(); // the binding reads from the buffer's start up to its limit
        lua.load(b, "=bytes");
        lua.pCall(0, 1);
    }

    /** Pushes {@code text} (ASCII or UTF-8) as a Lua string. */
    void push(Lua lua, String text) {
        push(lua, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The bytes of the string (or number, converted as Lua does) at {@code index}, or null for
     * other types. Read through a buffer over Lua's own memory (no native allocation), copied at
     * once while the value is on the stack.
     */
    static byte[] bytes(Lua lua, int index) {
        ByteBuffer b = lua.toDirectBuffer(index);
        if (b == null) {
            return null;
        }
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** Whether every byte is in 1..127, which the binding's string push keeps as it is. */
    private static boolean plainAscii(byte[] value) {
        for (byte x : value) {
            if (x <= 0) {
                return false;
            }
        }
        return true;
    }
}
