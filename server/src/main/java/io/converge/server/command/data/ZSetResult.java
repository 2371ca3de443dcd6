package io.converge.server.command.data;

import io.converge.crdt.ScoredMemberConsumer;
import java.util.Arrays;

/**
 * The members and scores a sorted-set algebra command computed, in parallel arrays (no boxing),
 * in the order they were found until {@link #sort()} puts them in sorted-set order.
 */
final class ZSetResult {
    private byte[][] members;
    private double[] scores;
    private int size;

    /** An empty result with room for {@code expected} members. */
    ZSetResult(int expected) {
        members = new byte[Math.max(4, expected)][];
        scores = new double[members.length];
    }

    /** Appends a member (not already present) with its score. */
    void add(byte[] member, double score) {
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
            scores = Arrays.copyOf(scores, size * 2);
        }
        members[size] = member;
        scores[size] = score;
        size++;
    }

    /** Number of members. */
    int size() {
        return size;
    }

    /** The member at position {@code i}. */
    byte[] member(int i) {
        return members[i];
    }

    /** The score at position {@code i}. */
    double score(int i) {
        return scores[i];
    }

    /** Calls {@code action} with every member and score, in the current order. */
    void forEach(ScoredMemberConsumer action) {
        for (int i = 0; i < size; i++) {
            action.accept(members[i], scores[i]);
        }
    }

    /**
     * Orders the members as a sorted set does: by score compared with {@code <} (so -0 and 0
     * are equal), then by member bytes, unsigned. A stable merge sort, linear on input that is
     * already in order (a ZDIFF of a sorted set).
     */
    void sort() {
        if (size < 2) {
            return;
        }
        byte[][] m = Arrays.copyOf(members, size);
        double[] s = Arrays.copyOf(scores, size);
        mergeSort(m, s, members, scores, 0, size);
    }

    /**
     * Sorts {@code [from, to)} into {@code dstM}/{@code dstS}, whose range holds the same entries
     * as {@code srcM}/{@code srcS} on entry (the two pairs swap roles at each level).
     */
    private static void mergeSort(byte[][] srcM, double[] srcS, byte[][] dstM, double[] dstS, int from, int to) {
        int n = to - from;
        if (n < 2) {
            return;
        }
        int mid = (from + to) >>> 1;
        mergeSort(dstM, dstS, srcM, srcS, from, mid);
        mergeSort(dstM, dstS, srcM, srcS, mid, to);
        if (!less(srcS[mid], srcM[mid], srcS[mid - 1], srcM[mid - 1])) {
            System.arraycopy(srcM, from, dstM, from, n);
            System.arraycopy(srcS, from, dstS, from, n);
            return;
        }
        int i = from;
        int j = mid;
        for (int k = from; k < to; k++) {
            if (j >= to || (i < mid && !less(srcS[j], srcM[j], srcS[i], srcM[i]))) {
                dstM[k] = srcM[i];
                dstS[k] = srcS[i++];
            } else {
                dstM[k] = srcM[j];
                dstS[k] = srcS[j++];
            }
        }
    }

    /** Whether (score a, member a) comes strictly before (score b, member b). */
    private static boolean less(double scoreA, byte[] memberA, double scoreB, byte[] memberB) {
        if (scoreA < scoreB) {
            return true;
        }
        if (scoreA > scoreB) {
            return false;
        }
        return Arrays.compareUnsigned(memberA, memberB) < 0;
    }
}
