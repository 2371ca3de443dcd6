package io.converge.bench.sidebyside;

/**
 * One round of the partition phase.
 *
 * @param round           1-based round number
 * @param keys            distinct keys written while the cut lasted
 * @param writesMajority  commands sent on the majority side (node 1)
 * @param writesIsolated  commands sent on the isolated node
 * @param writeProblem    the first failed write, or null
 * @param deltasBuffered  deltas waiting for a peer's acknowledgement, over all nodes, just before the heal
 * @param repairsOwed     hash-tree repairs owed to peers (delta buffers that overflowed), over all nodes, just before the heal
 * @param reconnectMillis from the heal until every node's outbound connections reached every peer; -1 if never
 * @param convergeMillis  from the heal until every node held the same data; -1 if not within the timeout
 * @param polls           looks at the cluster between the heal and convergence
 * @param verification    the after-the-fact comparison of every key on every node, or null if not reached
 * @param error           why the round stopped early, or null
 */
public record PartitionRound(int round, int keys, int writesMajority, int writesIsolated, String writeProblem,
                             long deltasBuffered, int repairsOwed, long reconnectMillis, long convergeMillis, int polls,
                             ConvergenceVerifier.Verification verification, String error) {

    /** Whether the round converged, verified, and every write succeeded. */
    public boolean ok() {
        return error == null && writeProblem == null && convergeMillis >= 0 && verification != null
                && verification.ok();
    }

    /** A round that stopped early. */
    static PartitionRound failed(int round, int keys, String error) {
        return new PartitionRound(round, keys, 0, 0, null, 0, 0, -1, -1, 0, null, error);
    }
}
