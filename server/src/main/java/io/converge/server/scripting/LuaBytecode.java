package io.converge.server.scripting;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Reads a compiled Lua 5.1 chunk ({@code lua_dump}'s format) to tell whether the script is
 * <em>straight-line</em>: it cannot loop, recurse or run a pattern search, so its running time is
 * bounded by its length and by the commands it calls, as a MULTI/EXEC of those commands is. Such a
 * script has no backward jump and no numeric or generic {@code for} (every Lua loop compiles to
 * one of those), defines no function (no {@code CLOSURE}: without function values of its own it
 * cannot recurse), and names none of the library functions whose cost does not follow from their
 * arguments' sizes or that compile code ({@link #UNBOUNDED}, found among the string constants,
 * which hold every global and field name the code uses, {@code s:rep(n)} included).
 *
 * <p>Any doubt (an unexpected header, a truncated dump) answers "not straight-line".
 */
final class LuaBytecode {
    /** Names of library functions that can run long on small inputs, or that load code. */
    private static final Set<String> UNBOUNDED = Set.of("rep", "find", "match", "gmatch", "gsub",
            "loadstring", "load", "dofile", "loadfile", "setfenv", "getfenv");
    private static final int OP_JMP = 22;
    private static final int OP_FORLOOP = 31;
    private static final int OP_FORPREP = 32;
    private static final int OP_TFORLOOP = 33;
    private static final int OP_CLOSURE = 36;
    private static final int MAX_SBX = 131071;
    private static final byte[] SIGNATURE = {0x1b, 'L', 'u', 'a', 0x51, 0};

    private LuaBytecode() {}

    /** Whether the chunk {@code dump} (from {@code lua_dump}) is straight-line (see the class comment). */
    static boolean straightLine(ByteBuffer dump) {
        try {
            ByteBuffer in = dump.duplicate();
            for (byte b : SIGNATURE) {
                if (in.get() != b) {
                    return false;
                }
            }
            in.order(in.get() == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            int intSize = in.get();
            int sizeTSize = in.get();
            int instructionSize = in.get();
            int numberSize = in.get();
            in.get(); // integral numbers flag
            if (intSize != 4 || (sizeTSize != 4 && sizeTSize != 8) || instructionSize != 4) {
                return false;
            }
            return straightLine(in, sizeTSize, numberSize); // the main chunk, the only function

        } catch (RuntimeException e) {
            return false; // truncated or unexpected: not known to be straight-line
        }
    }

    /** Reads one function prototype, answering whether it is straight-line. */
    private static boolean straightLine(ByteBuffer in, int sizeTSize, int numberSize) {
        skipString(in, sizeTSize); // source
        in.getInt(); // line defined
        in.getInt(); // last line defined
        in.get(); // upvalues
        in.get(); // parameters
        in.get(); // vararg flag
        in.get(); // max stack size
        int code = in.getInt();
        for (int i = 0; i < code; i++) {
            int instruction = in.getInt();
            int op = instruction & 0x3f;
            if (op == OP_FORLOOP || op == OP_FORPREP || op == OP_TFORLOOP || op == OP_CLOSURE) {
                return false;
            }
            if (op == OP_JMP && (instruction >>> 14) - MAX_SBX < 0) {
                return false;
            }
        }
        int constants = in.getInt();
        for (int i = 0; i < constants; i++) {
            int type = in.get();
            switch (type) {
                case 0 -> { } // nil
                case 1 -> in.get(); // boolean
                case 3 -> in.position(in.position() + numberSize);
                case 4 -> {
                    String s = readString(in, sizeTSize);
                    if (UNBOUNDED.contains(s)) {
                        return false;
                    }
                }
                default -> {
                    return false;
                }
            }
        }
        if (in.getInt() != 0) {
            return false; // nested prototypes: none without CLOSURE, but say no if any
        }
        int lines = in.getInt(); // debug: the line of each instruction
        in.position(in.position() + 4 * lines);
        int locals = in.getInt();
        for (int i = 0; i < locals; i++) {
            skipString(in, sizeTSize);
            in.getLong(); // start and end pc
        }
        int upvalues = in.getInt();
        for (int i = 0; i < upvalues; i++) {
            skipString(in, sizeTSize);
        }
        return !in.hasRemaining(); // the whole dump read, nothing unexpected after it
    }

    private static void skipString(ByteBuffer in, int sizeTSize) {
        long n = sizeTSize == 8 ? in.getLong() : in.getInt() & 0xffffffffL;
        in.position(Math.toIntExact(in.position() + n));
    }

    private static String readString(ByteBuffer in, int sizeTSize) {
        long n = sizeTSize == 8 ? in.getLong() : in.getInt() & 0xffffffffL;
        if (n == 0) {
            return "";
        }
        byte[] bytes = new byte[Math.toIntExact(n - 1)]; // the dump counts the terminating zero
        in.get(bytes);
        in.get();
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
