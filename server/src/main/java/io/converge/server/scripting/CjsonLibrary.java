package io.converge.server.scripting;

import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.lua51.Lua51Natives;

/**
 * The {@code cjson} library as Redis bundles it (lua-cjson 2.1): {@code encode}, {@code decode},
 * {@code null} (a light userdata NULL, as lua-cjson's) and the configuration functions. Encoding
 * follows lua-cjson: a table whose keys are all positive integers is an array (an empty table is
 * an object), too sparse arrays are refused, numbers use {@code %.14g}, and {@code /} and control
 * characters are escaped. Decoding accepts any JSON value; {@code null} decodes to
 * {@code cjson.null}. One instance per Lua state (its settings persist in that state, as lua-cjson's).
 */
final class CjsonLibrary {
    private final LuaBytes strings;
    private final LuaFunctions functions;
    private int encodeMaxDepth = 1000;
    private int decodeMaxDepth = 1000;
    private int precision = 14;
    private boolean sparseConvert;
    private int sparseRatio = 2;
    private int sparseSafe = 10;

    CjsonLibrary(LuaBytes strings, LuaFunctions functions) {
        this.strings = strings;
        this.functions = functions;
    }

    /** Pushes the {@code cjson} table. */
    void push(Lua lua) {
        lua.createTable(0, 12);
        functions.add(lua, "encode", this::encode);
        functions.add(lua, "decode", this::decode);
        functions.add(lua, "encode_max_depth", l -> {
            encodeMaxDepth = depthSetting(l, encodeMaxDepth);
            l.push(encodeMaxDepth);
            return 1;
        });
        functions.add(lua, "decode_max_depth", l -> {
            decodeMaxDepth = depthSetting(l, decodeMaxDepth);
            l.push(decodeMaxDepth);
            return 1;
        });
        functions.add(lua, "encode_number_precision", l -> {
            if (!l.isNoneOrNil(1)) {
                int p = (int) l.toNumber(1);
                if (p < 1 || p > 14) {
                    throw LuaError.badArgument(1, "encode_number_precision", "expected integer between 1 and 14");
                }
                precision = p;
            }
            l.push(precision);
            return 1;
        });
        functions.add(lua, "encode_sparse_array", l -> {
            if (!l.isNoneOrNil(1)) {
                sparseConvert = l.toBoolean(1);
            }
            if (!l.isNoneOrNil(2)) {
                sparseRatio = (int) l.toNumber(2);
            }
            if (!l.isNoneOrNil(3)) {
                sparseSafe = (int) l.toNumber(3);
            }
            l.push(sparseConvert);
            l.push(sparseRatio);
            l.push(sparseSafe);
            return 3;
        });
        functions.add(lua, "encode_keep_buffer", CjsonLibrary::onSetting);
        functions.add(lua, "encode_invalid_numbers", CjsonLibrary::onSetting);
        functions.add(lua, "decode_invalid_numbers", CjsonLibrary::onSetting);
        nullValue(lua);
        lua.setField(-2, "null");
        lua.push("cjson");
        lua.setField(-2, "_NAME");
        lua.push("2.1.0");
        lua.setField(-2, "_VERSION");
    }


    /** Settings Converge keeps at lua-cjson's defaults: accepted, reported as on. */
    private static int onSetting(Lua l) {
        l.push(true);
        return 1;
    }

    private static int depthSetting(Lua l, int current) {
        if (l.isNoneOrNil(1)) {
            return current;
        }
        int d = (int) l.toNumber(1);
        if (d < 1) {
            throw LuaError.badArgument(1, "max_depth", "expected integer between 1 and 2147483647");
        }
        return d;
    }

    /** Pushes lua-cjson's null: a light userdata holding NULL. */
    private static void nullValue(Lua l) {
        ((Lua51Natives) l.getLuaNatives()).lua_pushlightuserdata(l.getPointer(), 0);
    }

    // ------------------------------------------------------------------ encode

    private int encode(Lua l) {
        if (l.getTop() != 1) {
            throw LuaError.badArgument(1, "encode", "expected 1 argument");
        }
        ByteOutput out = new ByteOutput();
        encodeValue(l, 1, 0, out);
        strings.push(l, out.toByteArray());
        return 1;
    }

    private void encodeValue(Lua l, int index, int depth, ByteOutput out) {
        switch (l.type(index)) {
            case STRING -> encodeString(LuaBytes.bytes(l, index), out);
            case NUMBER -> encodeNumber(l.toNumber(index), out);
            case BOOLEAN -> out.ascii(l.toBoolean(index) ? "true" : "false");
            case NIL -> out.ascii("null");
            case TABLE -> encodeTable(l, index, depth + 1, out);
            case LIGHTUSERDATA -> {
                if (isNull(l, index)) {
                    out.ascii("null");
                } else {
                    throw new LuaError("Cannot serialise userdata: type not supported");
                }
            }
            default -> throw new LuaError("Cannot serialise " + BitLibrary.typeName(l, index) + ": type not supported");
        }
    }

    /** Whether the light userdata at {@code index} is NULL (cjson.null). */
    private static boolean isNull(Lua l, int index) {
        nullValue(l);
        boolean same = l.rawEqual(index, -1);
        l.pop(1);
        return same;
    }

    private void encodeNumber(double d, ByteOutput out) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new LuaError("Cannot serialise number: must not be NaN or Inf");
        }
        out.ascii(LuaNumbers.formatG(d, precision));
    }

    private static void encodeString(byte[] s, ByteOutput out) {
        out.write('"');
        for (byte b : s) {
            int c = b & 0xff;
            switch (c) {
                case '"' -> out.ascii("\\\"");
                case '\\' -> out.ascii("\\\\");
                case '/' -> out.ascii("\\/");
                case '\b' -> out.ascii("\\b");
                case '\f' -> out.ascii("\\f");
                case '\n' -> out.ascii("\\n");
                case '\r' -> out.ascii("\\r");
                case '\t' -> out.ascii("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.ascii(String.format("\\u%04x", c));
                    } else {
                        out.write(c);
                    }
                }
            }
        }
        out.write('"');
    }

    private void encodeTable(Lua l, int index, int depth, ByteOutput out) {
        if (depth > encodeMaxDepth) {
            throw new LuaError("Cannot serialise, excessive nesting (" + depth + ")");
        }
        l.checkStack(4);
        int length = arrayLength(l, index);
        if (length > 0) {
            out.write('[');
            for (int i = 1; i <= length; i++) {
                if (i > 1) {
                    out.write(',');
                }
                l.rawGetI(index, i);
                encodeValue(l, l.getTop(), depth, out);
                l.pop(1);
            }
            out.write(']');
            return;
        }
        out.write('{');
        boolean first = true;
        l.pushNil();
        while (l.next(index) != 0) {
            if (!first) {
                out.write(',');
            }
            first = false;
            Lua.LuaType keyType = l.type(-2);
            if (keyType == Lua.LuaType.NUMBER) {
                out.write('"');
                encodeNumber(l.toNumber(-2), out);
                out.write('"');
            } else if (keyType == Lua.LuaType.STRING) {
                l.pushValue(-2); // reading a copy leaves the key next() needs untouched
                encodeString(LuaBytes.bytes(l, -1), out);
                l.pop(1);
            } else {
                l.pop(2);
                throw new LuaError("Cannot serialise table: table key must be a number or string");
            }
            out.write(':');
            encodeValue(l, l.getTop(), depth, out);
            l.pop(1);
        }
        out.write('}');
    }

    /** lua-cjson's test: the array length if every key is a positive integer (0 when empty or an object). */
    private int arrayLength(Lua l, int index) {
        double max = 0;
        int items = 0;
        l.pushNil();
        while (l.next(index) != 0) {
            l.pop(1);
            if (l.type(-1) == Lua.LuaType.NUMBER) {
                double k = l.toNumber(-1);
                if (k == Math.floor(k) && k >= 1) {
                    max = Math.max(max, k);
                    items++;
                    continue;
                }
            }
            l.pop(1);
            return -1;
        }
        if (sparseRatio > 0 && max > (double) items * sparseRatio && max > sparseSafe) {
            if (!sparseConvert) {
                throw new LuaError("Cannot serialise table: excessively sparse array");
            }
            return -1;
        }
        return (int) max;
    }

    // ------------------------------------------------------------------ decode

    private int decode(Lua l) {
        if (l.getTop() != 1) {
            throw LuaError.badArgument(1, "decode", "expected 1 argument");
        }
        byte[] json = LuaBytes.bytes(l, 1);
        if (json == null) {
            throw LuaError.badArgument(1, "decode", "string expected, got " + BitLibrary.typeName(l, 1));
        }
        new Decoder(l, json).document();
        return 1;
    }

    /** A recursive-descent JSON reader that pushes what it reads onto the Lua stack. */
    private final class Decoder {
        private final Lua l;
        private final byte[] in;
        private int pos;
        private int depth;

        Decoder(Lua l, byte[] in) {
            this.l = l;
            this.in = in;
        }

        void document() {
            value();
            skipSpace();
            if (pos < in.length) {
                throw expected("the end");
            }
        }

        private LuaError error(String what) {
            return new LuaError(what + " at character " + (pos + 1));
        }

        /** "Expected {@code what} but found" the token at the cursor, in lua-cjson's words. */
        private LuaError expected(String what) {
            skipSpace();
            return error("Expected " + what + " but found " + token());
        }

        /** lua-cjson's name of the token starting at the cursor. */
        private String token() {
            if (pos >= in.length) {
                return "T_END";
            }
            return switch (in[pos]) {
                case '{' -> "T_OBJ_BEGIN";
                case '}' -> "T_OBJ_END";
                case '[' -> "T_ARR_BEGIN";
                case ']' -> "T_ARR_END";
                case '"' -> "T_STRING";
                case ':' -> "T_COLON";
                case ',' -> "T_COMMA";
                case 't', 'f' -> "T_BOOLEAN";
                case 'n' -> "T_NULL";
                default -> in[pos] == '-' || (in[pos] >= '0' && in[pos] <= '9') ? "T_NUMBER" : "invalid token";
            };
        }

        private void skipSpace() {
            while (pos < in.length && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r')) {
                pos++;
            }
        }

        private void value() {
            skipSpace();
            if (pos >= in.length) {
                throw expected("value");
            }
            l.checkStack(4);
            byte c = in[pos];
            switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> strings.push(l, string());
                case 't' -> literal("true", () -> l.push(true));
                case 'f' -> literal("false", () -> l.push(false));
                case 'n' -> literal("null", () -> nullValue(l));
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        l.push(number());
                    } else {
                        throw error("Expected value but found invalid token");
                    }
                }
            }
        }

        private void literal(String word, Runnable push) {
            byte[] w = word.getBytes(StandardCharsets.US_ASCII);
            if (pos + w.length > in.length) {
                throw error("Expected value but found invalid token");
            }
            for (int i = 0; i < w.length; i++) {
                if (in[pos + i] != w[i]) {
                    throw error("Expected value but found invalid token");
                }
            }
            pos += w.length;
            push.run();
        }

        private void enter() {
            if (++depth > decodeMaxDepth) {
                throw error("Found too many nested data structures (" + depth + ")");
            }
        }

        private void object() {
            enter();
            pos++;
            l.newTable();
            skipSpace();
            if (pos < in.length && in[pos] == '}') {
                pos++;
                depth--;
                return;
            }
            while (true) {
                skipSpace();
                if (pos >= in.length || in[pos] != '"') {
                    throw expected("object key string");
                }
                strings.push(l, string());
                skipSpace();
                if (pos >= in.length || in[pos] != ':') {
                    throw expected("colon");
                }
                pos++;
                value();
                l.rawSet(-3);
                skipSpace();
                if (pos < in.length && in[pos] == ',') {
                    pos++;
                } else if (pos < in.length && in[pos] == '}') {
                    pos++;
                    depth--;
                    return;
                } else {
                    throw expected("comma or object end");
                }
            }
        }

        private void array() {
            enter();
            pos++;
            l.newTable();
            skipSpace();
            if (pos < in.length && in[pos] == ']') {
                pos++;
                depth--;
                return;
            }
            for (int i = 1; ; i++) {
                value();
                l.rawSetI(-2, i);
                skipSpace();
                if (pos < in.length && in[pos] == ',') {
                    pos++;
                } else if (pos < in.length && in[pos] == ']') {
                    pos++;
                    depth--;
                    return;
                } else {
                    throw expected("comma or array end");
                }
            }
        }

        private double number() {
            int start = pos;
            if (in[pos] == '-') {
                pos++;
            }
            while (pos < in.length && ((in[pos] >= '0' && in[pos] <= '9') || in[pos] == '.' || in[pos] == 'e'
                    || in[pos] == 'E' || in[pos] == '+' || in[pos] == '-')) {
                pos++;
            }
            try {
                return Double.parseDouble(new String(in, start, pos - start, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                pos = start;
                throw error("Expected value but found invalid number");
            }
        }

        /** A JSON string at {@code pos} (opening quote), unescaped to UTF-8 bytes. */
        private byte[] string() {
            pos++;
            ByteOutput out = new ByteOutput();
            while (true) {
                if (pos >= in.length) {
                    throw error("Expected value but found unexpected end of string");
                }
                byte c = in[pos++];
                if (c == '"') {
                    return out.toByteArray();
                }
                if (c != '\\') {
                    out.write(c);
                    continue;
                }
                if (pos >= in.length) {
                    throw error("Expected value but found invalid escape code");
                }
                byte e = in[pos++];
                switch (e) {
                    case '"', '\\', '/' -> out.write(e);
                    case 'b' -> out.write('\b');
                    case 'f' -> out.write('\f');
                    case 'n' -> out.write('\n');
                    case 'r' -> out.write('\r');
                    case 't' -> out.write('\t');
                    case 'u' -> unicode(out);
                    default -> throw error("Expected value but found invalid escape code");
                }
            }
        }

        private void unicode(ByteOutput out) {
            int cp = hex4();
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (pos + 1 < in.length && in[pos] == '\\' && in[pos + 1] == 'u') {
                    pos += 2;
                    int low = hex4();
                    if (low < 0xDC00 || low > 0xDFFF) {
                        throw error("Expected value but found invalid unicode escape code");
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else {
                    throw error("Expected value but found invalid unicode escape code");
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                throw error("Expected value but found invalid unicode escape code");
            }
            out.write(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        }

        private int hex4() {
            if (pos + 4 > in.length) {
                throw error("Expected value but found invalid unicode escape code");
            }
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int d = Character.digit(in[pos++], 16);
                if (d < 0) {
                    throw error("Expected value but found invalid unicode escape code");
                }
                v = v * 16 + d;
            }
            return v;
        }
    }
}
