package io.converge.server.scripting;

/**
 * An error a Java library function raises in the script, as a C library's {@code luaL_error}
 * would: the JNI binding turns an exception thrown by a Java function into a Lua error whose
 * message is the exception's {@code toString()}, which here is the bare message.
 */
final class LuaError extends RuntimeException {
    LuaError(String message) {
        super(message, null, false, false);
    }

    /** Lua's message for a bad argument of library function {@code function}. */
    static LuaError badArgument(int index, String function, String problem) {
        return new LuaError("bad argument #" + index + " to '" + function + "' (" + problem + ")");
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
