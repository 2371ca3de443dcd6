package io.converge.server.store.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link LogFiles} over the real file system that behaves like a small disk, for tests of the
 * failure paths without mounting one: writes draw on a shared budget of free bytes, and once it
 * is used up a write writes what still fits (a short write, as write(2) does) and the next one
 * fails with {@code No space left on device}. {@link #free} returns space, {@link #failForces}
 * makes fsync fail, {@link #stallWrites} holds writes (a slow disk) until released.
 */
final class SmallDisk implements LogFiles {
    /** The operating system's words for ENOSPC. */
    static final String ENOSPC = "No space left on device";

    private final AtomicLong free = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong failedWrites = new AtomicLong();
    private volatile IOException forceFailure;
    private volatile CountDownLatch stall;

    /** Leaves no free space: the next write that needs any fails. */
    void fill() {
        free.set(0);
    }

    /** Leaves {@code bytes} free. */
    void leave(long bytes) {
        free.set(bytes);
    }

    /** Frees all space again. */
    void free() {
        free.set(Long.MAX_VALUE);
    }

    /** Makes every fsync fail with {@code error} (null: they work again). */
    void failForces(IOException error) {
        forceFailure = error;
    }

    /** Holds every write until the returned latch is counted down. */
    CountDownLatch stallWrites() {
        CountDownLatch latch = new CountDownLatch(1);
        stall = latch;
        return latch;
    }

    /** Writes that failed for lack of space so far. */
    long failedWrites() {
        return failedWrites.get();
    }

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        return new Channel(FileChannel.open(path, options));
    }

    /** Takes up to {@code wanted} bytes of the budget; throws ENOSPC when none is left. */
    private int take(int wanted) throws IOException {
        CountDownLatch s = stall;
        if (s != null) {
            try {
                s.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            stall = null;
        }
        while (true) {
            long left = free.get();
            if (left == Long.MAX_VALUE) {
                return wanted;
            }
            if (left == 0 && wanted > 0) {
                failedWrites.incrementAndGet();
                throw new IOException(ENOSPC);
            }
            int n = (int) Math.min(left, wanted);
            if (free.compareAndSet(left, left - n)) {
                return n;
            }
        }
    }

    /** A channel whose writes and forces go through the disk's budget and failures. */
    private final class Channel extends FileChannel {
        private final FileChannel d;

        Channel(FileChannel delegate) {
            this.d = delegate;
        }

        private int writeLimited(ByteBuffer src, long position) throws IOException {
            int n = take(src.remaining());
            ByteBuffer part = src.slice(src.position(), n);
            int written = position < 0 ? d.write(part) : d.write(part, position);
            src.position(src.position() + written);
            return written;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return writeLimited(src, -1);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return writeLimited(src, position);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                while (srcs[i].hasRemaining()) {
                    total += write(srcs[i]);
                }
            }
            return total;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            IOException f = forceFailure;
            if (f != null) {
                throw new IOException(f.getMessage(), f);
            }
            d.force(metaData);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return d.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return d.read(dsts, offset, length);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return d.read(dst, position);
        }

        @Override
        public long position() throws IOException {
            return d.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            d.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return d.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            d.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return d.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            throw new UnsupportedOperationException("not used by the log");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) {
            throw new UnsupportedOperationException("not used by the log");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return d.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return d.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            d.close();
        }
    }
}
