package io.converge.server.store.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.Hlc;
import io.converge.crdt.KeyState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deltas a replica merged from its peers (replication, read repair) are acknowledged to those
 * peers, so they must survive the replica's restart exactly like its own writes.
 */
class MergedDeltaDurabilityTest {
    private static final long T0 = 1_750_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void aDeltaMergedFromAnotherReplicaSurvivesARestart() throws IOException {
        EngineWithLog.ManualClock clock = new EngineWithLog.ManualClock(T0);
        PersistenceSettings settings = PersistenceSettings.of(dir, FsyncPolicy.EVERYSEC).withClock(clock);
        byte[] key = "replicated".getBytes(StandardCharsets.UTF_8);
        // A SET made on replica 2, shipped to this node (replica 1) as a delta.
        KeyState delta = new KeyState().setString("from-2".getBytes(StandardCharsets.UTF_8), 0, Hlc.pack(T0, 0), 2);
        try (EngineWithLog node = EngineWithLog.start(settings)) {
            node.engine.attachDurability(node.persistence);
            node.engine.merge(key, delta);
        }
        try (EngineWithLog again = EngineWithLog.start(settings)) {
            KeyState recovered = again.engine.stateCopy(key);
            assertThat(recovered).isNotNull();
            assertThat(new String(recovered.stringBytes(), StandardCharsets.UTF_8)).isEqualTo("from-2");
        }
    }
}
