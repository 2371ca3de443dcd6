package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.replication.Replicator;
import io.converge.server.store.NodeIds;
import io.converge.server.store.ReplicaIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a data directory proves about its replica incarnation ({@link Persistence} as a
 * {@link ReplicaIdentity}, the {@code incarnation} file): whole only when its log is on and intact
 * and nothing can have been lost to the OS; and a rebuild makes the log forget what was discarded.
 */
class IncarnationTest {

    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);

    private PersistenceSettings settings(FsyncPolicy policy) {
        return PersistenceSettings.of(dir, policy).withClock(clock);
    }

    private static void set(EngineWithLog node, String key, String value) {
        node.engine.withKey(key.getBytes(StandardCharsets.UTF_8), a -> {
            a.written(a.forWrite().setString(value.getBytes(StandardCharsets.UTF_8), 0, a.stamp(), a.node()));
            return null;
        });
        node.engine.awaitDurable();
    }

    @Test
    void aNewDirectoryProvesNothingAndACleanlyClosedOneProvesItsIncarnation() throws IOException {
        long id;
        long stamped;
        try (EngineWithLog node = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            ReplicaIdentity identity = node.persistence;
            assertThat(identity.provenComplete()).isFalse();
            assertThat(identity.storedReplicaId()).isZero();
            assertThat(identity.loadedMark()).isZero();
            id = identity.newIncarnation(1);
            assertThat(NodeIds.nodeOf(id)).isEqualTo(1);
            assertThat(ReplicaIdentity.epochOf(id)).isEqualTo(T0);
            assertThat(node.engine.replicaId()).isEqualTo(id);
            set(node, "k", "v");
            stamped = node.engine.clock().current();
        }
        try (EngineWithLog again = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            assertThat(again.persistence.provenComplete()).isTrue();
            assertThat(again.persistence.storedReplicaId()).isEqualTo(id);
            assertThat(again.persistence.loadedMark()).isGreaterThanOrEqualTo(stamped);
            long next = again.persistence.newIncarnation(1);
            assertThat(ReplicaIdentity.epochOf(next)).as("above every epoch this directory used")
                    .isGreaterThan(ReplicaIdentity.epochOf(id));
        }
    }

    @Test
    void aKilledProcessProvesItsIncarnationOnlyOnTheSameBootOrWithFsyncAlways() throws IOException {
        try (EngineWithLog node = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            node.persistence.newIncarnation(1);
            set(node, "k", "v");
            Path image = EngineWithLog.crashImage(dir); // what kill -9 leaves: not closed cleanly
            try (EngineWithLog killed = EngineWithLog.start(PersistenceSettings.of(image, FsyncPolicy.EVERYSEC)
                    .withClock(clock))) {
                assertThat(killed.persistence.provenComplete()).as("same boot: the OS kept every write")
                        .isEqualTo(!IncarnationFile.currentBootId().isEmpty());
            }
            Path rebooted = EngineWithLog.crashImage(dir);
            otherBoot(rebooted);
            try (EngineWithLog afterReboot = EngineWithLog.start(PersistenceSettings.of(rebooted,
                    FsyncPolicy.EVERYSEC).withClock(clock))) {
                assertThat(afterReboot.persistence.provenComplete()).as("the unforced tail may be gone").isFalse();
            }
            Path forced = EngineWithLog.crashImage(dir);
            otherBoot(forced);
            try (EngineWithLog always = EngineWithLog.start(PersistenceSettings.of(forced, FsyncPolicy.ALWAYS)
                    .withClock(clock))) {
                assertThat(always.persistence.provenComplete()).as("appendfsync always: nothing unforced").isTrue();
            }
        }
    }

    @Test
    void withoutTheLogNothingIsProven() throws IOException {
        try (EngineWithLog node = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC).withAppendOnly(false))) {
            node.persistence.newIncarnation(1);
        }
        try (EngineWithLog again = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC).withAppendOnly(false))) {
            assertThat(again.persistence.provenComplete()).isFalse();
            assertThat(again.persistence.storedReplicaId()).isNotZero();
        }
    }

    @Test
    void aRebuildMakesTheLogForgetTheDiscardedStateAndIsRemembered() throws IOException {
        try (EngineWithLog node = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            node.persistence.newIncarnation(1);
            for (int i = 0; i < 100; i++) {
                set(node, "old" + i, "v");
            }
            node.engine.clearLocally();
            node.persistence.rebuilt(T0 + 5);
            set(node, "new", "v");
        }
        try (EngineWithLog again = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            assertThat(again.states().keySet()).containsExactly("new");
            assertThat(again.persistence.rebuiltAt()).isEqualTo(T0 + 5);
        }
    }

    @Test
    void everyProcessOfADirectoryAnnouncesAGreaterNumberThanTheOneBefore() throws IOException {
        long first;
        try (EngineWithLog node = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            first = node.persistence.startProcess(1_000);
            assertThat(first).isEqualTo(1_000);
        }
        try (EngineWithLog again = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            assertThat(again.persistence.startProcess(10)).as("a candidate below the last one's").isEqualTo(first + 1);
        }
    }

    @Test
    void aRestoredCopyAnnouncesAboveTheProcessThatRanAfterTheCopyWasTaken() throws IOException {
        // Each start as a node starts: Replicator.processIncarnation of its clock, raised by the directory.
        Path copy = dir.resolveSibling(dir.getFileName() + "-copy");
        long afterCopy;
        try (EngineWithLog node = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            node.persistence.startProcess(Replicator.processIncarnation(node.engine.clock().now(), clock.ms.get()));
            set(node, "k", "v");
        }
        copyTree(dir, copy);
        clock.ms.addAndGet(5_000);
        try (EngineWithLog node = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            afterCopy = node.persistence.startProcess(
                    Replicator.processIncarnation(node.engine.clock().now(), clock.ms.get()));
        }
        deleteTree(dir);
        copyTree(copy, dir);
        clock.ms.addAndGet(5_000);
        try (EngineWithLog restored = EngineWithLog.start(settings(FsyncPolicy.EVERYSEC))) {
            long number = restored.persistence.startProcess(
                    Replicator.processIncarnation(restored.engine.clock().now(), clock.ms.get()));
            assertThat(number).as("its peers must see a new process, not the one that ran after the copy")
                    .isGreaterThan(afterCopy);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /** Makes the directory's incarnation file say its process ran on another boot of the machine. */
    private static void otherBoot(Path dataDir) throws IOException {
        Path file = dataDir.resolve(IncarnationFile.FILE);
        String text = Files.readString(file).replaceAll("boot-id=.*", "boot-id=another-boot");
        Files.writeString(file, text);
    }
}
