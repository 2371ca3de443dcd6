package io.converge.server.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Murmur3Test {

    private static long[] hash(String s, long seed) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        long[] out = new long[2];
        Murmur3.hash128(b, 0, b.length, seed, out);
        return out;
    }

    @Test
    void matchesPublishedVectors() {
        // Widely published MurmurHash3_x64_128 outputs (h1, h2), e.g. in Elasticsearch's test suite.
        assertThat(hash("hell", 0)).containsExactly(0x629942693e10f867L, 0x92db0b82baeb5347L);
        assertThat(hash("hello", 1)).containsExactly(0xa78ddff5adae8d10L, 0x128900ef20900135L);
        assertThat(hash("hello ", 2)).containsExactly(0x8a486b23f422e826L, 0xf962a2c58947765fL);
        assertThat(hash("hello w", 3)).containsExactly(0x2ea59f466f6bed8cL, 0xc610990acc428a17L);
        assertThat(hash("hello wo", 4)).containsExactly(0x79f6305a386c572cL, 0x46305aed3483b94eL);
        assertThat(hash("hello wor", 5)).containsExactly(0xc2219d213ec1f1b5L, 0xa1d8e2e0a52785bdL);
        assertThat(hash("The quick brown fox jumps over the lazy dog", 0))
                .containsExactly(0xe34bbc7bbc071b6cL, 0x7a433ca9c49a9347L);
        assertThat(hash("The quick brown fox jumps over the lazy cog", 0))
                .containsExactly(0x658ca970ff85269aL, 0x43fee3eaa68e5c3eL);
        assertThat(hash("", 0)).containsExactly(0L, 0L);
    }

    @Test
    void passesSmhasherVerificationValue() {
        // SMHasher's VerificationTest: hash keys {0}, {0,1}, ... {0..254} (and the empty key) with
        // seed 256 - length, hash the concatenated 16-byte outputs with seed 0, and read the first
        // 4 bytes little-endian. For MurmurHash3_x64_128 the published value is 0x6384BA69. It
        // covers every tail length and every byte value, including bytes >= 0x80.
        byte[] key = new byte[256];
        byte[] hashes = new byte[256 * 16];
        long[] out = new long[2];
        for (int i = 0; i < 256; i++) {
            key[i] = (byte) i;
            Murmur3.hash128(key, 0, i, 256 - i, out);
            writeLittleEndian(hashes, i * 16, out[0]);
            writeLittleEndian(hashes, i * 16 + 8, out[1]);
        }
        long h1 = Murmur3.hash64(hashes, 0, hashes.length, 0);
        assertThat((int) h1).isEqualTo(0x6384BA69);
    }

    @Test
    void hashesOnlyTheGivenSlice() {
        Random random = new Random(7);
        for (int n = 0; n < 200; n++) {
            byte[] data = new byte[random.nextInt(64)];
            random.nextBytes(data);
            int from = data.length == 0 ? 0 : random.nextInt(data.length);
            int length = data.length - from == 0 ? 0 : random.nextInt(data.length - from);
            byte[] slice = Arrays.copyOfRange(data, from, from + length);
            assertThat(Murmur3.hash64(data, from, length, 42)).isEqualTo(Murmur3.hash64(slice, 0, slice.length, 42));
        }
    }

    private static void writeLittleEndian(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
