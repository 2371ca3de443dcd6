package io.converge.server.replication.antientropy;

/**
 * The comparison tree over one session's scope: the scope's leaves, in order, are the nodes of
 * level 0; node {@code j} of level {@code h} covers the level-0 positions
 * {@code [j * fanout^h, (j + 1) * fanout^h)} (cut at the scope's end). A node's digest is the
 * XOR of its leaves' digests, so both sides compute every node from their own leaf digests and
 * nothing about the tree is exchanged but the digests asked for. The walk starts at the lowest
 * level with at most {@code fanout} nodes and descends only into nodes whose digests differ.
 */
final class SyncTree {

    private final int leaves;
    private final int fanout;

    /** The tree over {@code leaves} scope leaves. */
    SyncTree(int leaves, int fanout) {
        this.leaves = leaves;
        this.fanout = fanout;
    }

    /** The level the walk starts at: the lowest with at most {@code fanout} nodes. */
    int topLevel() {
        int level = 0;
        long span = 1;
        while ((leaves + span - 1) / span > fanout) {
            span *= fanout;
            level++;
        }
        return level;
    }

    /** Number of nodes at {@code level}. */
    int nodeCount(int level) {
        long span = span(level);
        return (int) ((leaves + span - 1) / span);
    }

    /** First level-0 position node {@code node} of {@code level} covers. */
    int from(int level, int node) {
        return (int) Math.min(leaves, (long) node * span(level));
    }

    /** One past the last level-0 position node {@code node} of {@code level} covers. */
    int to(int level, int node) {
        return (int) Math.min(leaves, (long) (node + 1) * span(level));
    }

    /** The children (at {@code level - 1}) of node {@code node} of {@code level}, appended to {@code out}. */
    int children(int level, int node, int[] out, int at) {
        int first = node * fanout;
        int end = Math.min(nodeCount(level - 1), first + fanout);
        for (int c = first; c < end; c++) {
            out[at++] = c;
        }
        return at;
    }

    /** Digests of {@code nodes} at {@code level}, from the scope's leaf digests {@code leafDigests}. */
    long[] digests(int level, int[] nodes, long[] leafDigests) {
        long[] out = new long[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            int node = nodes[i];
            if (node < 0 || node >= nodeCount(level)) {
                throw new IllegalArgumentException("no node " + node + " at level " + level);
            }
            long d = 0;
            for (int p = from(level, node), end = to(level, node); p < end; p++) {
                d ^= leafDigests[p];
            }
            out[i] = d;
        }
        return out;
    }

    private long span(int level) {
        long span = 1;
        for (int i = 0; i < level; i++) {
            span *= fanout;
            if (span > leaves) {
                return Math.max(span, 1);
            }
        }
        return span;
    }
}
