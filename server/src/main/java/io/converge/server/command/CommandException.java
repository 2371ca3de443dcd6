package io.converge.server.command;

/**
 * Thrown by a handler (or an argument parser it calls) to answer an error reply. The message is
 * the full error text including its code, e.g. {@code "ERR syntax error"}. Carries no stack trace:
 * it is a normal way to end a command, not a bug.
 */
public final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error reply with {@code message} (code included, e.g. "ERR ..."). */
    public CommandException(String message) {
        super(message, null, false, false);
    }
}
