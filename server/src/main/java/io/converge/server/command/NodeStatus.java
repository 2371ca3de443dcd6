package io.converge.server.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One node's vital signs for operators (the admin dashboard, {@code CONVERGE STATUS} and
 * {@code ./converge status}): identity, keys, memory, clients, ops/s, recent p99 latency, and in a
 * cluster its replication backlog (pending deltas and bytes, the oldest unacknowledged delta: how
 * far its peers lag behind it), repairs running and peers owed a full sync, and its view of the
 * other nodes (up, phi). Built from what INFO reports, when asked.
 *
 * <p>The p99 is over the last ~10 s: each build keeps a snapshot of the command latency
 * histograms (at most one per second) and compares the current counts with the newest snapshot
 * at least 10 s old (with the time since the previous look when looks are rarer; since start on
 * the very first one).
 */
public final class NodeStatus {
    /** The cluster-wide view: this node's status and every reachable peer's, as JSON. */
    public interface Cluster {
        /** A JSON object {@code {"self": id, "nodes": [status...]}} with this node first. */
        CompletableFuture<String> json();
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WINDOW_MILLIS = 10_000;
    private static final List<String> SECTIONS = List.of("server", "clients", "memory", "stats", "replication",
            "keyspace", "cluster");

    private final NodeServices services;
    private final Deque<Snapshot> history = new ArrayDeque<>();

    private record Snapshot(long atMillis, long[] buckets) {}

    /** The status of the node of {@code services}. */
    public NodeStatus(NodeServices services) {
        this.services = services;
    }

    /** This node's status as one JSON object. */
    public synchronized String json() {
        Map<String, String> info = services.info().fields(SECTIONS);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", info.getOrDefault("local_node_id", services.nodeId()));
        out.put("address", services.config().current().bind().get(0) + ":" + services.port());
        out.put("datacenter", info.getOrDefault("local_datacenter", ""));
        out.put("uptime_s", number(info.get("uptime_in_seconds")));
        out.put("keys", keys(info.get("db0")));
        out.put("used_memory", number(info.get("used_memory")));
        out.put("clients", number(info.get("connected_clients")));
        out.put("ops_per_sec", number(info.get("instantaneous_ops_per_sec")));
        out.put("p99_ms", p99Millis());
        out.put("primary_ownership", number(info.get("local_primary_ownership")));
        out.put("replica_ownership", number(info.get("local_replica_ownership")));
        out.put("sync_state", info.getOrDefault("sync_state", "complete"));
        out.put("pending_deltas", number(info.get("pending_deltas")));
        out.put("pending_bytes", number(info.get("pending_delta_bytes")));
        out.put("oldest_unacked_ms", number(info.get("oldest_unacked_delta_ms")));
        out.put("repairs_running", number(info.get("repair_sessions_running")));
        out.put("peers_needing_full_sync", number(info.get("peers_needing_full_sync")));
        out.put("gc_lag_ms", number(info.get("tombstone_stable_lag_ms")));
        Map<String, Object> view = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : info.entrySet()) {
            if (e.getKey().matches("node[0-9]+")) {
                Map<String, String> f = pairs(e.getValue());
                Map<String, Object> peer = new LinkedHashMap<>();
                peer.put("up", "1".equals(f.get("up")));
                peer.put("phi", number(f.get("phi")));
                peer.put("rack", f.getOrDefault("rack", ""));
                view.put(e.getKey().substring(4), peer);
            }
        }
        out.put("view", view);
        try {
            return JSON.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The p99 latency of commands over the last ~10 s, in milliseconds (0 when nothing ran). */
    private double p99Millis() {
        long now = System.currentTimeMillis();
        long[] buckets = new long[CommandStats.BUCKETS];
        for (CommandSpec cmd : services.commands().allWithSubcommands()) {
            add(buckets, cmd);
        }
        if (history.isEmpty() || now - history.peekLast().atMillis() >= 1_000) {
            history.addLast(new Snapshot(now, buckets));
        }
        // Keep the newest snapshot at least WINDOW old as the base (and those after it).
        while (history.size() > 2 && now - second(history).atMillis() >= WINDOW_MILLIS) {
            history.removeFirst();
        }
        long[] base = history.peekFirst().buckets();
        long total = 0;
        long[] recent = new long[buckets.length];
        for (int i = 0; i < buckets.length; i++) {
            recent[i] = buckets[i] - (base == buckets ? 0 : base[i]);
            total += recent[i];
        }
        if (total == 0) {
            return 0;
        }
        long seen = 0;
        for (int i = 0; i < recent.length; i++) {
            seen += recent[i];
            if (seen * 100 >= total * 99) {
                double upper = CommandStats.bucketUpperMicros(i);
                return Double.isInfinite(upper) ? CommandStats.bucketUpperMicros(i - 1) / 1000 : upper / 1000;
            }
        }
        return 0;
    }

    private static Snapshot second(Deque<Snapshot> history) {
        var it = history.iterator();
        it.next();
        return it.next();
    }

    private static void add(long[] into, CommandSpec cmd) {
        long[] b = cmd.stats().latencyBuckets();
        for (int i = 0; i < b.length; i++) {
            into[i] += b[i];
        }
    }

    private static long keys(String db0) {
        if (db0 == null) {
            return 0;
        }
        Object n = number(pairs(db0).get("keys"));
        return n instanceof Number v ? v.longValue() : 0;
    }

    private static Map<String, String> pairs(String value) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : value.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return out;
    }

    private static Object number(String text) {
        if (text == null) {
            return 0;
        }
        try {
            return text.contains(".") ? (Object) Double.parseDouble(text) : (Object) Long.parseLong(text);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
