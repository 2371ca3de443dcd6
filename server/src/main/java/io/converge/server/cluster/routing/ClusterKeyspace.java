package io.converge.server.cluster.routing;

import io.converge.crdt.Bytes;
import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandDispatcher.AwaitingAcks;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.NodeServices;
import io.converge.server.command.data.ServerDataCommands;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.replication.Replicator;
import io.converge.server.replication.broadcast.Broadcaster;
import io.converge.server.store.StorageEngine;
import io.converge.server.util.Glob;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * DBSIZE, KEYS, FLUSHALL and FLUSHDB over the whole cluster, coordinated by the node a client
 * asks. When every node holds every key (one replica set of all nodes: the default 3-node
 * cluster), this node's own view is the cluster's and they simply run here. Otherwise:
 * <ul>
 *   <li>each key is counted once, by its <em>owner</em>: the first of its replicas, in ring
 *       order, that the counting node's failure detector thinks up. DBSIZE adds up every node's
 *       owned keys, KEYS merges them. While the failure detectors disagree (a node just went down
 *       or came back) a key may be counted twice or not at all;</li>
 *   <li>FLUSHALL/FLUSHDB delete everything on every node that can be reached (CRDT deletes,
 *       which replicate as any delete); the reply is {@code OK} when every node did, otherwise an
 *       error saying how many did (the keys only unreachable nodes hold remain).</li>
 * </ul>
 * The scans run on an administrative thread, never on a client's or a peer link's thread. The
 * local-only view stays available as {@code CONVERGE LOCAL <command>}.
 */
final class ClusterKeyspace implements Broadcaster.Handler {
    static final int TOPIC = 3;
    private static final byte COUNT = 1;
    private static final byte KEYS = 2;
    private static final byte FLUSH = 3;

    private final NodeServices node;
    private final Replicator replicator;
    private final StorageEngine engine;
    private final Executor admin;
    private final boolean everyNodeHoldsAll;

    ClusterKeyspace(NodeServices node, Replicator replicator, StorageEngine engine, Executor admin) {
        this.node = node;
        this.replicator = replicator;
        this.engine = engine;
        this.admin = admin;
        // Replication factors are per datacenter, so one key's replicas being every node means all are.
        this.everyNodeHoldsAll = replicator.ring().replicasFor(new byte[0]).nodeIds().length
                == replicator.ring().topology().nodeIds().length;
    }

    /** Runs {@code cmd} (DBSIZE, KEYS, FLUSHALL or FLUSHDB) for {@code client}; null when answered here at once. */
    CompletableFuture<LateReply> route(ClientConnection client, CommandSpec cmd, byte[][] args) {
        boolean flush = cmd.name().startsWith("flush");
        if (everyNodeHoldsAll || (flush && !validFlush(args))) {
            node.dispatcher().execute(client, cmd, args);
            return null;
        }
        String name = cmd.name().toUpperCase(Locale.ROOT);
        CompletableFuture<Broadcaster.Answers> answers = switch (cmd.name()) {
            case "dbsize" -> gather(new byte[] {COUNT}, () -> encodeCount(ownedKeys(null).size()));
            case "keys" -> gather(keysRequest(args[1]), () -> encodeKeys(ownedKeys(args[1])));
            default -> gather(new byte[] {FLUSH}, () -> {
                ServerDataCommands.flushAll(engine);
                return new byte[0];
            });
        };
        AwaitingAcks reply = new AwaitingAcks();
        answers.whenComplete((all, error) -> reply.complete(c -> {
            ReplyWriter r = c.reply();
            if (error != null || !all.complete()) {
                // Never a silently partial figure: every node reached must answer (a node that is
                // down is not asked: its keys are counted by their other replicas).
                r.error("ERR " + name + " got " + (error != null ? 0 : all.replies().size()) + " of "
                        + (error != null ? "its" : Integer.toString(all.asked())) + " answers in time"
                        + (flush ? "; the nodes that answered deleted what they hold" : ""));
            } else if (flush) {
                r.ok();
            } else if (cmd.name().equals("dbsize")) {
                long total = 0;
                for (byte[] a : all.replies()) {
                    total += ByteBuffer.wrap(a).getLong();
                }
                r.integer(total);
            } else {
                writeKeys(r, all.replies());
            }
        }));
        return reply;
    }

    /** FLUSHALL/FLUSHDB [ASYNC|SYNC]: anything else gets the local command's syntax error. */
    private static boolean validFlush(byte[][] args) {
        return args.length == 1 || (args.length == 2 && (CommandContext.equalsIgnoreCase(args[1], "sync")
                || CommandContext.equalsIgnoreCase(args[1], "async")));
    }

    /** This node's answer (computed on the admin thread) and every reachable peer's, this node's first. */
    private CompletableFuture<Broadcaster.Answers> gather(byte[] request, Supplier<byte[]> local) {
        CompletableFuture<byte[]> mine = CompletableFuture.supplyAsync(local, admin);
        CompletableFuture<Broadcaster.Answers> peers = replicator.broadcast(TOPIC, request);
        return mine.thenCombine(peers, (m, p) -> {
            List<byte[]> all = new ArrayList<>(p.replies().size() + 1);
            all.add(m);
            all.addAll(p.replies());
            return new Broadcaster.Answers(p.asked() + 1, all);
        });
    }

    @Override
    public CompletableFuture<byte[]> handle(int fromNodeId, int topic, byte[] payload) {
        if (payload.length == 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("empty keyspace request"));
        }
        return switch (payload[0]) {
            case COUNT -> CompletableFuture.supplyAsync(() -> encodeCount(ownedKeys(null).size()), admin);
            case KEYS -> {
                byte[] pattern = Arrays.copyOfRange(payload, 1, payload.length);
                yield CompletableFuture.supplyAsync(() -> encodeKeys(ownedKeys(pattern)), admin);
            }
            case FLUSH -> CompletableFuture.supplyAsync(() -> {
                ServerDataCommands.flushAll(engine);
                return new byte[0];
            }, admin);
            default -> CompletableFuture.failedFuture(new IllegalArgumentException("keyspace request " + payload[0]));
        };
    }

    /** The keys this node owns (see the class comment) matching {@code pattern} (all when null). */
    private List<byte[]> ownedKeys(byte[] pattern) {
        List<byte[]> out = new ArrayList<>();
        long cursor = 0;
        do {
            cursor = engine.scan(cursor, 1024, (key, state) -> {
                if ((pattern == null || Glob.matches(pattern, key, false)) && ClusterNode.ownedHere(replicator, key)) {
                    out.add(key);
                }
            });
        } while (cursor != 0);
        return out;
    }

    private static byte[] keysRequest(byte[] pattern) {
        byte[] r = new byte[1 + pattern.length];
        r[0] = KEYS;
        System.arraycopy(pattern, 0, r, 1, pattern.length);
        return r;
    }

    private static byte[] encodeCount(long n) {
        return ByteBuffer.allocate(8).putLong(n).array();
    }

    private static byte[] encodeKeys(List<byte[]> keys) {
        int size = 4;
        for (byte[] k : keys) {
            size += 4 + k.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(keys.size());
        for (byte[] k : keys) {
            b.putInt(k.length).put(k);
        }
        return b.array();
    }

    /** Every node's keys, each once (a key two nodes both claimed while their views differed too). */
    private static void writeKeys(ReplyWriter r, List<byte[]> answers) {
        Set<Bytes> all = new LinkedHashSet<>();
        for (byte[] a : answers) {
            try {
                ByteBuffer b = ByteBuffer.wrap(a);
                int n = b.getInt();
                for (int i = 0; i < n; i++) {
                    byte[] k = new byte[b.getInt()];
                    b.get(k);
                    all.add(Bytes.wrap(k));
                }
            } catch (BufferUnderflowException | IllegalArgumentException | NegativeArraySizeException e) {
                // a malformed answer adds nothing
            }
        }
        r.arrayHeader(all.size());
        for (Bytes k : all) {
            r.bulk(k.array());
        }
    }
}
