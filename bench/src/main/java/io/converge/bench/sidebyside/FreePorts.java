package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Picks free TCP ports on the loopback interface, so no run ever depends on a fixed port. */
public final class FreePorts {
    /**
     * Where {@link #pickRun} looks: below Linux's default ephemeral range (32768-60999), so the
     * ports the OS hands to outgoing connections (redis-benchmark's clients, peer links) do not
     * collide with the ones picked here, even with the peer offset added.
     */
    static final int RUN_LOWEST = 15_000;
    static final int RUN_HIGHEST_PEER = 32_767;
    private static final int RUN_ATTEMPTS = 200;

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

    /**
     * Returns a base port P such that P..P+count-1 and P+offset..P+offset+count-1 were all free a
     * moment ago: the client and peer ports of a local cluster ({@code converge up --base-port P}
     * puts node i's peer port at its client port + 10000). Like {@link #pick}, another process
     * may take one before the cluster binds; {@link ClusterTarget} retries then.
     */
    public static int pickRun(int count, int offset) {
        int highestBase = RUN_HIGHEST_PEER - offset - count + 1;
        if (count < 1 || offset < count || highestBase < RUN_LOWEST) {
            throw new IllegalArgumentException("no room for " + count + " ports at offset " + offset);
        }
        for (int attempt = 0; attempt < RUN_ATTEMPTS; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(RUN_LOWEST, highestBase + 1);
            if (allFree(base, count) && allFree(base + offset, count)) {
                return base;
            }
        }
        throw new UncheckedIOException(new IOException("no " + count + " consecutive free ports (and their peers at +"
                + offset + ") found between " + RUN_LOWEST + " and " + RUN_HIGHEST_PEER));
    }

    /** Whether every port of {@code first..first+count-1} can be bound on the loopback interface now. */
    static boolean allFree(int first, int count) {
        for (int port = first; port < first + count; port++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
