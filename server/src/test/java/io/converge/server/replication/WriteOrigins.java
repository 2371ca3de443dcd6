package io.converge.server.replication;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Where each client command of a simulation first took effect: the node that ran it (the
 * coordinator, or the replica it forwarded the command to) and the records that node's disk
 * logged its deltas as. A write acknowledged at ONE is held by that node alone until its deltas
 * reach the others, so it may be lost only if those records were (see {@link SimDisk.Record#lost}).
 *
 * <p>The simulation runs on one thread, so "the command running now" is a variable: set while
 * the coordinator dispatches it ({@link #run}), and while a replica runs it on behalf of a
 * coordinator (the forward's request id, seen when the coordinator sends it through a
 * {@linkplain #wrap wrapped transport}, is recognised when it is delivered). Every local delta
 * an engine reports meanwhile belongs to that command.
 */
final class WriteOrigins {

    /** Forwarded request ids are unique per sending node: (node, request id) to command id. */
    private final Map<String, Integer> forwarded = new HashMap<>();
    private final Map<Integer, TreeSet<Integer>> nodes = new HashMap<>();
    private final Map<Integer, List<SimDisk.Record>> records = new HashMap<>();
    private int current = -1;

    /** Runs {@code body} (the dispatch of command {@code id} at its coordinator) as that command. */
    void run(int id, Runnable body) {
        int previous = current;
        current = id;
        try {
            body.run();
        } finally {
            current = previous;
        }
    }

    /** Notes a local delta of node {@code node}, logged as {@code record} (null: not logged). */
    void onLocalDelta(int node, SimDisk.Record record) {
        if (current < 0) {
            return; // expiry, a background purge: no command's
        }
        nodes.computeIfAbsent(current, id -> new TreeSet<>()).add(node);
        if (record != null) {
            records.computeIfAbsent(current, id -> new ArrayList<>()).add(record);
        }
    }

    /** The nodes where command {@code id} ran (empty when it changed nothing anywhere). */
    TreeSet<Integer> nodesOf(int id) {
        return nodes.getOrDefault(id, new TreeSet<>());
    }

    /** Whether a record of command {@code id} was lost by the node that ran it (a crash, a restore, a rebuild). */
    boolean lost(int id) {
        for (SimDisk.Record r : records.getOrDefault(id, List.of())) {
            if (r.lost) {
                return true;
            }
        }
        return false;
    }

    /** {@code transport} as seen by one process: forwards sent and run are tied to the command running. */
    Transport wrap(Transport transport) {
        return new Transport() {
            @Override
            public int localNodeId() {
                return transport.localNodeId();
            }

            @Override
            public void setHandler(PeerMessageHandler handler) {
                transport.setHandler(new PeerMessageHandler() {
                    @Override
                    public void onMessage(int fromNodeId, PeerMessage message) {
                        Integer id = message instanceof PeerMessage.Write w
                                ? forwarded.get(fromNodeId + ":" + w.requestId()) : null;
                        if (id == null) {
                            handler.onMessage(fromNodeId, message);
                        } else {
                            run(id, () -> handler.onMessage(fromNodeId, message));
                        }
                    }

                    @Override
                    public void onConnectionStateChanged(int nodeId, ConnectionState state) {
                        handler.onConnectionStateChanged(nodeId, state);
                    }
                });
            }

            @Override
            public void start() {
                transport.start();
            }

            @Override
            public boolean send(int toNodeId, PeerMessage message) {
                if (current >= 0 && message instanceof PeerMessage.Write w) {
                    forwarded.put(transport.localNodeId() + ":" + w.requestId(), current);
                }
                return transport.send(toNodeId, message);
            }

            @Override
            public void runSoon(Runnable task) {
                transport.runSoon(task);
            }

            @Override
            public ConnectionState connectionState(int nodeId) {
                return transport.connectionState(nodeId);
            }

            @Override
            public void close() {
                transport.close();
            }
        };
    }
}
