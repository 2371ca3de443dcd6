package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** The hybrid logical clock never goes backwards and applies the receive rule exactly. */
class HlcProperties {

    /** One clock event: a physical jump, then a local event or the receipt of a remote stamp. */
    record Event(int jumpMs, boolean receive, int remoteOffsetMs, int remoteLogical) {}

    @Provide
    Arbitrary<List<Event>> events() {
        Arbitrary<Event> event = Combinators.combine(
                Arbitraries.integers().between(-50, 50),
                Arbitraries.of(true, false),
                Arbitraries.integers().between(-3000, 1500),
                Arbitraries.integers().between(0, Hlc.MAX_LOGICAL)).as(Event::new);
        return event.list().ofMaxSize(200);
    }

    @Property(tries = 300)
    void timestampsStrictlyIncreaseAndReceivesFollowTheirCause(@ForAll("events") List<Event> events) {
        AtomicLong wall = new AtomicLong(1_700_000_000_000L);
        HybridLogicalClock clock = new HybridLogicalClock(wall::get, 1000);
        long previous = 0;
        long rejected = 0;
        for (Event e : events) {
            wall.addAndGet(e.jumpMs());
            long pt = wall.get();
            long next;
            if (e.receive()) {
                long remote = Hlc.pack(pt + e.remoteOffsetMs(), e.remoteLogical());
                boolean tooFar = e.remoteOffsetMs() > 1000;
                try {
                    next = clock.receive(remote);
                    assertThat(tooFar).isFalse();
                } catch (ClockDriftException ex) {
                    assertThat(tooFar).isTrue();
                    assertThat(ex.driftMs()).isEqualTo(e.remoteOffsetMs());
                    rejected++;
                    assertThat(clock.current()).isEqualTo(previous);
                    continue;
                }
                assertThat(next).isGreaterThan(remote);
                long expected = Math.max(Math.max(previous + 1, remote + 1), Hlc.pack(pt, 0));
                assertThat(next).isEqualTo(expected);
            } else {
                next = clock.now();
                assertThat(next).isEqualTo(Math.max(previous + 1, Hlc.pack(pt, 0)));
            }
            assertThat(next).isGreaterThan(previous);
            // never far from physical time: at most the largest physical part seen, plus carries
            assertThat(Hlc.physical(next)).isGreaterThanOrEqualTo(pt);
            previous = next;
        }
        assertThat(clock.driftRejections()).isEqualTo(rejected);
    }

    @Property(tries = 200)
    void packedFormMatchesThePapersFourCases(@ForAll("events") @Size(min = 1) List<Event> events) {
        AtomicLong wall = new AtomicLong(1_700_000_000_000L);
        HybridLogicalClock clock = new HybridLogicalClock(wall::get, 1000);
        long l = 0;
        long c = 0;
        for (Event e : events) {
            wall.addAndGet(e.jumpMs());
            long pt = wall.get();
            if (!e.receive() || e.remoteOffsetMs() > 1000) {
                long next = clock.now();
                long l2 = Math.max(l, pt);
                c = l2 == l ? c + 1 : 0;
                l = l2;
                if (c > Hlc.MAX_LOGICAL) {
                    l++;
                    c = 0;
                }
                assertThat(next).isEqualTo(Hlc.pack(l, (int) c));
                continue;
            }
            long lm = pt + e.remoteOffsetMs();
            long cm = e.remoteLogical();
            long next = clock.receive(Hlc.pack(lm, (int) cm));
            long l2 = Math.max(Math.max(l, lm), pt);
            if (l2 == l && l2 == lm) {
                c = Math.max(c, cm) + 1;
            } else if (l2 == l) {
                c = c + 1;
            } else if (l2 == lm) {
                c = cm + 1;
            } else {
                c = 0;
            }
            l = l2;
            if (c > Hlc.MAX_LOGICAL) {
                l++;
                c = 0;
            }
            assertThat(next).isEqualTo(Hlc.pack(l, (int) c));
        }
    }
}
