package io.converge.server.store.persist;

import io.converge.crdt.Hlc;
import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.PhysicalClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HLC high-water mark in {@code <data-dir>/hlc-mark} (DESIGN §2: never go backwards across a
 * restart): a timestamp at or above every timestamp this node has issued, persisted <em>before</em>
 * the clock issues anything beyond it. On start the clock's floor is set to the stored mark, so a
 * restarted node stamps later than anything it stamped before, even if its wall clock stepped back.
 *
 * <p><b>Keeping the fsync off the hot path.</b> The clock calls {@link #reserve} synchronously,
 * before it hands out a timestamp whose physical part reaches its reservation (stamps up to
 * {@value #CLOCK_WINDOW_MS} ms ahead). A background task ({@link #refresh}, every 100 ms) keeps
 * the stored mark {@value #REFRESH_BELOW_MS}..{@value #LEAD_MS} ms ahead of the clock, so the
 * clock's request is normally already covered and returns at once; only when the background is
 * late (a stalled disk) or a remote timestamp pushed the clock ahead does a command wait for the
 * write. The lead is kept at most the default {@code max-clock-drift-ms} (1 s): a node restarted
 * right after a crash stamps at most that far ahead of its wall clock, which its peers accept.
 * A clean shutdown stores the exact last timestamp instead.
 *
 * <p><b>File format.</b> Two 32-byte slots, written alternately (so a torn write can only damage
 * the slot being replaced): magic "HLCM", u64 sequence, u64 mark, u32 CRC32C of the preceding 20
 * bytes, 8 zero bytes. The valid slot with the higher sequence holds the mark. Each update is one
 * positional write and one {@code fdatasync}.
 */
final class HlcMark implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HlcMark.class);

    /** File name in the data directory. */
    static final String FILE = "hlc-mark";
    /** How far ahead of the clock the background task stores the mark. */
    static final long LEAD_MS = 1000;
    /** The background task stores a new mark when the stored one is less than this far ahead. */
    static final long REFRESH_BELOW_MS = 500;
    /** The clock's own reservation window: it asks for a mark this far past the stamp it issues. */
    static final long CLOCK_WINDOW_MS = 250;

    private static final int SLOT = 32;
    private static final byte[] MAGIC = {'H', 'L', 'C', 'M'};

    private final Path file;
    private final PhysicalClock physical;
    private final CRC32C crc = new CRC32C();
    private FileChannel channel;
    private long sequence;
    private volatile long stored;
    private volatile long writes;
    private volatile boolean closed;

    private HlcMark(Path file, PhysicalClock physical) {
        this.file = file;
        this.physical = physical;
    }

    /** Opens (reads) the mark of {@code dataDir}; a missing file means no mark (0). */
    static HlcMark open(Path dataDir, PhysicalClock physical) throws IOException {
        HlcMark m = new HlcMark(dataDir.resolve(FILE), physical);
        m.load();
        return m;
    }

    /** The stored mark (a packed HLC), 0 if none was ever stored. */
    long stored() {
        return stored;
    }

    /** Number of marks written since opening. */
    long writes() {
        return writes;
    }

    /**
     * Sets {@code clock}'s floor to the stored mark (and to {@code atLeast}, e.g. the largest stamp
     * found in the log), then makes the clock reserve through this file before issuing more.
     */
    void attach(HybridLogicalClock clock, long atLeast) {
        long floor = Math.max(stored, atLeast);
        clock.setFloor(floor);
        clock.reserveAhead(CLOCK_WINDOW_MS, this::reserve);
    }

    /**
     * The clock's hook: makes sure the stored mark is at least {@code requested} before the clock
     * issues stamps below it. Normally already true (see the class comment).
     */
    void reserve(long requested) {
        if (requested <= stored) {
            return;
        }
        try {
            long ahead = Hlc.pack(Math.min(physical.millis() + LEAD_MS, Hlc.MAX_PHYSICAL), 0);
            store(Math.max(requested, ahead), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist the HLC high-water mark in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Background task: keeps the mark ahead of {@code clock} (and of the wall clock). */
    void refresh(HybridLogicalClock clock) throws IOException {
        long base = Math.max(physical.millis(), Hlc.physical(clock.current()));
        if (Hlc.physical(stored) < base + REFRESH_BELOW_MS) {
            store(Hlc.pack(Math.min(base + LEAD_MS, Hlc.MAX_PHYSICAL), 0), false);
        }
    }

    /**
     * At clean shutdown: stores a fresh stamp of {@code clock} (above everything it issued), which
     * may be lower than the reserved mark, so a quick restart does not start ahead of the wall clock.
     */
    void storeExact(HybridLogicalClock clock) throws IOException {
        store(clock.now(), true);
    }

    /** Writes {@code mark} to the next slot and forces it; only raises the mark unless {@code allowLower}. */
    synchronized void store(long mark, boolean allowLower) throws IOException {
        if (closed) {
            throw new IOException("the high-water mark file " + file + " is closed");
        }
        if (!allowLower && mark <= stored) {
            return;
        }
        long seq = sequence + 1;
        byte[] slot = encodeSlot(seq, mark);
        if (channel == null) {
            create(slot);
        } else {
            ByteBuffer buf = ByteBuffer.wrap(slot);
            long at = (seq & 1) * SLOT;
            while (buf.hasRemaining()) {
                at += channel.write(buf, at);
            }
            channel.force(false);
        }
        sequence = seq;
        stored = mark;
        writes++;
    }

    /** First write: the file appears atomically with its first slot. */
    private void create(byte[] firstSlot) throws IOException {
        Path temp = file.resolveSibling(FILE + ".tmp");
        byte[] both = new byte[2 * SLOT];
        long seq = RecordFormat.getLong(firstSlot, 4);
        System.arraycopy(firstSlot, 0, both, (int) ((seq & 1) * SLOT), SLOT);
        Files.createDirectories(file.getParent());
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(both);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        LogDirectory.atomicReplace(temp, file);
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private byte[] encodeSlot(long seq, long mark) {
        byte[] s = new byte[SLOT];
        System.arraycopy(MAGIC, 0, s, 0, 4);
        RecordFormat.putLong(s, 4, seq);
        RecordFormat.putLong(s, 12, mark);
        crc.reset();
        crc.update(s, 0, 20);
        RecordFormat.putInt(s, 20, (int) crc.getValue());
        return s;
    }

    private void load() throws IOException {
        Files.deleteIfExists(file.resolveSibling(FILE + ".tmp"));
        if (!Files.exists(file)) {
            return;
        }
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        byte[] both = new byte[2 * SLOT];
        ByteBuffer buf = ByteBuffer.wrap(both);
        long at = 0;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
        boolean found = false;
        for (int i = 0; i < 2; i++) {
            int o = i * SLOT;
            if (both[o] != MAGIC[0] || both[o + 1] != MAGIC[1] || both[o + 2] != MAGIC[2] || both[o + 3] != MAGIC[3]) {
                continue;
            }
            crc.reset();
            crc.update(both, o, 20);
            if ((int) crc.getValue() != RecordFormat.getInt(both, o + 20)) {
                continue;
            }
            long seq = RecordFormat.getLong(both, o + 4);
            if (!found || seq > sequence) {
                sequence = seq;
                stored = RecordFormat.getLong(both, o + 12);
                found = true;
            }
        }
        if (!found) {
            log.warn("{} holds no valid high-water mark; timestamps continue from the log and the wall clock", file);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
