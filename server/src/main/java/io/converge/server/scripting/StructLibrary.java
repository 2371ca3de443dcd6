package io.converge.server.scripting;

import java.util.Arrays;
import party.iroiro.luajava.Lua;

/**
 * The {@code struct} library as Redis bundles it (Roberto Ierusalimschy's lua-struct 0.2):
 * {@code pack(fmt, ...)}, {@code unpack(fmt, s [, pos])} (the values, then the position after
 * them) and {@code size(fmt)}, with the sizes of a 64-bit Linux build: {@code b} 1, {@code h} 2,
 * {@code i} 4 ({@code iN}: N bytes), {@code l} and {@code T} 8, {@code f} 4, {@code d} 8;
 * {@code cN} a fixed string ({@code c0}: as long as the string, or in unpack the previous value),
 * {@code s} a zero-terminated string, {@code x} a pad byte; {@code <} {@code >} endianness (little
 * by default) and {@code !N} alignment (none by default).
 */
final class StructLibrary {
    private static final int MAX_INT_SIZE = 32;
    private static final int NATIVE_ALIGN = 8;

    private final LuaBytes strings;
    private final LuaFunctions functions;

    StructLibrary(LuaBytes strings, LuaFunctions functions) {
        this.strings = strings;
        this.functions = functions;
    }

    /** Pushes the {@code struct} table. */
    void push(Lua lua) {
        lua.createTable(0, 3);
        functions.add(lua, "pack", this::pack);
        functions.add(lua, "unpack", this::unpack);
        functions.add(lua, "size", StructLibrary::size);
    }


    /** The reading state of a format string. */
    private static final class Format {
        final byte[] fmt;
        int pos;
        boolean little = true;
        int align = 1;

        Format(byte[] fmt) {
            this.fmt = fmt;
        }

        boolean more() {
            return pos < fmt.length;
        }

        /** A decimal count at the cursor, or {@code dflt} when there is none. */
        int number(int dflt) {
            if (pos >= fmt.length || fmt[pos] < '0' || fmt[pos] > '9') {
                return dflt;
            }
            int a = 0;
            while (pos < fmt.length && fmt[pos] >= '0' && fmt[pos] <= '9') {
                a = a * 10 + (fmt[pos++] - '0');
            }
            return a;
        }

        /** The size of option {@code opt} (reading its count), applying the controls '<', '>', '!'. */
        int optSize(char opt) {
            switch (opt) {
                case 'B', 'b', 'x' -> {
                    return 1;
                }
                case 'H', 'h' -> {
                    return 2;
                }
                case 'L', 'l', 'T', 'd' -> {
                    return 8;
                }
                case 'f' -> {
                    return 4;
                }
                case 'c' -> {
                    return number(1);
                }
                case 'i', 'I' -> {
                    int sz = number(4);
                    if (sz > MAX_INT_SIZE) {
                        throw new LuaError("integral size " + sz + " is larger than limit of " + MAX_INT_SIZE);
                    }
                    return sz;
                }
                default -> {
                    return 0;
                }
            }
        }

        /** Padding before an item of {@code size} at offset {@code total}. */
        int padding(char opt, int size, int total) {
            if (size <= 1 || opt == 'c' || opt == 's') {
                return 0;
            }
            int a = Math.min(size, align);
            if ((a & (a - 1)) != 0) {
                throw new LuaError("alignment must be power of 2");
            }
            return (a - (total & (a - 1))) & (a - 1);
        }

        /** Handles a control option; returns whether {@code opt} was one. */
        boolean control(char opt) {
            switch (opt) {
                case ' ' -> {
                    return true;
                }
                case '>' -> {
                    little = false;
                    return true;
                }
                case '<' -> {
                    little = true;
                    return true;
                }
                case '!' -> {
                    align = number(NATIVE_ALIGN);
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }
    }

    private static byte[] format(Lua l) {
        byte[] fmt = LuaBytes.bytes(l, 1);
        if (fmt == null) {
            throw LuaError.badArgument(1, "pack", "string expected, got " + BitLibrary.typeName(l, 1));
        }
        return fmt;
    }

    private int pack(Lua l) {
        Format f = new Format(format(l));
        ByteOutput out = new ByteOutput();
        int arg = 2;
        int total = 0;
        while (f.more()) {
            char opt = (char) f.fmt[f.pos++];
            if (f.control(opt)) {
                continue;
            }
            int size = f.optSize(opt);
            int pad = f.padding(opt, size, total);
            for (int i = 0; i < pad; i++) {
                out.write(0);
            }
            total += pad;
            switch (opt) {
                case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I' -> {
                    double n = checkNumber(l, arg++, "pack");
                    long v = n < 0 ? (long) n : unsignedOf(n);
                    putInteger(out, v, f.little, size);
                }
                case 'x' -> out.write(0);
                case 'f' -> {
                    int bits = Float.floatToRawIntBits((float) checkNumber(l, arg++, "pack"));
                    putInteger(out, bits & 0xffffffffL, f.little, 4);
                }
                case 'd' -> putInteger(out, Double.doubleToRawLongBits(checkNumber(l, arg++, "pack")), f.little, 8);
                case 'c', 's' -> {
                    byte[] s = LuaBytes.bytes(l, arg);
                    if (s == null) {
                        throw LuaError.badArgument(arg, "pack", "string expected, got " + BitLibrary.typeName(l, arg));
                    }
                    arg++;
                    if (opt == 'c') {
                        if (size == 0) {
                            size = s.length;
                        }
                        if (s.length < size) {
                            throw LuaError.badArgument(arg - 1, "pack", "string too short");
                        }
                        out.write(s, 0, size);
                    } else {
                        out.write(s);
                        out.write(0);
                        size = s.length + 1;
                    }
                }
                default -> throw LuaError.badArgument(1, "pack", "invalid format option '" + opt + "'");
            }
            total += size;
        }
        strings.push(l, out.toByteArray());
        return 1;
    }

    /** C's conversion of a non-negative double to unsigned long long (values beyond 2^63 keep their bits). */
    private static long unsignedOf(double n) {
        if (n >= 0x1p63) {
            return (long) (n - 0x1p63) ^ Long.MIN_VALUE;
        }
        return (long) n;
    }

    private static double checkNumber(Lua l, int index, String function) {
        if (!l.isNumber(index)) {
            throw LuaError.badArgument(index, function, "number expected, got " + BitLibrary.typeName(l, index));
        }
        return l.toNumber(index);
    }

    private static void putInteger(ByteOutput out, long value, boolean little, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[little ? i : size - 1 - i] = (byte) (i < 8 ? value >>> (8 * i) : 0);
        }
        out.write(b);
    }

    private int unpack(Lua l) {
        Format f = new Format(format(l));
        byte[] data = LuaBytes.bytes(l, 2);
        if (data == null) {
            throw LuaError.badArgument(2, "unpack", "string expected, got " + BitLibrary.typeName(l, 2));
        }
        int pos = l.isNoneOrNil(3) ? 0 : (int) l.toNumber(3) - 1;
        if (pos < 0) {
            throw LuaError.badArgument(3, "unpack", "offset must be 1 or greater");
        }
        int base = l.getTop();
        while (f.more()) {
            char opt = (char) f.fmt[f.pos++];
            if (f.control(opt)) {
                continue;
            }
            int size = f.optSize(opt);
            pos += f.padding(opt, size, pos);
            if ((long) pos + size > data.length) {
                throw LuaError.badArgument(2, "unpack", "data string too short");
            }
            l.checkStack(2);
            switch (opt) {
                case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I' -> {
                    boolean signed = Character.isLowerCase(opt);
                    l.push(getInteger(data, pos, f.little, signed, size));
                }
                case 'x' -> {
                    // padding: nothing to push
                }
                case 'f' -> l.push((double) Float.intBitsToFloat((int) rawBits(data, pos, f.little, 4)));
                case 'd' -> l.push(Double.longBitsToDouble(rawBits(data, pos, f.little, 8)));
                case 'c' -> {
                    if (size == 0) {
                        if (l.getTop() <= base || !l.isNumber(-1)) {
                            throw new LuaError("format 'c0' needs a previous size");
                        }
                        size = (int) l.toNumber(-1);
                        l.pop(1);
                        if (size < 0 || (long) pos + size > data.length) {
                            throw LuaError.badArgument(2, "unpack", "data string too short");
                        }
                    }
                    strings.push(l, Arrays.copyOfRange(data, pos, pos + size));
                }
                case 's' -> {
                    int end = pos;
                    while (end < data.length && data[end] != 0) {
                        end++;
                    }
                    if (end >= data.length) {
                        throw new LuaError("unfinished string in data");
                    }
                    strings.push(l, Arrays.copyOfRange(data, pos, end));
                    size = end - pos + 1;
                }
                default -> throw LuaError.badArgument(1, "unpack", "invalid format option '" + opt + "'");
            }
            pos += size;
        }
        l.push(pos + 1);
        return l.getTop() - base;
    }

    private static long rawBits(byte[] data, int pos, boolean little, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            int b = data[little ? pos + size - 1 - i : pos + i] & 0xff;
            v = (v << 8) | b;
        }
        return v;
    }

    /** lua-struct's getinteger: the value as a Lua number (sign-extended when signed and shorter than 8 bytes). */
    private static double getInteger(byte[] data, int pos, boolean little, boolean signed, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            int b = data[little ? pos + size - 1 - i : pos + i] & 0xff;
            v = (v << 8) | b;
        }
        if (signed) {
            if (size < 8) {
                long mask = 1L << (size * 8 - 1);
                v = (v ^ mask) - mask;
            }
            return v;
        }
        return v >= 0 ? (double) v : (double) (v >>> 1) * 2 + (v & 1);
    }

    private static int size(Lua l) {
        Format f = new Format(format(l));
        int total = 0;
        while (f.more()) {
            char opt = (char) f.fmt[f.pos++];
            if (f.control(opt)) {
                continue;
            }
            int size = f.optSize(opt);
            if (opt == 's') {
                throw LuaError.badArgument(1, "size", "options 's' and 'c0' have undefined size");
            }
            if (opt == 'c' && size == 0) {
                throw LuaError.badArgument(1, "size", "options 's' and 'c0' have undefined size");
            }
            if ("bBhHlLTiIxfdc".indexOf(opt) < 0) {
                throw LuaError.badArgument(1, "size", "invalid format option '" + opt + "'");
            }
            total += f.padding(opt, size, total) + size;
        }
        l.push(total);
        return 1;
    }
}
