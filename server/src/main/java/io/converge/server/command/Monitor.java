package io.converge.server.command;

import static io.converge.server.command.CommandFlag.ADMIN;
import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.NOSCRIPT;
import static io.converge.server.command.CommandFlag.STALE;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MONITOR: clients that asked to see every command this node's clients run, as Redis 7.0 shows
 * them ({@code +<seconds>.<micros> [0 <client address>] "arg" "arg" ...}), once the command ran
 * (or, in a cluster, was handed to the replica that runs it). Not shown, as in Redis: commands
 * refused before they ran (unknown, wrong arity, ...), administrative commands, and the
 * arguments of AUTH and of HELLO's AUTH (redacted). Commands this node runs for another node (a
 * forwarded command) are shown on the node their client is connected to, not here.
 *
 * <p>A monitoring client may not run commands that touch the keyspace (Redis treats it as a
 * replica); RESET or closing the connection ends it. Formatting costs nothing while nobody
 * monitors.
 */
public final class Monitor {
    private static final String NO_KEYSPACE = "ERR Replica can't interact with the keyspace";
    private static final String REDACTED = "(redacted)";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final Set<ClientConnection> monitors = ConcurrentHashMap.newKeySet();
    private volatile boolean any;

    /** Registers MONITOR in {@code table}. */
    public static void register(CommandTable table) {
        table.register(CommandSpec.builder("monitor").arity(1).flags(ADMIN, NOSCRIPT, LOADING, STALE)
                .acl(AclCategory.SLOW).group("server").since("1.0.0")
                .summary("Listens for all requests received by the server in real-time.").complexity("")
                .handler(ctx -> {
                    ClientConnection client = ctx.connection();
                    if (ctx.node().monitor().monitors.add(client)) {
                        ctx.node().monitor().any = true;
                        client.monitoring(true);
                        ctx.reply().ok();
                    } // already monitoring: no reply at all, as Redis
                }).build());
    }

    /** Ends {@code client}'s monitoring (RESET, disconnection). */
    public void forget(ClientConnection client) {
        if (monitors.remove(client)) {
            client.monitoring(false);
            any = !monitors.isEmpty();
        }
    }

    /** The refusal of {@code cmd} for a monitoring client, or null when it may run. */
    static String refusal(ClientConnection client, CommandSpec cmd) {
        if (client.monitoring() && (cmd.has(CommandFlag.WRITE) || cmd.has(CommandFlag.READONLY)
                || cmd.has(CommandFlag.MAY_REPLICATE))) {
            return NO_KEYSPACE;
        }
        return null;
    }

    /** Shows {@code args}, run by {@code client}, to every monitoring client. */
    void feed(ClientConnection client, CommandSpec cmd, byte[][] args) {
        if (!any || cmd.has(ADMIN) || cmd.has(CommandFlag.SKIP_MONITOR) || client.channel().virtual()) {
            return;
        }
        Instant now = Instant.now();
        StringBuilder line = new StringBuilder(64);
        line.append(now.getEpochSecond()).append('.');
        String micros = Integer.toString(now.getNano() / 1000);
        line.append("000000", micros.length(), 6).append(micros);
        line.append(" [").append(client.db()).append(' ').append(client.channel().remoteAddress()).append(']');
        boolean redactAll = CommandContext.equalsIgnoreCase(args[0], "auth");
        boolean hello = CommandContext.equalsIgnoreCase(args[0], "hello");
        for (int i = 0; i < args.length; i++) {
            line.append(' ');
            if ((redactAll && i > 0) || (hello && i > 1 && isHelloAuthSecret(args, i))) {
                line.append('"').append(REDACTED).append('"');
            } else {
                quote(line, args[i]);
            }
        }
        String text = line.toString();
        for (ClientConnection m : monitors) {
            m.channel().push(r -> r.simple(text));
        }
    }

    /** Whether argument {@code i} of a HELLO is the user name or password of its AUTH option. */
    private static boolean isHelloAuthSecret(byte[][] args, int i) {
        for (int j = 2; j < args.length; j++) {
            if (CommandContext.equalsIgnoreCase(args[j], "auth")) {
                return i == j + 1 || i == j + 2;
            }
        }
        return false;
    }

    /** Appends {@code arg} quoted and escaped as Redis's {@code sdscatrepr} does. */
    private static void quote(StringBuilder out, byte[] arg) {
        out.append('"');
        for (byte b : arg) {
            int c = b & 0xff;
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 7 -> out.append("\\a");
                case '\b' -> out.append("\\b");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        out.append((char) c);
                    } else {
                        out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Monitoring clients now. */
    public int count() {
        return monitors.size();
    }
}
