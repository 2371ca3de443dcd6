package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection per node of a cluster for the commands that act on it rather than on data:
 * {@code CONVERGE PARTITION} / {@code HEAL}, {@code CONVERGE DIVERGE}, {@code CONVERGE REPAIR}.
 * Every command must answer {@code +OK}.
 */
public final class ClusterAdmin implements AutoCloseable {
    private final List<RespConnection> nodes;

    private ClusterAdmin(List<RespConnection> nodes) {
        this.nodes = nodes;
    }

    /** Opens one connection to each of {@code ports} (node 1 first). */
    public static ClusterAdmin open(List<Integer> ports, Duration timeout) throws IOException {
        List<RespConnection> nodes = new ArrayList<>();
        try {
            for (int port : ports) {
                nodes.add(RespConnection.open("127.0.0.1", port, timeout));
            }
        } catch (IOException e) {
            for (RespConnection c : nodes) {
                c.close();
            }
            throw e;
        }
        return new ClusterAdmin(nodes);
    }

    /** Sends a command to node {@code node} (1-based); anything but +OK is an error. */
    public void send(int node, String... args) throws IOException {
        Object reply = nodes.get(node - 1).call(args);
        if (!"OK".equals(reply)) {
            throw new IOException("node " + node + " answered " + String.join(" ", args) + " with " + describe(reply));
        }
    }

    /** Sends {@code commands} to node {@code node} pipelined, then reads their replies; each must be +OK. */
    public void sendAll(int node, List<byte[][]> commands) throws IOException {
        RespConnection c = nodes.get(node - 1);
        for (byte[][] command : commands) {
            c.writeCommand(command);
        }
        c.flush();
        IOException first = null;
        for (byte[][] command : commands) {
            Object reply = c.readReply();
            if (!"OK".equals(reply) && first == null) {
                first = new IOException("node " + node + " answered " + new String(command[0], StandardCharsets.UTF_8)
                        + " ... with " + describe(reply));
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Sends a command to every node at once (pipelined to all, then the replies read). */
    public void sendToAll(String... args) throws IOException {
        byte[][] encoded = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            encoded[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        for (RespConnection c : nodes) {
            c.writeCommand(encoded);
            c.flush();
        }
        for (int i = 0; i < nodes.size(); i++) {
            Object reply = nodes.get(i).readReply();
            if (!"OK".equals(reply)) {
                throw new IOException("node " + (i + 1) + " answered " + String.join(" ", args) + " with "
                        + describe(reply));
            }
        }
    }

    /**
     * Cuts node {@code isolated} off from all the others, as a network failure affects both sides:
     * PARTITION of every other node on it, and of it on every other node.
     */
    public void cut(int isolated) throws IOException {
        List<String> args = new ArrayList<>(List.of("CONVERGE", "PARTITION"));
        for (int node = 1; node <= nodes.size(); node++) {
            if (node != isolated) {
                args.add(Integer.toString(node));
            }
        }
        send(isolated, args.toArray(String[]::new));
        for (int node = 1; node <= nodes.size(); node++) {
            if (node != isolated) {
                send(node, "CONVERGE", "PARTITION", Integer.toString(isolated));
            }
        }
    }

    /** Lifts every cut on every node, ignoring failures (cleanup after a failed round). */
    public void healQuietly() {
        for (RespConnection c : nodes) {
            try {
                c.call("CONVERGE", "HEAL");
            } catch (IOException e) {
                // the round already failed; the next one reports what is still wrong
            }
        }
    }

    private static String describe(Object reply) {
        return reply instanceof RespConnection.ErrorReply e ? "-" + e.message() : String.valueOf(reply);
    }

    @Override
    public void close() throws IOException {
        for (RespConnection c : nodes) {
            c.close();
        }
    }
}
