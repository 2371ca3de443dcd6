package io.converge.server.replication.forward;

/**
 * A command forwarded to a replica got no usable answer: the replica did not reply in time, could
 * not be reached, or failed to run it. The message is meant for the client, after {@code -ERR };
 * whether the command was applied there is unknown unless the message says otherwise.
 */
public final class ForwardException extends RuntimeException {

    /** An error with the client-facing {@code message}. */
    public ForwardException(String message) {
        super(message, null, false, false);
    }
}
