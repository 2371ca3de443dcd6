package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Counters at the edges of the long double range: every value a replica accepts must encode to
 * bytes its own log and every peer decode, and what would leave the range is refused before
 * anything changes, with Redis's error.
 */
class ExtremeNumbersTest {

    /** The longest float Redis accepts with the most decimal places: 4.111...1e-4951, 5119 chars. */
    static final String FINEST_FLOAT = "4." + "1".repeat(RedisNumbers.MAX_FLOAT_CHARS - 9) + "e-4951";

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String s(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.US_ASCII);
    }

    /** Encodes, decodes and re-encodes {@code k}: equal state, identical bytes. */
    static KeyState roundTrip(KeyState k) {
        byte[] bytes = CrdtCodec.encode(k);
        KeyState back = CrdtCodec.decode(bytes);
        assertThat(back).isEqualTo(k);
        assertThat(CrdtCodec.encode(back)).isEqualTo(bytes);
        return back;
    }

    @Test
    void incrbyfloatNearTheLongDoubleMaximumRoundTrips() {
        KeyState k = new KeyState();
        KeyState d = k.incrByFloat(b("1e4932"), 10, 1);
        assertThat(s(k.stringBytes())).isEqualTo("1" + "0".repeat(4932));
        roundTrip(d);
        roundTrip(k);
        KeyState m = new KeyState();
        m.incrByFloat(b("-1.18973149535723176504e4932"), 10, 1);
        assertThat(s(roundTrip(m).stringBytes())).startsWith("-118973149535723176504000");
    }

    @Test
    void theRangeEndsWhereRedisRoundsToInfinityOrZero() {
        // Redis 7.0 accepts ...76504e4932 (rounds to LDBL_MAX) and refuses ...76506e4932 (inf).
        assertThat(RedisNumbers.parseFloat(b("1.18973149535723176504e4932"))).isNotNull();
        assertThatThrownBy(() -> RedisNumbers.parseFloat(b("1.18973149535723176506e4932")))
                .isSameAs(CounterException.NOT_A_FLOAT);
        assertThatThrownBy(() -> RedisNumbers.parseFloat(b("1.19e4932"))).isSameAs(CounterException.NOT_A_FLOAT);
        // ... and 1.8226e-4951 (rounds to the smallest subnormal), but not 1.8225e-4951 (zero).
        assertThat(RedisNumbers.parseFloat(b("1.8226e-4951"))).isNotNull();
        assertThatThrownBy(() -> RedisNumbers.parseFloat(b("1.8225e-4951"))).isSameAs(CounterException.NOT_A_FLOAT);
        KeyState k = new KeyState();
        k.incrByFloat(b("1.18e4932"), 10, 1);
        KeyState before = k.copy();
        assertThatThrownBy(() -> k.incrByFloat(b("1e4931"), 11, 1)).isSameAs(CounterException.NAN_OR_INFINITY);
        assertThat(k).isEqualTo(before);
    }

    @Test
    void theFinestFloatStaysWithinTheScaleBound() {
        assertThat(FINEST_FLOAT.length()).isEqualTo(RedisNumbers.MAX_FLOAT_CHARS - 1);
        BigDecimal finest = RedisNumbers.parseFloat(b(FINEST_FLOAT));
        assertThat(finest.scale()).isLessThanOrEqualTo(RedisNumbers.MAX_FLOAT_SCALE);
        assertThat(finest.scale()).isGreaterThan(10_000); // the old decoder bound was below it
    }

    @Test
    void aContributionOnTheFinestBaseTowardsTheMaximumRoundTrips() {
        KeyState k = new KeyState();
        k.setString(b(FINEST_FLOAT), 0, 10, 1);
        KeyState d = k.incrByFloat(b("1.18e4932"), 11, 1);
        // The contribution is 1.18e4932 minus the base, exactly: ~15000 digits.
        assertThat(s(k.stringBytes())).startsWith("118").doesNotContain(".");
        roundTrip(d);
        KeyState back = roundTrip(k);
        back.incrByFloat(b("-1.18e4932"), 12, 1);
        assertThat(s(back.stringBytes())).isEqualTo("0");
        roundTrip(back);
    }

    @Test
    void aReplicasOwnRunningSumMayNotLeaveTheRange() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState da = a.incrByFloat(b("1e4932"), 10, 1);
        b.merge(da);
        KeyState db = b.incrByFloat(b("-1e4932"), 11, 2);
        a.merge(db);
        assertThat(s(a.stringBytes())).isEqualTo("0");
        // Visible 0 + 1e4932 is fine, but replica 1's own sum would be 2e4932: refused.
        KeyState before = a.copy();
        assertThatThrownBy(() -> a.incrByFloat(b("1e4932"), 12, 1)).isSameAs(CounterException.NAN_OR_INFINITY);
        assertThat(a).isEqualTo(before);
        // Replica 2's own sum goes back towards zero: accepted.
        KeyState d = a.copy().incrByFloat(b("1e4932"), 12, 2);
        roundTrip(d);
        // Small steps still work for replica 1.
        a.incrByFloat(b("1e4931"), 13, 1);
        assertThat(s(roundTrip(a).stringBytes())).isEqualTo("1" + "0".repeat(4931));
    }

    @Test
    void concurrentSumsPastTheRangeStillDecodeAndReadAsNotAFloat() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState da = a.incrByFloat(b("1.1e4932"), 10, 1);
        KeyState db = b.incrByFloat(b("1.1e4932"), 11, 2);
        a.merge(db);
        b.merge(da);
        assertThat(a).isEqualTo(b);
        assertThat(s(a.stringBytes())).isEqualTo("22" + "0".repeat(4931));
        roundTrip(a);
        // Redis would refuse that string as a float, so INCRBYFLOAT does, before changing anything.
        KeyState before = a.copy();
        assertThatThrownBy(() -> a.incrByFloat(b("-1e4932"), 12, 1)).isSameAs(CounterException.NOT_A_FLOAT);
        assertThat(a).isEqualTo(before);
        // A SET starts over.
        a.setString(b("1"), 0, 13, 1);
        a.incrByFloat(b("0.5"), 14, 1);
        assertThat(s(roundTrip(a).stringBytes())).isEqualTo("1.5");
    }

    @Test
    void hashFieldsFollowTheSameBounds() {
        KeyState k = new KeyState();
        HashValue h = k.hashForWrite();
        KeyState d = KeyState.wrap(h.hincrByFloat(b("f"), b("1e4932"), 10, 1));
        roundTrip(d);
        roundTrip(k);
        assertThatThrownBy(() -> k.hashForWrite().hincrByFloat(b("f"), b("1e4932"), 11, 1))
                .isSameAs(CounterException.NAN_OR_INFINITY);
        h.hset(b("g"), b(FINEST_FLOAT), 12, 1);
        roundTrip(KeyState.wrap(h.hincrByFloat(b("g"), b("-1.18e4932"), 13, 1)));
        assertThat(s(roundTrip(k).hash().get(b("g")))).startsWith("-118");
    }

    @Test
    void integerCountersRefuseOverflowOfTheTotalAndOfTheirOwnSum() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState da = a.incrBy(Long.MAX_VALUE, 10, 1);
        assertThatThrownBy(() -> a.incrBy(1, 11, 1)).isSameAs(CounterException.OVERFLOW);
        b.merge(da);
        a.merge(b.incrBy(-Long.MAX_VALUE, 12, 2));
        assertThat(s(roundTrip(a).stringBytes())).isEqualTo("0");
        // The total would be 2^63 - 1, but replica 1's own sum would be 2^64 - 2: refused.
        KeyState before = a.copy();
        assertThatThrownBy(() -> a.incrBy(Long.MAX_VALUE, 13, 1)).isSameAs(CounterException.OVERFLOW);
        assertThat(a).isEqualTo(before);
        a.incrBy(Long.MIN_VALUE, 14, 1);
        assertThat(a.string().longValue()).isEqualTo(Long.MIN_VALUE);
        roundTrip(a);
    }
}
