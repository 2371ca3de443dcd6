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
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * DBSIZE, KEYS, SCAN, RANDOMKEY, INFO keyspace, FLUSHALL and FLUSHDB over the whole cluster,
 * coordinated by the node a client asks. When every node holds every key (one replica set of all
 * nodes: the default 3-node cluster), this node's own view is the cluster's and they simply run
 * here. Otherwise each request goes in two rounds:
 * <ul>
 *   <li>the coordinator asks every node it can reach which of its replica sets it is a complete
 *       replica of (it holds every acknowledged write: not a node still catching up after a
 *       restart), an answer given at once; the nodes that answer take part;</li>
 *   <li>it chooses each key's <em>owner</em> among them ({@link KeyOwners}: the first complete
 *       replica in ring order, else the first replica) and sends the owners with the request,
 *       so that every node applies the same choice and each key is counted once. Each owner walks
 *       the keys it owns ({@link OwnedKeyWalks}). An owner that does not answer and is meanwhile
 *       known to be down (killed during the call) is left out and the request asked again, at
 *       most {@link #ATTEMPTS} times; one that is merely slow, or refuses because too many walks
 *       are queued, makes the reply an error: a reply never hides keys no node answered for;</li>
 *   <li>DBSIZE adds up the owners' counts, INFO keyspace their counts, TTL counts and TTLs, KEYS
 *       merges their keys;</li>
 *   <li>SCAN walks the token space part by part in positions every node shares
 *       ({@link OwnedKeyWalks}): a call asks each owner for its keys from the cursor's position
 *       on, takes the smallest position any node reached as the next cursor and returns the keys
 *       before it. A cursor is a position, not a node's state, so the next call may be answered
 *       by other owners (a node went down) or coordinated by another node;</li>
 *   <li>RANDOMKEY takes a random position and returns the first key at or after it, wrapping
 *       (each owner looks at a bounded number of buckets per round; rounds go on from where the
 *       owners stopped until a key is found or the walk is back at its start);</li>
 *   <li>FLUSHALL/FLUSHDB delete everything on every node that can be reached (CRDT deletes,
 *       which replicate as any delete); the reply is {@code OK} when every node did, otherwise an
 *       error saying how many did (the keys only the others hold remain).</li>
 * </ul>
 * Each node walks on two threads of its own, each with a bounded queue, refusing more: one for
 * the walks over every key (DBSIZE, KEYS, INFO keyspace, FLUSHALL), which may take seconds and are
 * awaited {@link #WALK_TIMEOUT_MILLIS}, one for the bounded walks of SCAN and RANDOMKEY, awaited as
 * long as forwarded commands, so that pages do not wait behind whole walks. A node coordinates a
 * few requests of each kind at once and refuses more with an error before asking any node; the
 * queues have room for that many from every node. The client's later
 * pipelined commands wait for the reply. The local-only view stays available as
 * {@code CONVERGE LOCAL <command>}.
 */
final class ClusterKeyspace implements Broadcaster.Handler, AutoCloseable {
    static final int TOPIC = 3;
    private static final byte FLUSH = 3;
    private static final byte STATS = 4;
    private static final byte KEYS = 5;
    private static final byte SCAN = 6;
    private static final byte RANDOM = 7;
    /** The first round of a request: which replica sets the node is a complete replica of. */
    private static final byte COMPLETE = 8;
    /** A peer's answer: what was asked follows. */
    private static final byte ANSWERED = 0;
    /** A peer's answer: too many walks are queued there; nothing was done. */
    private static final byte BUSY = 1;
    /** A peer's answer: it owns no key in this request; nothing was done. */
    private static final byte NOT_AN_OWNER = 2;
    /** How often a request is asked again without owners that went down while it ran. */
    private static final int ATTEMPTS = 3;
    /** How long a walk over every key is awaited (millions of keys take seconds). */
    static final long WALK_TIMEOUT_MILLIS = 30_000;
    /**
     * Requests walking every key (DBSIZE, KEYS, INFO keyspace, FLUSHALL) one node coordinates at
     * once; more are refused there, before any node is asked. Each node queues as many walks per
     * node of the cluster, so that coordinators that admitted a request are not refused by peers.
     */
    static final int MAX_COORDINATED_WALKS = 2;
    /** SCAN and RANDOMKEY calls one node coordinates at once (likewise). */
    static final int MAX_COORDINATED_PAGES = 16;
    /** Most keys one node looks at for one SCAN call, whatever COUNT says (bounds a page's memory). */
    static final int MAX_SCAN_KEYS_PER_NODE = 16_384;
    /** Hash buckets one node looks at in one round of RANDOMKEY. */
    static final int RANDOM_BUCKETS = 65_536;
    private static final long INFO_REUSE_NANOS = 1_000_000_000L;

    /**
     * Keys, keys with a TTL and the sum of their TTLs over the cluster, counted from
     * {@code atNanos} on while {@link #flushes} was {@code flushes}.
     */
    private record KeyspaceFigures(long[] stats, long atNanos, long flushes) {}

    private final NodeServices node;
    private final Replicator replicator;
    private final EmbeddedEngine engine;
    /** Runs the walks over every key (and FLUSHALL), one at a time. */
    private final ThreadPoolExecutor walkThread;
    /** Runs the bounded walks of SCAN and RANDOMKEY, one at a time. */
    private final ThreadPoolExecutor pageThread;
    /** Room for the requests walking every key that this node coordinates. */
    private final Semaphore coordinatedWalks = new Semaphore(MAX_COORDINATED_WALKS);
    /** Room for the SCAN and RANDOMKEY calls this node coordinates. */
    private final Semaphore coordinatedPages = new Semaphore(MAX_COORDINATED_PAGES);
    private final OwnedKeyWalks walks;
    private final int self;
    private final boolean everyNodeHoldsAll;
    /**
     * The last cluster-wide keyspace figures, which an INFO that does not name the keyspace
     * section (a plain INFO, as {@code redis-cli --stat} sends every second, or INFO ALL) reuses
     * for {@link #INFO_REUSE_NANOS}, so that watching a node does not walk every key of every node
     * each second. INFO KEYSPACE always counts afresh, and figures counted across a FLUSHALL
     * coordinated here are not reused.
     */
    private volatile KeyspaceFigures lastFigures;
    /** Counts the starts and ends of FLUSHALLs coordinated here: figures counted across one are not reused. */
    private final AtomicLong flushes = new AtomicLong();

    ClusterKeyspace(NodeServices node, Replicator replicator, EmbeddedEngine engine) {
        this.node = node;
        this.replicator = replicator;
        this.engine = engine;
        this.self = replicator.localNodeId();
        this.walks = new OwnedKeyWalks(engine, self);
        int nodes = replicator.ring().topology().nodeIds().length;
        this.walkThread = lane("converge-keyspace-walks-" + self, nodes * MAX_COORDINATED_WALKS);
        this.pageThread = lane("converge-keyspace-pages-" + self, nodes * MAX_COORDINATED_PAGES);
        // Replication factors are per datacenter, so one key's replicas being every node means all are.
        this.everyNodeHoldsAll = replicator.ring().replicasFor(new byte[0]).nodeIds().length
                == replicator.ring().topology().nodeIds().length;
    }

    /** One thread queueing at most {@code queued} tasks; execute refuses more (RejectedExecutionException). */
    private static ThreadPoolExecutor lane(String name, int queued) {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queued), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Stops the walk threads (walks under way are interrupted; queued ones dropped). */
    @Override
    public void close() {
        walkThread.shutdownNow();
        pageThread.shutdownNow();
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
            case "dbsize" -> reply(admitted(coordinatedWalks, () -> collect(STATS, new byte[0], 1)), all -> {
                long keys = sumStats(all)[0];
                return r -> r.integer(keys);
            }, "DBSIZE", null);
            case "keys" -> reply(admitted(coordinatedWalks, () -> collect(KEYS, args[1], 1)), ClusterKeyspace::keysReply,
                    "KEYS", null);
            case "scan" -> scan(client, cmd, args);
            case "randomkey" -> {
                long from = ThreadLocalRandom.current().nextLong(OwnedKeyWalks.END);
                yield reply(admitted(coordinatedPages, () -> randomKey(from, from + OwnedKeyWalks.END)), key -> r -> {
                    if (key == null) {
                        r.nullBulk();
                    } else {
                        r.bulk(key);
                    }
                }, "RANDOMKEY", null);
            }
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
        int perNode = keysPerNode(options.count(), reachableNodes());
        ByteBuffer body = ByteBuffer.allocate(8 + 4 + KeyspaceCodec.bytesSize(options.pattern())
                + KeyspaceCodec.bytesSize(options.type()));
        body.putLong(cursor).putInt(perNode);
        KeyspaceCodec.putBytes(body, options.pattern());
        KeyspaceCodec.putBytes(body, options.type());
        return reply(admitted(coordinatedPages, () -> collect(SCAN, body.array(), 1)), all -> {
            List<OwnedKeyWalks.Page> pages = new ArrayList<>();
            long next = OwnedKeyWalks.END;
            for (byte[] a : all.values()) {
                OwnedKeyWalks.Page p = KeyspaceCodec.decodePage(a);
                pages.add(p);
                next = Math.min(next, p.reached());
            }
            List<byte[]> page = new ArrayList<>();
            for (OwnedKeyWalks.Page p : pages) {
                for (byte[] key : p.keys()) {
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

    /**
     * The first key at or after position {@code start} and before {@code stop} (a position past
     * {@link OwnedKeyWalks#END} counting from 0 again, see {@link OwnedKeyWalks#firstFrom}), or
     * null when there is none; asks again from where the owners stopped while none found a key.
     */
    private CompletableFuture<byte[]> randomKey(long start, long stop) {
        byte[] body = ByteBuffer.allocate(16).putLong(start).putLong(stop).array();
        return collect(RANDOM, body, 1).thenCompose(all -> {
            byte[] best = null;
            long bestAt = Long.MAX_VALUE;
            long next = stop;
            for (byte[] a : all.values()) {
                OwnedKeyWalks.Found found = parse(() -> KeyspaceCodec.decodeFound(a));
                if (found.key() != null) {
                    long p = OwnedKeyWalks.position(found.key());
                    long at = p >= start ? p : p + OwnedKeyWalks.END;
                    if (at < bestAt) {
                        bestAt = at;
                        best = found.key();
                    }
                } else if (found.reached() <= start) {
                    throw new Incomplete("got a malformed answer from a node (no progress)");
                } else {
                    next = Math.min(next, found.reached());
                }
            }
            if (best != null || next >= stop) {
                return CompletableFuture.completedFuture(best);
            }
            return next < OwnedKeyWalks.END ? randomKey(next, stop)
                    : randomKey(next - OwnedKeyWalks.END, stop - OwnedKeyWalks.END);
        });
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
        long flushed = flushes.get();
        if (recent != null && recent.flushes() == flushed && !sections.contains("keyspace")
                && System.nanoTime() - recent.atNanos() < INFO_REUSE_NANOS) {
            return CompletableFuture.completedFuture(c -> keyspaceInfo(info, sections, recent.stats()).write(c.reply()));
        }
        long startedNanos = System.nanoTime();
        return reply(admitted(coordinatedWalks, () -> collect(STATS, new byte[0], 1)), all -> {
            long[] s = sumStats(all);
            lastFigures = new KeyspaceFigures(s, startedNanos, flushed);
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
        if (!coordinatedWalks.tryAcquire()) { // refused: no node deletes anything
            client.reply().error("ERR " + name + " " + busy("[" + self + "]").getMessage());
            return null;
        }
        CompletableFuture<byte[]> mine = runHere(walkThread, () -> {
            ServerDataCommands.flushAll(engine);
            return new byte[0];
        });
        if (mine.isCompletedExceptionally()) {
            coordinatedWalks.release();
            client.reply().error("ERR " + name + " " + describe(mine.exceptionNow()));
            return null;
        }
        flushes.incrementAndGet();
        CompletableFuture<Broadcaster.Answers> peers = replicator.broadcast(TOPIC, new byte[] {FLUSH},
                WALK_TIMEOUT_MILLIS);
        CompletableFuture<Broadcaster.Answers> done = mine.thenCombine(peers, (m, p) -> {
            flushes.incrementAndGet();
            return p;
        });
        done.whenComplete((p, error) -> coordinatedWalks.release());
        return reply(done, p -> {
            int deleted = 1;
            int busy = 0;
            for (byte[] a : p.replies()) {
                if (a.length == 3 && a[2] == ANSWERED) {
                    deleted++;
                } else if (a.length == 3 && a[2] == BUSY) {
                    busy++;
                }
            }
            if (deleted == p.asked() + 1) {
                return ReplyWriter::ok;
            }
            String why = "deleted on " + deleted + " of " + (p.asked() + 1) + " nodes ("
                    + (busy > 0 ? busy + " had too many keyspace walks queued, " : "")
                    + (p.asked() + 1 - deleted - busy) + " did not answer in time)"
                    + "; the keys only the others hold remain";
            return r -> r.error("ERR " + name + " " + why);
        }, name, null);
    }

    /** FLUSHALL/FLUSHDB [ASYNC|SYNC]: anything else gets the local command's syntax error. */
    private static boolean validFlush(byte[][] args) {
        return args.length == 1 || (args.length == 2 && (CommandContext.equalsIgnoreCase(args[1], "sync")
                || CommandContext.equalsIgnoreCase(args[1], "async")));
    }

    // ------------------------------------------------------------------ asking the nodes

    /** How a complete set of answers becomes the client's reply. */
    private interface Reply {
        /** Writes the reply into {@code r}. */
        void write(ReplyWriter r);
    }

    /**
     * The client's reply once {@code made} completes: {@code done}'s for its value (run on the
     * client's thread; a malformed answer it meets makes an error reply), else {@code failed}'s
     * for the reason, or an error naming {@code name}. The future always completes.
     */
    private static <T> CompletableFuture<LateReply> reply(CompletableFuture<T> made, Function<T, Reply> done,
                                                          String name, Function<String, Reply> failed) {
        // A plain future, not an AwaitingAcks: the connection's later pipelined commands run after this one.
        CompletableFuture<LateReply> reply = new CompletableFuture<>();
        made.whenComplete((value, error) -> reply.complete(c -> {
            String why = error != null ? describe(error) : null;
            Reply ready = null;
            if (why == null) {
                try {
                    ready = done.apply(value);
                } catch (RuntimeException e) {
                    why = malformed(e).getMessage();
                }
            }
            if (ready != null) {
                ready.write(c.reply());
            } else if (failed != null) {
                failed.apply(why).write(c.reply());
            } else {
                c.reply().error("ERR " + name + " " + why);
            }
        }));
        return reply;
    }

    /**
     * {@code request}'s future when {@code room} has a permit, given back once it completes; else
     * a failed future ({@link Incomplete}: too many requests under way here), no node asked.
     */
    private <T> CompletableFuture<T> admitted(Semaphore room, Supplier<CompletableFuture<T>> request) {
        if (!room.tryAcquire()) {
            return CompletableFuture.failedFuture(busy("[" + self + "]"));
        }
        CompletableFuture<T> made;
        try {
            made = request.get();
        } catch (RuntimeException e) {
            room.release();
            throw e;
        }
        made.whenComplete((value, error) -> room.release());
        return made;
    }

    /** How many nodes a request reaches now: this one and the peers it can reach. */
    private int reachableNodes() {
        int n = 1;
        for (int id : replicator.ring().topology().nodeIds()) {
            if (id != self && replicator.reachable(id)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The first round of a request: asks every peer it can reach which replica sets it is a
     * complete replica of, and chooses the owners among this node and those that answered.
     */
    private CompletableFuture<KeyOwners> owners() {
        return replicator.broadcast(TOPIC, new byte[] {COMPLETE}).thenApply(p -> {
            Map<Integer, BitSet> complete = new HashMap<>();
            for (byte[] a : p.replies()) {
                if (a.length >= 2) {
                    int from = Short.toUnsignedInt(ByteBuffer.wrap(a).getShort());
                    complete.put(from, BitSet.valueOf(ByteBuffer.wrap(a, 2, a.length - 2)));
                }
            }
            complete.put(self, completeSetsHere());
            return KeyOwners.choose(replicator.ring(), complete);
        });
    }

    private BitSet completeSetsHere() {
        return KeyOwners.completeSetsOf(replicator.ring(), self, replicator::complete);
    }

    /**
     * The owners' answers (node id to answer) to request {@code kind} with {@code body}. Owners
     * that did not answer and are down by then are left out and the request asked again (their
     * keys get other owners); if one is still up (merely slow) or refused, the request fails.
     */
    private CompletableFuture<Map<Integer, byte[]>> collect(byte kind, byte[] body, int attempt) {
        return owners().thenCompose(owners -> {
            if (owners.uncovered()) {
                return CompletableFuture.failedFuture(new Incomplete("cannot reach any replica of some keys (nodes "
                        + Arrays.toString(owners.owners()) + " can be reached)"));
            }
            ByteBuffer request = ByteBuffer.allocate(1 + owners.encodedSize() + body.length);
            request.put(kind);
            owners.encode(request);
            request.put(body);
            boolean mineToo = owners.owns(self);
            CompletableFuture<byte[]> mine = mineToo ? runHere(laneOf(kind), () -> handleHere(kind, owners, body))
                    : CompletableFuture.completedFuture(null);
            long timeout = kind == RANDOM || kind == SCAN ? replicator.broadcastTimeoutMillis() : WALK_TIMEOUT_MILLIS;
            CompletableFuture<Broadcaster.Answers> peers = owners.owners().length > (mineToo ? 1 : 0)
                    ? replicator.broadcast(TOPIC, request.array(), timeout)
                    : CompletableFuture.completedFuture(new Broadcaster.Answers(0, List.of()));
            return mine.thenCombine(peers, (m, p) -> {
                Map<Integer, byte[]> all = new HashMap<>();
                if (m != null) {
                    all.put(self, m);
                }
                List<Integer> busy = new ArrayList<>();
                for (byte[] a : p.replies()) {
                    if (a.length >= 3) {
                        int from = Short.toUnsignedInt(ByteBuffer.wrap(a).getShort());
                        if (owners.owns(from) && from != self && a[2] == ANSWERED) {
                            all.put(from, Arrays.copyOfRange(a, 3, a.length));
                        } else if (owners.owns(from) && a[2] == BUSY) {
                            busy.add(from);
                        }
                    }
                }
                if (!busy.isEmpty()) {
                    throw busy(busy.toString());
                }
                return all;
            }).thenCompose(all -> {
                List<Integer> missing = new ArrayList<>();
                boolean slow = false;
                for (int owner : owners.owners()) {
                    if (!all.containsKey(owner)) {
                        missing.add(owner);
                        slow |= replicator.reachable(owner);
                    }
                }
                if (missing.isEmpty()) {
                    return CompletableFuture.completedFuture(all);
                }
                if (slow || attempt == ATTEMPTS) {
                    return CompletableFuture.failedFuture(new Incomplete("got no answer from node"
                            + (missing.size() > 1 ? "s " : " ") + missing + " within " + timeout + " ms"));
                }
                return collect(kind, body, attempt + 1);
            });
        });
    }

    /** The thread that runs requests of {@code kind}. */
    private Executor laneOf(byte kind) {
        return kind == SCAN || kind == RANDOM ? pageThread : walkThread;
    }

    /** {@code work} on {@code lane}; a failed future ({@link Incomplete}) when too many walks are queued there. */
    private CompletableFuture<byte[]> runHere(Executor lane, Supplier<byte[]> work) {
        try {
            return CompletableFuture.supplyAsync(work, lane);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(busy("[" + self + "]"));
        }
    }

    private static Incomplete busy(String nodes) {
        return new Incomplete("cannot run now: too many keyspace walks are under way on node"
                + (nodes.contains(",") ? "s " : " ")
                + nodes.substring(1, nodes.length() - 1) + ", try again later");
    }

    /** Why a request has no complete answer. */
    private static final class Incomplete extends RuntimeException {
        Incomplete(String message) {
            super(message, null, false, false);
        }
    }

    /** {@code decode}'s value; a malformed answer ({@code decode} threw) becomes an {@link Incomplete}. */
    private static <T> T parse(Supplier<T> decode) {
        try {
            return decode.get();
        } catch (RuntimeException e) {
            throw malformed(e);
        }
    }

    private static Incomplete malformed(RuntimeException e) {
        return e instanceof Incomplete i ? i : new Incomplete("got a malformed answer from a node (" + e + ")");
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
        byte kind = payload[0];
        if (kind == COMPLETE) {
            byte[] sets = completeSetsHere().toByteArray();
            return CompletableFuture.completedFuture(ByteBuffer.allocate(2 + sets.length).putShort((short) self)
                    .put(sets).array());
        }
        if (kind == FLUSH) {
            return answered(walkThread, () -> {
                ServerDataCommands.flushAll(engine);
                return new byte[0];
            });
        }
        KeyOwners owners;
        byte[] body;
        try {
            ByteBuffer in = ByteBuffer.wrap(payload, 1, payload.length - 1);
            owners = KeyOwners.decode(replicator.ring(), in);
            body = Arrays.copyOfRange(payload, in.position(), payload.length);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("malformed keyspace request: " + e));
        }
        if (!owners.owns(self)) {
            return CompletableFuture.completedFuture(header(NOT_AN_OWNER, 0).array());
        }
        return answered(laneOf(kind), () -> handleHere(kind, owners, body));
    }

    /** This node's answer with {@code work}'s bytes, run on {@code lane}; a {@link #BUSY} answer when refused there. */
    private CompletableFuture<byte[]> answered(Executor lane, Supplier<byte[]> work) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                byte[] answer = work.get();
                return header(ANSWERED, answer.length).put(answer).array();
            }, lane);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(header(BUSY, 0).array());
        }
    }

    /** An answer's start: this node's id and {@code status}, with room for {@code length} more bytes. */
    private ByteBuffer header(byte status, int length) {
        return ByteBuffer.allocate(3 + length).putShort((short) self).put(status);
    }

    /** This node's answer to request {@code kind}: about the keys it owns among {@code owners}. */
    private byte[] handleHere(byte kind, KeyOwners owners, byte[] body) {
        ByteBuffer in = ByteBuffer.wrap(body);
        switch (kind) {
            case STATS -> {
                return KeyspaceCodec.encodeStats(walks.stats(owners, engine.wallMillis()));
            }
            case KEYS -> {
                return KeyspaceCodec.encodeKeys(walks.keys(owners, body));
            }
            case SCAN -> {
                long position = in.getLong();
                int wanted = Math.min(MAX_SCAN_KEYS_PER_NODE, Math.max(1, in.getInt()));
                byte[] pattern = KeyspaceCodec.getBytes(in);
                byte[] type = KeyspaceCodec.getBytes(in);
                if (position < 0 || position >= OwnedKeyWalks.END) {
                    throw new IllegalArgumentException("scan position " + position);
                }
                return KeyspaceCodec.encodePage(walks.scan(owners, position, wanted,
                        new DataArgs.ScanOptions(pattern, wanted, type)));
            }
            case RANDOM -> {
                long start = in.getLong();
                long stop = in.getLong();
                return KeyspaceCodec.encodeFound(walks.firstFrom(owners, start, stop, RANDOM_BUCKETS));
            }
            default -> throw new IllegalArgumentException("keyspace request " + kind);
        }
    }

    // ------------------------------------------------------------------ the answers

    /** The owners' key counts, TTL counts and TTL sums, added up. */
    private static long[] sumStats(Map<Integer, byte[]> all) {
        long[] s = new long[3];
        for (byte[] a : all.values()) {
            KeyspaceCodec.addStats(s, a);
        }
        return s;
    }

    /** KEYS' reply: every owner's keys, each once. */
    private static Reply keysReply(Map<Integer, byte[]> answers) {
        Set<Bytes> all = new LinkedHashSet<>();
        for (byte[] a : answers.values()) {
            for (byte[] k : KeyspaceCodec.decodeKeys(ByteBuffer.wrap(a))) {
                all.add(Bytes.wrap(k));
            }
        }
        return r -> {
            r.arrayHeader(all.size());
            for (Bytes k : all) {
                r.bulk(k.array());
            }
        };
    }
}
