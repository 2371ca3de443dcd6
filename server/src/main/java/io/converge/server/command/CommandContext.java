package io.converge.server.command;

import io.converge.server.protocol.ReplyWriter;
import io.converge.server.util.RedisNumbers;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * What a {@link CommandHandler} works with: the arguments, the reply writer, the client's session
 * and the node's services. One reusable instance per connection (re-pointed at each command), so
 * handlers must not keep it beyond their call.
 */
public final class CommandContext {
    private final ClientConnection connection;
    private final NodeServices node;
    private CommandSpec command;
    private byte[][] args;
    /** Commands running now on this connection: 1 for a client's command, 2 for one EXEC runs. */
    int depth;
    private CompletableFuture<CommandDispatcher.LateReply> later;

    CommandContext(ClientConnection connection, NodeServices node) {
        this.connection = connection;
        this.node = node;
    }

    void set(CommandSpec command, byte[][] args) {
        this.command = command;
        this.args = args;
    }

    /** The command being executed (a subcommand's own spec for CLIENT SETNAME and such). */
    public CommandSpec command() {
        return command;
    }

    /** All arguments; {@code args()[0]} is the command name. Owned by the command: may be kept. */
    public byte[][] args() {
        return args;
    }

    /** Number of arguments including the command name (Redis's argc). */
    public int argc() {
        return args.length;
    }

    /** Argument {@code i} (0 is the command name). */
    public byte[] arg(int i) {
        return args[i];
    }

    /** Argument {@code i} decoded as UTF-8 (for names and options, not for binary data). */
    public String argString(int i) {
        return new String(args[i], StandardCharsets.UTF_8);
    }

    /** Whether argument {@code i} equals {@code lowerCaseAscii} ignoring ASCII case (no allocation). */
    public boolean argIs(int i, String lowerCaseAscii) {
        return equalsIgnoreCase(args[i], lowerCaseAscii);
    }

    /** Argument {@code i} as a Redis integer; throws {@code ERR value is not an integer or out of range}. */
    public long argLong(int i) {
        return RedisNumbers.parseLong(args[i]);
    }

    /** Argument {@code i} as a Redis float; throws {@code ERR value is not a valid float}. */
    public double argDouble(int i) {
        double d = RedisNumbers.parseDouble(args[i]);
        if (Double.isNaN(d)) {
            throw Errors.NOT_FLOAT_ERROR;
        }
        return d;
    }

    /** Whether a Lua script called the command (its session answers at once): Redis's {@code CLIENT_SCRIPT}. */
    public boolean calledByScript() {
        return connection.channel().answersAtOnce();
    }

    /**
     * Whether the command may finish its reply later ({@link #replyLater}): not when EXEC runs
     * it, since its reply is then one element of EXEC's, nor in a script's session.
     */
    public boolean mayReplyLater() {
        return depth == 1 && !connection.channel().answersAtOnce();
    }

    /**
     * Finishes the reply later, when {@code future} completes (a command waiting for the other
     * nodes of the cluster); the command's effects must be in place already, since the
     * connection runs its next commands meanwhile (an {@link CommandDispatcher.AwaitingAcks}).
     * Only when {@link #mayReplyLater}.
     */
    public void replyLater(CommandDispatcher.AwaitingAcks future) {
        if (!mayReplyLater()) {
            throw new IllegalStateException("a command run by EXEC answers at once");
        }
        later = future;
    }

    /**
     * Whether the command may block its client (BLPOP and the like): not when EXEC runs it (a
     * blocking command inside MULTI answers at once, as in Redis), nor in a session run for
     * another node or another command ({@link ConnectionChannel#virtual()}).
     */
    public boolean mayBlock() {
        return depth == 1 && !connection.channel().virtual();
    }

    /**
     * Blocks the client: its reply is what {@code future} completes with (see {@link
     * BlockedClients}); the connection runs no later command until then. Only when {@link #mayBlock}.
     */
    public void blockOn(CompletableFuture<CommandDispatcher.LateReply> future) {
        if (!mayBlock()) {
            throw new IllegalStateException("this command cannot block");
        }
        later = future;
    }

    /** The future set by {@link #replyLater} during the last command, or null; clears it. */
    CompletableFuture<CommandDispatcher.LateReply> takeLater() {
        CompletableFuture<CommandDispatcher.LateReply> f = later;
        later = null;
        return f;
    }

    /**
     * Reports a keyspace event of class {@code type} ({@link io.converge.server.config.NotifyFlags})
     * named {@code event} for {@code key}; published once the command ran, if the class is enabled.
     */
    public void notify(int type, String event, byte[] key) {
        KeyspaceEvents events = node.keyspaceEvents();
        if (events.enabled(type)) {
            events.report(type, event, key);
        }
    }

    /** Where to write the reply. */
    public ReplyWriter reply() {
        return connection.reply();
    }

    /** The client's session. */
    public ClientConnection connection() {
        return connection;
    }

    /** The node's services (config, stats, engine, clients, INFO, command table). */
    public NodeServices node() {
        return node;
    }

    /** Whether {@code bytes} equals {@code lowerCaseAscii} ignoring ASCII case. */
    public static boolean equalsIgnoreCase(byte[] bytes, String lowerCaseAscii) {
        int n = lowerCaseAscii.length();
        if (bytes.length != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (CommandTable.lower(bytes[i]) != lowerCaseAscii.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
