package io.converge.server.cluster;

/** Monotone millisecond clock for production; immune to wall-clock jumps (NTP steps). */
final class SystemClock implements Clock {

    static final SystemClock INSTANCE = new SystemClock();

    private final long originNanos = System.nanoTime();

    private SystemClock() {}

    @Override
    public long nowMillis() {
        return (System.nanoTime() - originNanos) / 1_000_000L;
    }
}
