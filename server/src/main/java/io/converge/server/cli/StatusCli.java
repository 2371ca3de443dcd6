package io.converge.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code converge status}: the cluster at a glance, nodetool-style: one line per node with its
 * state as the asked node's failure detector sees it (and phi), its load (keys, memory), the
 * share of the ring it is primary for, its replication backlog (pending deltas, the oldest
 * unacknowledged one), repairs running, ops/s and recent p99, from {@code CONVERGE STATUS}.
 */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Show every node of the cluster: state, load, ownership, pending replication, ops/s, p99.")
public final class StatusCli implements Callable<Integer> {

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Node address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "7001", description = "Node client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = {"-a", "--pass"}, paramLabel = "PASSWORD", description = "Password (AUTH), if the node requires one.")
    String password;

    @Override
    public Integer call() {
        try (RespConnection c = new RespConnection(host, port, 15_000)) {
            if (password != null && c.call("AUTH", password) instanceof RespConnection.Error e) {
                System.err.println("converge status: " + e.message());
                return 1;
            }
            Object reply = c.call("CONVERGE", "STATUS");
            if (reply instanceof RespConnection.Error e) {
                System.err.println("converge status: " + (e.message().contains("unknown command")
                        ? host + ":" + port + " is a single node, not part of a cluster" : e.message()));
                return 1;
            }
            print(System.out, new ObjectMapper().readTree((String) reply));
            return 0;
        } catch (IOException e) {
            System.err.println("converge status: cannot talk to " + host + ":" + port + ": " + e.getMessage());
            return 2;
        }
    }

    /** The table for a {@code CONVERGE STATUS} document. */
    static void print(PrintStream out, JsonNode status) {
        String self = status.get("self").asText();
        Map<String, JsonNode> reported = new HashMap<>();
        JsonNode view = null;
        for (JsonNode n : status.get("nodes")) {
            reported.put(n.get("id").asText(), n);
            if (n.get("id").asText().equals(self)) {
                view = n.get("view");
            }
        }
        String format = "%-4s %-21s %-8s %7s %10s %10s %6s %9s %10s %8s %9s %8s%n";
        out.printf(Locale.ROOT, format, "Node", "Address", "State", "Phi", "Keys", "Memory", "Owns", "Pending",
                "Lag ms", "Repairs", "Ops/s", "p99 ms");
        List<String> ids = new ArrayList<>();
        for (Iterator<String> it = view.fieldNames(); it.hasNext(); ) {
            ids.add(it.next());
        }
        ids.sort((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
        for (String id : ids) {
            JsonNode v = view.get(id);
            JsonNode n = reported.get(id);
            boolean up = id.equals(self) || v.get("up").asBoolean();
            String state = !up ? "DOWN" : n != null && !n.get("sync_state").asText().equals("complete") ? "SYNCING" : "UP";
            out.printf(Locale.ROOT, format, id + (id.equals(self) ? "*" : ""), n == null ? "?" : n.get("address").asText(),
                    state, id.equals(self) ? "-" : String.format(Locale.ROOT, "%.2f", v.get("phi").asDouble()),
                    n == null ? "?" : n.get("keys").asText(), n == null ? "?" : mib(n.get("used_memory").asLong()),
                    n == null ? "?" : String.format(Locale.ROOT, "%.0f%%", 100 * n.get("primary_ownership").asDouble()),
                    n == null ? "?" : n.get("pending_deltas").asText(), n == null ? "?" : n.get("oldest_unacked_ms").asText(),
                    n == null ? "?" : n.get("repairs_running").asText(), n == null ? "?" : n.get("ops_per_sec").asText(),
                    n == null ? "?" : String.format(Locale.ROOT, "%.3f", n.get("p99_ms").asDouble()));
        }
        out.println("* the node asked; state and phi are its failure detector's view; '?' = did not answer");
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
