package io.converge.server.cluster.sim;

import io.converge.server.cluster.Clock;

/** A clock that moves only when the simulation moves it. */
public final class SimulatedClock implements Clock {

    private long now;

    /** A clock starting at {@code startMillis}. */
    public SimulatedClock(long startMillis) {
        this.now = startMillis;
    }

    @Override
    public long nowMillis() {
        return now;
    }

    /** Moves time forward to {@code millis}; moving backwards is an error. */
    public void advanceTo(long millis) {
        if (millis < now) {
            throw new IllegalArgumentException("simulated time cannot go back from " + now + " to " + millis);
        }
        now = millis;
    }

    /** Moves time forward by {@code millis}. */
    public void advance(long millis) {
        advanceTo(now + millis);
    }
}
