package io.converge.server.store.persist;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import io.converge.crdt.codec.CrdtWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * Writes snapshot {@code G}: every key state of a {@link StateSource}, one partition at a time,
 * into {@code snapshot-G.snap.tmp}, then a SNAPSHOT_END record, fsync, atomic rename to
 * {@code snapshot-G.snap} and fsync of the directory. A snapshot that has its final name is
 * therefore complete; a crash leaves at most a {@code .tmp} file that recovery deletes.
 *
 * <p>Each partition is encoded into memory while the engine holds that partition's lock (so the
 * states are consistent and nothing waits on I/O under a lock), then written after the lock is
 * released. Clients keep being served meanwhile: only one partition is locked at a time, for the
 * time it takes to encode it.
 */
final class SnapshotWriter {

    /** What a finished snapshot contains. */
    record Result(long generation, Path path, long keys, long bytes) {}

    private final LogDirectory directory;
    private final LogFiles files;

    SnapshotWriter(LogDirectory directory, LogFiles files) {
        this.directory = directory;
        this.files = files;
    }

    /**
     * Writes snapshot {@code generation} of {@code source}; {@code cancelled} is checked between
     * partitions (shutdown), and a cancelled or failed snapshot leaves no file behind.
     */
    Result write(long generation, StateSource source, BooleanSupplier cancelled) throws IOException {
        Path temp = directory.snapshotTemp(generation);
        Path target = directory.snapshot(generation);
        PartitionBuffer buffer = new PartitionBuffer();
        long keys = 0;
        long bytes;
        boolean done = false;
        try (FileChannel ch = files.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, RecordFormat.fileHeader(RecordFormat.SNAPSHOT_MAGIC, generation), RecordFormat.FILE_HEADER);
            for (int p = 0; p < source.partitions(); p++) {
                if (cancelled.getAsBoolean()) {
                    throw new IOException("snapshot cancelled");
                }
                buffer.reset();
                source.forEachState(p, buffer::addState);
                keys += buffer.count;
                writeFully(ch, buffer.bytes, buffer.length);
            }
            buffer.reset();
            buffer.addEnd(keys);
            writeFully(ch, buffer.bytes, buffer.length);
            ch.force(true);
            bytes = ch.size();
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
        LogDirectory.atomicReplace(temp, target);
        return new Result(generation, target, keys, bytes);
    }

    private static void writeFully(FileChannel ch, byte[] bytes, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes, 0, length);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Records of one partition, built under its lock. */
    private static final class PartitionBuffer {
        private final CRC32C crc = new CRC32C();
        /** Where each state is encoded before it is copied into its record (reused: one snapshot, one thread). */
        private CrdtWriter body = new CrdtWriter(1024);
        byte[] bytes = new byte[64 * 1024];
        int length;
        long count;

        void reset() {
            length = 0;
            count = 0;
        }

        void addState(byte[] key, KeyState state) {
            CrdtWriter w = body;
            w.reset();
            CrdtCodec.encode(state, w);
            int payload = 1 + RecordFormat.varIntSize(key.length) + key.length + w.size();
            int at = reserve(payload);
            int p = at + RecordFormat.HEADER;
            bytes[p++] = (byte) RecordFormat.TYPE_STATE;
            p = RecordFormat.putVarInt(bytes, p, key.length);
            System.arraycopy(key, 0, bytes, p, key.length);
            p += key.length;
            System.arraycopy(w.buffer(), 0, bytes, p, w.size());
            RecordFormat.sealRecord(bytes, at, payload, crc);
            count++;
            if (w.capacity() > 1 << 20) {
                body = new CrdtWriter(1024); // one large state: do not keep its buffer
            }
        }

        void addEnd(long keys) {
            CrdtWriter w = new CrdtWriter(16);
            w.writeByte(RecordFormat.TYPE_SNAPSHOT_END);
            w.writeVarLong(keys);
            byte[] payload = w.toByteArray();
            int at = reserve(payload.length);
            System.arraycopy(payload, 0, bytes, at + RecordFormat.HEADER, payload.length);
            RecordFormat.sealRecord(bytes, at, payload.length, crc);
        }

        /** Makes room for a record with {@code payload} bytes; returns where it starts. */
        private int reserve(int payload) {
            if ((long) payload > RecordFormat.MAX_PAYLOAD) {
                throw new IllegalStateException("key state of " + payload + " bytes is too large for a snapshot");
            }
            int need = length + RecordFormat.HEADER + payload;
            if (need < 0) {
                throw new IllegalStateException("partition too large for one snapshot buffer");
            }
            if (need > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(need, (int) Math.min(Integer.MAX_VALUE - 8, bytes.length * 2L)));
            }
            int at = length;
            length = need;
            return at;
        }
    }
}
