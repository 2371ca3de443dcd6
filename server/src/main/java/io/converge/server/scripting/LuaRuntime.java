package io.converge.server.scripting;

import io.converge.server.command.NodeServices;
import io.converge.server.command.VirtualClient;
import io.converge.server.protocol.ReplyWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import party.iroiro.luajava.JFunction;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.LuaException;
import party.iroiro.luajava.lua51.Lua51;
import party.iroiro.luajava.lua51.Lua51Natives;

/**
 * One Lua 5.1 interpreter (the C implementation, through JNI) set up as Redis 7.0's script
 * environment ({@code sandbox.lua}): the {@code redis} library, {@code bit}, {@code cjson},
 * {@code cmsgpack}, {@code struct}, protected globals, and an instruction-count hook for busy
 * and killed scripts. It keeps the scripts it compiled, by SHA1. Used by one thread at a time
 * (the {@link ScriptRunner} pools them); the state's memory is outside the Java heap.
 */
final class LuaRuntime implements AutoCloseable {
    private static final Logger scriptLog = LoggerFactory.getLogger("io.converge.scripts");
    /** Memory a script's Lua state may reach before the script is stopped (Lua's own count, in KiB). */
    static final long MEMORY_LIMIT_KB = 1L << 20; // 1 GiB
    private static final int LUA_GCCOUNT = 3;
    private static final byte[] SANDBOX = sandbox();

    private final Lua51 lua = new Lua51();
    private final Lua51Natives natives = (Lua51Natives) lua.getLuaNatives();
    private final LuaBytes strings = new LuaBytes();
    private final RedisLibrary redis;
    private final VirtualClient session;
    /** Where a newly compiled script's shape is recorded. */
    private final ScriptShapes shapes;
    private final Map<String, Integer> compiled = new HashMap<>();
    /** The script cache generation {@link #compiled} belongs to (SCRIPT FLUSH starts a new one). */
    private long generation;
    private final int runner;
    private final int libraryLoader;
    private final int functionCaller;
    /** The callbacks of the functions of the loaded libraries, by function name. */
    private final Map<String, Integer> callbacks = new HashMap<>();
    /** The {@link FunctionLibraries#version()} {@link #callbacks} belong to (-1: none loaded). */
    private long librariesVersion = -1;
    /** The run in progress, for the Java callbacks. */
    private ScriptCall call;

    LuaRuntime(NodeServices node, String redisVersion, int redisVersionNum, ScriptShapes shapes) {
        this.shapes = shapes;
        this.session = new VirtualClient(node, 2, true);
        lua.openLibraries();
        LuaFunctions functions = new LuaFunctions(lua);
        ByteBuffer setup = ByteBuffer.allocateDirect(SANDBOX.length);
        setup.put(SANDBOX).flip();
        lua.load(setup, "=sandbox");
        redis = new RedisLibrary(node, strings, () -> call);
        redis.push(lua);
        lua.push((JFunction) this::tick);
        lua.push(redisVersion);
        lua.push(redisVersionNum);
        BitLibrary.push(lua, functions);
        new CjsonLibrary(strings, functions).push(lua);
        new CmsgpackLibrary(strings, functions).push(lua);
        new StructLibrary(strings, functions).push(lua);
        lua.pCall(8, 3);
        functionCaller = lua.ref();
        libraryLoader = lua.ref();
        runner = lua.ref();
    }

    private static byte[] sandbox() {
        try (InputStream in = LuaRuntime.class.getResourceAsStream("sandbox.lua")) {
            if (in == null) {
                throw new IllegalStateException("sandbox.lua is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The session the script's commands run in (reused from run to run). */
    VirtualClient session() {
        return session;
    }

    /**
     * Runs the script {@code body} (SHA1 {@code sha}) for {@code call} with {@code keys} and
     * {@code argv}, writing its result or error into {@code out}.
     *
     * @param cacheGeneration the script cache's generation: compiled scripts of an older one are dropped
     */
    void run(ScriptCall call, String sha, byte[] body, long cacheGeneration, byte[][] keys, byte[][] argv,
             ReplyWriter out) {
        String error = prepare(sha, body, cacheGeneration);
        if (error != null) {
            out.error("ERR Error compiling script (new function): " + error);
            return;
        }
        int ref = compiled.get(sha);
        invoke(call, runner, ref, keys, argv, out);
    }

    /**
     * Calls Lua function {@code entry} (the script runner or the function caller) with the
     * compiled script or callback {@code target}, {@code keys} and {@code argv}, writing the
     * result or error into {@code out}.
     */
    private void invoke(ScriptCall call, int entry, int target, byte[][] keys, byte[][] argv, ReplyWriter out) {
        int base = lua.getTop();
        lua.refGet(entry);
        lua.refGet(target);
        pushStrings(keys);
        pushStrings(argv);
        this.call = call;
        try {
            lua.pCall(3, 2);
            if (lua.toBoolean(base + 1)) {
                LuaToReply.write(lua, base + 2, out, call.resp);
            } else {
                out.error(failure(base + 2, call.name));
            }
        } catch (LuaException e) {
            out.error("ERR Error running script: " + e.getMessage());
        } finally {
            this.call = null;
            lua.setTop(base);
        }
        if (natives.lua_gc(lua.getPointer(), LUA_GCCOUNT, 0) > MEMORY_LIMIT_KB / 2) {
            lua.gc(); // a script that went near the limit leaves its garbage collected at once
        }
    }

    // ------------------------------------------------------------------ functions

    /** A function a library registers. */
    record FunctionInfo(String name, List<String> flags, String description) {}

    /** A library that does not load, with Redis's error text. */
    static final class LibraryError extends Exception {
        LibraryError(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Runs library {@code code} (shebang line included) in this state and returns the functions
     * it registers; with {@code keep}, their callbacks are kept for {@link #callFunction}.
     */
    List<FunctionInfo> loadLibrary(byte[] code, boolean keep) throws LibraryError {
        // The shebang line becomes a comment, so line numbers stay those of the code as given.
        byte[] chunk = new byte[code.length + 2];
        chunk[0] = '-';
        chunk[1] = '-';
        System.arraycopy(code, 0, chunk, 2, code.length);
        String compileError = compile(chunk, "@user_function");
        if (compileError != null) {
            throw new LibraryError("ERR Error compiling function: " + compileError);
        }
        int base = lua.getTop() - 1;
        lua.refGet(libraryLoader);
        lua.insert(base + 1);
        try {
            lua.pCall(1, 2);
            if (!lua.toBoolean(base + 1)) {
                lua.getField(base + 2, "err");
                byte[] err = LuaBytes.bytes(lua, -1);
                throw new LibraryError("ERR Error registering functions: "
                        + (err == null ? "unknown error" : new String(err, StandardCharsets.UTF_8)));
            }
            List<FunctionInfo> functions = new ArrayList<>();
            int list = base + 2;
            for (int i = 1; ; i++) {
                lua.rawGetI(list, i);
                if (lua.isNil(-1)) {
                    lua.pop(1);
                    break;
                }
                int f = lua.getTop();
                lua.getField(f, "name");
                String name = new String(LuaBytes.bytes(lua, -1), StandardCharsets.UTF_8);
                lua.getField(f, "description");
                byte[] description = LuaBytes.bytes(lua, -1);
                lua.getField(f, "flags");
                List<String> flags = new ArrayList<>();
                for (int j = 1; ; j++) {
                    lua.rawGetI(-1, j);
                    if (lua.isNil(-1)) {
                        lua.pop(1);
                        break;
                    }
                    flags.add(new String(LuaBytes.bytes(lua, -1), StandardCharsets.UTF_8));
                    lua.pop(1);
                }
                lua.pop(3);
                if (keep) {
                    lua.getField(f, "callback");
                    Integer old = callbacks.put(name, lua.ref());
                    if (old != null) {
                        lua.unref(old);
                    }
                }
                lua.pop(1);
                functions.add(new FunctionInfo(name, List.copyOf(flags),
                        description == null ? null : new String(description, StandardCharsets.UTF_8)));
            }
            return functions;
        } catch (LuaException e) {
            throw new LibraryError("ERR Error registering functions: " + e.getMessage());
        } finally {
            lua.setTop(base);
        }
    }

    /** Loads every library of {@code libraries} into this state unless it holds their current version. */
    void syncLibraries(FunctionLibraries libraries) {
        long version = libraries.version();
        if (version == librariesVersion) {
            return;
        }
        for (int ref : callbacks.values()) {
            lua.unref(ref);
        }
        callbacks.clear();
        for (Map.Entry<String, byte[]> library : libraries.live().entrySet()) {
            try {
                loadLibrary(library.getValue(), true);
            } catch (LibraryError e) {
                scriptLog.warn("function library {} does not load: {}", library.getKey(), e.getMessage());
            }
        }
        librariesVersion = version;
    }

    /** Calls function {@code name} (its library loaded by {@link #syncLibraries}) with {@code keys} and {@code args}. */
    void callFunction(ScriptCall call, String name, byte[][] keys, byte[][] args, ReplyWriter out) {
        Integer callback = callbacks.get(name);
        if (callback == null) {
            out.error("ERR Function not found");
            return;
        }
        invoke(call, functionCaller, callback, keys, args, out);
    }

    /**
     * Compiles script {@code body} (SHA1 {@code sha}) unless this state has it already; returns
     * the compiler's error, or null.
     *
     * @param cacheGeneration the script cache's generation: compiled scripts of an older one are dropped
     */
    String prepare(String sha, byte[] body, long cacheGeneration) {
        if (cacheGeneration != generation) {
            for (int ref : compiled.values()) {
                lua.unref(ref);
            }
            compiled.clear();
            lua.gc();
            generation = cacheGeneration;
        }
        if (compiled.containsKey(sha)) {
            return null;
        }
        String error = compile(body, "@user_script");
        if (error == null) {
            shapes.note(sha, cacheGeneration, LuaBytecode.straightLine(lua.dump()));
            compiled.put(sha, lua.ref());
        }
        return error;
    }

    /** Compiles {@code body} as chunk {@code chunkName}: pushes the function and returns null, or returns the error. */
    String compile(byte[] body, String chunkName) {
        ByteBuffer code = ByteBuffer.allocateDirect(Math.max(1, body.length));
        code.put(body).flip();
        try {
            lua.load(code, chunkName);
            return null;
        } catch (LuaException e) {
            return e.getMessage();
        }
    }

    /** The client-facing text of the error table at {@code index}: Redis's "script: name, on source:line." form. */
    private String failure(int index, String name) {
        if (lua.type(index) != Lua.LuaType.TABLE) {
            byte[] raw = LuaBytes.bytes(lua, index);
            return "ERR " + (raw == null ? "unknown error" : new String(raw, StandardCharsets.UTF_8));
        }
        lua.getField(index, "err");
        byte[] err = LuaBytes.bytes(lua, -1);
        lua.getField(index, "source");
        byte[] source = LuaBytes.bytes(lua, -1);
        lua.getField(index, "line");
        long line = (long) lua.toNumber(-1);
        lua.pop(3);
        String text = err == null ? "ERR unknown error" : new String(err, StandardCharsets.UTF_8);
        if (source == null) {
            return text;
        }
        return text + " script: " + name + ", on " + new String(source, StandardCharsets.UTF_8) + ":" + line + ".";
    }

    private void pushStrings(byte[][] values) {
        lua.createTable(values.length, 0);
        for (int i = 0; i < values.length; i++) {
            strings.push(lua, values[i]);
            lua.rawSetI(-2, i + 1);
        }
    }

    // ------------------------------------------------------------------ the count hook

    /** The count hook's question: nil to go on, or the error that stops the script. */
    private int tick(Lua l) {
        ScriptCall c = call;
        if (c != null && c.run().check()) {
            if (!c.stopping) {
                c.stopping = true; // the hook asks again at every line until the script has unwound
                scriptLog.warn("Lua script {} killed by user with SCRIPT KILL or FUNCTION KILL.", c.name);
            }
            return pushError(l, "ERR Script killed by user with SCRIPT KILL...");
        }
        if (natives.lua_gc(lua.getPointer(), LUA_GCCOUNT, 0) > MEMORY_LIMIT_KB) {
            lua.gc();
            if (natives.lua_gc(lua.getPointer(), LUA_GCCOUNT, 0) > MEMORY_LIMIT_KB) {
                return pushError(l, "ERR Script stopped: its Lua memory went over "
                        + (MEMORY_LIMIT_KB >> 10) + " MiB");
            }
        }
        return 0;
    }

    private int pushError(Lua l, String text) {
        redis.pushError(l, text);
        return 1;
    }

    @Override
    public void close() {
        lua.close();
    }
}
