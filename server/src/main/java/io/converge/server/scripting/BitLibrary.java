package io.converge.server.scripting;

import party.iroiro.luajava.Lua;

/**
 * Lua BitOp ({@code bit.*}), as Redis bundles it: operations on 32-bit integers; numbers are
 * first normalised as BitOp does (rounded, then taken modulo 2^32 as a signed value).
 */
final class BitLibrary {
    private BitLibrary() {}

    /** Pushes the {@code bit} table. */
    static void push(Lua lua, LuaFunctions functions) {
        lua.createTable(0, 12);
        unary(lua, functions, "tobit", x -> x);
        unary(lua, functions, "bnot", x -> ~x);
        unary(lua, functions, "bswap", Integer::reverseBytes);
        fold(lua, functions, "band", (a, b) -> a & b);
        fold(lua, functions, "bor", (a, b) -> a | b);
        fold(lua, functions, "bxor", (a, b) -> a ^ b);
        shift(lua, functions, "lshift", (x, n) -> x << n);
        shift(lua, functions, "rshift", (x, n) -> x >>> n);
        shift(lua, functions, "arshift", (x, n) -> x >> n);
        shift(lua, functions, "rol", Integer::rotateLeft);
        shift(lua, functions, "ror", Integer::rotateRight);
        functions.add(lua, "tohex", BitLibrary::tohex);
    }

    /** BitOp's normalisation of argument {@code index} of {@code function}. */
    static int bit(Lua l, int index, String function) {
        if (!l.isNumber(index)) {
            throw LuaError.badArgument(index, function, "number expected, got " + typeName(l, index));
        }
        double d = l.toNumber(index);
        return (int) (long) Math.rint(d);
    }

    static String typeName(Lua l, int index) {
        return switch (l.type(index)) {
            case NONE -> "no value";
            case NIL -> "nil";
            case BOOLEAN -> "boolean";
            case NUMBER -> "number";
            case STRING -> "string";
            case TABLE -> "table";
            case FUNCTION -> "function";
            case THREAD -> "thread";
            default -> "userdata";
        };
    }

    private interface IntOp {
        int apply(int x);
    }

    private interface BinOp {
        int apply(int a, int b);
    }

    private static void unary(Lua lua, LuaFunctions functions, String name, IntOp op) {
        functions.add(lua, name, l -> {
            l.push(op.apply(bit(l, 1, name)));
            return 1;
        });
    }

    private static void fold(Lua lua, LuaFunctions functions, String name, BinOp op) {
        functions.add(lua, name, l -> {
            int n = l.getTop();
            int acc = bit(l, 1, name);
            for (int i = 2; i <= n; i++) {
                acc = op.apply(acc, bit(l, i, name));
            }
            l.push(acc);
            return 1;
        });
    }

    private static void shift(Lua lua, LuaFunctions functions, String name, BinOp op) {
        functions.add(lua, name, l -> {
            int x = bit(l, 1, name);
            int n = bit(l, 2, name) & 31;
            l.push(op.apply(x, n));
            return 1;
        });
    }

    /** bit.tohex(x [, n]): n hex digits (default 8), upper case when n is negative. */
    private static int tohex(Lua l) {
        int x = bit(l, 1, "tohex");
        int n = l.isNoneOrNil(2) ? 8 : bit(l, 2, "tohex");
        boolean upper = n < 0;
        if (upper) {
            n = -n;
        }
        if (n > 8) {
            n = 8;
        }
        String hex = String.format(upper ? "%08X" : "%08x", x);
        l.push(hex.substring(8 - n));
        return 1;
    }
}
