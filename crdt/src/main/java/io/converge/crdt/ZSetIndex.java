package io.converge.crdt;

import java.util.Arrays;
import java.util.Objects;

/**
 * The ordered view of a sorted set: members ordered by (score, member bytes unsigned
 * lexicographic), answering rank, score-range and lex-range queries in O(log n) and iterating a
 * rank range in O(log n + k). Read-only to callers; {@link ZSetValue} keeps it in sync with its
 * members on every operation and merge.
 *
 * <p><b>Structure.</b> An order-statistic weight-balanced tree (Adams' trees, with the
 * parameters Hirai and Yamamoto proved correct: delta = 3, ratio = 2, weight = size + 1). Each
 * node stores its subtree size and its left subtree's size, which answer rank queries and drive
 * the balancing, so a node costs four fields (left, right, size, leftSize) and no per-level
 * arrays as a skip list would; the height stays below log_{4/3}(n + 1). Every rank-based query
 * descends once from the root counting the left subtrees it passes. Because each node carries
 * both sizes, descents and balance checks read only the nodes on the path (on a large set each
 * node read is a likely cache miss), and rotations update sizes from the rotated nodes alone.
 *
 * <p>Scores compare with {@code <} as Redis does, so -0.0 and 0.0 are equal scores and their
 * members order by bytes. NaN never enters (the sorted set refuses it).
 */
public final class ZSetIndex {

    private static final int DELTA = 3;
    private static final int RATIO = 2;

    /** A tree node: a member, its score and the tree links. {@link ZSetValue}'s entries extend it. */
    static class Node {
        final byte[] member;
        double score;
        Node left;
        Node right;
        /** Nodes in this subtree. */
        int size;
        /** Nodes in the left subtree, so descents never read a child just for its size. */
        int leftSize;

        Node(byte[] member, double score) {
            this.member = member;
            this.score = score;
        }
    }

    private Node root;

    /** Creates an empty index. */
    ZSetIndex() {}

    /** Number of members (ZCARD). */
    public int size() {
        return size(root);
    }

    /** The member at 0-based {@code rank} (ascending); must not be mutated. */
    public byte[] memberAt(int rank) {
        return nodeAt(rank).member;
    }

    /** The score of the member at 0-based {@code rank} (ascending). */
    public double scoreAt(int rank) {
        return nodeAt(rank).score;
    }

    /**
     * The rank of the first member whose score is {@code >= min} ({@code > min} when
     * {@code exclusive}); {@link #size()} if none. Use ±infinity for open ends.
     */
    public int firstRankInScore(double min, boolean exclusive) {
        return countScoresBelow(min, exclusive);
    }

    /**
     * One past the rank of the last member whose score is {@code <= max} ({@code < max} when
     * {@code exclusive}); 0 if none.
     */
    public int endRankInScore(double max, boolean exclusive) {
        return countScoresBelow(max, !exclusive);
    }

    /** Number of members with score in the given interval (ZCOUNT). */
    public int countInScore(double min, boolean minExclusive, double max, boolean maxExclusive) {
        return Math.max(0, endRankInScore(max, maxExclusive) - firstRankInScore(min, minExclusive));
    }

    /**
     * The rank of the first member at or after the lex bound {@code min}. Like Redis, lex
     * queries assume all members share one score; otherwise the answer follows tree order.
     */
    public int firstRankInLex(LexBound min) {
        if (min.isMin()) {
            return 0;
        }
        if (min.isMax()) {
            return size();
        }
        return countMembersBelow(min.value(), min.isExclusive());
    }

    /** One past the rank of the last member at or before the lex bound {@code max}. */
    public int endRankInLex(LexBound max) {
        if (max.isMax()) {
            return size();
        }
        if (max.isMin()) {
            return 0;
        }
        return countMembersBelow(max.value(), !max.isExclusive());
    }

    /** Number of members within the lex interval (ZLEXCOUNT). */
    public int countInLex(LexBound min, LexBound max) {
        return Math.max(0, endRankInLex(max) - firstRankInLex(min));
    }

    /**
     * Calls {@code action} for ranks {@code [start, end)} in ascending order, or descending
     * (from {@code end - 1} down to {@code start}) when {@code reverse}. Requires
     * {@code 0 <= start <= end <= size()}. Must not be called while the set is modified.
     */
    public void forEachInRankRange(int start, int end, boolean reverse, ScoredMemberConsumer action) {
        Objects.checkFromToIndex(start, end, size());
        if (start == end) {
            return;
        }
        Node[] stack = new Node[maxHeight()];
        int sp = 0;
        Node t = root;
        int k = reverse ? end - 1 : start;
        // Descend to rank k, stacking the ancestors that come next in iteration order.
        while (t != null) {
            int ls = t.leftSize;
            if (k < ls) {
                if (!reverse) {
                    stack[sp++] = t;
                }
                t = t.left;
            } else if (k == ls) {
                stack[sp++] = t;
                break;
            } else {
                if (reverse) {
                    stack[sp++] = t;
                }
                k -= ls + 1;
                t = t.right;
            }
        }
        for (int n = end - start; n > 0; n--) {
            Node x = stack[--sp];
            action.accept(x.member, x.score);
            if (reverse) {
                for (Node y = x.left; y != null; y = y.right) {
                    stack[sp++] = y;
                }
            } else {
                for (Node y = x.right; y != null; y = y.left) {
                    stack[sp++] = y;
                }
            }
        }
    }

    // ------------------------------------------------------------------ package-private upkeep

    /** The node at {@code rank}. */
    Node nodeAt(int rank) {
        Objects.checkIndex(rank, size());
        Node t = root;
        while (true) {
            int ls = t.leftSize;
            if (rank < ls) {
                t = t.left;
            } else if (rank == ls) {
                return t;
            } else {
                rank -= ls + 1;
                t = t.right;
            }
        }
    }

    /** The ascending rank of {@code node}, which must be in the index. */
    int rankOf(Node node) {
        int rank = 0;
        Node t = root;
        while (t != null) {
            int c = compare(node.score, node.member, t);
            if (c < 0) {
                t = t.left;
            } else if (c > 0) {
                rank += t.leftSize + 1;
                t = t.right;
            } else {
                return rank + t.leftSize;
            }
        }
        throw new IllegalStateException("node not in the index");
    }

    /** Adds {@code node} (not yet in the index) at the place of its current score. */
    void insert(Node node) {
        node.left = null;
        node.right = null;
        node.size = 1;
        node.leftSize = 0;
        root = insert(root, node);
    }

    /** Removes {@code node}; its score must be the one it was inserted with. */
    void remove(Node node) {
        root = remove(root, node);
        node.left = null;
        node.right = null;
        node.size = 0;
        node.leftSize = 0;
    }

    /** Replaces the content with {@code nodes[0, n)}, which must be in strictly ascending order. */
    void buildFromSorted(Node[] nodes, int n) {
        root = build(nodes, 0, n);
    }

    /** All nodes in ascending order. */
    Node[] nodesInOrder() {
        Node[] out = new Node[size()];
        fill(root, out, 0);
        return out;
    }

    /** Checks order, sizes and balance of every node (for tests); throws AssertionError. */
    void checkInvariants() {
        check(root, null, null);
    }

    /** The (score, member) order of the index. */
    static int compare(double scoreA, byte[] memberA, double scoreB, byte[] memberB) {
        if (scoreA < scoreB) {
            return -1;
        }
        if (scoreA > scoreB) {
            return 1;
        }
        return Arrays.compareUnsigned(memberA, memberB);
    }

    // ------------------------------------------------------------------ tree algorithms

    private static int compare(double score, byte[] member, Node t) {
        return compare(score, member, t.score, t.member);
    }

    private static int size(Node t) {
        return t == null ? 0 : t.size;
    }

    private int countScoresBelow(double bound, boolean orEqual) {
        int count = 0;
        Node t = root;
        while (t != null) {
            if (t.score < bound || (orEqual && t.score == bound)) {
                count += t.leftSize + 1;
                t = t.right;
            } else {
                t = t.left;
            }
        }
        return count;
    }

    private int countMembersBelow(byte[] bound, boolean orEqual) {
        int count = 0;
        Node t = root;
        while (t != null) {
            int c = Arrays.compareUnsigned(t.member, bound);
            if (c < 0 || (orEqual && c == 0)) {
                count += t.leftSize + 1;
                t = t.right;
            } else {
                t = t.left;
            }
        }
        return count;
    }

    /** An upper bound on the tree height: a child weighs at most 3/4 of its parent. */
    private int maxHeight() {
        int h = 2;
        for (double w = size() + 1; w >= 2; w *= 0.75) {
            h++;
        }
        return h;
    }

    private static Node insert(Node t, Node node) {
        if (t == null) {
            return node;
        }
        int c = compare(node.score, node.member, t);
        if (c == 0) {
            throw new IllegalStateException("member already in the index");
        }
        if (c < 0) {
            t.left = insert(t.left, node);
            t.leftSize++;
        } else {
            t.right = insert(t.right, node);
        }
        t.size++;
        return balance(t);
    }

    private static Node remove(Node t, Node node) {
        if (t == null) {
            throw new IllegalStateException("member not in the index");
        }
        int c = compare(node.score, node.member, t);
        if (c < 0) {
            t.left = remove(t.left, node);
            t.leftSize--;
        } else if (c > 0) {
            t.right = remove(t.right, node);
        } else {
            if (t.left == null) {
                return t.right;
            }
            if (t.right == null) {
                return t.left;
            }
            // Replace t by its neighbour from the heavier side, relinking nodes (node identity
            // matters: the sorted set's member table points at them).
            Node replacement;
            int rightSize = t.size - t.leftSize - 1;
            if (t.leftSize > rightSize) {
                replacement = t.left;
                while (replacement.right != null) {
                    replacement = replacement.right;
                }
                replacement.left = removeMax(t.left);
                replacement.right = t.right;
                replacement.leftSize = t.leftSize - 1;
            } else {
                replacement = t.right;
                while (replacement.left != null) {
                    replacement = replacement.left;
                }
                replacement.right = removeMin(t.right);
                replacement.left = t.left;
                replacement.leftSize = t.leftSize;
            }
            replacement.size = t.size - 1;
            return balance(replacement);
        }
        t.size--;
        return balance(t);
    }

    private static Node removeMin(Node t) {
        if (t.left == null) {
            return t.right;
        }
        t.left = removeMin(t.left);
        t.leftSize--;
        t.size--;
        return balance(t);
    }

    private static Node removeMax(Node t) {
        if (t.right == null) {
            return t.left;
        }
        t.right = removeMax(t.right);
        t.size--;
        return balance(t);
    }

    /** Restores the weight balance of {@code t} after one insert or remove below it. */
    private static Node balance(Node t) {
        int wl = t.leftSize + 1;
        int wr = t.size - t.leftSize;
        if (wr > DELTA * wl) {
            Node r = t.right;
            int rl = r.leftSize;
            if (rl + 1 < RATIO * (r.size - rl)) {
                return rotateLeft(t);
            }
            t.right = rotateRight(r);
            return rotateLeft(t);
        }
        if (wl > DELTA * wr) {
            Node l = t.left;
            int lr = l.size - l.leftSize - 1;
            if (lr + 1 < RATIO * (l.leftSize + 1)) {
                return rotateRight(t);
            }
            t.left = rotateLeft(l);
            return rotateRight(t);
        }
        return t;
    }

    /** Makes t's right child the subtree root; sizes come from the two rotated nodes alone. */
    private static Node rotateLeft(Node t) {
        Node r = t.right;
        int movedSize = r.leftSize; // r's left subtree becomes t's right subtree
        t.right = r.left;
        r.left = t;
        int rSize = r.size;
        t.size = t.leftSize + movedSize + 1;
        r.leftSize = t.size;
        r.size = t.size + (rSize - movedSize);
        return r;
    }

    /** Makes t's left child the subtree root; sizes come from the two rotated nodes alone. */
    private static Node rotateRight(Node t) {
        Node l = t.left;
        int movedSize = l.size - l.leftSize - 1; // l's right subtree becomes t's left subtree
        int tRightSize = t.size - t.leftSize - 1;
        t.left = l.right;
        l.right = t;
        t.leftSize = movedSize;
        t.size = movedSize + tRightSize + 1;
        l.size = l.leftSize + 1 + t.size;
        return l;
    }

    private static Node build(Node[] nodes, int from, int to) {
        if (from >= to) {
            return null;
        }
        int mid = (from + to) >>> 1;
        Node t = nodes[mid];
        t.left = build(nodes, from, mid);
        t.right = build(nodes, mid + 1, to);
        t.size = to - from;
        t.leftSize = mid - from;
        return t;
    }

    private static int fill(Node t, Node[] out, int at) {
        if (t == null) {
            return at;
        }
        at = fill(t.left, out, at);
        out[at++] = t;
        return fill(t.right, out, at);
    }

    private static int check(Node t, Node low, Node high) {
        if (t == null) {
            return 0;
        }
        if (low != null && compare(t.score, t.member, low) <= 0
                || high != null && compare(t.score, t.member, high) >= 0) {
            throw new AssertionError("index out of order");
        }
        int l = check(t.left, low, t);
        int r = check(t.right, t, high);
        if (t.size != l + r + 1 || t.leftSize != l) {
            throw new AssertionError("wrong subtree size");
        }
        if (DELTA * (l + 1) < r + 1 || DELTA * (r + 1) < l + 1) {
            throw new AssertionError("subtree out of balance: " + l + " vs " + r);
        }
        return t.size;
    }
}
