package io.converge.server.command;

import io.converge.server.protocol.ReplyWriter;
import java.util.function.Consumer;

/**
 * What the command layer may ask of a client's network connection; implemented by the network
 * layer. All methods are safe to call from any thread.
 */
public interface ConnectionChannel {
    /** The client's address as {@code ip:port}. */
    String remoteAddress();

    /** The local address the client connected to, as {@code ip:port}. */
    String localAddress();

    /** The socket's file descriptor, or -1 when the transport does not expose it. */
    int fileDescriptor();

    /** Closes the connection (asynchronously; pending replies of the current batch are flushed first when called from the connection's own thread). */
    void close();

    /**
     * Writes a message the client did not ask for (a pub/sub message) with {@code message}, on the
     * connection's thread and in call order, and sends it; nothing once the connection is closed.
     */
    void push(Consumer<ReplyWriter> message);

    /**
     * Whether this is no client connection but a session run for another node or another
     * command (a forwarded command, one part of a split one): MONITOR does not show its commands.
     */
    default boolean virtual() {
        return false;
    }

    /**
     * Whether every command must answer at once, never later (a Lua script's session: the script
     * reads the reply as soon as the command returns).
     */
    default boolean answersAtOnce() {
        return false;
    }

    /** Bytes received and not yet parsed into a command (the query buffer). */
    long queryBufferBytes();

    /** Bytes of replies not yet written to the socket (the output buffer). */
    long outputBufferBytes();

    /**
     * Whether the pending output exceeds {@code client-output-buffer-limit} (the hard limit now,
     * or the soft limit for longer than its seconds, tracking since when).
     */
    boolean overOutputLimit(long nowMillis);
}
