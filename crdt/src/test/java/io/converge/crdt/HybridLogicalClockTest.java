package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HybridLogicalClockTest {

    private final AtomicLong wall = new AtomicLong(1_700_000_000_000L);
    private final HybridLogicalClock clock = new HybridLogicalClock(wall::get, 1000);

    @Test
    void sendFollowsPhysicalTimeWhenItAdvances() {
        long a = clock.now();
        assertThat(Hlc.physical(a)).isEqualTo(wall.get());
        assertThat(Hlc.logical(a)).isZero();
        wall.addAndGet(5);
        long b = clock.now();
        assertThat(Hlc.physical(b)).isEqualTo(wall.get());
        assertThat(Hlc.logical(b)).isZero();
    }

    @Test
    void sendCountsLogicallyWhenPhysicalTimeStandsStillOrGoesBack() {
        long a = clock.now();
        long b = clock.now();
        wall.addAndGet(-500);
        long c = clock.now();
        assertThat(b).isEqualTo(a + 1);
        assertThat(Hlc.physical(c)).isEqualTo(Hlc.physical(a));
        assertThat(Hlc.logical(c)).isEqualTo(2);
    }

    @Test
    void logicalOverflowAdvancesThePhysicalPartInsteadOfWrapping() {
        long first = clock.now();
        long previous = first;
        for (int i = 0; i < Hlc.MAX_LOGICAL + 3; i++) {
            long next = clock.now();
            assertThat(next).isGreaterThan(previous);
            previous = next;
        }
        assertThat(Hlc.physical(previous)).isEqualTo(Hlc.physical(first) + 1);
        assertThat(Hlc.logical(previous)).isEqualTo(2);
    }

    @Test
    void receiveAppliesTheFourCasesOfThePaper() {
        long pt = wall.get();
        long local = clock.now(); // (pt, 0)
        // remote physical ahead (within drift): l' = lm, c = cm + 1
        long remote = Hlc.pack(pt + 10, 7);
        long r1 = clock.receive(remote);
        assertThat(r1).isEqualTo(Hlc.pack(pt + 10, 8));
        // equal physical parts: c = max(c, cm) + 1
        long r2 = clock.receive(Hlc.pack(pt + 10, 20));
        assertThat(r2).isEqualTo(Hlc.pack(pt + 10, 21));
        // local ahead of remote: c = c + 1
        long r3 = clock.receive(Hlc.pack(pt + 1, 99));
        assertThat(r3).isEqualTo(Hlc.pack(pt + 10, 22));
        // physical time ahead of both: c = 0
        wall.addAndGet(50);
        long r4 = clock.receive(Hlc.pack(pt + 10, 500));
        assertThat(r4).isEqualTo(Hlc.pack(pt + 50, 0));
        assertThat(local).isLessThan(r1);
    }

    @Test
    void remoteTimestampTooFarAheadIsRefusedCountedAndNotAdopted() {
        long before = clock.now();
        long remote = Hlc.pack(wall.get() + 1001, 0);
        assertThatThrownBy(() -> clock.receive(remote))
                .isInstanceOf(ClockDriftException.class)
                .hasMessageContaining("1001 ms ahead")
                .hasMessageContaining("max_clock_drift is 1000 ms");
        assertThat(clock.driftRejections()).isEqualTo(1);
        assertThat(clock.current()).isEqualTo(before);
        // exactly at the limit is accepted
        long ok = clock.receive(Hlc.pack(wall.get() + 1000, 0));
        assertThat(Hlc.physical(ok)).isEqualTo(wall.get() + 1000);
        assertThat(clock.driftRejections()).isEqualTo(1);
    }

    @Test
    void floorKeepsARestartedClockAheadOfWhatItIssuedBefore() {
        long mark = Hlc.pack(wall.get() + 60_000, 3);
        clock.setFloor(mark);
        assertThat(clock.now()).isGreaterThan(mark);
        clock.setFloor(Hlc.pack(wall.get() - 10, 0)); // never moves back
        assertThat(clock.now()).isGreaterThan(mark);
    }

    @Test
    void reservationIsPersistedBeforeAnyTimestampBeyondItIsIssued() {
        List<Long> persisted = new ArrayList<>();
        clock.reserveAhead(1000, persisted::add);
        long t1 = clock.now();
        assertThat(persisted).hasSize(1);
        assertThat(persisted.get(0)).isGreaterThan(t1);
        wall.addAndGet(999);
        long t2 = clock.now();
        assertThat(persisted).hasSize(1);
        assertThat(persisted.get(0)).isGreaterThan(t2);
        wall.addAndGet(2);
        long t3 = clock.now();
        assertThat(persisted).hasSize(2);
        assertThat(persisted.get(1)).isGreaterThan(t3);
        // a restarted clock whose wall clock went back still issues above everything
        HybridLogicalClock restarted = new HybridLogicalClock(() -> wall.get() - 5000);
        restarted.setFloor(persisted.get(persisted.size() - 1));
        assertThat(restarted.now()).isGreaterThan(t3);
    }

    @Test
    void stampsOrderByHlcThenNode() {
        assertThat(new Stamp(5, 9).compareTo(new Stamp(6, 1))).isNegative();
        assertThat(new Stamp(6, 1).compareTo(new Stamp(6, 2))).isNegative();
        assertThat(Stamp.compare(6, 2, 6, 2)).isZero();
        assertThat(Hlc.pack(Hlc.physical(Hlc.pack(123, 45)), Hlc.logical(Hlc.pack(123, 45)))).isEqualTo(Hlc.pack(123, 45));
    }
}
