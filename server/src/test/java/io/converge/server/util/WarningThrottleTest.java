package io.converge.server.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A warning repeated on every reconnect attempt is logged once per interval per subject, with the count held back. */
class WarningThrottleTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final WarningThrottle throttle = new WarningThrottle(LoggerFactory.getLogger(WarningThrottleTest.class),
            60_000, now::get);

    @Test
    void firstOccurrenceIsLoggedThenHeldBackUntilTheIntervalEnds() {
        assertThat(throttle.admit("auth:2")).isZero();
        for (int i = 0; i < 5; i++) {
            advanceSeconds(10);
            assertThat(throttle.admit("auth:2")).isEqualTo(-1);
        }
        advanceSeconds(10); // 60 s after the first
        assertThat(throttle.admit("auth:2")).isEqualTo(5);
        assertThat(throttle.admit("auth:2")).isEqualTo(-1);
    }

    @Test
    void subjectsAreThrottledSeparately() {
        assertThat(throttle.admit("auth:2")).isZero();
        assertThat(throttle.admit("auth:3")).isZero();
        assertThat(throttle.admit("rejected-by:2")).isZero();
        assertThat(throttle.admit("auth:3")).isEqualTo(-1);
    }

    @Test
    void warnGoesThroughTheSameThrottle() {
        throttle.warn("x", "node {} at {} failed", 2, "127.0.0.1:17002");
        throttle.warn("x", "node {} at {} failed", 2, "127.0.0.1:17002");
        advanceSeconds(61);
        throttle.warn("x", "node {} at {} failed", 2, "127.0.0.1:17002");
        assertThat(throttle.admit("x")).isEqualTo(-1);
    }

    private void advanceSeconds(long seconds) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }
}
