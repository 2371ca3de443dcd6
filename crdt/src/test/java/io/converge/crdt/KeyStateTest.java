package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The named conflict cases of DESIGN.md section 1 at the level of whole keys. */
class KeyStateTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static void exchange(KeyState x, KeyState dx, KeyState y, KeyState dy) {
        x.merge(dy);
        y.merge(dx);
    }

    @Test
    void plainStringsStayInlineAndConverge() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState da = a.setString(b("a"), 0, 10, 1);
        KeyState db = b.setString(b("b"), 0, 11, 2);
        exchange(a, da, b, db);
        assertThat(s(a.stringBytes())).isEqualTo("b");
        assertThat(a).isEqualTo(b);
        assertThat(a.type()).isEqualTo(ValueType.STRING);
        assertThat(a.envelopeOrNull()).isNull();
    }

    @Test
    void concurrentSetVersusIncr() {
        KeyState a = new KeyState();
        a.setString(b("5"), 0, 10, 1);
        KeyState b = a.copy();
        KeyState incr = a.incrBy(1, 30, 1);
        KeyState set = b.setString(b("100"), 0, 20, 2);
        exchange(a, incr, b, set);
        assertThat(s(a.stringBytes())).isEqualTo("100");
        assertThat(a).isEqualTo(b);
    }

    @Test
    void delVersusConcurrentWrites() {
        KeyState a = new KeyState();
        a.setString(b("v"), 0, 10, 1);
        KeyState b = a.copy();
        KeyState del = a.delete(20, 1);
        assertThat(a.exists()).isFalse();
        KeyState newer = b.setString(b("w"), 0, 25, 2); // concurrent, stamped after the DEL
        exchange(a, del, b, newer);
        assertThat(s(a.stringBytes())).isEqualTo("w");
        assertThat(a).isEqualTo(b);

        // an older concurrent write does not survive the DEL
        KeyState c = new KeyState();
        c.setString(b("v"), 0, 10, 1);
        KeyState d = c.copy();
        KeyState del2 = c.delete(30, 1);
        KeyState older = d.setString(b("x"), 0, 28, 2);
        exchange(c, del2, d, older);
        assertThat(c.exists()).isFalse();
        assertThat(d.exists()).isFalse();
        assertThat(c).isEqualTo(d);
    }

    @Test
    void delVersusConcurrentSaddIsAddWins() {
        KeyState a = new KeyState();
        KeyState seed = KeyState.wrap(a.setForWrite().add(b("m1"), 10, 1));
        KeyState b = new KeyState();
        b.merge(seed);
        KeyState del = a.delete(30, 1);
        KeyState add = KeyState.wrap(b.setForWrite().add(b("m2"), 20, 2)); // not seen by the DEL
        exchange(a, del, b, add);
        assertThat(a.type()).isEqualTo(ValueType.SET);
        assertThat(a.set().contains(b("m1"))).isFalse();
        assertThat(a.set().contains(b("m2"))).isTrue();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void setAfterDelOnTheSameReplicaSurvivesAndSaddAfterDelGetsFreshDots() {
        KeyState a = new KeyState();
        KeyState log = new KeyState();
        log.merge(a.setString(b("v"), 0, 10, 1));
        log.merge(a.delete(20, 1));
        log.merge(a.setString(b("again"), 0, 30, 1));
        assertThat(s(a.stringBytes())).isEqualTo("again");

        KeyState s1 = new KeyState();
        KeyState replica = new KeyState();
        replica.merge(KeyState.wrap(s1.setForWrite().add(b("x"), 10, 1)));
        KeyState del = s1.delete(20, 1);
        KeyState readd = KeyState.wrap(s1.setForWrite().add(b("x"), 30, 1));
        // deliver the re-add before the delete: the fresh dot is outside the delete's context
        replica.merge(readd);
        replica.merge(del);
        assertThat(replica.set().contains(b("x"))).isTrue();
        assertThat(replica).isEqualTo(s1);
    }

    @Test
    void incrAfterDelCountsFromZero() {
        KeyState a = new KeyState();
        a.setString(b("41"), 0, 10, 1);
        KeyState b = a.copy();
        KeyState del = a.delete(20, 1);
        KeyState incr = a.incrBy(1, 30, 1);
        b.merge(incr); // out of order
        b.merge(del);
        assertThat(a.string().longValue()).isEqualTo(1);
        assertThat(b.string().longValue()).isEqualTo(1);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void typeClashTheLaterWriteWins() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState str = a.setString(b("s"), 0, 20, 1);
        KeyState set = KeyState.wrap(b.setForWrite().add(b("m"), 10, 2));
        exchange(a, str, b, set);
        assertThat(a.type()).isEqualTo(ValueType.STRING);
        assertThat(b.type()).isEqualTo(ValueType.STRING);
        assertThat(a).isEqualTo(b);
        assertThatThrownBy(a::setForWrite).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("WRONGTYPE");

        // the other way round: the set is written later
        KeyState c = new KeyState();
        KeyState d = new KeyState();
        KeyState str2 = c.setString(b("s"), 0, 10, 1);
        KeyState set2 = KeyState.wrap(d.setForWrite().add(b("m"), 20, 2));
        exchange(c, str2, d, set2);
        assertThat(c.type()).isEqualTo(ValueType.SET);
        assertThat(c).isEqualTo(d);
        // a later SET overwrites whatever type this replica observed
        KeyState over = c.setString(b("t"), 0, 30, 1);
        d.merge(over);
        assertThat(d.type()).isEqualTo(ValueType.STRING);
        assertThat(d.set()).isNull();
        assertThat(c).isEqualTo(d);
    }

    @Test
    void expireVersusPersistLatestStampWins() {
        KeyState a = new KeyState();
        a.setString(b("v"), 0, 10, 1);
        KeyState b = a.copy();
        KeyState expire = a.expire(5_000, 20, 1);
        KeyState persist = b.expire(9_000, 15, 2); // older EXPIRE on b...
        KeyState persistLater = b.persist(25, 2); // ...then PERSIST, later than a's EXPIRE
        a.merge(persistLater);
        a.merge(persist);
        b.merge(expire);
        assertThat(a.expireAtMs()).isZero();
        assertThat(b.expireAtMs()).isZero();
        assertThat(a).isEqualTo(b);

        KeyState c = new KeyState();
        c.setString(b("v"), 0, 10, 1);
        c.expire(5_000, 20, 1);
        KeyState d = c.copy();
        KeyState p = d.persist(25, 2);
        KeyState e = c.expire(7_000, 30, 1); // stamped after the PERSIST
        exchange(c, e, d, p);
        assertThat(c.expireAtMs()).isEqualTo(7_000);
        assertThat(d.expireAtMs()).isEqualTo(7_000);
        assertThat(c.isLive(7_000)).isTrue();
        assertThat(c.isLive(7_001)).isFalse();
    }

    @Test
    void setClearsAnObservedTtlButKeepTtlKeepsIt() {
        KeyState a = new KeyState();
        a.setString(b("v"), 1_000, 10, 1);
        assertThat(a.expireAtMs()).isEqualTo(1_000);
        a.setString(b("w"), KeyState.KEEP_TTL, 20, 1);
        assertThat(a.expireAtMs()).isEqualTo(1_000);
        KeyState d = a.setString(b("x"), 0, 30, 1);
        assertThat(a.expireAtMs()).isZero();
        KeyState other = new KeyState();
        other.setString(b("v"), 1_000, 10, 1);
        other.merge(d);
        assertThat(other.expireAtMs()).isZero();
    }

    @Test
    void purgeOfAnExpiredKeyIsTheSameEverywhereAndSparesLaterWrites() {
        KeyState a = new KeyState();
        a.setString(b("v"), Hlc.physical(Hlc.pack(100_000, 0)), Hlc.pack(50_000, 0), 1);
        KeyState b = a.copy();
        assertThat(a.purgeExpired(100_000)).isNull();
        KeyState pa = a.purgeExpired(100_001);
        assertThat(a.exists()).isFalse();
        KeyState write = b.copy();
        write.purgeExpired(100_005);
        KeyState later = write.setString(b("new"), 0, Hlc.pack(100_005, 0), 2);
        b.merge(later);
        b.merge(pa);
        a.merge(later);
        assertThat(s(a.stringBytes())).isEqualTo("new");
        assertThat(s(b.stringBytes())).isEqualTo("new");
        assertThat(a.expireAtMs()).isZero();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void gcForgetsADeletedStringKeyAndKeepsTheContextOfADeletedSet() {
        KeyState a = new KeyState();
        a.setString(b("v"), 0, 10, 1);
        a.delete(20, 1);
        assertThat(a.isGarbage()).isFalse();
        assertThat(a.gc(19)).isFalse();
        assertThat(a.gc(20)).isTrue();

        KeyState s = new KeyState();
        KeyState.wrap(s.setForWrite().add(b("m"), 10, 1));
        s.delete(20, 1);
        assertThat(s.gc(100)).isFalse(); // keeps {1<=1} so a re-created set does not reuse dot 1:1
        s.setForWrite().add(b("m"), 200, 1);
        assertThat(s.set().context().contiguousMax(1)).isEqualTo(2);
    }

    @Test
    void hashKeyWritesGoThroughWrap() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState d = KeyState.wrap(a.hashForWrite().hset(b("f"), b("1"), 10, 1));
        b.merge(d);
        assertThat(b.type()).isEqualTo(ValueType.HASH);
        assertThat(s(b.hash().get(b("f")))).isEqualTo("1");
        KeyState del = KeyState.wrap(b.hashForWrite().hdel(b("f"), 20, 2));
        a.merge(del);
        assertThat(a.exists()).isFalse();
        assertThat(a).isEqualTo(b);
        // the emptied hash no longer exists, so the key can become a counter
        a.incrBy(1, 30, 1);
        assertThat(a.type()).isEqualTo(ValueType.STRING);
        assertThat(a.string().longValue()).isEqualTo(1);
    }
}
