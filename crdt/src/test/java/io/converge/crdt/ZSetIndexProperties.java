package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The ordered index against a naive sorted list, and its balance invariants. */
class ZSetIndexProperties {

    /** Scores with ties, signed zeros and infinities. */
    static final double[] SCORES = {
        Double.NEGATIVE_INFINITY, -2.5, -1, -0.0, 0.0, 1, 1, 2.5, 3, Double.POSITIVE_INFINITY};

    @Provide
    Arbitrary<List<int[]>> ops() {
        // {insert?, member, score index}
        return Arbitraries.integers().between(0, 2).flatMap(kind ->
                Arbitraries.integers().between(0, 29).flatMap(member ->
                        Arbitraries.integers().between(0, SCORES.length - 1).map(s -> new int[] {kind, member, s})))
                .list().ofMaxSize(150);
    }

    @Property(tries = 300)
    void indexAgreesWithASortedModel(@ForAll("ops") List<int[]> ops, @ForAll long seed) {
        ZSetIndex index = new ZSetIndex();
        Map<String, ZSetIndex.Node> nodes = new HashMap<>();
        TreeSet<ZSetIndex.Node> model = new TreeSet<>(
                (x, y) -> ZSetIndex.compare(x.score, x.member, y.score, y.member));
        for (int[] op : ops) {
            String name = "member-" + op[1];
            ZSetIndex.Node existing = nodes.remove(name);
            if (existing != null) {
                index.remove(existing);
                model.remove(existing);
            }
            if (op[0] > 0) {
                ZSetIndex.Node n = new ZSetIndex.Node(NetworkStep.bytes(name), SCORES[op[2]]);
                index.insert(n);
                model.add(n);
                nodes.put(name, n);
            }
        }
        index.checkInvariants();
        checkAgainstModel(index, new ArrayList<>(model), new Random(seed));
    }

    @Property(tries = 300)
    void lexQueriesAgreeWhenAllScoresAreEqual(@ForAll("ops") List<int[]> ops, @ForAll long seed) {
        ZSetIndex index = new ZSetIndex();
        Map<String, ZSetIndex.Node> nodes = new HashMap<>();
        for (int[] op : ops) {
            String name = "m" + op[1];
            ZSetIndex.Node existing = nodes.remove(name);
            if (existing != null) {
                index.remove(existing);
            }
            if (op[0] > 0) {
                ZSetIndex.Node n = new ZSetIndex.Node(NetworkStep.bytes(name), 7.0);
                index.insert(n);
                nodes.put(name, n);
            }
        }
        List<byte[]> sorted = new ArrayList<>();
        for (ZSetIndex.Node n : nodes.values()) {
            sorted.add(n.member);
        }
        sorted.sort(Arrays::compareUnsigned);
        Random random = new Random(seed);
        for (int q = 0; q < 20; q++) {
            LexBound min = randomLexBound(random);
            LexBound max = randomLexBound(random);
            int expectedFirst = 0;
            while (expectedFirst < sorted.size() && !aboveLower(sorted.get(expectedFirst), min)) {
                expectedFirst++;
            }
            int expectedEnd = sorted.size();
            while (expectedEnd > 0 && !belowUpper(sorted.get(expectedEnd - 1), max)) {
                expectedEnd--;
            }
            long expectedCount = sorted.stream().filter(m -> aboveLower(m, min) && belowUpper(m, max)).count();
            assertThat(index.firstRankInLex(min)).as("first %s", min).isEqualTo(expectedFirst);
            assertThat(index.endRankInLex(max)).as("end %s", max).isEqualTo(expectedEnd);
            assertThat(index.countInLex(min, max)).as("count %s %s", min, max).isEqualTo((int) expectedCount);
        }
    }

    @Test
    void largeTreesStayBalancedAndIterable() {
        ZSetIndex index = new ZSetIndex();
        Random random = new Random(42);
        List<ZSetIndex.Node> inserted = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            // Ascending scores are the worst case for an unbalanced tree.
            ZSetIndex.Node n = new ZSetIndex.Node(NetworkStep.bytes("m" + i), i);
            index.insert(n);
            inserted.add(n);
        }
        for (int i = 0; i < 25_000; i++) {
            index.remove(inserted.remove(random.nextInt(inserted.size())));
        }
        index.checkInvariants();
        assertThat(index.size()).isEqualTo(25_000);
        int[] seen = {0};
        double[] last = {Double.NEGATIVE_INFINITY};
        index.forEachInRankRange(0, index.size(), false, (m, s) -> {
            assertThat(s).isGreaterThan(last[0]);
            last[0] = s;
            seen[0]++;
        });
        assertThat(seen[0]).isEqualTo(25_000);
    }

    // ------------------------------------------------------------------ shared checks

    /** Checks every query of {@code index} against {@code model}, the same members in order. */
    static void checkAgainstModel(ZSetIndex index, List<ZSetIndex.Node> model, Random random) {
        assertThat(index.size()).isEqualTo(model.size());
        for (int r = 0; r < model.size(); r++) {
            assertThat(index.memberAt(r)).isEqualTo(model.get(r).member);
            assertThat(index.scoreAt(r)).isEqualTo(model.get(r).score);
            assertThat(index.rankOf(model.get(r))).isEqualTo(r);
        }
        for (int q = 0; q < 20; q++) {
            double min = SCORES[random.nextInt(SCORES.length)];
            double max = SCORES[random.nextInt(SCORES.length)];
            boolean minEx = random.nextBoolean();
            boolean maxEx = random.nextBoolean();
            int first = 0;
            while (first < model.size() && !(minEx ? model.get(first).score > min : model.get(first).score >= min)) {
                first++;
            }
            int end = model.size();
            while (end > 0 && !(maxEx ? model.get(end - 1).score < max : model.get(end - 1).score <= max)) {
                end--;
            }
            long count = model.stream().filter(n -> (minEx ? n.score > min : n.score >= min)
                    && (maxEx ? n.score < max : n.score <= max)).count();
            assertThat(index.firstRankInScore(min, minEx)).isEqualTo(first);
            assertThat(index.endRankInScore(max, maxEx)).isEqualTo(end);
            assertThat(index.countInScore(min, minEx, max, maxEx)).isEqualTo((int) count);
        }
        for (int q = 0; q < 10; q++) {
            int start = random.nextInt(model.size() + 1);
            int end = start + random.nextInt(model.size() - start + 1);
            boolean reverse = random.nextBoolean();
            List<byte[]> expected = new ArrayList<>();
            for (int r = start; r < end; r++) {
                expected.add(model.get(r).member);
            }
            if (reverse) {
                java.util.Collections.reverse(expected);
            }
            List<byte[]> actual = new ArrayList<>();
            index.forEachInRankRange(start, end, reverse, (m, s) -> actual.add(m));
            assertThat(actual).containsExactlyElementsOf(expected);
        }
    }

    static LexBound randomLexBound(Random random) {
        int k = random.nextInt(10);
        if (k == 0) {
            return LexBound.MIN;
        }
        if (k == 1) {
            return LexBound.MAX;
        }
        byte[] v = NetworkStep.bytes("m" + random.nextInt(35));
        return random.nextBoolean() ? LexBound.inclusive(v) : LexBound.exclusive(v);
    }

    static boolean aboveLower(byte[] m, LexBound min) {
        if (min.isMin()) {
            return true;
        }
        if (min.isMax()) {
            return false;
        }
        int c = Arrays.compareUnsigned(m, min.value());
        return min.isExclusive() ? c > 0 : c >= 0;
    }

    static boolean belowUpper(byte[] m, LexBound max) {
        if (max.isMax()) {
            return true;
        }
        if (max.isMin()) {
            return false;
        }
        int c = Arrays.compareUnsigned(m, max.value());
        return max.isExclusive() ? c < 0 : c <= 0;
    }
}
