package io.converge.server.config;

import io.converge.server.util.LastWriterMap;
import io.converge.server.util.SharedState;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * CONFIG SET, with the keys that only make sense for a whole cluster set on every node:
 * {@code notify-keyspace-events} (events are published by the node where they happen, an expiry
 * by one designated replica, to subscribers on every node, so a class enabled on one node only
 * would lose the events of the others) and {@code cross-slot-transactions} (an application that
 * reaches the cluster through any node must see one rule for its cross-slot transactions: run
 * split everywhere, or refused everywhere). A CONFIG SET of such a key on any node is stamped into a
 * {@link LastWriterMap} and sent to the other nodes, which apply the latest value; a node that
 * starts, or was cut off, takes the cluster's latest value from its peers over the one in its
 * file. As in Redis, a CONFIG SET lasts until restart: when every node restarts, their files
 * apply again.
 */
public final class SharedSettings implements SharedState {
    /** The keys CONFIG SET sets cluster-wide (canonical names). */
    private static final Set<String> CLUSTER_WIDE = Set.of("notify-keyspace-events", "cross-slot-transactions");
    private static final int FORMAT = 0xC5;
    private static final String WHAT = "cluster settings";

    private final LiveConfig config;
    private final LastWriterMap entries;
    private Consumer<byte[]> peers = changes -> { };

    /** The settings of node {@code nodeId}, applied to {@code config}. */
    public SharedSettings(LiveConfig config, String nodeId) {
        this.config = config;
        this.entries = new LastWriterMap(nodeId);
    }

    /** Whether CONFIG SET of {@code name} (any spelling) applies to the whole cluster. */
    public static boolean clusterWide(String name) {
        ConfigKeys.Key key = ConfigKeys.find(name);
        return key != null && CLUSTER_WIDE.contains(key.name());
    }

    /**
     * CONFIG SET: applies {@code name -> value} pairs here, all or nothing (throws ConfigException
     * as {@link LiveConfig#set}), then announces the cluster-wide ones, as this node now prints them.
     */
    public synchronized void set(Map<String, String> values) {
        config.set(values);
        Map<String, byte[]> shared = new LinkedHashMap<>();
        for (String name : values.keySet()) {
            if (clusterWide(name)) {
                ConfigKeys.Key key = ConfigKeys.find(name);
                shared.put(key.name(), key.format(config.current()).getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!shared.isEmpty()) {
            peers.accept(LastWriterMap.encode(FORMAT, entries.write(shared)));
        }
    }

    @Override
    public synchronized boolean merge(byte[] encoded) {
        List<LastWriterMap.Entry> applied = entries.merge(LastWriterMap.decode(FORMAT, WHAT, encoded));
        Map<String, String> values = new LinkedHashMap<>();
        for (LastWriterMap.Entry e : applied) {
            if (e.value() != null && CLUSTER_WIDE.contains(e.name())) {
                values.put(e.name(), new String(e.value(), StandardCharsets.UTF_8));
            }
        }
        if (values.isEmpty()) {
            return false;
        }
        try {
            config.set(values);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(WHAT + ": " + e.getMessage(), e);
        }
        return true;
    }

    @Override
    public synchronized byte[] encodeAll() {
        return LastWriterMap.encode(FORMAT, entries.all());
    }

    @Override
    public synchronized void announceTo(Consumer<byte[]> peers) {
        this.peers = peers;
    }
}
