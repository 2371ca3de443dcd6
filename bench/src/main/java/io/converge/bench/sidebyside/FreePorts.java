package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks free TCP ports on the loopback interface, so no run ever depends on a fixed port. */
public final class FreePorts {
    private FreePorts() {}

    /**
     * Returns a port that was free a moment ago (the OS picked it for a socket we then closed).
     * Another process may grab it before our server binds; {@link ProcessTarget} retries then.
     */
    public static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not find a free port", e);
        }
    }
}
