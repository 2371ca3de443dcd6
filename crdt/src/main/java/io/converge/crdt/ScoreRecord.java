package io.converge.crdt;

/**
 * One write to a sorted-set member's score, identified by its dot: either a <em>base</em> (a
 * ZADD: the score {@code refScore} written at stamp {@code (refHlc, refNode)}, with
 * {@code refNode == dotNode}) or a <em>contribution</em> (the running sum of replica
 * {@code dotNode}'s ZINCRBYs applied on top of the base stamped {@code (refHlc, refNode)}, whose
 * score {@code refScore} it remembers). Immutable; see {@link ZSetValue} for the semantics.
 */
record ScoreRecord(long dotNode, long dotCounter, boolean base, long refHlc, long refNode, double refScore,
                   double sum) {

    /** Orders records by dot: node, then counter. */
    static int compareDots(long nodeA, long counterA, long nodeB, long counterB) {
        int c = Long.compare(nodeA, nodeB);
        return c != 0 ? c : Long.compare(counterA, counterB);
    }

    /** Whether this record refers to the base stamped {@code (hlc, node)}. */
    boolean refersTo(long hlc, long node) {
        return refHlc == hlc && refNode == node;
    }
}
