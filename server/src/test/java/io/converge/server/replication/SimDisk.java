package io.converge.server.replication;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.Hlc;
import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import io.converge.server.cluster.sim.SimulatedNetwork;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.ReplicaIdentity;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A node's data directory in the simulation, and the durability layer of the engine of its
 * running process: what {@code store.persist.Persistence} does with files, on simulated time
 * and without threads, so that a crash costs what it costs on a real machine.
 *
 * <p><b>What it records.</b> As the real log: every local delta (it is the engine's first delta
 * listener), every merged delta ({@link #logMerged}, before the state changes) and every
 * read-repair state ({@link #logRepaired}), each as an encoded record in the segment of the
 * running process (every start opens a new segment; older ones stay until a rewrite). A record
 * is first <em>appended</em> (in the process's memory), then <em>written</em> to the OS (by
 * {@link #awaitDurable}, which the request path calls before replies, peers' acknowledgements
 * and delta sends, or by the log writer within a few ms), then <em>forced</em>: at once with
 * {@link Fsync#ALWAYS}, every simulated second with {@link Fsync#EVERYSEC}, and otherwise only
 * when the machine's kernel writes dirty pages back (every 30 s) or the process closes.
 *
 * <p><b>Also kept:</b> the HLC high-water mark (as {@code HlcMark}: stored ahead of the clock
 * before the clock issues stamps beyond it, kept 500..1000 ms ahead by a refresh every 100 ms,
 * the exact clock at a clean close; every store is forced) and the incarnation file (as
 * {@code IncarnationFile}: replica id, boot id, clean flag, rebuilt-at; every write is forced).
 *
 * <p><b>What a crash keeps</b> ({@link #processKilled}, {@link #powerLost}, {@link #wiped},
 * {@link #restore}): a killed process loses only what it had not written to the OS; a power
 * loss (a new boot) keeps what was forced, plus for each segment some random part of what was
 * written but not forced (the kernel may have written some of it back); a lost directory keeps
 * nothing; a restored {@link Copy} brings back the directory as it was when the copy was taken
 * (the files as the OS showed them then). Every record no longer held is marked
 * {@linkplain Record#lost lost}, which is what the simulation's checker uses to excuse writes
 * acknowledged at ONE by a node that then lost them.
 *
 * <p>{@link ReplicaIdentity} as {@code Persistence} implements it: the state loaded at start is
 * proven complete when the previous process closed cleanly, or forced every write, or ran on
 * the same boot of the machine.
 */
final class SimDisk implements EmbeddedEngine.Durability, ReplicaIdentity {

    /** {@code appendfsync}. */
    enum Fsync { ALWAYS, EVERYSEC, NO }

    /** How far ahead of the clock the refresh stores the mark ({@code HlcMark.LEAD_MS}). */
    static final long MARK_LEAD_MS = 1_000;
    /** The refresh stores a new mark when the stored one is less than this far ahead. */
    private static final long MARK_REFRESH_BELOW_MS = 500;
    /** The clock's reservation window. */
    private static final long MARK_CLOCK_WINDOW_MS = 250;
    /** How often the running process keeps the mark ahead. */
    private static final long MARK_REFRESH_EVERY_MS = 100;
    /** How often the kernel writes dirty pages back ({@code dirty_expire_centisecs}). */
    private static final long WRITEBACK_EVERY_MS = 30_000;

    /** One logged delta or state: encoded once, shared by every copy of the directory that holds it. */
    static final class Record {
        final byte[] key;
        final byte[] state;
        /** Set once some crash, restore or rewrite dropped it from the directory (it may come back with a copy). */
        boolean lost;

        Record(byte[] key, byte[] state) {
            this.key = key;
            this.state = state;
        }
    }

    /** A log segment: its records, how many were written to the OS, how many of those were forced. */
    private static final class Segment {
        final List<Record> records = new ArrayList<>();
        int written;
        int forced;

        Segment() {}

        Segment(List<Record> durable) {
            records.addAll(durable);
            written = forced = durable.size();
        }
    }

    /** The incarnation file. */
    private record Incarnation(long replicaId, long bootId, boolean clean, long rebuiltAt, long process) {}

    /** A copy of the directory (a backup): the files as the OS showed them when it was taken. */
    static final class Copy {
        private final List<List<Record>> segments;
        private final long mark;
        private final Incarnation incarnation;

        private Copy(List<List<Record>> segments, long mark, Incarnation incarnation) {
            this.segments = segments;
            this.mark = mark;
            this.incarnation = incarnation;
        }
    }

    private final SimulatedNetwork network;
    private final int nodeId;
    private final Fsync fsync;
    private final Random random;

    // The machine.
    private long bootId;
    // The directory.
    private List<Segment> segments = new ArrayList<>();
    private long mark;
    private Incarnation incarnation;
    // The running process (engine null while down).
    private EmbeddedEngine engine;
    private Segment current;
    private boolean loading;
    private boolean writerScheduled;
    private long nextRefreshMillis;
    private long nextForceMillis;
    private boolean provenComplete;
    private long loadedMark;
    private long storedReplicaId;
    /** Records lost so far, for the run's figures. */
    private long recordsLost;

    /** The empty directory of node {@code nodeId} on a machine just booted, forcing per {@code fsync}. */
    SimDisk(SimulatedNetwork network, int nodeId, Fsync fsync) {
        this.network = network;
        this.nodeId = nodeId;
        this.fsync = fsync;
        this.random = network.random();
        boot();
    }

    /** The fsync policy. */
    Fsync fsync() {
        return fsync;
    }

    // ------------------------------------------------------------------ process lifecycle

    /** Attaches this directory to the engine of a starting process (then {@link #start()}). */
    void attach(EmbeddedEngine engine) {
        if (this.engine != null) {
            throw new IllegalStateException("node " + nodeId + ": the directory is in use by a running process");
        }
        engine.attachDurability(this);
        this.engine = engine;
    }

    /**
     * As {@code Persistence.start}: floors the clock at the stored mark, replays every record in
     * order ({@code merge}, so nothing is recorded again), floors the clock at the largest stamp
     * replayed, opens a new segment, starts recording the engine's deltas and settles what the
     * previous process left (incarnation file).
     */
    @Override
    public void start() {
        EmbeddedEngine e = requireEngine();
        Incarnation previous = incarnation;
        loadedMark = mark;
        HybridLogicalClock clock = e.clock();
        clock.setFloor(mark);
        clock.reserveAhead(MARK_CLOCK_WINDOW_MS, requested -> reserve(e, requested));
        long maxStamp = 0;
        loading = true;
        try {
            for (Segment s : segments) {
                for (Record r : s.records) {
                    KeyState state = CrdtCodec.decode(r.state);
                    maxStamp = Math.max(maxStamp, state.lastWriteHlc());
                    e.merge(r.key, state);
                }
            }
        } finally {
            loading = false;
        }
        clock.setFloor(maxStamp);
        current = new Segment();
        segments.add(current);
        e.addDeltaListener((key, delta) -> {
            if (engine != e) {
                throw new IllegalStateException("node " + nodeId + ": a stopped process wrote a delta");
            }
            append(key, delta);
        });
        refreshMark();
        long now = network.clock().nowMillis();
        nextRefreshMillis = now + MARK_REFRESH_EVERY_MS;
        nextForceMillis = now + 1_000;
        boolean nothingLostToTheOs = previous != null
                && (previous.clean() || fsync == Fsync.ALWAYS || previous.bootId() == bootId);
        provenComplete = nothingLostToTheOs;
        storedReplicaId = previous == null ? 0 : previous.replicaId();
        incarnation = new Incarnation(storedReplicaId, bootId, false, previous == null ? 0 : previous.rebuiltAt(),
                previous == null ? 0 : previous.process());
    }

    /** The running process's periodic work (call from its timer): the mark's refresh, everysec's force, the writer. */
    void tick(long nowMillis) {
        if (engine == null) {
            return;
        }
        write();
        if (nowMillis >= nextRefreshMillis) {
            nextRefreshMillis = nowMillis + MARK_REFRESH_EVERY_MS;
            refreshMark();
        }
        if (nowMillis >= nextForceMillis) {
            nextForceMillis = nowMillis + 1_000;
            if (fsync == Fsync.EVERYSEC) {
                current.forced = current.written;
            }
        }
    }

    /** With {@code always}: written and forced; otherwise written to the OS. */
    @Override
    public void awaitDurable() {
        requireEngine();
        write();
    }

    @Override
    public void logMerged(byte[] key, KeyState delta) {
        requireEngine();
        if (!loading) {
            append(key, delta);
        }
    }

    @Override
    public void logRepaired(byte[] key, KeyState state) {
        logMerged(key, state);
    }

    /** A clean shutdown: writes and forces the segment, stores the exact clock as the mark, records it clean. */
    @Override
    public void close() {
        EmbeddedEngine e = requireEngine();
        current.written = current.forced = current.records.size();
        mark = e.clock().now();
        incarnation = new Incarnation(incarnation.replicaId(), incarnation.bootId(), true, incarnation.rebuiltAt(),
                incarnation.process());
        engine = null;
    }

    // ------------------------------------------------------------------ crashes

    /** kill -9: the process dies; what it had not written to the OS is lost, the rest stays (same boot). */
    void processKilled() {
        requireEngine();
        keep(s -> s.written);
        engine = null;
    }

    /**
     * The machine loses power (the process dies with it, if running) and boots again: each segment
     * keeps what was forced and some random part of what was written after it.
     */
    void powerLost() {
        keep(s -> s.forced + random.nextInt(s.written - s.forced + 1));
        engine = null;
        boot();
    }

    /** The directory is lost (a replaced disk; the machine boots again): nothing survives. */
    void wiped() {
        keep(s -> 0);
        segments = new ArrayList<>();
        mark = 0;
        incarnation = null;
        engine = null;
        boot();
    }

    /** A copy of the directory now, as a backup tool reading the files would see it. */
    Copy copy() {
        List<List<Record>> copied = new ArrayList<>();
        for (Segment s : segments) {
            copied.add(new ArrayList<>(s.records.subList(0, s.written)));
        }
        return new Copy(copied, mark, incarnation);
    }

    /**
     * The node is down and its directory is replaced by {@code copy}; the machine boots again or
     * not ({@code sameBoot}: an operator restored the files and restarted the process).
     */
    void restore(Copy copy, boolean sameBoot) {
        if (engine != null) {
            throw new IllegalStateException("node " + nodeId + ": restore while the process runs");
        }
        Map<Record, Boolean> kept = new IdentityHashMap<>();
        List<Segment> restored = new ArrayList<>();
        for (List<Record> records : copy.segments) {
            restored.add(new Segment(records));
            for (Record r : records) {
                kept.put(r, true);
            }
        }
        markLost(kept);
        segments = restored;
        mark = copy.mark;
        incarnation = copy.incarnation;
        if (!sameBoot) {
            boot();
        }
    }

    // ------------------------------------------------------------------ ReplicaIdentity

    @Override
    public boolean provenComplete() {
        return provenComplete;
    }

    @Override
    public long loadedMark() {
        return loadedMark;
    }

    @Override
    public long storedReplicaId() {
        return storedReplicaId;
    }

    @Override
    public long rebuiltAt() {
        return incarnation == null ? 0 : incarnation.rebuiltAt();
    }

    @Override
    public long startProcess(long candidate) {
        long process = Math.max(candidate, incarnation.process() + 1);
        incarnation = new Incarnation(incarnation.replicaId(), incarnation.bootId(), incarnation.clean(),
                incarnation.rebuiltAt(), process);
        return process;
    }

    @Override
    public void adopt(long replicaId) {
        EmbeddedEngine e = requireEngine();
        incarnation = new Incarnation(replicaId, incarnation.bootId(), incarnation.clean(), incarnation.rebuiltAt(),
                incarnation.process());
        e.replicaId(replicaId);
    }

    @Override
    public long newIncarnation(int node) {
        EmbeddedEngine e = requireEngine();
        long previousEpoch = Math.max(ReplicaIdentity.epochOf(e.replicaId()),
                ReplicaIdentity.epochOf(incarnation.replicaId()));
        long id = ReplicaIdentity.nextIncarnation(node, previousEpoch, e.wallMillis());
        adopt(id);
        return id;
    }

    /**
     * As {@code Persistence.rebuilt}: a rewrite (a snapshot of what the engine holds now, forced,
     * replaces every segment; the process goes on in a new segment), then rebuilt-at.
     */
    @Override
    public void rebuilt(long stable) {
        EmbeddedEngine e = requireEngine();
        List<Record> snapshot = new ArrayList<>();
        for (int p = 0; p < e.partitions(); p++) {
            e.forEachState(p, (key, state) -> snapshot.add(new Record(key.clone(), CrdtCodec.encode(state))));
        }
        Map<Record, Boolean> kept = new IdentityHashMap<>();
        for (Record r : snapshot) {
            kept.put(r, true);
        }
        markLost(kept);
        current = new Segment();
        segments = new ArrayList<>(List.of(new Segment(snapshot), current));
        incarnation = new Incarnation(incarnation.replicaId(), incarnation.bootId(), incarnation.clean(),
                Math.max(incarnation.rebuiltAt(), stable), incarnation.process());
    }

    // ------------------------------------------------------------------ figures

    /** Records dropped by crashes, restores and rewrites so far. */
    long recordsLost() {
        return recordsLost;
    }

    /** The record the engine's last local delta or merge was logged as (the checker ties writes to it). */
    Record lastRecord() {
        return current == null || current.records.isEmpty() ? null : current.records.get(current.records.size() - 1);
    }

    // ------------------------------------------------------------------ internals

    private EmbeddedEngine requireEngine() {
        if (engine == null) {
            throw new IllegalStateException("node " + nodeId + ": no process runs on this directory");
        }
        return engine;
    }

    private void append(byte[] key, KeyState delta) {
        current.records.add(new Record(key.clone(), CrdtCodec.encode(delta)));
        if (!writerScheduled) {
            writerScheduled = true;
            // The log writer takes the buffer within a few ms; it dies with the process.
            network.scheduleOn(nodeId, 1 + random.nextInt(3), () -> {
                writerScheduled = false;
                if (engine != null) {
                    write();
                }
            });
        }
    }

    /** Hands the appended records to the OS (and forces them with {@code always}). */
    private void write() {
        current.written = current.records.size();
        if (fsync == Fsync.ALWAYS) {
            current.forced = current.written;
        }
    }

    /** The clock's hook ({@code HlcMark.reserve}): the mark covers {@code requested} before it is issued. */
    private void reserve(EmbeddedEngine e, long requested) {
        if (engine != e) {
            throw new IllegalStateException("node " + nodeId + ": a stopped process stamped");
        }
        if (requested > mark) {
            mark = Math.max(requested, Hlc.pack(Math.min(e.wallMillis() + MARK_LEAD_MS, Hlc.MAX_PHYSICAL), 0));
        }
    }

    /** {@code HlcMark.refresh}: keeps the mark ahead of the clock and of the wall clock. */
    private void refreshMark() {
        EmbeddedEngine e = requireEngine();
        long base = Math.max(e.wallMillis(), Hlc.physical(e.clock().current()));
        if (Hlc.physical(mark) < base + MARK_REFRESH_BELOW_MS) {
            mark = Math.max(mark, Hlc.pack(Math.min(base + MARK_LEAD_MS, Hlc.MAX_PHYSICAL), 0));
        }
    }

    /** Cuts every segment to the length {@code keep} gives, marking what it drops lost. */
    private void keep(java.util.function.ToIntFunction<Segment> keep) {
        for (Segment s : segments) {
            int n = keep.applyAsInt(s);
            for (int i = n; i < s.records.size(); i++) {
                lose(s.records.get(i));
            }
            s.records.subList(n, s.records.size()).clear();
            s.written = Math.min(s.written, n);
            s.forced = Math.min(s.forced, n);
        }
    }

    /** Marks lost every record of the directory that {@code kept} does not hold. */
    private void markLost(Map<Record, Boolean> kept) {
        for (Segment s : segments) {
            for (Record r : s.records) {
                if (!kept.containsKey(r)) {
                    lose(r);
                }
            }
        }
    }

    private void lose(Record r) {
        if (!r.lost) {
            r.lost = true;
            recordsLost++;
        }
    }

    /** A new boot of the machine: a new boot id, and the kernel's writeback of dirty pages from now on. */
    private void boot() {
        long boot = random.nextLong();
        bootId = boot;
        scheduleWriteback(boot, 1 + random.nextInt((int) WRITEBACK_EVERY_MS));
    }

    private void scheduleWriteback(long boot, long delayMillis) {
        network.schedule(delayMillis, () -> {
            if (bootId != boot) {
                return; // that boot ended
            }
            for (Segment s : segments) {
                s.forced = s.written;
            }
            scheduleWriteback(boot, WRITEBACK_EVERY_MS);
        });
    }
}
