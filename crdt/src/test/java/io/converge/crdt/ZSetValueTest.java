package io.converge.crdt;

import static io.converge.crdt.NetworkStep.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sorted set: operations, queries, and the named conflict cases of DESIGN.md §1. */
class ZSetValueTest {

    private static final int A = 1;
    private static final int B = 2;
    private static final int C = 3;

    @Test
    void zaddScoresRanksAndRanges() {
        ZSetValue z = new ZSetValue();
        z.add(bytes("one"), 1, 1, A);
        z.add(bytes("two"), 2, 2, A);
        z.add(bytes("three"), 3, 3, A);
        z.add(bytes("uno"), 1, 4, A);
        assertThat(z.size()).isEqualTo(4);
        assertThat(z.score(bytes("two"))).isEqualTo(2.0);
        assertThat(z.rank(bytes("one"))).isEqualTo(0);
        assertThat(z.rank(bytes("uno"))).as("ties order by member bytes").isEqualTo(1);
        assertThat(z.revRank(bytes("three"))).isEqualTo(0);
        ZSetIndex ix = z.index();
        assertThat(ix.countInScore(1, true, 3, false)).isEqualTo(2);
        assertThat(ix.countInScore(Double.NEGATIVE_INFINITY, false, Double.POSITIVE_INFINITY, false)).isEqualTo(4);
        assertThat(members(z, ix.firstRankInScore(2, false), ix.endRankInScore(3, false), false))
                .containsExactly("two", "three");
        assertThat(members(z, 0, 4, true)).containsExactly("three", "two", "uno", "one");
        z.add(bytes("one"), 10, 5, A);
        assertThat(members(z, 0, 4, false)).containsExactly("uno", "two", "three", "one");
    }

    @Test
    void zaddConcurrentWithZincrbyZaddWinsOverTheUnseenIncrement() {
        for (long zaddHlc : new long[] {20, 40}) { // before and after the increment in HLC order
            ZSetValue a = new ZSetValue();
            ZSetValue b = new ZSetValue();
            b.merge(a.add(bytes("m"), 10, 10, A));
            ZSetValue zadd = a.add(bytes("m"), 5, zaddHlc, A);
            ZSetValue incr = b.incrBy(bytes("m"), 3, 30, B);
            assertThat(b.score(bytes("m"))).isEqualTo(13.0);
            a.merge(incr);
            b.merge(zadd);
            assertThat(a.score(bytes("m"))).as("ZADD at %d", zaddHlc).isEqualTo(5.0);
            assertThat(b).isEqualTo(a);
        }
    }

    @Test
    void zincrbyAfterAnObservedZaddAddsToIt() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        b.merge(a.add(bytes("m"), 10, 10, A));
        a.merge(b.incrBy(bytes("m"), 2.5, 11, B));
        assertThat(a.score(bytes("m"))).isEqualTo(12.5);
    }

    @Test
    void concurrentZincrbysSum() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        ZSetValue c = new ZSetValue();
        ZSetValue base = a.add(bytes("m"), 10, 10, A);
        b.merge(base);
        c.merge(base);
        ZSetValue ia = a.incrBy(bytes("m"), 1, 11, A);
        ZSetValue ib1 = b.incrBy(bytes("m"), 2, 12, B);
        ZSetValue ib2 = b.incrBy(bytes("m"), 3, 13, B);
        ZSetValue ic = c.incrBy(bytes("m"), 4, 14, C);
        for (ZSetValue z : new ZSetValue[] {a, b, c}) {
            z.merge(ic);
            z.merge(ib2);
            z.merge(ia);
            z.merge(ib1); // stale: B's later running sum already covers it
        }
        assertThat(a.score(bytes("m"))).isEqualTo(20.0);
        assertThat(a).isEqualTo(b).isEqualTo(c);
    }

    @Test
    void zincrbyOnAbsentMembersCreatesThemAndConcurrentOnesSum() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        ZSetValue ia = a.incrBy(bytes("m"), 2, 1, A);
        ZSetValue ib = b.incrBy(bytes("m"), 5, 2, B);
        assertThat(a.score(bytes("m"))).isEqualTo(2.0);
        a.merge(ib);
        b.merge(ia);
        assertThat(a.score(bytes("m"))).isEqualTo(7.0);
        assertThat(b).isEqualTo(a);
    }

    @Test
    void concurrentZaddsLatestStampWinsAndTiesBreakOnNode() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        ZSetValue da = a.add(bytes("m"), 1, 50, A);
        ZSetValue db = b.add(bytes("m"), 2, 40, B);
        a.merge(db);
        b.merge(da);
        assertThat(a.score(bytes("m"))).isEqualTo(1.0);
        assertThat(b).isEqualTo(a);

        ZSetValue x = new ZSetValue();
        ZSetValue y = new ZSetValue();
        ZSetValue dx = x.add(bytes("m"), 1, 50, A);
        ZSetValue dy = y.add(bytes("m"), 2, 50, B);
        x.merge(dy);
        y.merge(dx);
        assertThat(x.score(bytes("m"))).as("same HLC: greater node wins").isEqualTo(2.0);
        assertThat(y).isEqualTo(x);
    }

    @Test
    void zremConcurrentWithZincrbyKeepsTheMemberWithTheIncrementersScore() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        b.merge(a.add(bytes("m"), 10, 10, A));
        b.merge(a.incrBy(bytes("m"), 1, 11, A));
        // B removes m having seen 10 + 1; concurrently A increments again (A's running sum is 3).
        ZSetValue rem = b.remove(bytes("m"), 20, B);
        ZSetValue incr = a.incrBy(bytes("m"), 2, 21, A);
        a.merge(rem);
        b.merge(incr);
        assertThat(a.contains(bytes("m"))).as("add wins").isTrue();
        assertThat(a.score(bytes("m"))).isEqualTo(13.0);
        assertThat(b).isEqualTo(a);
    }

    @Test
    void zremAfterObservedWritesRemoves() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        b.merge(a.add(bytes("m"), 10, 10, A));
        b.merge(a.incrBy(bytes("m"), 1, 11, A));
        a.merge(b.remove(bytes("m"), 12, B));
        assertThat(a.isEmpty()).isTrue();
        // Re-created afterwards by an increment: starts from nothing, as in Redis.
        a.incrBy(bytes("m"), 4, 13, A);
        assertThat(a.score(bytes("m"))).isEqualTo(4.0);
    }

    @Test
    void delConcurrentWithZaddKeepsOnlyTheUnobservedWrite() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        b.merge(a.add(bytes("x"), 1, 10, A));
        b.merge(a.add(bytes("y"), 2, 11, A));
        CausalContext observed = b.context().copy();
        b.removeObserved(observed);
        ZSetValue zadd = a.add(bytes("z"), 3, 5, A); // unseen by the DEL, even with a lower HLC
        ZSetValue incr = a.incrBy(bytes("y"), 7, 6, A); // unseen: y survives with its full score
        a.merge(ZSetValue.removalOf(observed));
        b.merge(zadd);
        b.merge(incr);
        assertThat(members(a, 0, a.size(), false)).containsExactly("z", "y");
        assertThat(a.score(bytes("z"))).isEqualTo(3.0);
        assertThat(a.score(bytes("y"))).isEqualTo(9.0);
        assertThat(b).isEqualTo(a);
    }

    @Test
    void nanIsRefusedAndLeavesTheStateUnchanged() {
        ZSetValue z = new ZSetValue();
        assertThatThrownBy(() -> z.add(bytes("m"), Double.NaN, 1, A)).isInstanceOf(IllegalArgumentException.class);
        z.add(bytes("m"), Double.POSITIVE_INFINITY, 2, A);
        ZSetValue before = z.copy();
        assertThatThrownBy(() -> z.incrBy(bytes("m"), Double.NEGATIVE_INFINITY, 3, A))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> z.incrBy(bytes("m"), Double.NaN, 4, A)).isInstanceOf(IllegalArgumentException.class);
        assertThat(z).isEqualTo(before);
        assertThat(z.score(bytes("m"))).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void concurrentOppositeInfiniteIncrementsFallBackToTheBase() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        b.merge(a.add(bytes("m"), 4, 1, A));
        ZSetValue ia = a.incrBy(bytes("m"), Double.POSITIVE_INFINITY, 2, A);
        ZSetValue ib = b.incrBy(bytes("m"), Double.NEGATIVE_INFINITY, 3, B);
        a.merge(ib);
        b.merge(ia);
        assertThat(a.score(bytes("m"))).isEqualTo(4.0);
        assertThat(b).isEqualTo(a);
        a.index().checkInvariants();
    }

    @Test
    void negativeZeroIsStoredAsZero() {
        ZSetValue z = new ZSetValue();
        z.add(bytes("b"), -0.0, 1, A);
        z.incrBy(bytes("a"), -0.0, 2, A);
        assertThat(Double.doubleToRawLongBits(z.score(bytes("b")))).isEqualTo(0L);
        assertThat(Double.doubleToRawLongBits(z.score(bytes("a")))).isEqualTo(0L);
        assertThat(members(z, 0, 2, false)).containsExactly("a", "b");
    }

    @Test
    void popsRemoveTheExtremesAndReplicate() {
        ZSetValue a = new ZSetValue();
        a.add(bytes("lo"), -1, 1, A);
        a.add(bytes("mid"), 0, 2, A);
        a.add(bytes("hi"), 1, 3, A);
        ZSetValue b = a.copy();
        List<String> popped = new ArrayList<>();
        ZSetValue d1 = a.popMin(4, A, (m, s) -> popped.add(new String(m) + "=" + s));
        ZSetValue d2 = a.popMax(5, A, (m, s) -> popped.add(new String(m) + "=" + s));
        assertThat(popped).containsExactly("lo=-1.0", "hi=1.0");
        b.merge(d1);
        b.merge(d2);
        assertThat(members(b, 0, b.size(), false)).containsExactly("mid");
        assertThat(new ZSetValue().popMin(6, A, (m, s) -> popped.add("unexpected"))).isNull();
        assertThat(popped).hasSize(2);
    }

    @Test
    void lexRangesFollowRedisBounds() {
        ZSetValue z = new ZSetValue();
        for (String m : new String[] {"a", "b", "c", "d", "e"}) {
            z.add(bytes(m), 0, 1, A);
        }
        ZSetIndex ix = z.index();
        assertThat(ix.countInLex(LexBound.MIN, LexBound.MAX)).isEqualTo(5);
        assertThat(ix.countInLex(LexBound.inclusive(bytes("b")), LexBound.exclusive(bytes("d")))).isEqualTo(2);
        assertThat(ix.countInLex(LexBound.exclusive(bytes("b")), LexBound.inclusive(bytes("d")))).isEqualTo(2);
        assertThat(ix.countInLex(LexBound.MAX, LexBound.MIN)).isZero();
        assertThat(members(z, ix.firstRankInLex(LexBound.exclusive(bytes("a"))),
                ix.endRankInLex(LexBound.inclusive(bytes("c"))), false)).containsExactly("b", "c");
        assertThat(ix.firstRankInLex(LexBound.inclusive(bytes("bb")))).isEqualTo(2);
    }

    @Test
    void mergingADeltaRepositionsTheMemberInTheIndex() {
        ZSetValue a = new ZSetValue();
        ZSetValue b = new ZSetValue();
        for (int i = 0; i < 100; i++) {
            b.merge(a.add(bytes("m" + i), i, i + 1, A));
        }
        b.merge(a.incrBy(bytes("m0"), 1000, 200, A));
        assertThat(b.rank(bytes("m0"))).isEqualTo(99);
        assertThat(b.index().memberAt(0)).isEqualTo(bytes("m1"));
        b.merge(a.remove(bytes("m50"), 201, A));
        assertThat(b.size()).isEqualTo(99);
        b.index().checkInvariants();
        assertThat(b).isEqualTo(a);
    }

    private static List<String> members(ZSetValue z, int start, int end, boolean reverse) {
        List<String> out = new ArrayList<>();
        z.index().forEachInRankRange(start, end, reverse, (m, s) -> out.add(new String(m)));
        return out;
    }
}
