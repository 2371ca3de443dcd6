package io.converge.crdt;

/**
 * A remote timestamp was further ahead of the local physical clock than the configured maximum
 * drift allows. The client write path refuses such a write with this error; the replication
 * path may still merge the data (merging never needs the clock) but must not adopt the time.
 */
public final class ClockDriftException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long remoteHlc;
    private final long localPhysicalMs;
    private final long maxDriftMs;

    /** Creates the exception for a remote timestamp and the local time it was checked against. */
    public ClockDriftException(long remoteHlc, long localPhysicalMs, long maxDriftMs) {
        super("remote timestamp " + Hlc.toString(remoteHlc) + " is "
                + (Hlc.physical(remoteHlc) - localPhysicalMs) + " ms ahead of the local clock "
                + "(max_clock_drift is " + maxDriftMs + " ms)", null, false, false);
        this.remoteHlc = remoteHlc;
        this.localPhysicalMs = localPhysicalMs;
        this.maxDriftMs = maxDriftMs;
    }

    /** The refused remote timestamp. */
    public long remoteHlc() {
        return remoteHlc;
    }

    /** The local physical time it was compared with. */
    public long localPhysicalMs() {
        return localPhysicalMs;
    }

    /** How far ahead the remote timestamp was, in milliseconds. */
    public long driftMs() {
        return Hlc.physical(remoteHlc) - localPhysicalMs;
    }

    /** The configured maximum drift. */
    public long maxDriftMs() {
        return maxDriftMs;
    }
}
