package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.converge.crdt.Hlc;
import io.converge.crdt.KeyState;
import io.converge.server.store.MergeRefusedException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine over a log whose disk is full: a delta from a peer is refused before it changes
 * anything (so it is neither acknowledged nor half applied), a read-repair state is joined in
 * memory only, expiry purges wait (reads treat the key as gone), and after the disk recovers
 * everything works again and what was acknowledged survives a restart.
 */
class DiskFullEngineTest {
    private static final long T0 = 1_750_000_000_000L;

    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void set(EngineWithLog node, String key, String value, long expireAtMs) {
        node.engine.withKey(b(key), a -> {
            KeyState ks = a.forWrite();
            a.written(ks.setString(b(value), expireAtMs, a.stamp(), a.node()));
            return null;
        });
    }

    private static String value(EngineWithLog node, String key) {
        return node.engine.withKey(b(key), a -> {
            KeyState live = a.live();
            return live == null ? null : new String(live.stringBytes(), StandardCharsets.UTF_8);
        });
    }

    private static KeyState fromPeer(String value, long hlc) {
        return new KeyState().setString(b(value), 0, hlc, 2);
    }

    @Test
    void mergesAreRefusedUnchangedRepairsAndExpiriesWaitAndAcknowledgedDataSurvives() throws Exception {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        SmallDisk disk = new SmallDisk();
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock).withFiles(disk);
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            node.engine.attachDurability(node.persistence);
            set(node, "k", "v0", 0);
            set(node, "ttl", "t", T0 + 100);
            node.persistence.awaitDurable();

            disk.fill();
            set(node, "k", "v1", 0); // a write that was running when the disk filled
            assertThatThrownBy(() -> node.persistence.awaitDurable(true)).isInstanceOf(UncheckedIOException.class);
            node.persistence.awaitDurable(false); // replies of reads are not held back
            assertThat(node.engine.writeRefusal())
                    .isEqualTo("MISCONF Errors writing to the AOF file: " + SmallDisk.ENOSPC);

            // A peer's delta is refused before it changes anything: not acknowledged, resent later.
            assertThatThrownBy(() -> node.engine.merge(b("m"), fromPeer("peer", Hlc.pack(T0, 0))))
                    .isInstanceOf(MergeRefusedException.class);
            assertThat(node.engine.stateCopy(b("m"))).isNull();
            assertThat(node.persistence.deltaLog().mergesRefused()).isEqualTo(1);

            // A read-repair state is joined in memory (the read sees it), not logged.
            node.engine.mergeRepair(b("r"), fromPeer("repaired", Hlc.pack(T0, 1)));
            assertThat(value(node, "r")).isEqualTo("repaired");
            assertThat(node.persistence.repairsUnlogged()).isEqualTo(1);

            // Expiry waits: the key reads as gone, but no purge (no record) is made, and the
            // background cycle does not spin on it.
            clock.advance(1000);
            assertThat(value(node, "ttl")).isNull();
            assertThat(node.engine.runBackgroundCycle()).isZero();
            assertThat(node.engine.stateCopy(b("ttl")).isExpired(clock.millis())).isTrue();
            long buffered = node.persistence.deltaLog().bufferedBytes();
            assertThat(value(node, "ttl")).isNull();
            assertThat(node.persistence.deltaLog().bufferedBytes()).isEqualTo(buffered);

            disk.free();
            await().atMost(Duration.ofSeconds(5)).until(() -> node.engine.writeRefusal() == null);
            assertThat(node.engine.runBackgroundCycle()).isEqualTo(1); // the postponed purge
            node.engine.merge(b("m"), fromPeer("peer", Hlc.pack(T0, 0))); // the peer's resend
            node.persistence.awaitDurable(true);
        }
        try (EngineWithLog again = EngineWithLog.start(settings.withFiles(LogFiles.SYSTEM))) {
            assertThat(value(again, "k")).isEqualTo("v1");
            assertThat(value(again, "m")).isEqualTo("peer");
            KeyState ttl = again.engine.stateCopy(b("ttl"));
            assertThat(ttl == null || !ttl.exists()).isTrue();
            // Joined in memory only while the log failed; the replica it came from still holds it.
            assertThat(again.engine.stateCopy(b("r"))).isNull();
        }
    }
}
