package io.converge.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Expected strings are what C's printf("%.17g") prints (checked with glibc). */
class RespDoublesTest {
    private static String f(double d) {
        return new String(RespDoubles.format(d), StandardCharsets.US_ASCII);
    }

    @Test
    void formatsLikePercentPoint17g() {
        assertThat(f(1.5)).isEqualTo("1.5");
        assertThat(f(3)).isEqualTo("3");
        assertThat(f(-3)).isEqualTo("-3");
        assertThat(f(0)).isEqualTo("0");
        assertThat(f(-0.0)).isEqualTo("-0");
        assertThat(f(0.1)).isEqualTo("0.10000000000000001");
        assertThat(f(1.0 / 3)).isEqualTo("0.33333333333333331");
        assertThat(f(1e20)).isEqualTo("1e+20");
        assertThat(f(1e17)).isEqualTo("1e+17");
        assertThat(f(12345678901234567.0)).isEqualTo("12345678901234568");
        assertThat(f(1e-5)).isEqualTo("1.0000000000000001e-05");
        assertThat(f(0.0001)).isEqualTo("0.0001");
        assertThat(f(123.456)).isEqualTo("123.456");
        assertThat(f(Double.MAX_VALUE)).isEqualTo("1.7976931348623157e+308");
        assertThat(f(Double.MIN_VALUE)).isEqualTo("4.9406564584124654e-324");
        assertThat(f(2.5e-300)).isEqualTo("2.5e-300");
        assertThat(f(Double.POSITIVE_INFINITY)).isEqualTo("inf");
        assertThat(f(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
        assertThat(f(Double.NaN)).isEqualTo("nan");
    }
}
