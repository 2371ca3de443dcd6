package io.converge.server.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.command.CommandException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RedisNumbersTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void integersFollowString2ll() {
        assertThat(RedisNumbers.parseLong(b("0"))).isZero();
        assertThat(RedisNumbers.parseLong(b("-12"))).isEqualTo(-12);
        assertThat(RedisNumbers.parseLong(b("9223372036854775807"))).isEqualTo(Long.MAX_VALUE);
        assertThat(RedisNumbers.parseLong(b("-9223372036854775808"))).isEqualTo(Long.MIN_VALUE);
        for (String bad : new String[] {"", "-", "+1", "01", "-0", " 1", "1 ", "1a", "9223372036854775808", "0x10", "1.0"}) {
            assertThat(RedisNumbers.isLong(b(bad))).as(bad).isFalse();
        }
        assertThatThrownBy(() -> RedisNumbers.parseLong(b("x"))).isInstanceOf(CommandException.class)
                .hasMessage("ERR value is not an integer or out of range");
    }

    @Test
    void doublesFollowStrtodAsRedisUsesIt() {
        assertThat(RedisNumbers.parseDouble(b("1.5"))).isEqualTo(1.5);
        assertThat(RedisNumbers.parseDouble(b("-.5"))).isEqualTo(-0.5);
        assertThat(RedisNumbers.parseDouble(b("1e3"))).isEqualTo(1000);
        assertThat(RedisNumbers.parseDouble(b("+inf"))).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(RedisNumbers.parseDouble(b("-Infinity"))).isEqualTo(Double.NEGATIVE_INFINITY);
        for (String bad : new String[] {"", " 1", "1 ", "nan", "1.5d", "1f", "abc", "1e", "1e999", "1e-999", "0x"}) {
            assertThat(RedisNumbers.parseDouble(b(bad))).as(bad).isNaN();
        }
        assertThat(RedisNumbers.parseDouble(b("0.0"))).isZero();
    }
}
