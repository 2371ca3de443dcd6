package io.converge.crdt;

import static io.converge.crdt.NetworkStep.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.codec.CrdtReader;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The add-wins set: operations, deltas, and the named conflict cases of DESIGN.md §1. */
class SetValueTest {

    private static final int A = 1;
    private static final int B = 2;
    private static final int C = 3;

    @Test
    void addRemoveAndMembership() {
        SetValue s = new SetValue();
        s.add(bytes("x"), 10, A);
        s.add(bytes("y"), 11, A);
        s.add(bytes("x"), 12, A);
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.contains(bytes("x"))).isTrue();
        assertThat(s.remove(bytes("x"), 13, A)).isNotNull();
        assertThat(s.contains(bytes("x"))).isFalse();
        assertThat(s.remove(bytes("x"), 14, A)).as("absent member: nothing to replicate").isNull();
        assertThat(s.size()).isEqualTo(1);
        assertThat(s.memberAt(0)).isEqualTo(bytes("y"));
    }

    @Test
    void addDeltaCarriesTheNewDotAndTheDotsItReplaces() {
        SetValue s = new SetValue();
        s.add(bytes("x"), 10, A);
        SetValue d = s.add(bytes("x"), 11, A);
        assertThat(d.isDelta()).isTrue();
        assertThat(d.size()).isEqualTo(1);
        assertThat(d.context().contains(A, 1)).as("replaced dot").isTrue();
        assertThat(d.context().contains(A, 2)).as("new dot").isTrue();
        assertThat(d.lastWriteHlc()).isEqualTo(11);
        assertThat(d.lastWriteNode()).isEqualTo(A);
    }

    @Test
    void removeDeltaHasNoMembersAndTheRemovedDots() {
        SetValue s = new SetValue();
        s.add(bytes("x"), 10, A);
        SetValue d = s.remove(bytes("x"), 11, A);
        assertThat(d.isEmpty()).isTrue();
        assertThat(d.context().contains(A, 1)).isTrue();
        SetValue elsewhere = new SetValue();
        elsewhere.merge(s.copy());
        elsewhere.merge(d);
        assertThat(elsewhere.isEmpty()).isTrue();
    }

    @Test
    void sremConcurrentWithSaddOfTheSameMemberAddWins() {
        SetValue a = new SetValue();
        SetValue b = new SetValue();
        b.merge(a.add(bytes("x"), 10, A));
        // Concurrently: B removes x (it saw A's add), A adds x again.
        SetValue remove = b.remove(bytes("x"), 20, B);
        SetValue readd = a.add(bytes("x"), 15, A);
        a.merge(remove);
        b.merge(readd);
        assertThat(a.contains(bytes("x"))).isTrue();
        assertThat(b.contains(bytes("x"))).isTrue();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void sremConcurrentWithSaddAtAThirdReplicaAddWins() {
        SetValue a = new SetValue();
        SetValue b = new SetValue();
        SetValue c = new SetValue();
        SetValue addA = a.add(bytes("x"), 10, A);
        b.merge(addA);
        SetValue addC = c.add(bytes("x"), 11, C); // C never saw A's add
        SetValue remB = b.remove(bytes("x"), 12, B);
        for (SetValue s : new SetValue[] {a, b, c}) {
            s.merge(addA);
            s.merge(addC);
            s.merge(remB);
        }
        assertThat(a.contains(bytes("x"))).isTrue();
        assertThat(a).isEqualTo(b).isEqualTo(c);
        assertThat(a.context().contains(A, 1)).isTrue();
    }

    @Test
    void sremAfterSaddRemovesEverywhere() {
        SetValue a = new SetValue();
        SetValue b = new SetValue();
        b.merge(a.add(bytes("x"), 10, A));
        a.merge(b.remove(bytes("x"), 11, B));
        assertThat(a.contains(bytes("x"))).isFalse();
        assertThat(a.isEmpty()).isTrue();
    }

    @Test
    void delConcurrentWithSaddKeepsOnlyTheUnobservedAdd() {
        SetValue a = new SetValue();
        SetValue b = new SetValue();
        b.merge(a.add(bytes("x"), 10, A));
        b.merge(a.add(bytes("y"), 11, A));
        // B deletes the key (observing x and y); concurrently A adds z.
        CausalContext observed = b.context().copy();
        b.removeObserved(observed);
        SetValue addZ = a.add(bytes("z"), 12, A);
        a.merge(SetValue.removalOf(observed));
        b.merge(addZ);
        assertThat(sorted(a)).containsExactly("z");
        assertThat(a).isEqualTo(b);
    }

    @Test
    void delConcurrentWithReaddOfAnObservedMemberKeepsIt() {
        SetValue a = new SetValue();
        SetValue b = new SetValue();
        b.merge(a.add(bytes("x"), 10, A));
        CausalContext observed = b.context().copy();
        b.removeObserved(observed);
        SetValue readd = a.add(bytes("x"), 11, A);
        a.merge(SetValue.removalOf(observed));
        b.merge(readd);
        assertThat(sorted(a)).containsExactly("x");
        assertThat(sorted(b)).containsExactly("x");
    }

    @Test
    void lastWriteIsTheGreatestStampAndDelDoesNotMoveIt() {
        SetValue a = new SetValue();
        a.add(bytes("x"), 10, B);
        a.add(bytes("y"), 10, A);
        assertThat(a.lastWriteHlc()).isEqualTo(10);
        assertThat(a.lastWriteNode()).isEqualTo(B);
        SetValue other = new SetValue();
        other.remove(bytes("q"), 99, C); // absent: no write
        other.add(bytes("q"), 30, C);
        a.merge(other);
        assertThat(a.lastWriteHlc()).isEqualTo(30);
        a.removeObserved(a.context().copy());
        assertThat(a.lastWriteHlc()).isEqualTo(30);
    }

    @Test
    void aDeltaMergedIntoAnEmptyStateGivesAFullState() {
        SetValue a = new SetValue();
        a.add(bytes("x"), 1, A);
        SetValue d = a.remove(bytes("x"), 2, A);
        SetValue fresh = new SetValue();
        fresh.merge(d);
        assertThat(fresh.isDelta()).isFalse();
        assertThat(fresh.isEmpty()).isTrue();
        assertThat(fresh.context().contains(A, 1)).isTrue();
    }

    @Test
    void largeSetsKeepLookupAndRandomAccessConsistent() {
        SetValue s = new SetValue();
        Set<String> model = new HashSet<>();
        for (int i = 0; i < 5000; i++) {
            s.add(bytes("m" + i), i, A);
            model.add("m" + i);
        }
        for (int i = 0; i < 5000; i += 3) {
            s.remove(bytes("m" + i), 10_000 + i, A);
            model.remove("m" + i);
        }
        assertThat(s.size()).isEqualTo(model.size());
        Set<String> listed = new HashSet<>();
        for (int i = 0; i < s.size(); i++) {
            listed.add(new String(s.memberAt(i)));
        }
        assertThat(listed).isEqualTo(model);
        for (int i = 0; i < 5000; i++) {
            assertThat(s.contains(bytes("m" + i))).isEqualTo(i % 3 != 0);
        }
        SetValue copy = SetValue.decode(new CrdtReader(SetValueProperties.encode(s)));
        assertThat(copy).isEqualTo(s);
    }

    @Test
    void equalStatesReachedInDifferentOrdersEncodeIdentically() {
        SetValue a = new SetValue();
        SetValue b = new SetValue();
        SetValue d1 = a.add(bytes("k"), 1, A);
        SetValue d2 = a.add(bytes("c"), 2, A);
        SetValue d3 = b.add(bytes("a"), 3, B);
        SetValue x = new SetValue();
        x.merge(d3);
        x.merge(d1);
        x.merge(d2);
        SetValue y = new SetValue();
        y.merge(d2);
        y.merge(d1);
        y.merge(d3);
        assertThat(SetValueProperties.encode(x)).isEqualTo(SetValueProperties.encode(y));
    }

    private static java.util.List<String> sorted(SetValue s) {
        java.util.List<String> out = new java.util.ArrayList<>();
        s.forEachMember(m -> out.add(new String(m)));
        out.sort(null);
        return out;
    }
}
