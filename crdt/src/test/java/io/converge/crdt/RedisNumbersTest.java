package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Expected values were taken from redis-server 7 (see the brief: Redis's own answers). */
class RedisNumbersTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "-1", "9223372036854775807", "-9223372036854775808", "42"})
    void canonicalIntegersParse(String s) {
        assertThat(RedisNumbers.parseLong(b(s))).isEqualTo(Long.parseLong(s));
        assertThat(new String(RedisNumbers.formatLong(Long.parseLong(s)), StandardCharsets.US_ASCII)).isEqualTo(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "-0", "01", "+1", " 1", "1 ", "1.5", "9223372036854775808",
        "-9223372036854775809", "abc", "123456789012345678901"})
    void nonCanonicalIntegersAreRefusedLikeRedis(String s) {
        assertThatThrownBy(() -> RedisNumbers.parseLong(b(s))).isSameAs(CounterException.NOT_AN_INTEGER);
    }

    @ParameterizedTest
    @CsvSource({"10.5,0.1,10.6", "0,3.0e3,3000", "0.1,0.2,0.3", "0,1e-20,0", "10,0.5,10.5",
        "10.5,0.5,11", "0,1.23456789012345678901234,1.23456789012345679", "0,5.,5", "0,.5,0.5",
        "0,+1,1", "0,1e30,1000000000000000000000000000000", "0,-0,0"})
    void floatSumsPrintLikeIncrbyfloat(String base, String incr, String expected) {
        BigDecimal sum = RedisNumbers.parseFloat(b(base)).add(RedisNumbers.parseFloat(b(incr)));
        assertThat(new String(RedisNumbers.formatFloat(sum), StandardCharsets.US_ASCII)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "nan", "1e5000", "1e-5000", " 1", "1 ", "0x10", "1e", ".", "1d", "١"})
    void invalidFloatsAreRefused(String s) {
        assertThatThrownBy(() -> RedisNumbers.parseFloat(s.getBytes(StandardCharsets.UTF_8))).isSameAs(CounterException.NOT_A_FLOAT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"inf", "-inf", "+Infinity", "INF"})
    void infinityParsesButCannotBeAResult(String s) {
        assertThatThrownBy(() -> RedisNumbers.parseFloat(b(s))).isSameAs(CounterException.NAN_OR_INFINITY);
    }
}
