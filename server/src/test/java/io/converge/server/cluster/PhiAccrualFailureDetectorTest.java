package io.converge.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.converge.server.cluster.sim.SimulatedClock;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PhiAccrualFailureDetectorTest {

    private final SimulatedClock clock = new SimulatedClock(1_000);
    private final PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(clock,
            PhiAccrualFailureDetector.Settings.defaults(1_000));

    private void beatEvery(int node, long interval, int count) {
        for (int i = 0; i < count; i++) {
            clock.advance(interval);
            detector.heartbeat(node);
        }
    }

    @Test
    void neverHeardNodeIsDown() {
        assertThat(detector.phi(3)).isInfinite();
        assertThat(detector.isAvailable(3)).isFalse();
        assertThat(detector.view()).isEmpty();
    }

    @Test
    void regularHeartbeatsKeepANodeUpAndSilenceTakesItDown() {
        beatEvery(2, 1_000, 50);
        assertThat(detector.phi(2)).isLessThan(0.1);
        assertThat(detector.isAvailable(2)).isTrue();

        clock.advance(1_500);
        assertThat(detector.isAvailable(2)).as("a late heartbeat is tolerated").isTrue();

        double previous = detector.phi(2);
        long downAfter = -1;
        for (long waited = 1_500; waited <= 10_000; waited += 100) {
            clock.advance(100);
            double phi = detector.phi(2);
            assertThat(phi).as("phi grows with silence").isGreaterThanOrEqualTo(previous);
            previous = phi;
            if (downAfter < 0 && !detector.isAvailable(2)) {
                downAfter = waited + 100;
            }
        }
        assertThat(downAfter).as("declared down a few intervals into the silence").isBetween(2_000L, 4_000L);
        assertThat(detector.phi(2)).isFinite().isGreaterThan(30);

        detector.heartbeat(2);
        assertThat(detector.isAvailable(2)).as("a heartbeat brings it back").isTrue();
    }

    @Test
    void jitteryNodeIsSuspectedLaterThanARegularOne() {
        Random random = new Random(3);
        for (int i = 0; i < 100; i++) {
            clock.advance(1_000);
            detector.heartbeat(1);
        }
        SimulatedClock jitteryClock = new SimulatedClock(0);
        PhiAccrualFailureDetector jittery = new PhiAccrualFailureDetector(jitteryClock,
                PhiAccrualFailureDetector.Settings.defaults(1_000));
        for (int i = 0; i < 100; i++) {
            jitteryClock.advance(500 + random.nextInt(1_000));
            jittery.heartbeat(1);
        }
        clock.advance(2_500);
        jitteryClock.advance(2_500);
        assertThat(jittery.phi(1)).isLessThan(detector.phi(1));
    }

    @Test
    void viewShowsEveryHeardNode() {
        beatEvery(1, 1_000, 5);
        detector.heartbeat(4);
        clock.advance(250);
        var view = detector.view();
        assertThat(view).extracting(NodeHealth::nodeId).containsExactly(1, 4);
        NodeHealth one = view.get(0);
        assertThat(one.up()).isTrue();
        assertThat(one.millisSinceHeard()).isEqualTo(250);
        assertThat(one.lastHeardMillis()).isEqualTo(clock.nowMillis() - 250);
        assertThat(one.meanIntervalMillis()).isCloseTo(1_000, within(1e-9));
        assertThat(one.samples()).isEqualTo(6);
        detector.remove(4);
        assertThat(detector.view()).extracting(NodeHealth::nodeId).containsExactly(1);
    }

    @Test
    void phiFormulaMatchesTheNormalTail() {
        // At the mean, half of the heartbeats are later: phi = -log10(0.5).
        assertThat(PhiAccrualFailureDetector.phi(1_000, 1_000, 100)).isCloseTo(Math.log10(2), within(1e-9));
        // One standard deviation late: P(later) ~ 0.1587, phi ~ 0.80.
        assertThat(PhiAccrualFailureDetector.phi(1_100, 1_000, 100)).isCloseTo(0.80, within(0.01));
        // Far in the tail the value stays finite and keeps growing.
        assertThat(PhiAccrualFailureDetector.phi(1_000_000, 1_000, 100)).isFinite().isGreaterThan(1e6);
        assertThat(PhiAccrualFailureDetector.phi(0, 1_000, 100)).isLessThan(1e-6);
    }

    @Test
    void rejectsNonsenseSettings() {
        assertThatThrownBy(() -> new PhiAccrualFailureDetector.Settings(0, 10, 1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
