package io.converge.server.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PartitionerTest {

    private static long token(String key) {
        return Partitioner.token(key.getBytes(StandardCharsets.UTF_8));
    }

    private static long plain(String s) {
        return Murmur3.hash64(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void keyWithoutTagIsHashedWhole() {
        assertThat(token("user:1000")).isEqualTo(plain("user:1000"));
        assertThat(token("")).isEqualTo(plain(""));
    }

    @Test
    void tagContentIsHashed() {
        assertThat(token("{user1000}.following")).isEqualTo(plain("user1000"));
        assertThat(token("{user1000}.followers")).isEqualTo(token("{user1000}.following"));
        assertThat(token("foo{bar}{zap}")).isEqualTo(plain("bar"));
    }

    @Test
    void followsRedisClusterEdgeCases() {
        // Examples from the Redis Cluster specification.
        assertThat(token("foo{}{bar}")).as("empty first tag: whole key").isEqualTo(plain("foo{}{bar}"));
        assertThat(token("foo{{bar}}zap")).as("content between first { and first } after it").isEqualTo(plain("{bar"));
        assertThat(token("foo{bar")).as("no closing brace").isEqualTo(plain("foo{bar"));
        assertThat(token("foo}bar{")).as("closing brace before the opening one").isEqualTo(plain("foo}bar{"));
        assertThat(token("{}")).isEqualTo(plain("{}"));
        assertThat(token("a{b}")).isEqualTo(plain("b"));
    }

    @Test
    void worksOnBinaryKeys() {
        byte[] key = {(byte) 0xff, '{', 0, (byte) 0x80, '}', 1};
        assertThat(Partitioner.hashTagStart(key)).isEqualTo(2);
        assertThat(Partitioner.hashTagEnd(key, 2)).isEqualTo(4);
        assertThat(Partitioner.token(key)).isEqualTo(Murmur3.hash64(new byte[] {0, (byte) 0x80}));
    }
}
