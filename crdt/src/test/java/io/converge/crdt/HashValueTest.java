package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class HashValueTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static Map<String, String> view(HashValue h) {
        Map<String, String> m = new TreeMap<>();
        h.forEach((f, v) -> m.put(s(f), s(v)));
        return m;
    }

    @Test
    void hdelTombstoneStopsAnOlderHsetArrivingLate() {
        HashValue a = new HashValue();
        HashValue b = new HashValue();
        HashValue set1 = a.hset(b("f"), b("v1"), 10, 1);
        b.merge(set1);
        HashValue olderSet = a.hset(b("f"), b("v2"), 20, 1); // not yet at b
        HashValue del = b.hdel(b("f"), 30, 2);
        b.merge(olderSet);
        a.merge(del);
        assertThat(a.get(b("f"))).isNull();
        assertThat(b.get(b("f"))).isNull();
        assertThat(a.size()).isZero();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void hsetStampedAfterTheHdelSurvivesIt() {
        HashValue a = new HashValue();
        HashValue b = new HashValue();
        b.merge(a.hset(b("f"), b("v1"), 10, 1));
        HashValue del = b.hdel(b("f"), 20, 2);
        HashValue newer = a.hset(b("f"), b("v3"), 25, 1); // concurrent with the HDEL, stamped later
        a.merge(del);
        b.merge(newer);
        assertThat(s(a.get(b("f")))).isEqualTo("v3");
        assertThat(a).isEqualTo(b);
        assertThat(a.size()).isEqualTo(1);
    }

    @Test
    void hdelOfAMissingFieldWritesNothing() {
        HashValue h = new HashValue();
        assertThat(h.hdel(b("nope"), 10, 1)).isNull();
        assertThat(h.isEmpty()).isTrue();
    }

    @Test
    void hincrbyCountsConcurrentIncrementsAndRespectsHset() {
        HashValue a = new HashValue();
        HashValue b = new HashValue();
        b.merge(a.hset(b("n"), b("10"), 10, 1));
        HashValue ia = a.hincrBy(b("n"), 5, 20, 1);
        HashValue ib = b.hincrBy(b("n"), 7, 21, 2);
        a.merge(ib);
        b.merge(ia);
        assertThat(a.field(b("n")).longValue()).isEqualTo(22);
        assertThat(a).isEqualTo(b);
        HashValue fresh = a.hincrBy(b("m"), -4, 30, 1);
        b.merge(fresh);
        assertThat(s(b.get(b("m")))).isEqualTo("-4");
        HashValue flt = b.hincrByFloat(b("m"), b("0.5"), 31, 2);
        a.merge(flt);
        assertThat(s(a.get(b("m")))).isEqualTo("-3.5");
        assertThat(view(a)).containsExactly(Map.entry("m", "-3.5"), Map.entry("n", "22"));
        assertThatThrownBy(() -> a.hincrBy(b("m"), 1, 40, 1)).isSameAs(CounterException.NOT_AN_INTEGER);
        assertThat(CounterException.NOT_AN_INTEGER.reason().hashMessage()).isEqualTo("hash value is not an integer");
    }

    @Test
    void keyLevelDeleteRemovesOlderFieldsButNotNewerOnes() {
        HashValue a = new HashValue();
        a.hset(b("old"), b("1"), 10, 1);
        a.hincrBy(b("cnt"), 3, 11, 1);
        HashValue b = a.copy();
        HashValue newer = a.hset(b("new"), b("2"), 30, 1);
        b.removeUpTo(20, 2);
        HashValue after = b.hincrBy(b("cnt"), 1, 40, 2); // counts from zero after the delete
        b.merge(newer);
        a.removeUpTo(20, 2);
        a.merge(after);
        assertThat(view(a)).containsExactly(Map.entry("cnt", "1"), Map.entry("new", "2"));
        assertThat(a).isEqualTo(b);
        assertThat(a.size()).isEqualTo(2);
    }

    @Test
    void gcDropsStableTombstonesAndLaterIncrementsStillCountEverywhere() {
        HashValue a = new HashValue();
        a.hset(b("f"), b("1"), 10, 1);
        HashValue b = a.copy();
        HashValue del = a.hdel(b("f"), 20, 1);
        b.merge(del);
        assertThat(a.gc(25)).isTrue(); // a collected; b has not yet
        HashValue incr = a.hincrBy(b("f"), 2, 30, 1);
        b.merge(incr);
        assertThat(s(b.get(b("f")))).isEqualTo("2");
        assertThat(s(a.get(b("f")))).isEqualTo("2");
        b.gc(25);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void encodingIsCanonicalAndRoundTrips() {
        HashValue a = new HashValue();
        a.hset(b("z"), b("1"), 10, 1);
        a.hset(b("a"), b("2"), 11, 1);
        a.hdel(b("z"), 12, 1);
        a.hincrByFloat(b("q"), b("1.5"), 13, 1);
        HashValue b = new HashValue();
        b.merge(a);
        CrdtWriter wa = new CrdtWriter();
        a.encode(wa);
        CrdtWriter wb = new CrdtWriter();
        b.encode(wb);
        assertThat(wa.toByteArray()).isEqualTo(wb.toByteArray());
        HashValue back = HashValue.decode(new CrdtReader(wa.toByteArray()));
        assertThat(back).isEqualTo(a);
        assertThat(back.size()).isEqualTo(2);
    }
}
