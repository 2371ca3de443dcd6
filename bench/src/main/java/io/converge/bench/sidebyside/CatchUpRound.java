package io.converge.bench.sidebyside;

/**
 * One round of a catch-up measurement: a replica that missed every key (cut off while they were
 * written, or replaced by an empty one) until it holds what its peers hold.
 *
 * @param round          1-based round number
 * @param keys           keys the replica lacked (or held in an older state)
 * @param payloadBytes   their keys and values in bytes
 * @param deltasAtStart  deltas buffered for peers, over all nodes, when the clock started
 * @param repairsOwed    hash-tree repairs owed (overflowed delta buffers, restarts), over all nodes, when it started
 * @param servingMillis  from the start until the replica answered PING (a restarted node), or -1
 * @param connectedMillis from the start until every node's outbound connections reached every peer, or -1
 * @param completeMillis from the start until every node held the same data and the replica was complete, or -1
 * @param repairBytes    hash-tree repair bytes the replica received meanwhile (states and key lists)
 * @param cpuMillis      CPU time the node processes used meanwhile, summed over the nodes
 * @param verification   what a read of sampled keys on the replica found ("ok: ..."), or null
 * @param error          why the round stopped early or failed, or null
 */
public record CatchUpRound(int round, int keys, long payloadBytes, long deltasAtStart, int repairsOwed,
                           long servingMillis, long connectedMillis, long completeMillis, long repairBytes,
                           long cpuMillis, String verification, String error) {
    /** Whether the round completed without error. */
    public boolean ok() {
        return error == null && completeMillis >= 0;
    }

    /**
     * The catch-up rate in MB/s (10^6 bytes): the payload over the time from when the replica
     * served (or from the start, if it was not restarted) until it was complete; NaN if it never was.
     */
    public double megabytesPerSecond() {
        long millis = completeMillis - Math.max(0, servingMillis);
        return completeMillis < 0 || millis <= 0 ? Double.NaN : payloadBytes / 1e3 / millis;
    }

    /** A round that stopped early. */
    static CatchUpRound failed(int round, int keys, long payloadBytes, String error) {
        return new CatchUpRound(round, keys, payloadBytes, 0, 0, -1, -1, -1, 0, -1, null, error);
    }
}
