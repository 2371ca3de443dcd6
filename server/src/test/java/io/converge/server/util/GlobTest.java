package io.converge.server.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GlobTest {
    private static boolean m(String pattern, String s) {
        return Glob.matches(pattern.getBytes(StandardCharsets.ISO_8859_1), s.getBytes(StandardCharsets.ISO_8859_1), false);
    }

    @Test
    void redisGlobRules() {
        assertThat(m("*", "")).as("Redis: a pattern never matches the empty string").isFalse();
        assertThat(m("*", "anything")).isTrue();
        assertThat(m("h?llo", "hello")).isTrue();
        assertThat(m("h?llo", "hllo")).isFalse();
        assertThat(m("h*llo", "heeeello")).isTrue();
        assertThat(m("h[ae]llo", "hallo")).isTrue();
        assertThat(m("h[ae]llo", "hillo")).isFalse();
        assertThat(m("h[^e]llo", "hallo")).isTrue();
        assertThat(m("h[^e]llo", "hello")).isFalse();
        assertThat(m("h[a-b]llo", "hbllo")).isTrue();
        assertThat(m("h[b-a]llo", "hallo")).isTrue();
        assertThat(m("h\\*llo", "h*llo")).isTrue();
        assertThat(m("h\\*llo", "hello")).isFalse();
        assertThat(m("a*b*c", "axxbyyc")).isTrue();
        assertThat(m("a*b*c", "axxbyy")).isFalse();
        assertThat(m("abc", "ab")).isFalse();
        assertThat(m("ab*", "ab")).isTrue();
        assertThat(m("[abc", "a")).isTrue();
        assertThat(m("a*a*a*a*a*a*a*a*a*a*b", "a".repeat(60))).isFalse();
        assertThat(Glob.matches("MAX*".getBytes(), "maxmemory".getBytes(), true)).isTrue();
        assertThat(Glob.matches("MAX*".getBytes(), "maxmemory".getBytes(), false)).isFalse();
    }
}
