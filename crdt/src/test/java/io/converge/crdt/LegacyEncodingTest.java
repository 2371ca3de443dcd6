package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Logs and snapshots written by the build with {@code int} replica ids stay readable: the
 * encodings it produced ({@link LegacyEncodings}, saved as fixtures) decode to the states this
 * build makes from the same operations, and this build writes those states to the same bytes.
 */
class LegacyEncodingTest {

    private static final HexFormat HEX = HexFormat.of();

    private static Map<String, byte[]> fixtures() throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream in = LegacyEncodingTest.class.getResourceAsStream(LegacyEncodings.RESOURCE)) {
            assertThat(in).as("fixture file").isNotNull();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int sp = line.indexOf(' ');
                out.put(line.substring(0, sp), HEX.parseHex(line.substring(sp + 1).trim()));
            }
        }
        return out;
    }

    @Test
    void everyOldEncodingDecodesAndEncodesBackToTheSameBytes() throws IOException {
        Map<String, byte[]> fixtures = fixtures();
        assertThat(fixtures).hasSizeGreaterThan(200);
        for (Map.Entry<String, byte[]> e : fixtures.entrySet()) {
            KeyState k = CrdtCodec.decode(e.getValue());
            assertThat(HEX.formatHex(CrdtCodec.encode(k))).as(e.getKey()).isEqualTo(HEX.formatHex(e.getValue()));
        }
    }

    @Test
    void oldEncodingsDecodeToTheStatesTheSameOperationsBuildNow() throws IOException {
        Map<String, byte[]> fixtures = fixtures();
        Map<String, KeyState> built = LegacyEncodings.handBuilt();
        for (Map.Entry<String, KeyState> e : built.entrySet()) {
            byte[] old = fixtures.get(e.getKey());
            assertThat(old).as("fixture %s", e.getKey()).isNotNull();
            assertThat(CrdtCodec.decode(old)).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(HEX.formatHex(CrdtCodec.encode(e.getValue()))).as(e.getKey()).isEqualTo(HEX.formatHex(old));
        }
    }

    @Test
    void anOldPurgeWatermarkStaysBelowEveryReplicaId() throws IOException {
        byte[] old = fixtures().get("purged");
        // The int build wrote the watermark's node (Integer.MIN_VALUE) as a five-byte varint.
        assertThat(HEX.formatHex(old)).contains("8080808008");
        long w = Hlc.pack(LegacyEncodings.T + 100, 0);

        KeyState atWatermark = CrdtCodec.decode(old);
        atWatermark.merge(new KeyState().setString(LegacyEncodings.b("kept"), 0, w, 0));
        assertThat(atWatermark.stringBytes()).as("a write at the watermark's HLC by node 0 survives").isNotNull();

        KeyState before = CrdtCodec.decode(old);
        before.merge(new KeyState().setString(LegacyEncodings.b("gone"), 0, w - 1, Integer.MAX_VALUE));
        assertThat(before.stringBytes()).as("a write stamped before the watermark is deleted").isNull();
    }
}
