package io.converge.bench.sidebyside;

/**
 * One round of the repair-pass measurement: keys made to differ on one node
 * ({@code CONVERGE DIVERGE}), then a pass asked for ({@code CONVERGE REPAIR}) until every node
 * holds the same data again.
 *
 * @param round         1-based round number
 * @param keys          keys every node held
 * @param divergent     keys made to differ
 * @param repairMillis  from {@code CONVERGE REPAIR} until every node's digest was equal, or -1
 * @param verification  what reading the divergent keys on every node found ("ok: ..."), or null
 * @param error         why the round stopped early or failed, or null
 */
public record DivergenceRound(int round, int keys, int divergent, long repairMillis, String verification,
                              String error) {
    /** Whether the round repaired everything without error. */
    public boolean ok() {
        return error == null && repairMillis >= 0;
    }

    /** A round that stopped early. */
    static DivergenceRound failed(int round, int keys, int divergent, String error) {
        return new DivergenceRound(round, keys, divergent, -1, null, error);
    }
}
