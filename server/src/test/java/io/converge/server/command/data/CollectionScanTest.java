package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The HSCAN/SSCAN cursor arithmetic and the random picks of SPOP/SRANDMEMBER/HRANDFIELD, as pure
 * functions: ranges tile the position space, a scan over a changing collection returns every
 * element present throughout exactly once and ends within its call budget, and distinct picks
 * are distinct, in range and spread out.
 */
class CollectionScanTest {

    @ParameterizedTest
    @CsvSource({"129, 10", "1000, 10", "1000, 1", "5000, 200", "100000, 10", "100000, 1000000"})
    void rangesTileThePositionSpaceWithinTheCallBudget(int size, long count) {
        long start = 0;
        int calls = 0;
        do {
            long end = CollectionScan.rangeEnd(CollectionScan.rangeStart(start), count, size);
            assertThat(end).isGreaterThan(start).isLessThanOrEqualTo(CollectionScan.POSITIONS);
            start = CollectionScan.nextCursor(end);
            calls++;
        } while (start != 0);
        long expectedPerCall = Math.max(Math.min(count, size), (size + CollectionScan.MAX_CALLS - 1) / CollectionScan.MAX_CALLS);
        assertThat(calls).as("calls for %d elements, COUNT %d", size, count)
                .isLessThanOrEqualTo((int) Math.min(CollectionScan.MAX_CALLS + 1, size / expectedPerCall + 2));
    }

    @Test
    void aScanOfAChangingCollectionReturnsEveryStableElementExactlyOnce() {
        Set<String> collection = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            collection.add("stable:" + i);
        }
        List<String> returned = new ArrayList<>();
        long cursor = 0;
        int step = 0;
        do {
            long start = CollectionScan.rangeStart(cursor);
            long end = CollectionScan.rangeEnd(start, 10, collection.size());
            for (String element : collection) {
                if (CollectionScan.inRange(bytes(element), start, end)) {
                    returned.add(element);
                }
            }
            cursor = CollectionScan.nextCursor(end);
            collection.add("transient:" + step);
            collection.remove("transient:" + (step - 5));
            step++;
        } while (cursor != 0);
        List<String> stable = returned.stream().filter(e -> e.startsWith("stable:")).toList();
        assertThat(stable).hasSize(3000).doesNotHaveDuplicates();
    }

    @Test
    void cursorsBeyondThePositionSpaceEndTheScan() {
        long start = CollectionScan.rangeStart(-1L);
        assertThat(start).isEqualTo(CollectionScan.POSITIONS);
        assertThat(CollectionScan.rangeEnd(start, 10, 1000)).isEqualTo(CollectionScan.POSITIONS);
        assertThat(CollectionScan.nextCursor(CollectionScan.POSITIONS)).isZero();
        assertThat(CollectionScan.inRange(bytes("x"), start, CollectionScan.POSITIONS)).isFalse();
    }

    @Test
    void positionsAreFixedAndSpread() {
        assertThat(CollectionScan.position(bytes("field:1"))).isEqualTo(CollectionScan.position(bytes("field:1")));
        int[] buckets = new int[16];
        for (int i = 0; i < 16_000; i++) {
            long p = CollectionScan.position(bytes("k" + i));
            assertThat(p).isBetween(0L, CollectionScan.POSITIONS - 1);
            buckets[(int) (p >>> 28)]++;
        }
        for (int b : buckets) {
            assertThat(b).as("elements per sixteenth of the space").isBetween(800, 1200);
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "10, 3", "10, 5", "10, 10", "1000, 7", "1000, 499", "1000, 500", "1000000, 20"})
    void distinctPicksAreDistinctAndInRange(int n, int k) {
        for (int round = 0; round < 20; round++) {
            int[] picked = RandomIndices.distinct(n, k);
            assertThat(picked).hasSize(k).doesNotHaveDuplicates();
            for (int i : picked) {
                assertThat(i).isBetween(0, n - 1);
            }
        }
    }

    @Test
    void distinctPicksReachEveryIndex() {
        int[] hits = new int[20];
        for (int round = 0; round < 4000; round++) {
            for (int i : RandomIndices.distinct(20, 3)) {
                hits[i]++;
            }
        }
        // 12000 picks over 20 indices: 600 each on average.
        for (int h : hits) {
            assertThat(h).isBetween(450, 750);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
