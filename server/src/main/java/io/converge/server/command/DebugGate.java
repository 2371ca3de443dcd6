package io.converge.server.command;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Redis's {@code enable-debug-command} rule for DEBUG and Converge's testing commands (CONVERGE
 * PARTITION, DIVERGE...): {@code yes} allows every client, {@code local} loopback clients only,
 * {@code no} (the default) nobody, with Redis's wording.
 */
public final class DebugGate {
    private DebugGate() {}

    /**
     * Refuses {@code command} unless {@code enable-debug-command} allows this client (Redis's rule
     * and wording for DEBUG: {@code yes}, or {@code local} and a loopback client).
     */
    public static void require(CommandContext ctx, String command) {
        String allowed = ctx.node().config().current().enableDebugCommand();
        if (allowed.equals("yes") || (allowed.equals("local") && isLoopback(ctx.connection().channel().remoteAddress()))) {
            return;
        }
        throw new CommandException("ERR " + command + " command not allowed. If the enable-debug-command option is "
                + "set to \"local\", you can run it from a local connection, otherwise you need to set this option "
                + "in the configuration file, and then restart the server.");
    }

    /** Whether {@code address} ({@code ip:port}, as the client connection reports it) is a loopback address. */
    public static boolean isLoopback(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? address : address.substring(0, colon);
        if (host.isEmpty()) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char ch = host.charAt(i);
            boolean literal = Character.digit(ch, 16) >= 0 || ch == '.' || ch == ':' || ch == '%';
            if (!literal) {
                return false; // not an IP literal ("cluster" for forwarded commands): never local
            }
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress(); // a literal: no name lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

}
