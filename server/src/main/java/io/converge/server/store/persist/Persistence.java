package io.converge.server.store.persist;

import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import io.converge.server.config.LiveConfig;
import io.converge.server.node.InfoRegistry;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.ReplicaIdentity;
import io.converge.server.store.StorageEngine;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durability of the embedded engine (DESIGN §2, §6): the append-only delta log with its fsync
 * policy, snapshots with log rewrite, recovery at start, and the HLC high-water mark.
 *
 * <pre>{@code
 * Persistence p = Persistence.create(settings, engine, engine.clock(), states);
 * p.start();           // before clients: load snapshot + log into the engine, set the clock floor,
 *                      // open a new segment and attach the log as the engine's delta listener
 * ... p.awaitDurable() // before replies are sent: written to the log file (forced with always)
 * p.close();           // at shutdown: write and force everything, store the exact clock mark
 * }</pre>
 *
 * <p><b>Files</b> in the data directory: {@code hlc-mark} ({@link HlcMark}) and
 * {@code appendonly/} with {@code segment-G.log} and {@code snapshot-G.snap}
 * ({@link LogDirectory}).
 *
 * <p><b>Rewrite</b> (automatic when the log outgrows the thresholds, or BGREWRITEAOF): rotate the
 * log to a new segment {@code G}, then write snapshot {@code G} from the engine's states, one
 * partition at a time while clients keep writing, then delete the older segments and snapshots.
 * A delta written during the snapshot lands in segment {@code G} and may also be in the snapshot;
 * replaying it on top is harmless because merge is idempotent and commutative (see
 * docs/persistence.md for the full argument).
 *
 * <p><b>Threads</b>: the log's writer ({@code converge-aof-writer}), a ticker every 100 ms
 * ({@code converge-persistence}: keeps the high-water mark ahead, starts automatic rewrites) and
 * the rewrite thread ({@code converge-aof-rewrite}).
 *
 * <p><b>When the log cannot be written</b> (disk full, I/O error; see {@link DeltaLog}): write
 * commands are refused with {@link #writeRefusal()}, replies that acknowledge no write are not
 * held back, merged peer deltas are refused, read-repair states and expiry purges are not logged
 * or postponed, and no automatic rewrite starts; the log's writer retries every second and the
 * node accepts writes again by itself once a retry succeeds.
 */
public final class Persistence implements EmbeddedEngine.Durability, ReplicaIdentity, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Persistence.class);
    private static final long TICK_MS = 100;
    /** The file locked while a node uses the data directory. */
    static final String LOCK_FILE = "lock";

    private final PersistenceSettings settings;
    private final StorageEngine engine;
    private final HybridLogicalClock clock;
    private final StateSource states;
    private final LogDirectory directory;
    private final AtomicBoolean rewriting = new AtomicBoolean();
    /** A rewrite asked for while one was running (BGSAVE SCHEDULE): it starts when that one ends. */
    private final AtomicBoolean rewriteScheduled = new AtomicBoolean();

    private LiveConfig config;
    private FileChannel lockFile;
    private HlcMark mark;
    private DeltaLog deltaLog;
    private ScheduledExecutorService ticker;
    private ExecutorService rewriter;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile boolean loading;

    // Rewrite state (rewrite thread; read by INFO).
    private volatile long baseGeneration;
    private volatile long baseBytes;
    private volatile long logBytesBeforeStart;
    private volatile long growthMark;
    private volatile long rewriteStartedNanos;
    private volatile long lastRewriteMillis = -1;
    /** When the last snapshot was completed, or the log loaded (LASTSAVE), epoch ms. */
    private volatile long lastSnapshotAtMillis = System.currentTimeMillis();
    private volatile boolean lastRewriteOk = true;
    private volatile long rewrites;
    private volatile int consecutiveRewriteFailures;
    private volatile long noAutoRewriteBeforeNanos;
    private static final long BULK_QUIET_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long BULK_MAX_DEFER_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** While a bulk inflow goes on (see {@link #bulkInflow}): when it started and when it lapses. */
    private volatile long bulkSinceNanos = System.nanoTime();
    private volatile long bulkUntilNanos = bulkSinceNanos;
    private volatile long lastMarkFailureLogNanos;
    private volatile LogRecovery.Result loaded;
    // Replica identity (see ReplicaIdentity): what the previous process left, decided at start.
    private IncarnationFile incarnation;
    private volatile boolean provenComplete;
    private volatile long loadedMark;
    private volatile long storedReplicaId;
    private volatile long loadMillis;
    private final LongAdder repairsUnlogged = new LongAdder();

    private Persistence(PersistenceSettings settings, StorageEngine engine, HybridLogicalClock clock, StateSource states) {
        this.settings = settings;
        this.engine = engine;
        this.clock = clock;
        this.states = states;
        this.directory = new LogDirectory(settings.dataDir());
    }

    /**
     * Persistence for {@code engine}, whose clock is {@code clock} and whose states are iterated
     * through {@code states}. Nothing happens until {@link #start()}.
     */
    public static Persistence create(PersistenceSettings settings, StorageEngine engine, HybridLogicalClock clock,
                                     StateSource states) {
        return new Persistence(settings, engine, clock, states);
    }

    /**
     * Gives a node's embedded engine its persistence, configured from the node's configuration
     * ({@code data-dir}, {@code appendonly}, {@code appendfsync}, {@code auto-aof-rewrite-*},
     * {@code aof-load-*}): attached so that it starts, waits and stops with the engine, plus the
     * INFO {@code persistence} section. Returns the persistence (BGREWRITEAOF acts on it).
     */
    public static Persistence attach(EmbeddedEngine engine, LiveConfig config, InfoRegistry info) {
        return attach(engine, config, info, UnaryOperator.identity());
    }

    /**
     * {@link #attach(EmbeddedEngine, LiveConfig, InfoRegistry)} with the settings from the
     * configuration passed through {@code adjust} first (tests: a disk that fails on demand,
     * small buffers).
     */
    public static Persistence attach(EmbeddedEngine engine, LiveConfig config, InfoRegistry info,
                                     UnaryOperator<PersistenceSettings> adjust) {
        Persistence p = create(adjust.apply(PersistenceSettings.fromConfig(config)), engine, engine.clock(),
                StateSource.of(engine));
        p.config = config;
        engine.attachDurability(p);
        PersistenceInfo.register(info, p);
        return p;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Recovers and attaches; call once, before the node accepts clients and before the engine's
     * background work starts. Throws {@link LogCorruptException} if the files are damaged beyond
     * what the load options allow, {@link IOException} if the data directory is unusable.
     */
    @Override
    public synchronized void start() throws IOException {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        try {
            open();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void open() throws IOException {
        if (config != null) {
            // CONFIG GET appendonly answers what the engine does (registered after the server's default).
            boolean on = settings.appendOnly();
            config.registerReadOnly("appendonly", () -> on ? "yes" : "no");
        }
        Files.createDirectories(settings.dataDir());
        lockDataDirectory();
        IncarnationFile previous = IncarnationFile.read(settings.dataDir());
        mark = HlcMark.open(settings.dataDir(), settings.clock());
        loadedMark = mark.stored();
        // Floor first, so even stamps taken while loading (tombstone GC horizons) are above the past.
        mark.attach(clock, 0);
        if (settings.appendOnly()) {
            directory.create();
            loading = true;
            long t0 = System.nanoTime();
            try {
                loaded = new LogRecovery(directory, engine, settings.loadTruncated().getAsBoolean(),
                        settings.loadSkipCorrupt().getAsBoolean()).run();
            } finally {
                loading = false;
            }
            loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            clock.setFloor(loaded.maxStamp());
            baseGeneration = loaded.snapshotGeneration();
            baseBytes = loaded.baseBytes();
            logBytesBeforeStart = loaded.logBytes();
            deltaLog = new DeltaLog(directory, settings.fsync(), settings.bufferBytes(), settings.files());
            deltaLog.open(loaded.nextGeneration());
            growthMark = 0;
            engine.addDeltaListener(deltaLog);
            rewriter = Executors.newSingleThreadExecutor(r -> daemon(r, "converge-aof-rewrite"));
            log.info("append-only log loaded in {} ms: {} keys from the snapshot, {} deltas from {} segment(s); "
                            + "appendfsync {}", loadMillis, loaded.snapshotKeys(), loaded.records(), loaded.segments(),
                    settings.fsync().get().configName());
        }
        mark.refresh(clock);
        settleIncarnation(previous);
        ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "converge-persistence"));
        ticker.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        if (loaded != null && loaded.damaged()) {
            log.warn("damaged log files were skipped while loading; rewriting the log to replace them");
            requestRewrite();
        }
    }

    /**
     * Makes every write applied so far as durable as {@code appendfsync} promises before its reply
     * is sent: with {@code always} waits until it is forced to disk; with {@code everysec} and
     * {@code no} makes sure it is written to the log file (on this thread, one write for every
     * record pending), so a crash of the process never loses an acknowledged write. The network
     * layer calls it before it sends a batch of replies. Returns at once when nothing is pending.
     *
     * @throws java.io.UncheckedIOException if the log cannot be written (do not acknowledge)
     */
    @Override
    public void awaitDurable() {
        awaitDurable(true);
    }

    /**
     * {@link #awaitDurable()} before a batch of client replies: while the log cannot be written,
     * returns at once for replies that acknowledge no write (reads are served) and throws at once
     * for the others, without touching the file.
     */
    @Override
    public void awaitDurable(boolean acknowledgesWrites) {
        DeltaLog l = deltaLog;
        if (l != null) {
            if (settings.fsync().get() == FsyncPolicy.ALWAYS) {
                l.awaitDurable(acknowledgesWrites);
            } else {
                l.awaitWritten(acknowledgesWrites);
            }
        }
    }

    /**
     * While the log cannot be written, the error write commands are refused with, as Redis words
     * it for a failing AOF: {@code MISCONF Errors writing to the AOF file: <reason>} (reason as the
     * operating system gives it, e.g. {@code No space left on device}); otherwise null.
     */
    @Override
    public String writeRefusal() {
        DeltaLog l = deltaLog;
        return l == null ? null : l.refusal();
    }

    /** Whether the log can record deltas now (false while it cannot be written). */
    @Override
    public boolean canRecord() {
        DeltaLog l = deltaLog;
        return l == null || !l.failing();
    }

    /** Writes and forces everything logged so far, whatever the fsync policy (tests, tools). */
    public void flush() {
        DeltaLog l = deltaLog;
        if (l != null) {
            l.awaitDurable();
        }
    }

    /**
     * Logs a delta that is being merged into the engine from a replica so that it survives a
     * restart too; local writes are logged by the engine's listener already. Throws
     * {@link io.converge.server.store.MergeRefusedException} while the log cannot be written.
     */
    @Override
    public void logMerged(byte[] key, KeyState delta) {
        DeltaLog l = deltaLog;
        if (l != null) {
            l.appendMerged(key, delta);
        }
    }

    /** {@link #logMerged(byte[], KeyState)} recording the delta's encoding as it arrived, {@code encoding[offset..]}. */
    @Override
    public void logMerged(byte[] key, KeyState delta, byte[] encoding, int offset) {
        logMerged(key, delta, encoding, offset, encoding.length - offset);
    }

    /** {@link #logMerged(byte[], KeyState)} recording the delta's encoding as it arrived, {@code encoding[offset..offset + length)}. */
    @Override
    public void logMerged(byte[] key, KeyState delta, byte[] encoding, int offset, int length) {
        DeltaLog l = deltaLog;
        if (l != null) {
            l.appendMerged(key, encoding, offset, length);
        }
    }

    /** Logs a read-repair state unless the log cannot be written now (then it stays in memory only). */
    @Override
    public void logRepaired(byte[] key, KeyState state) {
        DeltaLog l = deltaLog;
        if (l == null) {
            return;
        }
        if (l.failing()) {
            repairsUnlogged.increment();
            return;
        }
        try {
            l.appendMerged(key, state);
        } catch (io.converge.server.store.MergeRefusedException e) {
            repairsUnlogged.increment(); // the log failed meanwhile
        }
    }

    /** Stops the background work, writes and forces the log, stores the exact clock mark. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed || !started) {
            closed = true;
            return;
        }
        closed = true;
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (rewriter != null) {
            rewriter.shutdown();
            try {
                if (!rewriter.awaitTermination(30, TimeUnit.SECONDS)) {
                    log.warn("the log rewrite did not stop in time");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (deltaLog != null) {
            deltaLog.close();
            if (incarnation != null && !deltaLog.failing()) {
                try {
                    incarnation = incarnation.withClean(true);
                    incarnation.write(settings.dataDir());
                } catch (IOException e) {
                    log.warn("cannot record the clean shutdown in {}: {}", IncarnationFile.FILE, e.toString());
                }
            }
        }
        if (mark != null) {
            try {
                if (deltaLog != null || !settings.appendOnly()) {
                    mark.storeExact(clock); // only once the clock's floor is in place
                }
                mark.close();
            } catch (IOException e) {
                log.error("cannot store the HLC high-water mark at shutdown: {}", e.toString());
            }
        }
        if (lockFile != null) {
            try {
                lockFile.close(); // releases the lock
            } catch (IOException e) {
                log.warn("cannot release {}: {}", settings.dataDir().resolve(LOCK_FILE), e.toString());
            }
        }
    }

    /**
     * Takes an exclusive lock on {@code <data-dir>/lock} for the node's lifetime, so two
     * processes (or two nodes in one process) never append to the same log.
     */
    private void lockDataDirectory() throws IOException {
        Path file = settings.dataDir().resolve(LOCK_FILE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IOException("the data directory " + settings.dataDir() + " is in use by another Converge node ("
                    + file + " is locked)");
        }
        lockFile = ch;
    }

    // ------------------------------------------------------------------ replica identity

    /**
     * Decides what the previous process's state proves (see {@link ReplicaIdentity#provenComplete})
     * and records that this process is running (not clean until it closes).
     */
    private void settleIncarnation(IncarnationFile previous) throws IOException {
        String boot = IncarnationFile.currentBootId();
        boolean intactLog = settings.appendOnly() && loaded != null && !loaded.damaged();
        boolean nothingLostToTheOs = previous != null && (previous.clean()
                || settings.fsync().get() == FsyncPolicy.ALWAYS
                || (!boot.isEmpty() && boot.equals(previous.bootId())));
        provenComplete = intactLog && nothingLostToTheOs;
        storedReplicaId = previous == null ? 0 : previous.replicaId();
        incarnation = new IncarnationFile(storedReplicaId, boot, false, previous == null ? 0 : previous.rebuiltAt(),
                previous == null ? 0 : previous.process());
        incarnation.write(settings.dataDir());
        if (previous != null && !provenComplete) {
            log.info("the state loaded at start cannot prove it holds everything this node wrote before ({}): in a "
                    + "cluster it takes a new replica incarnation", !settings.appendOnly() ? "appendonly no"
                    : !intactLog ? "damaged log" : "the machine restarted since, and appendfsync is not always");
        }
    }

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
    public synchronized long rebuiltAt() {
        return incarnation == null ? 0 : incarnation.rebuiltAt();
    }

    @Override
    public synchronized long startProcess(long candidate) {
        long process = Math.max(candidate, incarnation == null ? candidate : incarnation.process() + 1);
        if (incarnation != null) {
            try {
                incarnation = incarnation.withProcess(process);
                incarnation.write(settings.dataDir());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot record the process incarnation in "
                        + settings.dataDir().resolve(IncarnationFile.FILE), e);
            }
        }
        return process;
    }

    @Override
    public synchronized void adopt(long replicaId) {
        if (incarnation != null && incarnation.replicaId() != replicaId) {
            try {
                incarnation = incarnation.withReplicaId(replicaId);
                incarnation.write(settings.dataDir());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot record the replica incarnation in "
                        + settings.dataDir().resolve(IncarnationFile.FILE), e);
            }
        }
        engine.replicaId(replicaId);
    }

    @Override
    public synchronized long newIncarnation(int nodeId) {
        long previousEpoch = Math.max(ReplicaIdentity.epochOf(engine.replicaId()),
                incarnation == null ? 0 : ReplicaIdentity.epochOf(incarnation.replicaId()));
        long id = ReplicaIdentity.nextIncarnation(nodeId, previousEpoch, settings.clock().millis());
        adopt(id);
        return id;
    }

    /**
     * Makes the log forget the state the engine just discarded (a rewrite: a snapshot of what the
     * engine holds now replaces every older segment), then records {@code stable} durably.
     */
    @Override
    public void rebuilt(long stable) {
        try {
            // A rewrite already running may have copied some of the discarded state: wait for it,
            // then run one that starts after the discard.
            while (deltaLog != null && !rewriteNow()) {
                if (closed) {
                    throw new IOException("shutting down");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
            synchronized (this) {
                incarnation = incarnation.withRebuiltAt(Math.max(incarnation.rebuiltAt(), stable));
                incarnation.write(settings.dataDir());
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot record the rebuild of " + settings.dataDir(), e);
        }
    }

    // ------------------------------------------------------------------ rewrite

    /**
     * Starts a log rewrite in the background (BGREWRITEAOF). Returns false if one is running
     * already or logging is off.
     */
    public boolean requestRewrite() {
        if (deltaLog == null || closed || !rewriting.compareAndSet(false, true)) {
            return false;
        }
        try {
            rewriter.execute(() -> {
                try {
                    rewrite();
                } finally {
                    rewriting.set(false);
                }
                if (rewriteScheduled.getAndSet(false)) {
                    requestRewrite();
                }
            });
            return true;
        } catch (RuntimeException e) {
            rewriting.set(false);
            return false;
        }
    }

    /**
     * Starts a rewrite, or, if one is running, has another start when it ends (BGSAVE SCHEDULE).
     * Returns true if one started now, false if it was scheduled; throws if logging is off.
     */
    public boolean requestRewriteOrSchedule() {
        if (deltaLog == null || closed) {
            throw new IllegalStateException("logging is off");
        }
        if (requestRewrite()) {
            return true;
        }
        rewriteScheduled.set(true);
        if (!rewriting.get() && rewriteScheduled.getAndSet(false)) {
            return requestRewrite(); // the running one ended before it could see the flag
        }
        return false;
    }

    /** Runs a rewrite on the calling thread and waits for it (tests, tools); false if one was running. */
    public boolean rewriteNow() throws IOException {
        if (deltaLog == null || !rewriting.compareAndSet(false, true)) {
            return false;
        }
        try {
            if (!rewrite()) {
                throw new IOException("the log rewrite failed (see the log for the cause)");
            }
            return true;
        } finally {
            rewriting.set(false);
        }
    }

    /** When the last rewrite completed (or, before any, when the node started), epoch ms (LASTSAVE). */
    public long lastSnapshotAtMillis() {
        return lastSnapshotAtMillis;
    }

    /** Whether a rewrite is running. */
    public boolean rewriteInProgress() {
        return rewriting.get();
    }

    private boolean rewrite() {
        long t0 = System.nanoTime();
        rewriteStartedNanos = t0;
        try {
            DeltaLog.Rotation rotation = deltaLog.rotate();
            long startMark = awaitRotation(rotation);
            long generation = rotation.generation();
            SnapshotWriter.Result result = new SnapshotWriter(directory, settings.files())
                    .write(generation, states, () -> closed);
            removeBefore(generation);
            baseGeneration = generation;
            baseBytes = result.bytes();
            logBytesBeforeStart = 0;
            growthMark = startMark;
            rewrites++;
            consecutiveRewriteFailures = 0;
            lastRewriteOk = true;
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            lastRewriteMillis = ms;
            lastSnapshotAtMillis = System.currentTimeMillis();
            log.info("log rewritten in {} ms: snapshot {} with {} keys ({} bytes)", ms, result.path().getFileName(),
                    result.keys(), result.bytes());
            return true;
        } catch (IOException | RuntimeException e) {
            lastRewriteOk = false;
            lastRewriteMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            int failures = ++consecutiveRewriteFailures;
            noAutoRewriteBeforeNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.min(300, 10L * failures));
            if (closed) {
                log.info("log rewrite stopped by shutdown");
            } else {
                log.error("log rewrite failed: {}", e.toString());
            }
            return false;
        } finally {
            rewriteStartedNanos = 0;
        }
    }

    private long awaitRotation(DeltaLog.Rotation rotation) throws IOException {
        while (true) {
            try {
                return rotation.opened().get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                if (closed) {
                    throw new IOException("shutting down");
                }
                if (deltaLog.failing()) {
                    // The rotation happens once the disk works again (a segment without its
                    // snapshot is harmless); this rewrite fails now rather than hang meanwhile.
                    throw new IOException("the append-only log cannot be written: " + deltaLog.failureReason());
                }
            } catch (ExecutionException e) {
                throw new IOException("cannot start a new log segment: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** Deletes the segments and snapshots the snapshot of {@code generation} replaces. */
    private void removeBefore(long generation) throws IOException {
        for (Map.Entry<Long, Path> e : directory.snapshots().headMap(generation, false).entrySet()) {
            Files.deleteIfExists(e.getValue());
        }
        for (Map.Entry<Long, Path> e : directory.segments().headMap(generation, false).entrySet()) {
            Files.deleteIfExists(e.getValue());
        }
        LogDirectory.fsyncDirectory(directory.path());
    }

    /** Log bytes written since the last snapshot (the growth the rewrite thresholds compare). */
    private long growth() {
        return logBytesBeforeStart + deltaLog.totalBytesWritten() - growthMark;
    }

    /** Every 100 ms: keep the high-water mark ahead; start an automatic rewrite when due. */
    private void tick() {
        try {
            mark.refresh(clock);
        } catch (IOException | RuntimeException e) {
            long now = System.nanoTime();
            if (now - lastMarkFailureLogNanos > TimeUnit.SECONDS.toNanos(10)) {
                lastMarkFailureLogNanos = now;
                log.error("cannot persist the HLC high-water mark (writes will fail until it can): {}", e.toString());
            }
        }
        // No automatic rewrite while the log cannot be written: a snapshot needs the space the log lacks.
        if (deltaLog != null && !deltaLog.failing() && !rewriting.get() && autoRewriteDue()) {
            log.info("starting automatic log rewrite: the log grew to {} bytes over a {}-byte snapshot",
                    growth(), baseBytes);
            requestRewrite();
        }
    }

    /**
     * Postpones automatic rewrites while states arrive in bulk (a catch-up writes every key it
     * missed to the log once, so a rewrite in its middle would snapshot a half-built dataset and
     * be due again at its end): until {@link #BULK_QUIET_NANOS} after the last call, for at most
     * {@link #BULK_MAX_DEFER_NANOS} in a row, so a never-ending inflow cannot grow the log forever.
     */
    @Override
    public void bulkInflow() {
        long now = System.nanoTime();
        if (now - bulkUntilNanos >= 0) {
            bulkSinceNanos = now;
        }
        bulkUntilNanos = now + BULK_QUIET_NANOS;
    }

    private boolean autoRewriteDue() {
        int percentage = settings.rewritePercentage().getAsInt();
        long now = System.nanoTime();
        if (percentage <= 0 || now - noAutoRewriteBeforeNanos < 0) {
            return false;
        }
        if (now - bulkUntilNanos < 0 && now - bulkSinceNanos < BULK_MAX_DEFER_NANOS) {
            return false;
        }
        long growth = growth();
        long base = baseBytes;
        return base + growth > settings.rewriteMinSize().getAsLong() && growth * 100 >= base * percentage;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------ state for INFO

    /** Whether writes are logged. */
    public boolean appendOnly() {
        return settings.appendOnly();
    }

    /** Whether the log is being loaded. */
    public boolean loading() {
        return loading;
    }

    /** The fsync policy in force. */
    public FsyncPolicy fsyncPolicy() {
        return settings.fsync().get();
    }

    /** The stored HLC high-water mark. */
    public long highWaterMark() {
        return mark == null ? 0 : mark.stored();
    }

    /** Generation of the latest snapshot (0 if none). */
    public long baseGeneration() {
        return baseGeneration;
    }

    /** Size of the latest snapshot (or of the log loaded at start when there was none: 0). */
    public long baseBytes() {
        return baseBytes;
    }

    /** Size of the snapshot plus everything logged since (Redis's aof_current_size). */
    public long currentBytes() {
        return deltaLog == null ? 0 : baseBytes + growth();
    }

    /** What was loaded at start (null when logging is off). */
    LogRecovery.Result loaded() {
        return loaded;
    }

    DeltaLog deltaLog() {
        return deltaLog;
    }

    long loadMillis() {
        return loadMillis;
    }

    long lastRewriteMillis() {
        return lastRewriteMillis;
    }

    long currentRewriteMillis() {
        long s = rewriteStartedNanos;
        return s == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s);
    }

    boolean lastRewriteOk() {
        return lastRewriteOk;
    }

    long rewrites() {
        return rewrites;
    }

    int consecutiveRewriteFailures() {
        return consecutiveRewriteFailures;
    }

    long highWaterMarkWrites() {
        return mark == null ? 0 : mark.writes();
    }

    /** Read-repair states joined in memory only because the log could not be written. */
    long repairsUnlogged() {
        return repairsUnlogged.sum();
    }
}
