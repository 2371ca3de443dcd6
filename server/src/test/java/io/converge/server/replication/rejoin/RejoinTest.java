package io.converge.server.replication.rejoin;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.sim.SimulatedClock;
import io.converge.server.store.ReplicaIdentity;
import org.junit.jupiter.api.Test;

/**
 * The rejoin decisions ({@link Rejoin}): which replica incarnation a starting node stamps with,
 * when it may serve, and when it must discard its state, from its data directory's proof and its
 * peers' reports.
 */
class RejoinTest {

    private static final int SELF = 2;
    private static final int[] PEERS = {1, 3};
    private static final long PROCESS = 5_000;
    private static final long CONFIRM = 3_000;

    /** A data directory as the identity keeper reports it; records what the rejoin does to it. */
    private static final class Directory implements ReplicaIdentity {
        boolean proven;
        long mark;
        long stored;
        long rebuiltAt;
        long current;
        int incarnations;

        Directory(boolean proven, long mark, long stored) {
            this.proven = proven;
            this.mark = mark;
            this.stored = stored;
        }

        @Override
        public boolean provenComplete() {
            return proven;
        }

        @Override
        public long loadedMark() {
            return mark;
        }

        @Override
        public long storedReplicaId() {
            return stored;
        }

        @Override
        public long rebuiltAt() {
            return rebuiltAt;
        }

        @Override
        public long startProcess(long candidate) {
            return candidate;
        }

        @Override
        public void adopt(long replicaId) {
            current = replicaId;
        }

        @Override
        public long newIncarnation(int nodeId) {
            incarnations++;
            current = ReplicaIdentity.nextIncarnation(nodeId, ReplicaIdentity.epochOf(current), 1_000 + incarnations);
            return current;
        }

        @Override
        public void rebuilt(long stable) {
            rebuiltAt = Math.max(rebuiltAt, stable);
        }
    }

    private final SimulatedClock clock = new SimulatedClock(0);
    private int clears;
    private int resets;

    private Rejoin rejoin(Directory dir) {
        return new Rejoin(SELF, PEERS, PROCESS, dir, () -> clears++, () -> resets++, clock, CONFIRM, Runnable::run);
    }

    @Test
    void aProvenDirectoryKeepsItsIncarnationOncePeersVouchAndNoneContradicts() {
        Directory dir = new Directory(true, 900, 7L << 16 | SELF);
        Rejoin r = rejoin(dir);
        r.start(false);
        assertThat(dir.current).isEqualTo(dir.stored);
        assertThat(r.settled()).isFalse();
        assertThat(r.writeRefusal()).contains("starting");
        assertThat(r.trusted()).isFalse();

        r.onPeerStatus(1, 100, PROCESS, 850, 0); // heard stamps up to 850 from earlier processes: vouches
        assertThat(r.settled()).as("waits for every peer").isFalse();
        r.onPeerStatus(3, 100, PROCESS, 0, 0); // knows nothing of earlier processes
        assertThat(r.settled()).isTrue();
        assertThat(r.trusted()).isTrue();
        assertThat(r.writeRefusal()).isNull();
        assertThat(dir.current).isEqualTo(dir.stored);
        assertThat(dir.incarnations).isZero();
        assertThat(clears).isZero();
    }

    @Test
    void aPeerThatHeardLaterStampsMakesANewIncarnationAndARebuildWhenTheDirectoryIsOlderThanTheGc() {
        Directory dir = new Directory(true, 900, 7L << 16 | SELF);
        Rejoin r = rejoin(dir);
        r.start(false);
        r.onPeerStatus(1, 2_000, PROCESS, 1_500, 0); // heard 1500 > 900: the directory lost something
        assertThat(r.settled()).isTrue();
        assertThat(dir.current).isNotEqualTo(dir.stored);
        assertThat(ReplicaIdentity.epochOf(dir.current)).isGreaterThan(7);
        assertThat(clears).as("older than the peers' stable stamp: discarded").isEqualTo(1);
        assertThat(resets).isEqualTo(1);
        assertThat(dir.rebuiltAt).isEqualTo(2_000);
        assertThat(r.rebuilds()).isEqualTo(1);
        assertThat(r.trusted()).isTrue();
        r.onPeerStatus(3, 2_100, PROCESS, 1_500, 0);
        assertThat(clears).as("once").isEqualTo(1);
    }

    @Test
    void aContradictedDirectoryNewerThanTheGcTakesANewIncarnationWithoutDiscarding() {
        Directory dir = new Directory(true, 900, 7L << 16 | SELF);
        Rejoin r = rejoin(dir);
        r.start(false);
        r.onPeerStatus(1, 500, PROCESS, 950, 0);
        assertThat(dir.current).isNotEqualTo(dir.stored);
        assertThat(clears).isZero();
    }

    @Test
    void reportsAboutAnotherProcessOfThisNodeDoNotCount() {
        Directory dir = new Directory(true, 900, 7L << 16 | SELF);
        Rejoin r = rejoin(dir);
        r.start(false);
        r.onPeerStatus(1, 100, PROCESS - 1, 5_000, 0); // the peer has not heard this process yet
        r.onPeerStatus(3, 100, PROCESS - 1, 5_000, 0);
        assertThat(r.settled()).isFalse();
        assertThat(dir.current).isEqualTo(dir.stored);
    }

    @Test
    void withoutAnyVouchBeforeTheWindowEndsTheNodeTakesANewIncarnation() {
        Directory dir = new Directory(true, 900, 7L << 16 | SELF);
        Rejoin r = rejoin(dir);
        r.start(false);
        clock.advance(CONFIRM - 1);
        r.tick(clock.nowMillis());
        assertThat(r.settled()).isFalse();
        clock.advance(1);
        r.tick(clock.nowMillis());
        assertThat(r.settled()).isTrue();
        assertThat(dir.current).isNotEqualTo(dir.stored);
        assertThat(clears).isZero();
    }

    @Test
    void anUnprovenDirectoryTakesANewIncarnationAtOnceAndAnEmptyEngineServesAtOnce() {
        Directory unproven = new Directory(false, 900, 7L << 16 | SELF);
        Rejoin r = rejoin(unproven);
        r.start(false);
        assertThat(unproven.incarnations).isEqualTo(1);
        assertThat(r.settled()).as("it still waits: the peers may show it must discard").isFalse();

        Directory empty = new Directory(true, 0, 0);
        Rejoin e = rejoin(empty);
        e.start(true);
        assertThat(e.settled()).isTrue();
        assertThat(empty.incarnations).isEqualTo(1);
    }

    @Test
    void anExpelledNodeRebuildsOnceAndIsLetBackByTheStampItRebuiltAt() {
        Directory dir = new Directory(true, 900, 7L << 16 | SELF);
        Rejoin r = rejoin(dir);
        r.start(false);
        r.onPeerStatus(1, 100, PROCESS, 800, 0);
        r.onPeerStatus(3, 100, PROCESS, 800, 0);
        assertThat(r.settled()).isTrue();
        assertThat(clears).isZero();

        r.onPeerStatus(1, 4_000, PROCESS, 800, 3_500); // node 1 expelled it at its stable stamp 3500
        assertThat(clears).isEqualTo(1);
        assertThat(dir.rebuiltAt).isGreaterThanOrEqualTo(3_500);
        r.onPeerStatus(1, 4_100, PROCESS, 800, 3_500); // a report sent before node 1 saw the rebuild
        assertThat(clears).isEqualTo(1);
    }
}
