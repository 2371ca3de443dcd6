package io.converge.server.store.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads the records of one segment or snapshot file (see {@link RecordFormat}) and classifies
 * every failure.
 *
 * <p><b>Torn tail or damage?</b> When a record cannot be read at offset {@code p} (incomplete or
 * inconsistent header, payload past the end of the file, checksum mismatch), the reader searches
 * the rest of the file for the next intact record. If there is none, the failure is a
 * {@link Outcome#TRUNCATED torn tail}: the process or machine stopped in the middle of an append,
 * and everything from {@code p} on is the unfinished write (partial bytes, zeros or stale
 * blocks). If an intact record follows at {@code q}, the bytes {@code [p, q)} are
 * {@link Outcome#CORRUPT damage in the middle}: acknowledged records after it prove that the file
 * once held more, so loading must not silently stop there. The caller decides what to do with
 * either ({@link LogRecovery}); {@link #skipTo} resumes after damage.
 *
 * <p>Reads go through a 1 MB window, so loading a file costs one system call per megabyte.
 */
final class RecordReader implements AutoCloseable {

    /** What {@link #next} found. */
    enum Outcome {
        /** A record with intact checksums: see {@link #payloadArray()}. */
        RECORD,
        /** The clean end of the file. */
        END,
        /** An unfinished record at the end: {@link #failureOffset()}, {@link #problem()}. */
        TRUNCATED,
        /** Damage followed by intact records at {@link #resumeOffset()} (or unusable file header). */
        CORRUPT
    }

    private static final int WINDOW = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final byte[] expectedMagic;
    private final CRC32C crc = new CRC32C();
    private final byte[] window = new byte[WINDOW];
    private long windowStart;
    private int windowLength;
    private byte[] large = new byte[0];

    private long position;
    private boolean headerChecked;
    private long generation = -1;

    private byte[] payloadArray;
    private int payloadOffset;
    private int payloadLength;
    private long recordStart;
    private long failureOffset = -1;
    private long resumeOffset = -1;
    private String problem = "";

    private RecordReader(Path path, FileChannel channel, byte[] expectedMagic) throws IOException {
        this.path = path;
        this.channel = channel;
        this.size = channel.size();
        this.expectedMagic = expectedMagic;
    }

    /** Opens {@code path} for reading; {@code magic} is {@link RecordFormat#SEGMENT_MAGIC} or the snapshot one. */
    static RecordReader open(Path path, byte[] magic) throws IOException {
        return new RecordReader(path, FileChannel.open(path, StandardOpenOption.READ), magic);
    }

    /** The file. */
    Path path() {
        return path;
    }

    /** The file's size when opened. */
    long size() {
        return size;
    }

    /** The generation in the file header (-1 until the header was read, or if it is unusable). */
    long generation() {
        return generation;
    }

    /** Offset just after the last record returned (where a torn tail should be cut). */
    long position() {
        return position;
    }

    /** Offset of the record last returned. */
    long recordStart() {
        return recordStart;
    }

    /** The array holding the last record's payload (valid until the next call). */
    byte[] payloadArray() {
        return payloadArray;
    }

    /** Offset of the payload in {@link #payloadArray()}. */
    int payloadOffset() {
        return payloadOffset;
    }

    /** Length of the payload. */
    int payloadLength() {
        return payloadLength;
    }

    /** Where the last failure starts. */
    long failureOffset() {
        return failureOffset;
    }

    /** For {@link Outcome#CORRUPT}: offset of the next intact record, or -1 if none follows. */
    long resumeOffset() {
        return resumeOffset;
    }

    /** What was wrong at {@link #failureOffset()}. */
    String problem() {
        return problem;
    }

    /** Continues reading at {@code offset} (after damage: {@link #resumeOffset()}; -1: the end). */
    void skipTo(long offset) {
        position = offset < 0 ? size : offset;
    }

    /** Reads the next record. */
    Outcome next() throws IOException {
        if (!headerChecked) {
            headerChecked = true;
            Outcome h = readFileHeader();
            if (h != null) {
                return h;
            }
        }
        if (position >= size) {
            return Outcome.END;
        }
        recordStart = position;
        String why = checkRecordAt(position);
        if (why == null) {
            position = recordStart + RecordFormat.HEADER + payloadLength;
            return Outcome.RECORD;
        }
        return fail(position, why);
    }

    /** Marks a failure at {@code at}: torn tail if nothing intact follows, else damage. */
    Outcome fail(long at, String why) throws IOException {
        failureOffset = at;
        problem = why;
        resumeOffset = findIntactRecord(at + 1);
        return resumeOffset < 0 ? Outcome.TRUNCATED : Outcome.CORRUPT;
    }

    private Outcome readFileHeader() throws IOException {
        if (size < RecordFormat.FILE_HEADER) {
            // The file was created but its header never fully reached the disk.
            failureOffset = 0;
            resumeOffset = -1;
            problem = "incomplete file header (" + size + " bytes)";
            position = size;
            return Outcome.TRUNCATED;
        }
        load(0, RecordFormat.FILE_HEADER);
        int base = (int) (0 - windowStart);
        byte[] magic = Arrays.copyOfRange(window, base, base + 6);
        int version = (window[base + 6] & 0xFF) << 8 | (window[base + 7] & 0xFF);
        position = RecordFormat.FILE_HEADER;
        if (!Arrays.equals(magic, expectedMagic) || version != RecordFormat.FORMAT_VERSION) {
            failureOffset = 0;
            problem = !Arrays.equals(magic, expectedMagic) ? "not a Converge " + kind() + " file (bad magic)"
                    : "unsupported format version " + version;
            resumeOffset = findIntactRecord(RecordFormat.FILE_HEADER);
            return Outcome.CORRUPT;
        }
        generation = RecordFormat.getLong(window, base + 8);
        return null;
    }

    private String kind() {
        return Arrays.equals(expectedMagic, RecordFormat.SNAPSHOT_MAGIC) ? "snapshot" : "log segment";
    }

    /** Checks the record at {@code at}; on success sets the payload fields and returns null, else the problem. */
    private String checkRecordAt(long at) throws IOException {
        long left = size - at;
        if (left < RecordFormat.HEADER) {
            return "incomplete record header (" + left + " bytes left)";
        }
        load(at, RecordFormat.HEADER);
        int h = (int) (at - windowStart);
        if (!RecordFormat.headerIntact(window, h, crc)) {
            return "record header checksum mismatch";
        }
        int length = RecordFormat.getInt(window, h);
        int expectedCrc = RecordFormat.getInt(window, h + 4);
        if (length < 1 || length > RecordFormat.MAX_PAYLOAD) {
            return "invalid record length " + Integer.toUnsignedString(length);
        }
        if (left - RecordFormat.HEADER < length) {
            return "record of " + length + " bytes extends past the end of the file";
        }
        long payloadAt = at + RecordFormat.HEADER;
        if (length <= WINDOW) {
            load(payloadAt, length);
            payloadArray = window;
            payloadOffset = (int) (payloadAt - windowStart);
        } else {
            if (large.length < length) {
                large = new byte[length];
            }
            readFully(payloadAt, large, length);
            payloadArray = large;
            payloadOffset = 0;
        }
        payloadLength = length;
        if (!RecordFormat.payloadIntact(payloadArray, payloadOffset, length, expectedCrc, crc)) {
            return "record checksum mismatch";
        }
        return null;
    }

    /** The offset of the first intact record at or after {@code from}, or -1. */
    private long findIntactRecord(long from) throws IOException {
        for (long o = Math.max(from, RecordFormat.FILE_HEADER); o + RecordFormat.HEADER <= size; o++) {
            load(o, RecordFormat.HEADER);
            int h = (int) (o - windowStart);
            if (!RecordFormat.headerIntact(window, h, crc)) {
                continue;
            }
            if (checkRecordAt(o) == null) {
                return o;
            }
        }
        return -1;
    }

    /** Makes {@code [at, at + length)} (length at most the window) available in the window. */
    private void load(long at, int length) throws IOException {
        if (at >= windowStart && at + length <= windowStart + windowLength) {
            return;
        }
        int n = (int) Math.min(WINDOW, size - at);
        readFully(at, window, n);
        windowStart = at;
        windowLength = n;
    }

    private void readFully(long at, byte[] dst, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(dst, 0, length);
        long pos = at;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException(path + ": unexpected end of file at " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
