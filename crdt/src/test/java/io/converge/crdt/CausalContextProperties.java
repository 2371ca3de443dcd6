package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The causal context against a model (a plain set of dots): every operation must leave it
 * holding exactly the model's dots, whatever mix of prefixes, single dots and merges built it,
 * and its derived answers (prefix, highest counter, cloud size, inclusion, equality, codec) must
 * agree with the model.
 */
class CausalContextProperties {

    private static final int NODES = 4;
    private static final int COUNTERS = 40;

    /** One step: 0 = add a dot, 1 = add a prefix, 2 = merge a context built from dots, 3 = next. */
    record Step(int kind, int node, int counter, List<Integer> dots) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> kind = Arbitraries.integers().between(0, 9).map(k -> k < 5 ? 0 : k < 7 ? 1 : k < 9 ? 2 : 3);
        Arbitrary<Integer> node = Arbitraries.integers().between(0, NODES - 1);
        Arbitrary<Integer> counter = Arbitraries.integers().between(1, COUNTERS);
        // Dots of a merged context, encoded as node * COUNTERS + counter - 1; up to 40 of them
        // so merges of many runs (the linear path) are exercised too.
        Arbitrary<List<Integer>> dots = Arbitraries.integers().between(0, NODES * COUNTERS - 1).list().ofMaxSize(40);
        return Combinators.combine(kind, node, counter, dots).as(Step::new).list().ofMaxSize(60);
    }

    @Property(tries = 300)
    void holdsExactlyTheModelsDots(@ForAll("steps") List<Step> steps) {
        CausalContext ctx = new CausalContext();
        Set<Dot> model = new TreeSet<>();
        for (Step s : steps) {
            switch (s.kind()) {
                case 0 -> {
                    ctx.add(s.node(), s.counter());
                    model.add(new Dot(s.node(), s.counter()));
                }
                case 1 -> {
                    ctx.addPrefix(s.node(), s.counter());
                    for (int c = 1; c <= s.counter(); c++) {
                        model.add(new Dot(s.node(), c));
                    }
                }
                case 2 -> {
                    CausalContext other = fromDots(s.dots());
                    boolean included = model.containsAll(dotsOf(s.dots()));
                    assertThat(ctx.includes(other)).isEqualTo(included);
                    ctx.merge(other);
                    model.addAll(dotsOf(s.dots()));
                    assertThat(ctx.includes(other)).isTrue();
                }
                default -> {
                    long expected = maxCounter(model, s.node()) + 1;
                    Dot d = ctx.next(s.node());
                    assertThat(d).isEqualTo(new Dot(s.node(), expected));
                    model.add(d);
                }
            }
            assertMatches(ctx, model);
        }
    }

    @Property(tries = 200)
    void equalDotSetsAreEqualContextsWhateverTheConstructionOrder(@ForAll("steps") List<Step> steps) {
        CausalContext forward = new CausalContext();
        CausalContext backward = new CausalContext();
        Set<Dot> model = new TreeSet<>();
        for (Step s : steps) {
            model.add(new Dot(s.node(), s.counter()));
            model.addAll(dotsOf(s.dots()));
        }
        for (Dot d : model) {
            forward.add(d);
        }
        for (Dot d : ((TreeSet<Dot>) model).descendingSet()) {
            backward.add(d);
        }
        assertThat(forward).isEqualTo(backward);
        assertThat(forward.hashCode()).isEqualTo(backward.hashCode());
        assertThat(forward.copy()).isEqualTo(forward);
        assertThat(forward.toString()).isEqualTo(backward.toString());
        assertMatches(backward, model);
    }

    @Test
    void aDotBeyondAGapStaysOutOfThePrefixUntilTheGapFills() {
        CausalContext ctx = new CausalContext();
        ctx.add(1, 3);
        ctx.add(1, 5);
        assertThat(ctx.contiguousMax(1)).isZero();
        assertThat(ctx.cloudSize()).isEqualTo(2);
        assertThat(ctx.contains(1, 2)).isFalse();
        assertThat(ctx.maxCounter(1)).isEqualTo(5);
        ctx.add(1, 1);
        ctx.add(1, 2);
        assertThat(ctx.contiguousMax(1)).isEqualTo(3);
        ctx.add(1, 4);
        assertThat(ctx.contiguousMax(1)).isEqualTo(5);
        assertThat(ctx.cloudSize()).isZero();
    }

    @Test
    void decodingRefusesDotsOutOfOrder() {
        CrdtWriter w = new CrdtWriter();
        w.writeVarInt(0);
        w.writeVarInt(2);
        w.writeVarInt(1).writeVarLong(9);
        w.writeVarInt(1).writeVarLong(4);
        assertThatThrownBy(() -> CausalContext.decode(new CrdtReader(w.toByteArray())))
                .isInstanceOf(CrdtCodecException.class);

        CrdtWriter v = new CrdtWriter();
        v.writeVarInt(2);
        v.writeVarInt(3).writeVarLong(1);
        v.writeVarInt(2).writeVarLong(1);
        v.writeVarInt(0);
        assertThatThrownBy(() -> CausalContext.decode(new CrdtReader(v.toByteArray())))
                .isInstanceOf(CrdtCodecException.class);
    }

    private static void assertMatches(CausalContext ctx, Set<Dot> model) {
        for (int n = 0; n < NODES; n++) {
            long prefix = 0;
            while (model.contains(new Dot(n, prefix + 1))) {
                prefix++;
            }
            assertThat(ctx.contiguousMax(n)).as("prefix of %d in %s", n, ctx).isEqualTo(prefix);
            assertThat(ctx.maxCounter(n)).isEqualTo(maxCounter(model, n));
            for (int c = 1; c <= COUNTERS + 5; c++) {
                assertThat(ctx.contains(n, c)).as("dot %d:%d in %s", n, c, ctx).isEqualTo(model.contains(new Dot(n, c)));
            }
        }
        long inPrefixes = 0;
        for (int i = 0; i < ctx.nodeCount(); i++) {
            inPrefixes += ctx.maxAt(i);
        }
        assertThat(inPrefixes + ctx.cloudSize()).isEqualTo(model.size());
        assertThat(ctx.isEmpty()).isEqualTo(model.isEmpty());

        CrdtWriter w = new CrdtWriter();
        ctx.encode(w);
        CrdtReader r = new CrdtReader(w.toByteArray());
        CausalContext decoded = CausalContext.decode(r);
        r.expectEnd();
        assertThat(decoded).isEqualTo(ctx);
        assertThat(decoded.includes(ctx) && ctx.includes(decoded)).isTrue();
    }

    private static long maxCounter(Set<Dot> model, int node) {
        long max = 0;
        for (Dot d : model) {
            if (d.node() == node) {
                max = Math.max(max, d.counter());
            }
        }
        return max;
    }

    private static Set<Dot> dotsOf(List<Integer> codes) {
        Set<Dot> dots = new TreeSet<>();
        for (int code : codes) {
            dots.add(new Dot(code / COUNTERS, code % COUNTERS + 1));
        }
        return dots;
    }

    private static CausalContext fromDots(List<Integer> codes) {
        CausalContext c = new CausalContext();
        for (Dot d : dotsOf(codes)) {
            c.add(d);
        }
        return c;
    }
}
