package io.converge.server.scripting;

import java.util.Arrays;
import party.iroiro.luajava.Lua;

/**
 * The {@code cmsgpack} library as Redis bundles it (lua-cmsgpack 0.4): {@code pack(...)} encodes
 * each argument and concatenates them; {@code unpack(s)} returns every value of {@code s};
 * {@code unpack_one(s [, offset])} and {@code unpack_limit(s, limit [, offset])} return the
 * offset to continue from (-1 at the end) before the values. Encoding as lua-cmsgpack: a number
 * equal to a 64-bit integer is an integer, else a float32 when exact, else a float64; a table
 * whose keys are exactly 1..n is an array, else a map; tables nested deeper than 16 become nil.
 */
final class CmsgpackLibrary {
    private static final int MAX_NESTING = 16;
    private static final int MAX_DECODE_DEPTH = 1000;

    private final LuaBytes strings;
    private final LuaFunctions functions;

    CmsgpackLibrary(LuaBytes strings, LuaFunctions functions) {
        this.strings = strings;
        this.functions = functions;
    }

    /** Pushes the {@code cmsgpack} table. */
    void push(Lua lua) {
        lua.createTable(0, 6);
        functions.add(lua, "pack", this::pack);
        functions.add(lua, "unpack", l -> unpack(l, 0, 0, true));
        functions.add(lua, "unpack_one", l -> unpack(l, 1, offsetArg(l, 2), false));
        functions.add(lua, "unpack_limit", l -> unpack(l, (int) l.toNumber(2), offsetArg(l, 3), false));
        lua.push("cmsgpack");
        lua.setField(-2, "_NAME");
        lua.push("lua-cmsgpack 0.4.0");
        lua.setField(-2, "_VERSION");
    }


    private static int offsetArg(Lua l, int index) {
        return l.isNoneOrNil(index) ? 0 : (int) l.toNumber(index);
    }

    // ------------------------------------------------------------------ pack

    private int pack(Lua l) {
        int n = l.getTop();
        if (n == 0) {
            throw LuaError.badArgument(0, "pack", "MessagePack pack needs input.");
        }
        ByteOutput out = new ByteOutput();
        for (int i = 1; i <= n; i++) {
            encode(l, i, 0, out);
        }
        strings.push(l, out.toByteArray());
        return 1;
    }

    private void encode(Lua l, int index, int level, ByteOutput out) {
        switch (l.type(index)) {
            case STRING -> {
                byte[] s = LuaBytes.bytes(l, index);
                int len = s.length;
                if (len < 32) {
                    out.write(0xa0 | len);
                } else if (len <= 0xff) {
                    out.write(0xd9);
                    out.write(len);
                } else if (len <= 0xffff) {
                    out.write(0xda);
                    out.bigEndian(len, 2);
                } else {
                    out.write(0xdb);
                    out.bigEndian(len, 4);
                }
                out.write(s);
            }
            case BOOLEAN -> out.write(l.toBoolean(index) ? 0xc3 : 0xc2);
            case NUMBER -> number(l.toNumber(index), out);
            case TABLE -> {
                if (level >= MAX_NESTING) {
                    out.write(0xc0);
                } else {
                    table(l, index, level + 1, out);
                }
            }
            default -> out.write(0xc0);
        }
    }

    private static void number(double d, ByteOutput out) {
        if (!Double.isInfinite(d) && !Double.isNaN(d) && d >= -0x1p63 && d < 0x1p63 && (long) d == d) {
            integer((long) d, out);
        } else if ((double) (float) d == d) {
            out.write(0xca);
            out.bigEndian(Float.floatToRawIntBits((float) d) & 0xffffffffL, 4);
        } else {
            out.write(0xcb);
            out.bigEndian(Double.doubleToRawLongBits(d), 8);
        }
    }

    private static void integer(long n, ByteOutput out) {
        if (n >= 0) {
            if (n <= 127) {
                out.write((int) n);
            } else if (n <= 0xff) {
                out.write(0xcc);
                out.write((int) n);
            } else if (n <= 0xffff) {
                out.write(0xcd);
                out.bigEndian(n, 2);
            } else if (n <= 0xffffffffL) {
                out.write(0xce);
                out.bigEndian(n, 4);
            } else {
                out.write(0xcf);
                out.bigEndian(n, 8);
            }
        } else if (n >= -32) {
            out.write((int) n & 0xff);
        } else if (n >= -128) {
            out.write(0xd0);
            out.write((int) n & 0xff);
        } else if (n >= -32768) {
            out.write(0xd1);
            out.bigEndian(n, 2);
        } else if (n >= Integer.MIN_VALUE) {
            out.write(0xd2);
            out.bigEndian(n, 4);
        } else {
            out.write(0xd3);
            out.bigEndian(n, 8);
        }
    }

    private void table(Lua l, int index, int level, ByteOutput out) {
        l.checkStack(4);
        int count = 0;
        double max = 0;
        boolean array = true;
        l.pushNil();
        while (l.next(index) != 0) {
            l.pop(1);
            count++;
            if (array) {
                if (l.isNumber(-1)) {
                    l.pushValue(-1); // a copy: converting a string key in place would confuse next()
                    double k = l.toNumber(-1);
                    l.pop(1);
                    if (k > 0 && k == Math.floor(k)) {
                        max = Math.max(max, k);
                        continue;
                    }
                }
                array = false;
            }
        }
        if (array && max == count) {
            int len = l.rawLength(index);
            if (len <= 15) {
                out.write(0x90 | len);
            } else if (len <= 0xffff) {
                out.write(0xdc);
                out.bigEndian(len, 2);
            } else {
                out.write(0xdd);
                out.bigEndian(len, 4);
            }
            for (int i = 1; i <= len; i++) {
                l.rawGetI(index, i);
                encode(l, l.getTop(), level, out);
                l.pop(1);
            }
            return;
        }
        if (count <= 15) {
            out.write(0x80 | count);
        } else if (count <= 0xffff) {
            out.write(0xde);
            out.bigEndian(count, 2);
        } else {
            out.write(0xdf);
            out.bigEndian(count, 4);
        }
        l.pushNil();
        while (l.next(index) != 0) {
            l.pushValue(-2);
            encode(l, l.getTop(), level, out);
            l.pop(1);
            encode(l, l.getTop(), level, out);
            l.pop(1);
        }
    }

    // ------------------------------------------------------------------ unpack

    /** Thrown when the input ends early or is malformed. */
    private static final class BadInput extends Exception {
        BadInput(String message) {
            super(message, null, false, false);
        }
    }

    private static final BadInput MISSING = new BadInput("Missing bytes in input.");
    private static final BadInput BAD_FORMAT = new BadInput("Bad data format in input.");

    private int unpack(Lua l, int limit, int offset, boolean all) {
        byte[] data = LuaBytes.bytes(l, 1);
        if (data == null) {
            throw LuaError.badArgument(1, "unpack", "string expected, got " + BitLibrary.typeName(l, 1));
        }
        if (offset < 0 || limit < 0) {
            throw new LuaError("Invalid request to unpack with offset of " + offset + " and limit of " + limit + ".");
        }
        if (offset > data.length) {
            throw new LuaError("Start offset " + offset + " greater than input length " + data.length + ".");
        }
        boolean decodeAll = all || (limit == 0 && offset == 0);
        int max = decodeAll ? Integer.MAX_VALUE : limit;
        int base = l.getTop();
        Cursor c = new Cursor(data, offset);
        int count = 0;
        try {
            while (c.pos < data.length && count < max) {
                l.checkStack(2);
                decode(l, c, 0);
                count++;
            }
        } catch (BadInput e) {
            l.setTop(base);
            throw new LuaError(e.getMessage());
        }
        if (decodeAll) {
            return count;
        }
        l.push(c.pos >= data.length ? -1 : c.pos);
        l.insert(base + 1);
        return count + 1;
    }

    private static final class Cursor {
        final byte[] in;
        int pos;

        Cursor(byte[] in, int pos) {
            this.in = in;
            this.pos = pos;
        }

        int u8() throws BadInput {
            need(1);
            return in[pos++] & 0xff;
        }

        long be(int n) throws BadInput {
            need(n);
            long v = 0;
            for (int i = 0; i < n; i++) {
                v = (v << 8) | (in[pos++] & 0xff);
            }
            return v;
        }

        byte[] bytes(long n) throws BadInput {
            if (n < 0 || n > in.length - pos) {
                throw MISSING;
            }
            byte[] out = Arrays.copyOfRange(in, pos, pos + (int) n);
            pos += (int) n;
            return out;
        }

        void need(int n) throws BadInput {
            if (in.length - pos < n) {
                throw MISSING;
            }
        }
    }

    private void decode(Lua l, Cursor c, int depth) throws BadInput {
        if (depth > MAX_DECODE_DEPTH) {
            throw BAD_FORMAT;
        }
        l.checkStack(4);
        int t = c.u8();
        if (t <= 0x7f) {
            l.push(t);
        } else if (t <= 0x8f) {
            map(l, c, t & 0x0f, depth);
        } else if (t <= 0x9f) {
            array(l, c, t & 0x0f, depth);
        } else if (t <= 0xbf) {
            strings.push(l, c.bytes(t & 0x1f));
        } else if (t >= 0xe0) {
            l.push((long) (byte) t);
        } else {
            switch (t) {
                case 0xc0 -> l.pushNil();
                case 0xc2 -> l.push(false);
                case 0xc3 -> l.push(true);
                case 0xc4, 0xd9 -> strings.push(l, c.bytes(c.be(1)));
                case 0xc5, 0xda -> strings.push(l, c.bytes(c.be(2)));
                case 0xc6, 0xdb -> strings.push(l, c.bytes(c.be(4)));
                case 0xca -> l.push((double) Float.intBitsToFloat((int) c.be(4)));
                case 0xcb -> l.push(Double.longBitsToDouble(c.be(8)));
                case 0xcc -> l.push(c.be(1));
                case 0xcd -> l.push(c.be(2));
                case 0xce -> l.push(c.be(4));
                case 0xcf -> {
                    long v = c.be(8);
                    l.push(v >= 0 ? (double) v : (double) (v >>> 1) * 2 + (v & 1)); // unsigned 64-bit
                }
                case 0xd0 -> l.push((long) (byte) c.be(1));
                case 0xd1 -> l.push((long) (short) c.be(2));
                case 0xd2 -> l.push((long) (int) c.be(4));
                case 0xd3 -> l.push((double) c.be(8));
                case 0xdc -> array(l, c, c.be(2), depth);
                case 0xdd -> array(l, c, c.be(4), depth);
                case 0xde -> map(l, c, c.be(2), depth);
                case 0xdf -> map(l, c, c.be(4), depth);
                default -> throw BAD_FORMAT;
            }
        }
    }

    private void array(Lua l, Cursor c, long n, int depth) throws BadInput {
        if (n > c.in.length - c.pos) {
            throw MISSING; // every element takes at least a byte
        }
        l.createTable((int) n, 0);
        for (int i = 1; i <= n; i++) {
            decode(l, c, depth + 1);
            l.rawSetI(-2, i);
        }
    }

    private void map(Lua l, Cursor c, long n, int depth) throws BadInput {
        if (n > (c.in.length - c.pos) / 2) {
            throw MISSING;
        }
        l.createTable(0, (int) n);
        for (int i = 0; i < n; i++) {
            decode(l, c, depth + 1);
            decode(l, c, depth + 1);
            if (l.isNil(-2)) {
                l.pop(2); // a nil key cannot be stored
            } else {
                l.rawSet(-3);
            }
        }
    }
}
