package io.converge.server.cluster.routing;

import io.converge.crdt.Bytes;
import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.NodeServices;
import io.converge.server.command.data.DataArgs;
import io.converge.server.command.data.ServerDataCommands;
import io.converge.server.node.InfoRegistry;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.replication.Replicator;
import io.converge.server.replication.broadcast.Broadcaster;
import io.converge.server.store.EmbeddedEngine;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * DBSIZE, KEYS, SCAN, RANDOMKEY, INFO keyspace, FLUSHALL and FLUSHDB over the whole cluster,
 * coordinated by the node a client asks. When every node holds every key (one replica set of all
 * nodes: the default 3-node cluster), this node's own view is the cluster's and they simply run
 * here. Otherwise:
 * <ul>
 *   <li>the coordinator asks every node it can reach, itself included, naming them all in the
 *       request; each key is answered for by its <em>owner</em>: the first of its replicas, in
 *       ring order, among the nodes named ({@link KeyOwners}). Every node applies the same list,
 *       so each key is counted once. A named node that does not answer in time is left out and
 *       the request asked again (its keys then have another owner), at most {@link #ATTEMPTS}
 *       times; a reply never hides keys no node answered for: it is then an error;</li>
 *   <li>DBSIZE adds up the owners' counts, INFO keyspace their counts, TTL counts and TTLs, KEYS
 *       merges their keys;</li>
 *   <li>SCAN walks the token space part by part in positions every node shares
 *       ({@link OwnedKeyWalks}): a call asks each node for its owned keys from the cursor's
 *       position on, takes the smallest position any node reached as the next cursor and returns
 *       the keys before it. A cursor is a position, not a node's state, so the next call may be
 *       answered by other owners (a node went down) or coordinated by another node;</li>
 *   <li>RANDOMKEY takes a random position and returns the first key at or after it, wrapping;</li>
 *   <li>FLUSHALL/FLUSHDB delete everything on every node that can be reached (CRDT deletes,
 *       which replicate as any delete); the reply is {@code OK} when every node did, otherwise an
 *       error saying how many did (the keys only unreachable nodes hold remain).</li>
 * </ul>
 * The walks run on an administrative thread, never on a client's or a peer link's thread. The
 * local-only view stays available as {@code CONVERGE LOCAL <command>}.
 */
final class ClusterKeyspace implements Broadcaster.Handler {
    static final int TOPIC = 3;
    private static final byte FLUSH = 3;
    private static final byte STATS = 4;
    private static final byte KEYS = 5;
    private static final byte SCAN = 6;
    private static final byte RANDOM = 7;
    /** How often a request is asked again without the nodes that did not answer. */
    private static final int ATTEMPTS = 3;
    /** Most keys one node looks at for one SCAN call, whatever COUNT says (bounds a page's memory). */
    static final int MAX_SCAN_KEYS_PER_NODE = 16_384;
    private static final long INFO_REUSE_NANOS = 1_000_000_000L;

    /** Keys, keys with a TTL and the sum of their TTLs over the cluster, counted at {@code atNanos}. */
    private record KeyspaceFigures(long[] stats, long atNanos) {}

    private final NodeServices node;
    private final Replicator replicator;
    private final EmbeddedEngine engine;
    private final Executor admin;
    private final OwnedKeyWalks walks;
    private final int self;
    private final boolean everyNodeHoldsAll;
    /**
     * The last cluster-wide keyspace figures, which an INFO that does not name the keyspace
     * section (a plain INFO, as {@code redis-cli --stat} sends every second, or INFO ALL) reuses
     * for {@link #INFO_REUSE_NANOS}, so that watching a node does not walk every key of every node
     * each second. INFO KEYSPACE always counts afresh, and a FLUSHALL here forgets them.
     */
    private volatile KeyspaceFigures lastFigures;

    ClusterKeyspace(NodeServices node, Replicator replicator, EmbeddedEngine engine, Executor admin) {
        this.node = node;
        this.replicator = replicator;
        this.engine = engine;
        this.admin = admin;
        this.self = replicator.localNodeId();
        this.walks = new OwnedKeyWalks(engine, self);
        // Replication factors are per datacenter, so one key's replicas being every node means all are.
        this.everyNodeHoldsAll = replicator.ring().replicasFor(new byte[0]).nodeIds().length
                == replicator.ring().topology().nodeIds().length;
    }

    /**
     * Runs {@code cmd} (DBSIZE, KEYS, SCAN, RANDOMKEY, INFO, FLUSHALL or FLUSHDB) for
     * {@code client}; null when answered here at once.
     */
    CompletableFuture<LateReply> route(ClientConnection client, CommandSpec cmd, byte[][] args) {
        if (everyNodeHoldsAll) {
            node.dispatcher().execute(client, cmd, args);
            return null;
        }
        return switch (cmd.name()) {
            case "dbsize" -> answer(STATS, new byte[0], all -> r -> r.integer(sumStats(all)[0]), "DBSIZE", null);
            case "keys" -> answer(KEYS, args[1], all -> r -> writeKeys(r, all), "KEYS", null);
            case "scan" -> scan(client, cmd, args);
            case "randomkey" -> randomKey();
            case "info" -> info(client, cmd, args);
            default -> flush(client, cmd, args);
        };
    }

    // ------------------------------------------------------------------ the commands

    private CompletableFuture<LateReply> scan(ClientConnection client, CommandSpec cmd, byte[][] args) {
        long cursor;
        DataArgs.ScanOptions options;
        try {
            cursor = DataArgs.parseCursor(args[1]);
            options = DataArgs.parseScanOptions(args, args.length, 2, true);
        } catch (CommandException e) {
            node.dispatcher().execute(client, cmd, args); // the local command writes the same error
            return null;
        }
        if (cursor < 0 || cursor >= OwnedKeyWalks.END) {
            // Not a position of this scan (a cursor of another kind, e.g. CONVERGE LOCAL SCAN's).
            client.reply().error(DataArgs.INVALID_CURSOR);
            return null;
        }
        int perNode = keysPerNode(options.count(), reachableNodes().length);
        ByteBuffer body = ByteBuffer.allocate(8 + 4 + 4 + length(options.pattern()) + 4 + length(options.type()));
        body.putLong(cursor).putInt(perNode);
        putBytes(body, options.pattern());
        putBytes(body, options.type());
        return answer(SCAN, body.array(), all -> {
            long next = OwnedKeyWalks.END;
            for (byte[] a : all.values()) {
                next = Math.min(next, ByteBuffer.wrap(a).getLong());
            }
            List<byte[]> page = new ArrayList<>();
            for (byte[] a : all.values()) {
                for (byte[] key : decodeKeys(ByteBuffer.wrap(a, 8, a.length - 8))) {
                    if (OwnedKeyWalks.position(key) < next) { // later keys come with a later call
                        page.add(key);
                    }
                }
            }
            long reply = next == OwnedKeyWalks.END ? 0 : next;
            return r -> {
                r.arrayHeader(2);
                r.bulk(Long.toUnsignedString(reply));
                r.arrayHeader(page.size());
                for (byte[] k : page) {
                    r.bulk(k);
                }
            };
        }, "SCAN", null);
    }

    /**
     * How many owned keys each of {@code nodes} looks at for a SCAN of {@code count}: its share,
     * plus some, since the page ends where the first node stopped (the least advanced one; each
     * node's walk reaches its share's keys at a somewhat different position), so that a page holds
     * about {@code count} keys rather than a third of it.
     */
    static int keysPerNode(int count, int nodes) {
        double share = Math.ceil((double) count / Math.max(1, nodes));
        return (int) Math.min(MAX_SCAN_KEYS_PER_NODE, share + Math.ceil(1.2 * Math.sqrt(share)));
    }

    private CompletableFuture<LateReply> randomKey() {
        long from = ThreadLocalRandom.current().nextLong(OwnedKeyWalks.END);
        return answer(RANDOM, ByteBuffer.allocate(8).putLong(from).array(), all -> {
            byte[] best = null;
            long bestDistance = Long.MAX_VALUE;
            for (byte[] a : all.values()) {
                if (a[0] == 0) {
                    continue; // that node owns no key
                }
                byte[] k = Arrays.copyOfRange(a, 1, a.length);
                long distance = Math.floorMod(OwnedKeyWalks.position(k) - from, OwnedKeyWalks.END);
                if (distance < bestDistance) {
                    bestDistance = distance;
                    best = k;
                }
            }
            byte[] key = best;
            return r -> {
                if (key == null) {
                    r.nullBulk();
                } else {
                    r.bulk(key);
                }
            };
        }, "RANDOMKEY", null);
    }

    /** INFO with the keyspace section counted over the cluster (other sections are this node's). */
    private CompletableFuture<LateReply> info(ClientConnection client, CommandSpec cmd, byte[][] args) {
        List<String> sections = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            sections.add(new String(args[i], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT));
        }
        InfoRegistry info = node.info();
        if (!info.shows(sections, "keyspace")) {
            node.dispatcher().execute(client, cmd, args);
            return null;
        }
        KeyspaceFigures recent = lastFigures;
        if (recent != null && !sections.contains("keyspace") && System.nanoTime() - recent.atNanos() < INFO_REUSE_NANOS) {
            return CompletableFuture.completedFuture(c -> keyspaceInfo(info, sections, recent.stats()).write(c.reply()));
        }
        return answer(STATS, new byte[0], all -> {
            long[] s = sumStats(all);
            lastFigures = new KeyspaceFigures(s, System.nanoTime());
            return keyspaceInfo(info, sections, s);
        }, "INFO", failure -> r -> r.verbatim(info.render(sections, "keyspace",
                // INFO still answers (monitoring keeps working): without db0, saying why.
                out -> out.field("cluster_keyspace_unavailable", failure))));
    }

    /** INFO's reply with the keyspace section from the cluster's figures {@code s} (keys, expires, sum of TTLs). */
    private static Reply keyspaceInfo(InfoRegistry info, List<String> sections, long[] s) {
        // Rendered on the client's thread, where INFO's other sections are always rendered.
        return r -> r.verbatim(info.render(sections, "keyspace", out -> {
            if (s[0] > 0) {
                out.field("db0", "keys=" + s[0] + ",expires=" + s[1] + ",avg_ttl=" + (s[1] == 0 ? 0 : s[2] / s[1]));
            }
        }));
    }

    private CompletableFuture<LateReply> flush(ClientConnection client, CommandSpec cmd, byte[][] args) {
        if (!validFlush(args)) {
            node.dispatcher().execute(client, cmd, args);
            return null;
        }
        String name = cmd.name().toUpperCase(Locale.ROOT);
        lastFigures = null;
        CompletableFuture<byte[]> mine = CompletableFuture.supplyAsync(() -> {
            ServerDataCommands.flushAll(engine);
            return new byte[0];
        }, admin);
        CompletableFuture<Broadcaster.Answers> peers = replicator.broadcast(TOPIC, new byte[] {FLUSH});
        CompletableFuture<LateReply> reply = new CompletableFuture<>(); // holds back later pipelined commands
        mine.thenCombine(peers, (m, p) -> p).whenComplete((p, error) -> reply.complete(c -> {
            if (error != null || !p.complete()) {
                c.reply().error("ERR " + name + " got " + (error != null ? 0 : p.replies().size() + 1) + " of "
                        + (error != null ? "its" : Integer.toString(p.asked() + 1)) + " answers in time"
                        + "; the nodes that answered deleted what they hold");
            } else {
                c.reply().ok();
            }
        }));
        return reply;
    }

    /** FLUSHALL/FLUSHDB [ASYNC|SYNC]: anything else gets the local command's syntax error. */
    private static boolean validFlush(byte[][] args) {
        return args.length == 1 || (args.length == 2 && (CommandContext.equalsIgnoreCase(args[1], "sync")
                || CommandContext.equalsIgnoreCase(args[1], "async")));
    }

    // ------------------------------------------------------------------ asking the nodes

    /** How a complete set of answers (node id to answer) becomes the client's reply. */
    private interface Reply {
        /** Writes the reply into {@code r}. */
        void write(ReplyWriter r);
    }

    /**
     * Asks every reachable node (this one too) request {@code kind} with {@code body}; once every
     * node named answered, {@code done} makes the reply. If some did not, asks again without them
     * (their keys have other owners then). When the answers cannot be complete, the reply is
     * {@code failed}'s for the reason, or an error naming {@code name}.
     */
    private CompletableFuture<LateReply> answer(byte kind, byte[] body, Function<Map<Integer, byte[]>, Reply> done,
                                                String name, Function<String, Reply> failed) {
        CompletableFuture<LateReply> reply = new CompletableFuture<>(); // holds back later pipelined commands
        ask(kind, body, reachableNodes(), 1).whenComplete((all, error) -> {
            String problem = error != null ? describe(error) : null;
            Reply r = null;
            if (problem == null) {
                try {
                    r = done.apply(all);
                } catch (BufferUnderflowException | IllegalArgumentException | NegativeArraySizeException e) {
                    problem = "a node's answer was malformed";
                }
            }
            String why = problem;
            Reply ready = r;
            reply.complete(c -> {
                if (ready != null) {
                    ready.write(c.reply());
                } else if (failed != null) {
                    failed.apply(why).write(c.reply());
                } else {
                    c.reply().error("ERR " + name + " " + why);
                }
            });
        });
        return reply;
    }

    /** This node and the peers it can reach now. */
    private int[] reachableNodes() {
        List<Integer> reachable = new ArrayList<>();
        reachable.add(self);
        for (int id : replicator.ring().topology().nodeIds()) {
            if (id != self && replicator.reachable(id)) {
                reachable.add(id);
            }
        }
        return reachable.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The answers of every node of {@code participants}, asking again without those that did not answer. */
    private CompletableFuture<Map<Integer, byte[]>> ask(byte kind, byte[] body, int[] participants, int attempt) {
        KeyOwners owners = new KeyOwners(replicator.ring(), participants);
        if (owners.uncovered()) {
            return CompletableFuture.failedFuture(new Incomplete("cannot reach any replica of some keys (nodes "
                    + Arrays.toString(owners.participants()) + " answered)"));
        }
        ByteBuffer request = ByteBuffer.allocate(1 + owners.encodedSize() + body.length);
        request.put(kind);
        owners.encode(request);
        request.put(body);
        CompletableFuture<byte[]> mine = CompletableFuture.supplyAsync(() -> handleHere(kind, owners, body), admin);
        CompletableFuture<Broadcaster.Answers> peers = replicator.broadcast(TOPIC, request.array());
        return mine.thenCombine(peers, (m, p) -> {
            Map<Integer, byte[]> all = new HashMap<>();
            all.put(self, m);
            for (byte[] a : p.replies()) {
                if (a.length >= 2) {
                    int from = Short.toUnsignedInt(ByteBuffer.wrap(a).getShort());
                    if (owners.takesPart(from)) {
                        all.put(from, Arrays.copyOfRange(a, 2, a.length));
                    }
                }
            }
            return all;
        }).thenCompose(all -> {
            if (all.size() == participants.length) {
                return CompletableFuture.completedFuture(all);
            }
            if (attempt == ATTEMPTS) {
                return CompletableFuture.failedFuture(new Incomplete("got " + all.size() + " of "
                        + participants.length + " answers in time"));
            }
            int[] answered = all.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
            return ask(kind, body, answered, attempt + 1);
        });
    }

    /** Why a request has no complete answer. */
    private static final class Incomplete extends RuntimeException {
        Incomplete(String message) {
            super(message, null, false, false);
        }
    }

    private static String describe(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e instanceof Incomplete ? e.getMessage() : "failed: " + e;
    }

    // ------------------------------------------------------------------ answering

    @Override
    public CompletableFuture<byte[]> handle(int fromNodeId, int topic, byte[] payload) {
        if (payload.length == 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("empty keyspace request"));
        }
        if (payload[0] == FLUSH) {
            return CompletableFuture.supplyAsync(() -> {
                ServerDataCommands.flushAll(engine);
                return new byte[0];
            }, admin);
        }
        KeyOwners owners;
        byte[] body;
        try {
            ByteBuffer in = ByteBuffer.wrap(payload, 1, payload.length - 1);
            owners = KeyOwners.decode(replicator.ring(), in);
            body = Arrays.copyOfRange(payload, in.position(), payload.length);
        } catch (BufferUnderflowException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("malformed keyspace request"));
        }
        return CompletableFuture.supplyAsync(() -> {
            byte[] answer = handleHere(payload[0], owners, body);
            return ByteBuffer.allocate(2 + answer.length).putShort((short) self).put(answer).array();
        }, admin);
    }

    /** This node's answer to request {@code kind}: about the keys it owns among {@code owners}. */
    private byte[] handleHere(byte kind, KeyOwners owners, byte[] body) {
        ByteBuffer in = ByteBuffer.wrap(body);
        switch (kind) {
            case STATS -> {
                OwnedKeyWalks.Stats s = walks.stats(owners, engine.wallMillis());
                return ByteBuffer.allocate(24).putLong(s.keys()).putLong(s.expires()).putLong(s.ttlSumMillis()).array();
            }
            case KEYS -> {
                return encodeKeys(0, walks.keys(owners, body));
            }
            case SCAN -> {
                long position = in.getLong();
                int wanted = Math.min(MAX_SCAN_KEYS_PER_NODE, Math.max(1, in.getInt()));
                byte[] pattern = getBytes(in);
                byte[] type = getBytes(in);
                if (position < 0 || position >= OwnedKeyWalks.END) {
                    throw new IllegalArgumentException("scan position " + position);
                }
                OwnedKeyWalks.Page page = walks.scan(owners, position, wanted,
                        new DataArgs.ScanOptions(pattern, wanted, type));
                byte[] keys = encodeKeys(8, page.keys());
                ByteBuffer.wrap(keys).putLong(page.reached());
                return keys;
            }
            case RANDOM -> {
                long from = in.getLong();
                byte[] key = walks.firstFrom(owners, Math.floorMod(from, OwnedKeyWalks.END));
                if (key == null) {
                    return new byte[] {0};
                }
                return ByteBuffer.allocate(1 + key.length).put((byte) 1).put(key).array();
            }
            default -> throw new IllegalArgumentException("keyspace request " + kind);
        }
    }

    // ------------------------------------------------------------------ encodings

    /** The owners' key counts, TTL counts and TTL sums, added up. */
    private static long[] sumStats(Map<Integer, byte[]> all) {
        long[] s = new long[3];
        for (byte[] a : all.values()) {
            ByteBuffer b = ByteBuffer.wrap(a);
            for (int i = 0; i < 3; i++) {
                s[i] += b.getLong();
            }
        }
        return s;
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    /** Writes optional bytes: -1 for none, else the length and the bytes. */
    private static void putBytes(ByteBuffer out, byte[] bytes) {
        if (bytes == null) {
            out.putInt(-1);
        } else {
            out.putInt(bytes.length).put(bytes);
        }
    }

    private static byte[] getBytes(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** {@code keys} as a count then each length and bytes, after {@code headroom} bytes left for the caller. */
    private static byte[] encodeKeys(int headroom, List<byte[]> keys) {
        long size = headroom + 4L;
        for (byte[] k : keys) {
            size += 4 + k.length;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size));
        b.position(headroom);
        b.putInt(keys.size());
        for (byte[] k : keys) {
            b.putInt(k.length).put(k);
        }
        return b.array();
    }

    private static List<byte[]> decodeKeys(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 4) {
            throw new IllegalArgumentException("key count " + n);
        }
        List<byte[]> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] k = new byte[b.getInt()];
            b.get(k);
            keys.add(k);
        }
        return keys;
    }

    /** Every node's keys, each once. */
    private static void writeKeys(ReplyWriter r, Map<Integer, byte[]> answers) {
        Set<Bytes> all = new LinkedHashSet<>();
        for (byte[] a : answers.values()) {
            for (byte[] k : decodeKeys(ByteBuffer.wrap(a))) {
                all.add(Bytes.wrap(k));
            }
        }
        r.arrayHeader(all.size());
        for (Bytes k : all) {
            r.bulk(k.array());
        }
    }
}
