package io.converge.server.command;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Redis's error texts, as constants and formatters, so every command answers the exact words
 * clients and tests expect. Each text includes its error code ("ERR", "WRONGTYPE", ...); pass it
 * to {@code ReplyWriter.error} or throw it as a {@link CommandException}.
 */
public final class Errors {
    private Errors() {}

    /** {@code ERR syntax error}. */
    public static final String SYNTAX = "ERR syntax error";
    /** Integer argument that does not parse or is out of range. */
    public static final String NOT_INTEGER = "ERR value is not an integer or out of range";
    /** Float argument that does not parse. */
    public static final String NOT_FLOAT = "ERR value is not a valid float";
    /** Operation on a key of another type. */
    public static final String WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
    /** Command refused before authentication. */
    public static final String NOAUTH = "NOAUTH Authentication required.";
    /** AUTH/HELLO with a bad user or password. */
    public static final String WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
    /** Command refused because maxmemory is reached. */
    public static final String OOM = "OOM command not allowed when used memory > 'maxmemory'.";
    /** EXEC after a queued command was refused. */
    public static final String EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
    /** Key does not exist where one is required (RENAME, ...). */
    public static final String NO_SUCH_KEY = "ERR no such key";

    /** Preallocated exception for {@link #SYNTAX}. */
    public static final CommandException SYNTAX_ERROR = new CommandException(SYNTAX);
    /** Preallocated exception for {@link #NOT_INTEGER}. */
    public static final CommandException NOT_INTEGER_ERROR = new CommandException(NOT_INTEGER);
    /** Preallocated exception for {@link #NOT_FLOAT}. */
    public static final CommandException NOT_FLOAT_ERROR = new CommandException(NOT_FLOAT);
    /** Preallocated exception for {@link #WRONGTYPE}. */
    public static final CommandException WRONGTYPE_ERROR = new CommandException(WRONGTYPE);

    /** {@code ERR wrong number of arguments for 'get' command} (full name, e.g. client|setname). */
    public static String wrongArity(String fullName) {
        return "ERR wrong number of arguments for '" + fullName + "' command";
    }

    /** {@code ERR unknown subcommand 'x'. Try CLIENT HELP.} (subcommand truncated at 128 bytes). */
    public static byte[] unknownSubcommand(byte[] subcommand, String container) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.writeBytes(ascii("ERR unknown subcommand '"));
        out.write(subcommand, 0, Math.min(128, cLength(subcommand)));
        out.writeBytes(ascii("'. Try " + container.toUpperCase(java.util.Locale.ROOT) + " HELP."));
        return out.toByteArray();
    }

    /**
     * {@code ERR unknown command 'foo', with args beginning with: 'a' 'b' } — Redis's format: the
     * name truncated at 128 bytes, then quoted arguments (each followed by a space) until the list
     * reaches 128 bytes, the last one cut to fit.
     */
    public static byte[] unknownCommand(byte[][] args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.writeBytes(ascii("ERR unknown command '"));
        out.write(args[0], 0, Math.min(128, cLength(args[0])));
        out.writeBytes(ascii("', with args beginning with: "));
        int listed = 0;
        for (int i = 1; i < args.length && listed < 128; i++) {
            int room = 128 - listed;
            int n = Math.min(room, cLength(args[i]));
            out.write('\'');
            out.write(args[i], 0, n);
            out.write('\'');
            out.write(' ');
            listed += n + 3;
        }
        return out.toByteArray();
    }

    /** Length up to the first NUL byte: Redis formats arguments with {@code %s}. */
    private static int cLength(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return b.length;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
