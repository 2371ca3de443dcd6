package io.converge.server.store.persist;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The append-only log or a snapshot is damaged in a way that loading must not paper over: the
 * node refuses to start and says where, what, and how to proceed.
 */
public final class LogCorruptException extends IOException {

    private final Path file;
    private final long offset;

    /** Damage in {@code file} at byte {@code offset} (-1 if not about one place). */
    LogCorruptException(Path file, long offset, String problem, String advice) {
        super(describe(file, offset, problem, advice));
        this.file = file;
        this.offset = offset;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }

    /** Byte offset of the damage in {@link #file()}, or -1. */
    public long offset() {
        return offset;
    }

    private static String describe(Path file, long offset, String problem, String advice) {
        StringBuilder b = new StringBuilder("Bad file format reading the append only file ").append(file);
        if (offset >= 0) {
            b.append(" at byte ").append(offset);
        }
        b.append(": ").append(problem).append(". ").append(advice);
        return b.toString();
    }
}
