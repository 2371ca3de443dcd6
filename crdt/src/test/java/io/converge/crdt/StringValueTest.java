package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StringValueTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void laterSetWinsWhateverTheArrivalOrder() {
        StringValue a = new StringValue();
        StringValue b = new StringValue();
        StringValue da = a.set(b("from-a"), 10, 1);
        StringValue db = b.set(b("from-b"), 11, 2);
        a.merge(db);
        b.merge(da);
        assertThat(s(a.get())).isEqualTo("from-b");
        assertThat(a).isEqualTo(b);
    }

    @Test
    void equalHlcTiesBreakOnNodeId() {
        StringValue a = new StringValue(b("x"), 10, 1);
        a.merge(new StringValue(b("y"), 10, 2));
        assertThat(s(a.get())).isEqualTo("y");
    }

    @Test
    void concurrentIncrementsAllCountExactly() {
        StringValue base = new StringValue(b("100"), 10, 1);
        StringValue[] replicas = {base.copy(), base.copy(), base.copy()};
        StringValue d0 = replicas[0].incrBy(5, 20, 1);
        StringValue d1 = replicas[1].incrBy(-3, 21, 2);
        StringValue d2a = replicas[2].incrBy(7, 22, 3);
        StringValue d2b = replicas[2].incrBy(1, 23, 3);
        for (StringValue r : replicas) {
            r.merge(d2b);
            r.merge(d0);
            r.merge(d1);
            r.merge(d2a); // older delta after newer: ignored, the contribution is cumulative
        }
        for (StringValue r : replicas) {
            assertThat(r.longValue()).isEqualTo(110);
            assertThat(s(r.get())).isEqualTo("110");
        }
    }

    @Test
    void concurrentSetWinsOverIncrementsItDidNotSee() {
        StringValue a = new StringValue(b("5"), 10, 1);
        StringValue b = a.copy();
        StringValue incr = a.incrBy(1, 30, 1); // on base "5"
        StringValue set = b.set(b("100"), 20, 2); // concurrent, did not see the INCR
        a.merge(set);
        b.merge(incr);
        assertThat(s(a.get())).isEqualTo("100");
        assertThat(a).isEqualTo(b);
        // increments made after seeing the SET count on top of it
        StringValue later = b.incrBy(2, 40, 2);
        a.merge(later);
        assertThat(a.longValue()).isEqualTo(102);
    }

    @Test
    void incrementsAfterADeleteCountFromZeroAndConcurrentOldOnesDoNot() {
        StringValue a = new StringValue(b("50"), 10, 1);
        StringValue b = a.copy();
        StringValue oldIncr = a.incrBy(5, 20, 1); // concurrent with the delete below
        b.removeUpTo(25, 2);
        assertThat(b.isEmpty()).isTrue();
        StringValue fresh = b.incrBy(3, 30, 2); // INCR on the deleted key
        a.merge(fresh);
        b.merge(oldIncr);
        a.removeUpTo(25, 2);
        assertThat(a.longValue()).isEqualTo(3);
        assertThat(b.longValue()).isEqualTo(3);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void incrementsBegunAfterATombstoneCountEvenWhereTheTombstoneWasCollected() {
        StringValue a = StringValue.tombstone(25, 2);
        StringValue collected = StringValue.tombstone(25, 2);
        assertThat(collected.gc(100)).isTrue(); // the owner drops it: start again from nothing
        StringValue fresh = new StringValue();
        StringValue d = fresh.incrBy(4, 200, 3);
        a.merge(d);
        assertThat(a.longValue()).isEqualTo(4);
    }

    @Test
    void overflowIsDetectedBeforeAnythingChanges() {
        StringValue v = new StringValue(b("9223372036854775806"), 10, 1);
        v.incrBy(1, 11, 1);
        StringValue before = v.copy();
        assertThatThrownBy(() -> v.incrBy(1, 12, 1)).isSameAs(CounterException.OVERFLOW);
        assertThat(v).isEqualTo(before);
        StringValue neg = new StringValue(b("-9223372036854775807"), 10, 1);
        assertThatThrownBy(() -> neg.incrBy(-2, 11, 1)).isSameAs(CounterException.OVERFLOW);
        assertThat(neg.longValue()).isEqualTo(-9223372036854775807L);
    }

    @Test
    void concurrentIncrementsMayExceed64BitsAndThenReadAsABigIntegerNotANumberForIncr() {
        StringValue base = new StringValue(b("9223372036854775000"), 10, 1);
        StringValue a = base.copy();
        StringValue c = base.copy();
        StringValue da = a.incrBy(700, 20, 1);
        StringValue dc = c.incrBy(700, 21, 2);
        a.merge(dc);
        c.merge(da);
        assertThat(s(a.get())).isEqualTo("9223372036854776400");
        assertThat(a).isEqualTo(c);
        assertThatThrownBy(() -> a.incrBy(-1, 30, 1)).isSameAs(CounterException.NOT_AN_INTEGER);
    }

    @Test
    void nonIntegerValuesAreRefused() {
        StringValue v = new StringValue(b("abc"), 10, 1);
        assertThatThrownBy(() -> v.incrBy(1, 11, 1)).isSameAs(CounterException.NOT_AN_INTEGER);
        assertThatThrownBy(() -> v.incrByFloat(b("1"), 11, 1)).isSameAs(CounterException.NOT_A_FLOAT);
        assertThat(v.isPlain()).isTrue();
        StringValue f = new StringValue(b("1.5"), 10, 1);
        assertThatThrownBy(() -> f.incrBy(1, 11, 1)).isSameAs(CounterException.NOT_AN_INTEGER);
        assertThatThrownBy(() -> f.incrByFloat(b("inf"), 11, 1)).isSameAs(CounterException.NAN_OR_INFINITY);
        assertThatThrownBy(() -> f.incrByFloat(b("x"), 11, 1)).isSameAs(CounterException.NOT_A_FLOAT);
    }

    @Test
    void incrByFloatBehavesLikeRedisOnOneReplica() {
        StringValue v = new StringValue(b("10.5"), 10, 1);
        v.incrByFloat(b("0.1"), 11, 1);
        assertThat(s(v.get())).isEqualTo("10.6");
        v.incrByFloat(b("0.4"), 12, 1);
        assertThat(s(v.get())).isEqualTo("11");
        v.incrBy(1, 13, 1); // "11" is an integer again, as in Redis
        assertThat(s(v.get())).isEqualTo("12");
        StringValue w = new StringValue();
        w.incrByFloat(b("3.0e3"), 10, 1);
        assertThat(s(w.get())).isEqualTo("3000");
        StringValue tiny = new StringValue();
        tiny.incrByFloat(b("1e-20"), 10, 1);
        tiny.incrByFloat(b("1e-20"), 11, 1);
        assertThat(s(tiny.get())).isEqualTo("0"); // Redis stores "0" after each step
    }

    @Test
    void concurrentFloatIncrementsConvergeBitForBitInAnyOrder() {
        StringValue base = new StringValue(b("1"), 10, 1);
        StringValue[] r = {base.copy(), base.copy(), base.copy()};
        StringValue d0 = r[0].incrByFloat(b("0.1"), 20, 1);
        StringValue d1 = r[1].incrByFloat(b("0.2"), 21, 2);
        StringValue d2 = r[2].incrByFloat(b("1e-19"), 22, 3);
        r[0].merge(d1);
        r[0].merge(d2);
        r[1].merge(d2);
        r[1].merge(d0);
        r[2].merge(d0);
        r[2].merge(d1);
        for (StringValue x : r) {
            assertThat(s(x.get())).isEqualTo("1.3");
            assertThat(x).isEqualTo(r[0]);
        }
    }

    @Test
    void deltaEncodingRoundTrips() {
        StringValue v = new StringValue(b("7"), 10, 1);
        v.incrBy(3, 11, 1);
        v.incrByFloat(b("0.25"), 12, 2);
        CrdtWriter w = new CrdtWriter();
        v.encode(w);
        StringValue back = StringValue.decode(new CrdtReader(w.toByteArray()));
        assertThat(back).isEqualTo(v);
        assertThat(s(back.get())).isEqualTo("10.25");
    }
}
