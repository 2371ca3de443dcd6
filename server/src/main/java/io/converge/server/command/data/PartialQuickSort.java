package io.converge.server.command.data;

import java.util.Comparator;

/**
 * The partial sort Redis's SORT uses when it sorts BY a pattern with a LIMIT ({@code pqsort}):
 * Bentley and McIlroy's three-way quicksort ("Engineering a Sort Function", 1993, as in the BSD
 * libraries) that skips the parts lying wholly outside the wanted range of positions. It is not
 * stable, so elements that compare equal (ALPHA values that tie, missing BY keys) come out in the
 * order this very algorithm leaves them in: the steps below follow the published algorithm
 * exactly (pivot choice by medians of three, equal keys gathered at both ends, insertion sort for
 * fewer than 7 elements or a pass that moved nothing) so that the order matches Redis's.
 */
final class PartialQuickSort {
    private PartialQuickSort() {}

    /** Below this many elements, insertion sort. */
    private static final int SMALL = 7;
    /** Above this many elements, the pivot is a median of three medians of three. */
    private static final int LARGE = 40;

    /**
     * Sorts enough of {@code a[0, n)} by {@code cmp} that positions {@code first..last} (inclusive)
     * hold what a full sort would put there.
     */
    static <T> void sort(T[] a, int n, Comparator<? super T> cmp, long first, long last) {
        sortPart(a, 0, n, cmp, first, last);
    }

    private static <T> void sortPart(T[] a, int lo, int n, Comparator<? super T> cmp, long first, long last) {
        while (true) {
            if (n < SMALL) {
                insertionSort(a, lo, n, cmp);
                return;
            }
            int mid = lo + n / 2;
            if (n > SMALL) {
                int left = lo;
                int right = lo + n - 1;
                if (n > LARGE) {
                    int d = n / 8;
                    left = medianOfThree(a, left, left + d, left + 2 * d, cmp);
                    mid = medianOfThree(a, mid - d, mid, mid + d, cmp);
                    right = medianOfThree(a, right - 2 * d, right - d, right, cmp);
                }
                mid = medianOfThree(a, left, mid, right, cmp);
            }
            swap(a, lo, mid);
            // a[lo] is the pivot; equal elements gather in [lo+1, pa) and (pd, lo+n).
            int pa = lo + 1;
            int pb = pa;
            int pc = lo + n - 1;
            int pd = pc;
            boolean moved = false;
            while (true) {
                int c;
                while (pb <= pc && (c = cmp.compare(a[pb], a[lo])) <= 0) {
                    if (c == 0) {
                        moved = true;
                        swap(a, pa++, pb);
                    }
                    pb++;
                }
                while (pb <= pc && (c = cmp.compare(a[pc], a[lo])) >= 0) {
                    if (c == 0) {
                        moved = true;
                        swap(a, pc, pd--);
                    }
                    pc--;
                }
                if (pb > pc) {
                    break;
                }
                swap(a, pb++, pc--);
                moved = true;
            }
            if (!moved) {
                insertionSort(a, lo, n, cmp);
                return;
            }
            int end = lo + n;
            int r = Math.min(pa - lo, pb - pa);
            swapRuns(a, lo, pb - r, r);
            r = Math.min(pd - pc, end - pd - 1);
            swapRuns(a, pb, end - r, r);
            int lower = pb - pa;
            if (lower > 1 && overlaps(lo, lower, first, last)) {
                sortPart(a, lo, lower, cmp, first, last);
            }
            int upper = pd - pc;
            if (upper <= 1 || !overlaps(end - upper, upper, first, last)) {
                return;
            }
            lo = end - upper;
            n = upper;
        }
    }

    /** Whether positions {@code [lo, lo + n)} hold any of {@code first..last}, as Redis tests it. */
    private static boolean overlaps(int lo, int n, long first, long last) {
        boolean before = first < lo && last < lo;
        boolean after = first >= lo + n && last >= lo + n;
        return !before && !after;
    }

    private static <T> void insertionSort(T[] a, int lo, int n, Comparator<? super T> cmp) {
        for (int m = lo + 1; m < lo + n; m++) {
            for (int l = m; l > lo && cmp.compare(a[l - 1], a[l]) > 0; l--) {
                swap(a, l, l - 1);
            }
        }
    }

    private static <T> int medianOfThree(T[] a, int i, int j, int k, Comparator<? super T> cmp) {
        if (cmp.compare(a[i], a[j]) < 0) {
            return cmp.compare(a[j], a[k]) < 0 ? j : cmp.compare(a[i], a[k]) < 0 ? k : i;
        }
        return cmp.compare(a[j], a[k]) > 0 ? j : cmp.compare(a[i], a[k]) < 0 ? i : k;
    }

    /** Swaps the {@code count} elements from {@code i} with those from {@code j}, pairwise in order. */
    private static <T> void swapRuns(T[] a, int i, int j, int count) {
        for (int k = 0; k < count; k++) {
            swap(a, i + k, j + k);
        }
    }

    private static <T> void swap(T[] a, int i, int j) {
        T t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
