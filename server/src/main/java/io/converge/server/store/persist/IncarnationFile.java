package io.converge.server.store.persist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code <data-dir>/incarnation}: what a node needs to know at start about the process that used
 * the directory before (see {@code store.ReplicaIdentity}): the replica id it stamped with, the
 * boot of the machine it ran on, whether it shut down cleanly, and the stable stamp it last
 * discarded its state against. A few {@code key=value} lines, replaced whole (written to a
 * temporary file, forced, renamed, directory forced), so a crash leaves the old or the new one.
 *
 * @param replicaId the replica id last stamped with (0: none recorded)
 * @param bootId    the machine's boot id while that process ran ("" when unknown)
 * @param clean     whether that process closed its log cleanly
 * @param rebuiltAt the stable stamp the state was last discarded against (0: never)
 * @param process   the number the last process announced itself with to its peers (0: none)
 */
record IncarnationFile(long replicaId, String bootId, boolean clean, long rebuiltAt, long process) {

    /** File name in the data directory. */
    static final String FILE = "incarnation";
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    /** The one in {@code dataDir}, or null when there is none (a new or replaced directory). */
    static IncarnationFile read(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (!Files.exists(file)) {
            return null;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        try {
            return new IncarnationFile(Long.parseLong(fields.getOrDefault("replica-id", "0")),
                    fields.getOrDefault("boot-id", ""), Boolean.parseBoolean(fields.getOrDefault("clean", "false")),
                    Long.parseLong(fields.getOrDefault("rebuilt-at", "0")),
                    Long.parseLong(fields.getOrDefault("process", "0")));
        } catch (NumberFormatException e) {
            return null; // unreadable: as if absent (no proof; a new incarnation follows)
        }
    }

    /** Replaces the file in {@code dataDir} with this one, durably. */
    void write(Path dataDir) throws IOException {
        String text = "# Converge replica incarnation (see docs/persistence.md); do not edit\n"
                + "replica-id=" + replicaId + "\n" + "boot-id=" + bootId + "\n" + "clean=" + clean + "\n"
                + "rebuilt-at=" + rebuiltAt + "\n" + "process=" + process + "\n";
        Path tmp = dataDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
        LogDirectory.fsyncDirectory(dataDir);
    }

    /** A copy with another replica id. */
    IncarnationFile withReplicaId(long id) {
        return new IncarnationFile(id, bootId, clean, rebuiltAt, process);
    }

    /** A copy with another clean flag. */
    IncarnationFile withClean(boolean c) {
        return new IncarnationFile(replicaId, bootId, c, rebuiltAt, process);
    }

    /** A copy with another rebuild stamp. */
    IncarnationFile withRebuiltAt(long stable) {
        return new IncarnationFile(replicaId, bootId, clean, stable, process);
    }

    /** A copy with another process number. */
    IncarnationFile withProcess(long p) {
        return new IncarnationFile(replicaId, bootId, clean, rebuiltAt, p);
    }

    /** This machine's boot id (changes at every reboot), or "" when the OS does not tell. */
    static String currentBootId() {
        try {
            return Files.readString(BOOT_ID, StandardCharsets.US_ASCII).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
