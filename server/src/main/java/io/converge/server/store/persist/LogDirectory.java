package io.converge.server.store.persist;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of the append-only log in {@code <data-dir>/appendonly}: log segments
 * {@code segment-<generation>.log}, snapshots {@code snapshot-<generation>.snap} and unfinished
 * snapshots {@code *.tmp}. Snapshot {@code G} holds every delta of the segments before {@code G}
 * (and possibly some of segment {@code G}); recovery loads the latest snapshot and replays the
 * segments from its generation on. Also the file-system primitives durability needs: fsync of a
 * directory and atomic replacement.
 */
final class LogDirectory {
    /** Name of the log's subdirectory of the data directory. */
    static final String NAME = "appendonly";

    private static final Pattern SEGMENT = Pattern.compile("segment-(\\d{1,19})\\.log");
    private static final Pattern SNAPSHOT = Pattern.compile("snapshot-(\\d{1,19})\\.snap");

    private final Path dir;

    /** The log directory under {@code dataDir} (not created yet). */
    LogDirectory(Path dataDir) {
        this.dir = dataDir.resolve(NAME);
    }

    /** The directory. */
    Path path() {
        return dir;
    }

    /** Creates the directory (and the data directory) if missing, fsyncing the parents it created. */
    void create() throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            fsyncDirectory(dir.getParent());
        }
    }

    /** The segment file of {@code generation}. */
    Path segment(long generation) {
        return dir.resolve(String.format(Locale.ROOT, "segment-%06d.log", generation));
    }

    /** The snapshot file of {@code generation}. */
    Path snapshot(long generation) {
        return dir.resolve(String.format(Locale.ROOT, "snapshot-%06d.snap", generation));
    }

    /** Where the snapshot of {@code generation} is written before it is complete. */
    Path snapshotTemp(long generation) {
        return dir.resolve(String.format(Locale.ROOT, "snapshot-%06d.snap.tmp", generation));
    }

    /** Segments by generation. */
    TreeMap<Long, Path> segments() throws IOException {
        return list(SEGMENT);
    }

    /** Complete snapshots by generation. */
    TreeMap<Long, Path> snapshots() throws IOException {
        return list(SNAPSHOT);
    }

    /** Files left by an interrupted snapshot. */
    List<Path> temporaryFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.tmp")) {
            for (Path p : files) {
                out.add(p);
            }
        }
        return out;
    }

    /** Total bytes of the files from {@code generation} on (the snapshot and its segments). */
    long bytesFrom(long generation) throws IOException {
        long total = 0;
        for (Path p : segments().tailMap(generation, true).values()) {
            total += Files.size(p);
        }
        Path snap = snapshot(generation);
        if (Files.exists(snap)) {
            total += Files.size(snap);
        }
        return total;
    }

    private TreeMap<Long, Path> list(Pattern pattern) throws IOException {
        TreeMap<Long, Path> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                Matcher m = pattern.matcher(p.getFileName().toString());
                if (m.matches()) {
                    out.put(Long.parseLong(m.group(1)), p);
                }
            }
        }
        return out;
    }

    /** Makes a directory's entries (created, renamed, removed files) durable. */
    static void fsyncDirectory(Path directory) throws IOException {
        if (directory == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for reading; on those, rename is the best
            // we have. Linux and macOS can, and there a failure is real.
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
                throw e;
            }
        }
    }

    /** Renames {@code from} over {@code to} atomically and makes the rename durable. */
    static void atomicReplace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + to.getParent() + " cannot rename atomically", e);
        }
        fsyncDirectory(to.getParent());
    }
}
